// The custom losses of well-known Keras and PyTorch tutorials, rewritten line for line with
// minidl's public ops (autograd differentiates them; no hand-written backward anywhere).
// They are the code of docs/tutorials; tests/test_tutorial_losses.cpp checks them by hand.
#pragma once

#include <vector>

#include "core/minidl.h"
#include "losses/losses.h"

namespace minidl::tutorial {

// =================================================================================================
// Keras: SimpleYoloLoss (codemia.io, "Keras custom loss function for YOLO").
// Rows [x, y, w, h, objectness, class_0, class_1, ...]; y_true, y_pred of shape (B, R, 5 + C).
//
// Only the opening of that article could be consulted (class SimpleYoloLoss(tf.keras.losses.Loss),
// __init__(lambda_box=5.0, lambda_noobj=0.5), the row layout and true_box = y_true[..., 0:4]);
// the body of call() below is our reconstruction in the article's idiom, with Keras' own
// semantics for its building blocks:
//   obj        = y_true[..., 4]                        noobj = 1 - obj            (B, R)
//   box_loss   = lambda_box   * sum_R obj   * sum_4 (true_box - pred_box)^2
//   obj_loss   =                sum_R obj   * BCE(true_obj, pred_obj)
//   noobj_loss = lambda_noobj * sum_R noobj * BCE(true_obj, pred_obj)
//   class_loss =                sum_R obj   * CCE(true_cls, pred_cls)
//   call() returns box + obj + noobj + class per sample, (B); Keras' default reduction
//   ("sum_over_batch_size") then takes the mean over the batch.
// BCE is keras.losses.binary_crossentropy on probabilities: p = clip(p, 1e-7, 1 - 1e-7),
// -(t log p + (1 - t) log(1 - p)), mean over the last axis (here of size 1).
// CCE is keras.losses.categorical_crossentropy on probabilities: p = p / sum(p, last axis),
// p = clip(p, 1e-7, 1 - 1e-7), -sum(t log p, last axis).
// =================================================================================================

/// keras.backend.epsilon(), the clip Keras applies to probabilities.
inline constexpr float kKerasEpsilon = 1e-7f;

/// keras.losses.binary_crossentropy(y_true, y_pred) on probabilities: (..., K) -> (...).
inline Tensor keras_binary_crossentropy(const Tensor& y_true, const Tensor& y_pred) {
  Tensor p = clamp(y_pred, kKerasEpsilon, 1.f - kKerasEpsilon);
  return mean(-(y_true * log(p) + (1.f - y_true) * log(1.f - p)), {-1});
}

/// keras.losses.categorical_crossentropy(y_true, y_pred) on probabilities: (..., C) -> (...).
inline Tensor keras_categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred) {
  Tensor p = y_pred / sum(y_pred, {-1}, /*keepdim=*/true);
  p = clamp(p, kKerasEpsilon, 1.f - kKerasEpsilon);
  return -sum(y_true * log(p), {-1});
}

/// The four terms and their total, each already reduced as Keras reduces (mean over the batch).
struct SimpleYoloLossTerms {
  Tensor total, box, obj, noobj, cls;
};

inline SimpleYoloLossTerms keras_simple_yolo_loss(const Tensor& y_true, const Tensor& y_pred,
                                                  float lambda_box = 5.f,
                                                  float lambda_noobj = 0.5f) {
  const int64_t D = y_true.size(-1);                                            // 5 + C
  Tensor true_box = y_true.slice(-1, 0, 4), pred_box = y_pred.slice(-1, 0, 4);  // (B, R, 4)
  Tensor true_obj = y_true.slice(-1, 4, 5), pred_obj = y_pred.slice(-1, 4, 5);  // (B, R, 1)
  Tensor true_cls = y_true.slice(-1, 5, D), pred_cls = y_pred.slice(-1, 5, D);  // (B, R, C)

  Tensor obj = true_obj.select(-1, 0);  // (B, R)
  Tensor noobj = 1.f - obj;

  Tensor box_loss = lambda_box * sum(obj * sum(square(true_box - pred_box), {-1}), {-1});  // (B)
  Tensor bce = keras_binary_crossentropy(true_obj, pred_obj);                              // (B, R)
  Tensor obj_loss = sum(obj * bce, {-1});
  Tensor noobj_loss = lambda_noobj * sum(noobj * bce, {-1});
  Tensor class_loss = sum(obj * keras_categorical_crossentropy(true_cls, pred_cls), {-1});

  // Keras' "sum_over_batch_size": the mean of what call() returns, here over the batch.
  return {mean(box_loss + obj_loss + noobj_loss + class_loss), mean(box_loss), mean(obj_loss),
          mean(noobj_loss), mean(class_loss)};
}

// =================================================================================================
// PyTorch: the YOLO-style losses on (B, S, S, 5 + C) tensors, rows [x, y, w, h, conf, classes].
// nn.MSELoss / nn.SmoothL1Loss / nn.BCELoss map to minidl's mse_loss / smooth_l1_loss / bce_loss.
// =================================================================================================

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

/// PyTorch's loss_fn(pred[mask], target[mask]) with the default mean: the mean of the per-element
/// losses `v` (B, S, S, K) over the cells where mask (B, S, S) is 1. minidl has no boolean
/// indexing, so the mask multiplies and the count divides. An empty mask gives 0 (PyTorch: NaN).
inline Tensor masked_mean(const Tensor& v, const Tensor& mask) {
  Tensor m = unsqueeze(mask, mask.dim());                  // (B, S, S, 1)
  Tensor count = sum(m) * static_cast<float>(v.size(-1));  // selected elements
  return sum(m * v) / maximum(count, ones_like(count));
}

/// Variant 2, with obj = (target conf == 1), noobj = (target conf == 0):
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

// =================================================================================================
// Keras: "humble YOLO" (github.com/ecaradec/humble-yolo, main.py, custom_loss), nb_boxes boxes
// per cell on a grid_w x grid_h grid. y: (B, grid_w * grid_h, 3 + 5 nb_boxes), each row
// [class slots 0..2, then per box x, y, w, h, conf]; the loss reads class slots 0:2 only.
// Targets hold x, y in grid units (cell offset included); the network predicts x, y inside its
// cell, so the loss adds the cell's (col, row) to them. w, h go through sqrt (the tutorial's model
// ends in a sigmoid, so they are positive). The confidence target is IoU * conf, with an IoU that
// (as the tutorial writes it) measures the overlap as (w_p + w_t)/2 - |x_p - x_t| per axis.
// The tutorial lets gradients flow through that IoU; here it is computed from detached values
// (a constant target, as darknet and YOLO_V1.md do): the loss value is the same.
// Returns the tutorial's d, shape (B, cells); Keras reduces it to mean(d).
// =================================================================================================
inline Tensor humble_yolo_loss(const Tensor& y_true, const Tensor& y_pred, int64_t grid_w = 2,
                               int64_t grid_h = 2, int64_t nb_boxes = 1) {
  const int64_t cells = grid_w * grid_h;
  // grid[k, b] = (x, y) of cell k = y * grid_w + x, for each box b: (cells, nb_boxes, 2)
  std::vector<float> g;
  for (int64_t y = 0; y < grid_h; ++y)
    for (int64_t x = 0; x < grid_w; ++x)
      for (int64_t b = 0; b < nb_boxes; ++b) {
        g.push_back(static_cast<float>(x));
        g.push_back(static_cast<float>(y));
      }
  Tensor grid = from_vector(g, {cells, nb_boxes, 2});

  Tensor y_true_class = y_true.slice(-1, 0, 2);
  Tensor y_pred_class = y_pred.slice(-1, 0, 2);

  Tensor pred_boxes = y_pred.slice(-1, 3, 3 + 5 * nb_boxes).reshape({-1, cells, nb_boxes, 5});
  Tensor true_boxes = y_true.slice(-1, 3, 3 + 5 * nb_boxes).reshape({-1, cells, nb_boxes, 5});

  Tensor y_pred_xy = pred_boxes.slice(-1, 0, 2) + grid;
  Tensor y_pred_wh = pred_boxes.slice(-1, 2, 4);
  Tensor y_pred_conf = pred_boxes.select(-1, 4);

  Tensor y_true_xy = true_boxes.slice(-1, 0, 2);
  Tensor y_true_wh = true_boxes.slice(-1, 2, 4);
  Tensor y_true_conf = true_boxes.select(-1, 4);

  Tensor clss_loss = sum(square(y_true_class - y_pred_class), {-1});
  Tensor xy_loss = sum(sum(square(y_true_xy - y_pred_xy), {-1}) * y_true_conf, {-1});
  Tensor wh_loss = sum(sum(square(sqrt(y_true_wh) - sqrt(y_pred_wh)), {-1}) * y_true_conf, {-1});

  // The IoU, from detached predictions (no gradient flows through it).
  Tensor p_xy = y_pred_xy.detach(), p_wh = y_pred_wh.detach();
  Tensor intersect_wh = maximum(zeros_like(p_wh), (p_wh + y_true_wh) / 2.f - abs(p_xy - y_true_xy));
  Tensor intersect_area = intersect_wh.select(-1, 0) * intersect_wh.select(-1, 1);
  Tensor true_area = y_true_wh.select(-1, 0) * y_true_wh.select(-1, 1);
  Tensor pred_area = p_wh.select(-1, 0) * p_wh.select(-1, 1);
  Tensor union_area = pred_area + true_area - intersect_area;
  Tensor iou = intersect_area / union_area;

  Tensor conf_loss = sum(square(y_true_conf * iou - y_pred_conf) * y_true_conf, {-1});

  return clss_loss + xy_loss + wh_loss + conf_loss;  // (B, cells)
}

// =================================================================================================
// The small custom losses every loss tutorial writes (PyTorch idiom: (pred, target), mean).
// =================================================================================================

/// mean(weights * (pred - target)^2); weights broadcast along the last axis (e.g. (1, 2, 3)).
inline Tensor weighted_mse_loss(const Tensor& pred, const Tensor& target, const Tensor& weights) {
  return mean(weights * square(pred - target));
}

/// error = pred - target; where(|error| <= delta, 0.5 error^2, delta (|error| - 0.5 delta)); mean.
inline Tensor custom_huber_loss(const Tensor& pred, const Tensor& target, float delta = 1.f) {
  Tensor error = pred - target;
  Tensor is_small = abs(error) <= delta;
  Tensor squared = 0.5f * square(error);
  Tensor linear = delta * (abs(error) - 0.5f * delta);
  return mean(where(is_small, squared, linear));
}

/// Binary focal loss on probabilities with 0/1 targets (Lin et al.), clipped:
/// p = clamp(pred, eps, 1 - eps); p_t = where(t == 1, p, 1 - p);
/// alpha_t = where(t == 1, alpha, 1 - alpha); mean(-alpha_t (1 - p_t)^gamma log(p_t)).
inline Tensor custom_focal_loss(const Tensor& pred, const Tensor& target, float gamma = 2.f,
                                float alpha = 0.25f, float eps = 1e-7f) {
  Tensor p = clamp(pred, eps, 1.f - eps);
  Tensor is_pos = eq(target, 1.f);
  Tensor p_t = where(is_pos, p, 1.f - p);
  Tensor alpha_t = where(is_pos, full_like(p, alpha), full_like(p, 1.f - alpha));
  return mean(-alpha_t * pow(1.f - p_t, gamma) * log(p_t));
}

}  // namespace minidl::tutorial
