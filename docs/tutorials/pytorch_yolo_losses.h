// Tutorial 3 (docs/tutorials/3-yolo-loss-from-scratch.md): the three YOLO losses of the article
// "How can a YOLO loss function be implemented from scratch in PyTorch?", rewritten with minidl's
// ops on (batch, S, S, 5 + C) tensors whose cells read [x, y, w, h, conf, class_0 .. class_{C-1}].
// calculate_iou (which the article leaves out), the guard for empty selections and the corrected
// Example 3 are ours. tests/test_tutorial_3_pytorch_yolo_losses.cpp checks them by hand and
// docs/tutorials/pytorch_yolo_losses_check.py recomputes them from PyTorch's documented semantics.
#pragma once

#include <minidl/minidl.h>

#include <utility>

namespace minidl::tutorial {

// PyTorch idioms in minidl: pred[..., 0:4] is pred.slice(-1, 0, 4), pred[..., 4] is
// pred.select(-1, 4); nn.MSELoss() and nn.SmoothL1Loss() are mse_loss and smooth_l1_loss (mean by
// default, beta = 1). minidl has no boolean indexing, so loss(pred[mask], target[mask]) is the
// per-element loss (Reduction::None) averaged over the cells where the mask is 1: masked_mean.

/// What a mean over an empty selection gives. PyTorch's losses with reduction "mean" return nan
/// on empty inputs (pytorch/pytorch#50224); `zero` is our guard, not the article's.
enum class EmptyMean { nan, zero };

/// loss_fn(pred[mask], target[mask]) with the default mean, given the per-element losses `v`
/// (B, S, S) or (B, S, S, K) and a 0/1 mask (B, S, S): the sum over the selected cells divided by
/// the number of selected elements. An empty selection gives 0 / 0 = nan, as in PyTorch, or 0 with
/// EmptyMean::zero.
inline Tensor masked_mean(const Tensor& v, const Tensor& mask, EmptyMean empty = EmptyMean::nan) {
  const bool per_cell = v.dim() == mask.dim();
  Tensor m = per_cell ? mask : unsqueeze(mask, mask.dim());                  // broadcasts over K
  Tensor count = sum(mask) * static_cast<float>(per_cell ? 1 : v.size(-1));  // selected elements
  if (empty == EmptyMean::zero) count = maximum(count, ones_like(count));    // 0 / 1 = 0
  return sum(m * v) / count;
}

/// log(v) clamped to be >= -100, as torch.nn.BCELoss clamps its logs; log(0) gives -100. The inner
/// where keeps 0 away from log, so that the gradient at v = 0 is 0, not 0 / 0.
inline Tensor torch_clamped_log(const Tensor& v) {
  Tensor positive = v > 0.f;
  return clamp(where(positive, log(where(positive, v, 1.f)), -100.f), -100.f, 0.f);
}

/// F.binary_cross_entropy(p, t, reduction="none"): -(t log p + (1 - t) log(1 - p)), each log
/// clamped at -100. The value is PyTorch's for every p in [0, 1]; the gradient is too for p inside
/// (0, 1) (PyTorch differentiates with its own formula, so at p = 0 or 1 exactly they differ).
inline Tensor torch_bce_elements(const Tensor& p, const Tensor& t) {
  return -(t * torch_clamped_log(p) + (1.f - t) * torch_clamped_log(1.f - p));
}

/// The article's loss weights (its defaults for Examples 2 and 3).
struct YoloLossWeights {
  float coord = 5.f, obj = 1.f, noobj = 0.5f, cls = 1.f;
};

/// Example 1: plain MSE, each nn.MSELoss() a mean over all its elements, on every cell alike:
///   MSE(pred box, target box) + MSE(pred conf, target conf) + MSE(pred classes, target classes)
inline Tensor yolo_loss_mse(const Tensor& pred, const Tensor& target) {
  const int64_t D = pred.size(-1);
  Tensor bbox_loss = mse_loss(pred.slice(-1, 0, 4), target.slice(-1, 0, 4));
  Tensor conf_loss = mse_loss(pred.select(-1, 4), target.select(-1, 4));
  Tensor class_loss = mse_loss(pred.slice(-1, 5, D), target.slice(-1, 5, D));
  return bbox_loss + conf_loss + class_loss;
}

/// Example 2, with obj = (target conf != 0) (target_conf.bool()), noobj = not obj:
///   coord * SmoothL1(pred box, target box)                 over ALL cells (not masked)
/// + obj   * MSE(pred conf[obj], target conf[obj])
/// + noobj * MSE(pred conf[noobj], target conf[noobj])
/// + cls   * BCE(pred classes[obj], target classes[obj])
inline Tensor yolo_loss_adv(const Tensor& pred, const Tensor& target, YoloLossWeights w = {},
                            EmptyMean empty = EmptyMean::nan) {
  const int64_t D = pred.size(-1);
  Tensor pred_conf = pred.select(-1, 4), target_conf = target.select(-1, 4);  // (B, S, S)
  Tensor obj_mask = ne(target_conf, 0.f);
  Tensor noobj_mask = 1.f - obj_mask;

  Tensor bbox_loss = smooth_l1_loss(pred.slice(-1, 0, 4), target.slice(-1, 0, 4)) * w.coord;
  Tensor conf_sq = square(pred_conf - target_conf);  // MSE's per-element loss
  Tensor conf_loss_obj = masked_mean(conf_sq, obj_mask, empty) * w.obj;
  Tensor conf_loss_noobj = masked_mean(conf_sq, noobj_mask, empty) * w.noobj;
  Tensor bce = torch_bce_elements(pred.slice(-1, 5, D), target.slice(-1, 5, D));  // (B, S, S, C)
  Tensor class_loss = masked_mean(bce, obj_mask, empty) * w.cls;
  return bbox_loss + conf_loss_obj + conf_loss_noobj + class_loss;
}

/// Ours (the article leaves calculate_iou out): the IoU of boxes given as centre x, y, width,
/// height, (..., 4) -> (...). Corners at centre -/+ half the size; the intersection is the
/// overlap of the two intervals on each axis (0 when they do not overlap), the union the two areas
/// minus the intersection. Where the union is 0 (two boxes of zero size) the IoU is 0.
inline Tensor calculate_iou(const Tensor& a, const Tensor& b) {
  auto corners = [](const Tensor& box, int64_t k) {  // k = 0: x axis, 1: y axis
    Tensor c = box.select(-1, k), half = box.select(-1, k + 2) * 0.5f;
    return std::pair<Tensor, Tensor>{c - half, c + half};
  };
  auto [ax0, ax1] = corners(a, 0);
  auto [ay0, ay1] = corners(a, 1);
  auto [bx0, bx1] = corners(b, 0);
  auto [by0, by1] = corners(b, 1);
  Tensor iw = clamp(minimum(ax1, bx1) - maximum(ax0, bx0), 0.f, 1e30f);
  Tensor ih = clamp(minimum(ay1, by1) - maximum(ay0, by0), 0.f, 1e30f);
  Tensor inter = iw * ih;
  Tensor uni = a.select(-1, 2) * a.select(-1, 3) + b.select(-1, 2) * b.select(-1, 3) - inter;
  Tensor nonzero = uni > 0.f;
  return where(nonzero, inter / where(nonzero, uni, 1.f), 0.f);
}

/// Example 3 as the article prints it: the mask comes from the predictions,
/// obj_mask = (IoU(pred box, target box) > 0.5), and it is also the confidence target:
///   coord * SmoothL1(pred box[obj_mask], target box[obj_mask])
/// + obj   * MSE(pred conf[obj_mask], 1)          (obj_mask's value there)
/// + noobj * MSE(pred conf[not obj_mask], 0)
/// + cls   * BCE(pred classes[obj_mask], target classes[obj_mask])
/// No gradient flows through the mask (a comparison), so the IoU is taken on detached boxes.
inline Tensor yolo_loss_iou(const Tensor& pred, const Tensor& target, YoloLossWeights w = {},
                            EmptyMean empty = EmptyMean::nan) {
  const int64_t D = pred.size(-1);
  Tensor pred_box = pred.slice(-1, 0, 4), target_box = target.slice(-1, 0, 4);
  Tensor obj_mask = gt(calculate_iou(pred_box.detach(), target_box), 0.5f);  // (B, S, S), 0/1
  Tensor noobj_mask = 1.f - obj_mask;

  Tensor bbox_loss =
      masked_mean(smooth_l1_loss(pred_box, target_box, 1.f, Reduction::None), obj_mask, empty) *
      w.coord;
  Tensor conf_sq = square(pred.select(-1, 4) - obj_mask);
  Tensor conf_loss_obj = masked_mean(conf_sq, obj_mask, empty) * w.obj;
  Tensor conf_loss_noobj = masked_mean(conf_sq, noobj_mask, empty) * w.noobj;
  Tensor bce = torch_bce_elements(pred.slice(-1, 5, D), target.slice(-1, 5, D));
  Tensor class_loss = masked_mean(bce, obj_mask, empty) * w.cls;
  return bbox_loss + conf_loss_obj + conf_loss_noobj + class_loss;
}

/// Ours, Example 3 corrected: the object cells come from the target (target conf != 0), as in
/// Example 2, so an object whose box is still poorly predicted keeps its box and class terms; the
/// IoU (detached: a target, not a prediction) becomes the confidence target of those cells, as in
/// the YOLOv1 paper, and empty cells are trained towards 0. Empty selections count 0.
inline Tensor yolo_loss_iou_corrected(const Tensor& pred, const Tensor& target,
                                      YoloLossWeights w = {}) {
  const int64_t D = pred.size(-1);
  Tensor pred_box = pred.slice(-1, 0, 4), target_box = target.slice(-1, 0, 4);
  Tensor pred_conf = pred.select(-1, 4);
  Tensor obj_mask = ne(target.select(-1, 4), 0.f);
  Tensor noobj_mask = 1.f - obj_mask;
  Tensor iou = calculate_iou(pred_box.detach(), target_box);

  const EmptyMean zero = EmptyMean::zero;
  Tensor bbox_loss =
      masked_mean(smooth_l1_loss(pred_box, target_box, 1.f, Reduction::None), obj_mask, zero) *
      w.coord;
  Tensor conf_loss_obj = masked_mean(square(pred_conf - iou), obj_mask, zero) * w.obj;
  Tensor conf_loss_noobj = masked_mean(square(pred_conf), noobj_mask, zero) * w.noobj;
  Tensor bce = torch_bce_elements(pred.slice(-1, 5, D), target.slice(-1, 5, D));
  Tensor class_loss = masked_mean(bce, obj_mask, zero) * w.cls;
  return bbox_loss + conf_loss_obj + conf_loss_noobj + class_loss;
}

}  // namespace minidl::tutorial
