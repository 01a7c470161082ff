// The YOLOv1 loss as one fused op (forward and backward kernels of its own), following
// docs/yolo_v1_conventions.md exactly; the derivation of every gradient is in
// docs/yolo_v1_loss.md.
#pragma once

#include "core/tensor.h"

namespace minidl {

enum class YoloClassLoss { SSE, SoftmaxCE };

struct YoloV1Options {
  int S = 7;   // grid size
  int B = 2;   // boxes per cell
  int C = 20;  // classes
  float lambda_coord = 5.f;
  float lambda_noobj = 0.5f;
  float lambda_obj = 1.f;
  float lambda_class = 1.f;
  bool rescore = true;  // objectness target = IoU of the responsible box (false: 1)
  bool sqrt_wh = true;  // the head predicts sqrt(w), sqrt(h) directly
  YoloClassLoss class_loss = YoloClassLoss::SSE;
  /// Throws minidl::Error naming the bad field unless S, B, C >= 1 and every lambda >= 0.
  void validate() const;
};

/// The total (differentiable, 0-d) and its five terms (0-d, detached), each a sum over cells and
/// boxes averaged over the batch: xy + wh + obj + noobj + cls == total.
struct YoloV1LossResult {
  Tensor total;
  Tensor xy, wh, obj, noobj, cls;
};

/// pred (N, S, S, B*5 + C) laid out per cell as [x y w h c] * B then C class scores;
/// target (N, S, S, 5 + C) per cell [x y w h obj one-hot], from encode_targets(). A cell holds an
/// object when its obj entry is > 0.5. The gradient flows to pred only.
YoloV1LossResult yolo_v1_loss(const Tensor& pred, const Tensor& target, const YoloV1Options& opt);

/// The loss as a callable: `YoloV1Loss loss(opt); auto r = loss(pred, target);`.
class YoloV1Loss {
 public:
  explicit YoloV1Loss(YoloV1Options opt = {}) : opt_(opt) { opt_.validate(); }
  YoloV1LossResult operator()(const Tensor& pred, const Tensor& target) const {
    return yolo_v1_loss(pred, target, opt_);
  }
  const YoloV1Options& options() const { return opt_; }

 private:
  YoloV1Options opt_;
};

}  // namespace minidl
