// Running a trained YOLOv1 network over images: batched inference, decoding and NMS into
// detections, and VOC mAP of a dataset split (used by train, eval, overfit and demo).
#pragma once

#include <vector>

#include "apps/yolo_v1/detection_data.h"
#include "apps/yolo_v1/map.h"
#include "apps/yolo_v1/model.h"

namespace yolo {

struct DetectOptions {
  float conf = 0.2f;      // keep detections with score (confidence x class probability) above
  float nms_iou = 0.4f;   // NMS drops a box overlapping a kept one by more than this IoU
  bool agnostic = false;  // NMS across classes instead of per class
};

/// The settings for mAP: a very low threshold so the precision/recall curve is complete.
inline DetectOptions map_detect_options() { return {0.005f, 0.4f, false}; }

/// Detections for each image of x (N, 3, in, in) on the CPU: the model runs on `device` in eval
/// mode without gradient (its training flag is restored after), the output is decoded with
/// cfg.loss() and opt.conf, then NMS per image. Sorted by descending score.
std::vector<std::vector<Detection>> detect_tensor(minidl::Sequential& model, const ModelConfig& cfg,
                                                  const minidl::Tensor& x, minidl::Device device,
                                                  const DetectOptions& opt);

/// detect_tensor over every image of data, `batch` images at a time.
std::vector<std::vector<Detection>> detect_data(minidl::Sequential& model, const ModelConfig& cfg,
                                                const DetectionData& data, minidl::Device device,
                                                const DetectOptions& opt, int batch = 32);

/// mAP@0.5 of the model on data (both VOC definitions), with map_detect_options().
MapResult evaluate_model(minidl::Sequential& model, const ModelConfig& cfg,
                         const DetectionData& data, minidl::Device device, int batch = 32);

}  // namespace yolo
