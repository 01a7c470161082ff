// Tutorial 3 (docs/tutorials/3-yolo-loss-from-scratch.md): a YOLO loss written from scratch in the
// PyTorch tutorials' idiom, in three variants, on (batch, S, S, 5 + C) tensors whose cells read
// [x, y, w, h, conf, class_0 .. class_{C-1}]. tests/test_tutorial_losses.cpp checks each by hand.
#pragma once

#include <minidl/minidl.h>

namespace minidl::tutorial {

// nn.MSELoss / nn.SmoothL1Loss / nn.BCELoss map to minidl's mse_loss / smooth_l1_loss / bce_loss;
// pred[..., 0:4] is pred.slice(-1, 0, 4) and pred[..., 4] is pred.select(-1, 4).

/// Variant 1, plain MSE on every part (each nn.MSELoss() with its default mean):
///   mse(pred[..., 0:4], target[..., 0:4]) + mse(pred[..., 4], target[..., 4])
///     + mse(pred[..., 5:], target[..., 5:])
inline Tensor pytorch_yolo_mse_loss(const Tensor& pred, const Tensor& target) {
  const int64_t D = pred.size(-1);
  Tensor box_loss = mse_loss(pred.slice(-1, 0, 4), target.slice(-1, 0, 4));
  Tensor conf_loss = mse_loss(pred.select(-1, 4), target.select(-1, 4));
  Tensor class_loss = mse_loss(pred.slice(-1, 5, D), target.slice(-1, 5, D));
  return box_loss + conf_loss + class_loss;
}

/// Variant 2, the YOLOv1 paper's sums for one box per cell, with obj = target[..., 4] (0 or 1):
///   coord = lambda_coord sum obj [(x - x^)^2 + (y - y^)^2 + (r(w) - r(w^))^2 + (r(h) - r(h^))^2]
///   conf  = sum obj (c - 1)^2 + lambda_noobj sum (1 - obj) c^2
///   cls   = sum obj sum_c (p_c - p^_c)^2
///   loss  = (coord + conf + cls) / batch
/// with r(v) = sqrt(max(v, 0) + 1e-6): a square root that never sees a negative prediction and
/// whose gradient stays finite at 0. This is minidl::yolo_v1_loss with B = 1, sqrt_wh = false and
/// rescore = false (the program of tutorial 3 checks that they agree).
inline Tensor pytorch_yolo_v1_loss(const Tensor& pred, const Tensor& target,
                                   float lambda_coord = 5.f, float lambda_noobj = 0.5f) {
  const int64_t D = pred.size(-1);
  auto r = [](const Tensor& v) { return sqrt(clamp(v, 0.f, 1e30f) + 1e-6f); };
  Tensor obj = target.select(-1, 4);  // (N, S, S)
  Tensor noobj = 1.f - obj;

  Tensor xy = square(pred.select(-1, 0) - target.select(-1, 0)) +
              square(pred.select(-1, 1) - target.select(-1, 1));
  Tensor wh = square(r(pred.select(-1, 2)) - r(target.select(-1, 2))) +
              square(r(pred.select(-1, 3)) - r(target.select(-1, 3)));
  Tensor coord = lambda_coord * sum(obj * (xy + wh));

  Tensor c = pred.select(-1, 4);
  Tensor conf = sum(obj * square(c - 1.f)) + lambda_noobj * sum(noobj * square(c));

  Tensor cls = sum(unsqueeze(obj, -1) * square(pred.slice(-1, 5, D) - target.slice(-1, 5, D)));
  return (coord + conf + cls) / static_cast<float>(pred.size(0));
}

/// PyTorch's loss_fn(pred[mask], target[mask]) with the default mean: the mean of the per-element
/// losses `v` (B, S, S, K) over the cells where mask (B, S, S) is 1. minidl has no boolean
/// indexing, so the mask multiplies and the count divides. An empty mask gives 0 (PyTorch: NaN).
inline Tensor masked_mean(const Tensor& v, const Tensor& mask) {
  Tensor m = unsqueeze(mask, mask.dim());                  // (B, S, S, 1)
  Tensor count = sum(m) * static_cast<float>(v.size(-1));  // selected elements
  return sum(m * v) / maximum(count, ones_like(count));
}

/// Variant 3, with obj = (target conf == 1), noobj = (target conf == 0):
///   box   = SmoothL1(pred[obj][:, 0:4], target[obj][:, 0:4])        (beta = 1, mean)
///   conf  = MSE(pred[obj][:, 4], target[obj][:, 4])
///   noobj = MSE(pred[noobj][:, 4], target[noobj][:, 4])
///   cls   = BCE(pred[obj][:, 5:], target[obj][:, 5:])               (classes as probabilities)
///   loss  = lambda_coord * box + conf + lambda_noobj * noobj + cls
inline Tensor pytorch_yolo_mixed_loss(const Tensor& pred, const Tensor& target,
                                      float lambda_coord = 5.f, float lambda_noobj = 0.5f) {
  const int64_t D = pred.size(-1);
  Tensor obj = eq(target.select(-1, 4), 1.f);    // (B, S, S)
  Tensor noobj = eq(target.select(-1, 4), 0.f);  // (B, S, S)

  Tensor box = smooth_l1_loss(pred.slice(-1, 0, 4), target.slice(-1, 0, 4), 1.f, Reduction::None);
  Tensor conf = mse_loss(pred.slice(-1, 4, 5), target.slice(-1, 4, 5), Reduction::None);
  Tensor cls = bce_loss(pred.slice(-1, 5, D), target.slice(-1, 5, D), Reduction::None);

  Tensor box_loss = masked_mean(box, obj);
  Tensor obj_loss = masked_mean(conf, obj);
  Tensor noobj_loss = masked_mean(conf, noobj);
  Tensor class_loss = masked_mean(cls, obj);
  return lambda_coord * box_loss + obj_loss + lambda_noobj * noobj_loss + class_loss;
}

}  // namespace minidl::tutorial
