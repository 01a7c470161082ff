// VOC mAP@0.5 (map.h): greedy matching per class in score order, then all-point (VOC2010+) and
// 11-point (VOC2007) average precision. Checked against chainercv's VOC test answers.
#include "apps/yolo_v1/map.h"

#include <minidl/minidl.h>

#include <algorithm>
#include <cstdio>

namespace yolo {

namespace {
void check_curve(const std::vector<double>& recall, const std::vector<double>& precision) {
  MINIDL_CHECK(recall.size() == precision.size(), "average precision: ", recall.size(),
               " recall values but ", precision.size(), " precision values");
  for (size_t i = 1; i < recall.size(); ++i)
    MINIDL_CHECK(recall[i] >= recall[i - 1], "average precision: recall decreases at point ", i);
}
}  // namespace

double ap_all_point(const std::vector<double>& recall, const std::vector<double>& precision) {
  check_curve(recall, precision);
  // Sentinels: (r=0, p=0) in front, (r=1, p=0) at the end.
  std::vector<double> r = {0.0}, p = {0.0};
  r.insert(r.end(), recall.begin(), recall.end());
  p.insert(p.end(), precision.begin(), precision.end());
  r.push_back(1.0);
  p.push_back(0.0);
  for (size_t i = p.size() - 1; i > 0; --i) p[i - 1] = std::max(p[i - 1], p[i]);  // envelope
  double ap = 0;
  for (size_t i = 1; i < r.size(); ++i)
    if (r[i] != r[i - 1]) ap += (r[i] - r[i - 1]) * p[i];
  return ap;
}

double ap_11_point(const std::vector<double>& recall, const std::vector<double>& precision) {
  check_curve(recall, precision);
  double ap = 0;
  for (int k = 0; k <= 10; ++k) {
    const double t = k / 10.0;
    double best = 0;
    for (size_t i = 0; i < recall.size(); ++i)
      if (recall[i] >= t) best = std::max(best, precision[i]);
    ap += best / 11.0;
  }
  return ap;
}

MapResult evaluate_map(const std::vector<std::vector<Detection>>& detections,
                       const std::vector<std::vector<Box>>& ground_truth, int C,
                       float iou_threshold, const std::vector<std::vector<char>>* difficult) {
  MINIDL_CHECK(C >= 1, "evaluate_map: need C >= 1; got ", C);
  MINIDL_CHECK(detections.size() == ground_truth.size(), "evaluate_map: detections for ",
               detections.size(), " images but ground truth for ", ground_truth.size());
  if (difficult) {
    MINIDL_CHECK(difficult->size() == ground_truth.size(), "evaluate_map: difficult flags for ",
                 difficult->size(), " images but ground truth for ", ground_truth.size());
    for (size_t i = 0; i < ground_truth.size(); ++i)
      MINIDL_CHECK((*difficult)[i].size() == ground_truth[i].size(), "evaluate_map: image ", i,
                   " has ", ground_truth[i].size(), " ground-truth boxes but ",
                   (*difficult)[i].size(), " difficult flags");
  }
  auto is_difficult = [&](size_t i, size_t k) { return difficult && (*difficult)[i][k] != 0; };
  struct Ref {
    size_t img, k;
    float score;
  };
  std::vector<std::vector<Ref>> by_class(C);
  MapResult out;
  out.classes.resize(C);
  for (int c = 0; c < C; ++c) out.classes[c].cls = c;
  for (size_t i = 0; i < ground_truth.size(); ++i) {
    for (size_t k = 0; k < ground_truth[i].size(); ++k) {
      const int c = ground_truth[i][k].cls;
      MINIDL_CHECK(c >= 0 && c < C, "evaluate_map: image ", i, ", ground truth ", k, ": class ", c,
                   " is outside [0, ", C, ")");
      ++(is_difficult(i, k) ? out.classes[c].difficult : out.classes[c].ground_truths);
    }
    for (size_t k = 0; k < detections[i].size(); ++k) {
      const int c = detections[i][k].box.cls;
      MINIDL_CHECK(c >= 0 && c < C, "evaluate_map: image ", i, ", detection ", k, ": class ", c,
                   " is outside [0, ", C, ")");
      by_class[c].push_back({i, k, detections[i][k].score});
    }
  }
  std::vector<std::vector<char>> matched(ground_truth.size());
  for (size_t i = 0; i < ground_truth.size(); ++i) matched[i].assign(ground_truth[i].size(), 0);
  double sum_all = 0, sum_11 = 0;
  for (int c = 0; c < C; ++c) {
    ClassAP& a = out.classes[c];
    std::vector<Ref>& refs = by_class[c];
    std::stable_sort(refs.begin(), refs.end(),
                     [](const Ref& x, const Ref& y) { return x.score > y.score; });
    a.detections = static_cast<int>(refs.size());
    int tp = 0, fp = 0;
    for (const Ref& d : refs) {
      const Box& box = detections[d.img][d.k].box;
      const std::vector<Box>& gts = ground_truth[d.img];
      float best = -1;
      size_t best_k = 0;
      for (size_t k = 0; k < gts.size(); ++k) {
        if (gts[k].cls != c) continue;
        const float iou = minidl::box_iou(box, gts[k]);
        if (iou > best) best = iou, best_k = k;
      }
      if (best >= iou_threshold && is_difficult(d.img, best_k)) {
        ++a.ignored;  // the devkit neither rewards nor punishes detections of difficult objects
        continue;
      }
      if (best >= iou_threshold && !matched[d.img][best_k]) {
        matched[d.img][best_k] = 1;
        ++tp;
      } else {
        ++fp;
      }
      if (a.ground_truths > 0) a.recall.push_back(static_cast<double>(tp) / a.ground_truths);
      a.precision.push_back(static_cast<double>(tp) / (tp + fp));
    }
    a.true_positives = tp;
    if (a.ground_truths == 0) {
      a.precision.clear();  // no curve without ground truth
      continue;
    }
    a.ap_all_point = ap_all_point(a.recall, a.precision);
    a.ap_11_point = ap_11_point(a.recall, a.precision);
    sum_all += a.ap_all_point;
    sum_11 += a.ap_11_point;
    ++out.classes_with_ground_truth;
  }
  if (out.classes_with_ground_truth > 0) {
    out.map_all_point = sum_all / out.classes_with_ground_truth;
    out.map_11_point = sum_11 / out.classes_with_ground_truth;
  }
  return out;
}

std::string format_map(const MapResult& r, const std::vector<std::string>& names,
                       float iou_threshold) {
  std::string s;
  char line[256];
  std::snprintf(line, sizeof line,
                "mAP@%.2g over %d classes with ground truth: VOC2010+ all-point %.4f | VOC2007 "
                "11-point %.4f\n",
                iou_threshold, r.classes_with_ground_truth, r.map_all_point, r.map_11_point);
  s += line;
  int difficult = 0, ignored = 0;
  for (const ClassAP& a : r.classes) difficult += a.difficult, ignored += a.ignored;
  if (difficult > 0) {
    std::snprintf(line, sizeof line,
                  "  %d difficult boxes, not counted as ground truth; %d detections of them "
                  "ignored\n",
                  difficult, ignored);
    s += line;
  }
  std::snprintf(line, sizeof line, "  %-16s %7s %7s %7s %10s %10s\n", "class", "gt", "det", "tp",
                "AP(all-pt)", "AP(11-pt)");
  s += line;
  for (const ClassAP& a : r.classes) {
    std::string name =
        a.cls < static_cast<int>(names.size()) ? names[a.cls] : std::to_string(a.cls);
    if (a.ground_truths == 0)
      std::snprintf(line, sizeof line, "  %-16s %7d %7d %7d %21s\n", name.c_str(), a.ground_truths,
                    a.detections, a.true_positives, "no ground truth");
    else
      std::snprintf(line, sizeof line, "  %-16s %7d %7d %7d %10.4f %10.4f\n", name.c_str(),
                    a.ground_truths, a.detections, a.true_positives, a.ap_all_point, a.ap_11_point);
    s += line;
  }
  return s;
}

}  // namespace yolo
