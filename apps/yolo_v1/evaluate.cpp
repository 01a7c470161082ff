// Batched YOLOv1 inference, decoding, NMS and mAP of a split (evaluate.h).
#include "apps/yolo_v1/evaluate.h"

#include <algorithm>

namespace yolo {

using namespace minidl;

std::vector<std::vector<Detection>> detect_tensor(Sequential& model, const ModelConfig& cfg,
                                                  const Tensor& x, Device device,
                                                  const DetectOptions& opt) {
  NoGradGuard no_grad;
  const bool training = model.is_training();
  model.eval();
  Tensor pred;
  try {
    pred = model(x.to(device)).to(Device::CPU);  // (N, S, S, 5B + C)
  } catch (...) {
    model.train(training);
    throw;
  }
  model.train(training);
  std::vector<std::vector<Detection>> dets = decode(pred, cfg.loss(), opt.conf);
  for (auto& d : dets) d = nms(std::move(d), opt.nms_iou, opt.agnostic);
  return dets;
}

std::vector<std::vector<Detection>> detect_data(Sequential& model, const ModelConfig& cfg,
                                                const DetectionData& data, Device device,
                                                const DetectOptions& opt, int batch) {
  MINIDL_CHECK(batch >= 1, "detect_data: batch must be >= 1; got ", batch);
  std::vector<std::vector<Detection>> all;
  all.reserve(static_cast<size_t>(data.size()));
  for (int64_t first = 0; first < data.size(); first += batch) {
    const int64_t n = std::min<int64_t>(batch, data.size() - first);
    for (auto& d : detect_tensor(model, cfg, image_batch(data, first, n), device, opt))
      all.push_back(std::move(d));
  }
  return all;
}

MapResult evaluate_model(Sequential& model, const ModelConfig& cfg, const DetectionData& data,
                         Device device, int batch) {
  const EvalTruth truth = eval_truth(data);
  return evaluate_map(detect_data(model, cfg, data, device, map_detect_options(), batch),
                      truth.boxes, cfg.C, 0.5f, &truth.difficult);
}

}  // namespace yolo
