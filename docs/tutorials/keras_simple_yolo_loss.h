// Tutorial 2 (docs/tutorials/2-custom-loss.md): the Keras SimpleYoloLoss rebuilt line for line
// from minidl's public ops; autograd differentiates it. tests/test_tutorial_losses.cpp checks it
// on values worked out by hand, docs/tutorials/keras_simple_yolo_loss.py in plain Python.
#pragma once

#include <minidl/minidl.h>

namespace minidl::tutorial {

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

/// y_true, y_pred (B, R, 5 + C). Returns 0-d tensors; total is differentiable in y_pred.
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

}  // namespace minidl::tutorial
