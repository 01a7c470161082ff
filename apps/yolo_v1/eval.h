// `yolo_v1 eval`: mAP@0.5 of a trained model on a dataset split, per class and in the mean, under
// both VOC definitions (VOC2010+ all-point and VOC2007 11-point), each labelled.
#pragma once

#include <ostream>
#include <string>

#include "apps/yolo_v1/detection_data.h"
#include "apps/yolo_v1/map.h"
#include "apps/yolo_v1/run_dir.h"

namespace yolo {

struct EvalCommand {
  fs::path model;             // run folder or checkpoint file
  fs::path data;              // dataset
  std::string split = "val";  // a dataset without splits is evaluated whole
  std::string device = "cpu";
  bool skip_bad = false;  // see LoadOptions
  EdgeMode mode = EdgeMode::Keep;
  int limit = 0;  // only the first N images (0: all)
};

/// A trained model and the dataset split it is evaluated on.
struct EvalSet {
  LoadedModel model;
  DetectionData data;  // at the model's input size
  std::string split;   // the split's name
  minidl::Device device = minidl::Device::CPU;
};

/// Loads the model and the split (at the model's input size, checking labels against its C).
/// Throws minidl::Error when the split does not exist (naming those that do), the dataset's class
/// count differs from the model's, or loading fails (see load_split, load_trained).
EvalSet load_eval_set(const EvalCommand& cmd);

/// mAP@0.5 of the set's model on its images, detected with map_detect_options(); writes
/// format_map's table with the class names to `out`.
MapResult evaluate_set(EvalSet& set, std::ostream& out);

/// load_eval_set, then the images skipped and a line naming the model and the split, then
/// evaluate_set.
MapResult run_eval(const EvalCommand& cmd, std::ostream& out);

}  // namespace yolo
