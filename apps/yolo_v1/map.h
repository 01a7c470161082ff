// VOC mAP@0.5 for the yolo_v1 app, exactly as docs/yolo_v1_conventions.md defines it: per class,
// detections by descending score matched greedily to ground truth, and AP under both VOC rules.
#pragma once

#include <minidl/minidl.h>

#include <string>
#include <vector>

namespace yolo {

using minidl::Box;
using minidl::Detection;

/// The evaluation of one class.
struct ClassAP {
  int cls = 0;
  int ground_truths = 0;  // boxes of this class over all images, the difficult ones left out
  int detections = 0;     // detections of this class over all images, the ignored ones included
  int true_positives = 0;
  int difficult = 0;        // difficult boxes of this class (not counted in ground_truths)
  int ignored = 0;          // detections whose best box is a difficult one (neither TP nor FP)
  double ap_all_point = 0;  // VOC2010+ (0 when the class has no ground truth)
  double ap_11_point = 0;   // VOC2007 (0 when the class has no ground truth)
  // Recall and precision after each detection, in descending score order.
  std::vector<double> recall, precision;
};

struct MapResult {
  std::vector<ClassAP> classes;  // classes[c] for c in [0, C)
  int classes_with_ground_truth = 0;
  double map_all_point = 0;  // mean AP over classes with ground truth (0 when there are none)
  double map_11_point = 0;
};

/// VOC2010+ AP: the area under the precision/recall curve after making precision monotone
/// (p(r) = max precision at recall >= r), with the curve starting at recall 0 and ending at recall
/// 1 with precision 0. Requires recall and precision of equal length, recall non-decreasing.
double ap_all_point(const std::vector<double>& recall, const std::vector<double>& precision);
/// VOC2007 AP: the mean over t = 0, 0.1, ..., 1 (t = k / 10) of the highest precision at
/// recall >= t (0 when no point reaches t). Same requirements.
double ap_11_point(const std::vector<double>& recall, const std::vector<double>& precision);

/// Evaluates detections[i] against ground_truth[i] for every image i (the two lists must have the
/// same length; every class in [0, C)). Per class, detections from all images are sorted by
/// descending score (ties keep image order, then list order). Each detection is compared, as the
/// VOC devkit does, with the ground-truth box of its class in its image that it overlaps most
/// (first on ties): a true positive when that IoU >= iou_threshold and that box is not yet
/// matched (it becomes matched); otherwise -- no overlap that large, or a second detection of an
/// already matched box -- a false positive. precision = TP / (TP + FP), recall = TP / ground
/// truths. Throws minidl::Error on mismatched lengths, a class outside [0, C), or C < 1.
/// difficult (null, or one flag per ground-truth box, shaped as ground_truth) marks VOC's
/// difficult objects, as the devkit treats them: they are not counted as ground truths, and a
/// detection whose best box is a difficult one at IoU >= iou_threshold is ignored: neither a true
/// nor a false positive, and no point of the curve.
MapResult evaluate_map(const std::vector<std::vector<Detection>>& detections,
                       const std::vector<std::vector<Box>>& ground_truth, int C,
                       float iou_threshold = 0.5f,
                       const std::vector<std::vector<char>>* difficult = nullptr);

/// A table for people: both mAP definitions, each labelled, then one row per class (name, ground
/// truths, detections, true positives, both APs); classes without ground truth say so and are
/// not in the means. names may be empty (classes shown by number) or hold C names.
std::string format_map(const MapResult& r, const std::vector<std::string>& names,
                       float iou_threshold = 0.5f);

}  // namespace yolo
