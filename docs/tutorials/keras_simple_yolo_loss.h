// Tutorial 2 (docs/tutorials/2-custom-loss.md): the SimpleYoloLoss of the article "Keras custom
// loss function for YOLO", rewritten term for term with minidl's public ops; autograd
// differentiates it. tests/test_tutorial_2_keras_yolo_loss.cpp checks it against values worked out
// by hand; docs/tutorials/keras_simple_yolo_loss_check.py recomputes them from Keras' documented
// semantics in plain Python.
#pragma once

#include <minidl/minidl.h>

namespace minidl::tutorial {

// Rows [x, y, w, h, objectness, class_0, class_1, ...]; y_true, y_pred of shape (B, R, 5 + C).
// The article's call(), with obj = y_true[..., 4:5] (B, R, 1), 1 where a row holds an object:
//   box_loss   = sum over every axis of (true_box - pred_box)^2 * obj
//   obj_loss   = sum over every axis of (true_obj - pred_obj)^2 * obj
//   noobj_loss = sum over every axis of (true_obj - pred_obj)^2 * (1 - obj)
//   cls_loss   = sum over every axis of CCE(true_cls, pred_cls) * obj without its last axis
//   loss       = lambda_box * box_loss + obj_loss + lambda_noobj * noobj_loss + cls_loss
// with lambda_box = 5 and lambda_noobj = 0.5. Every sum runs over the batch too, and the Keras
// reduction that follows ("sum_over_batch_size") divides by the number of values call() returns,
// one: so the loss is a sum over the batch, not a mean.
// CCE is keras.losses.categorical_crossentropy(from_logits=False) along the last axis:
// p = p / sum(p), p = clip(p, 1e-7, 1 - 1e-7), -sum(t log p).

/// keras.backend.epsilon(), the clip Keras applies to probabilities.
inline constexpr float kKerasEpsilon = 1e-7f;

/// keras.losses.categorical_crossentropy(y_true, y_pred) on probabilities: (..., C) -> (...).
inline Tensor keras_categorical_crossentropy(const Tensor& y_true, const Tensor& y_pred) {
  Tensor p = y_pred / sum(y_pred, {-1}, /*keepdim=*/true);
  p = clamp(p, kKerasEpsilon, 1.f - kKerasEpsilon);
  return -sum(y_true * log(p), {-1});
}

/// The loss and the four sums of call(), before their weights: each a 0-d tensor.
struct SimpleYoloLossTerms {
  Tensor total, box, obj, noobj, cls;
};

/// y_true, y_pred (B, R, 5 + C). total is differentiable in y_pred.
inline SimpleYoloLossTerms keras_simple_yolo_loss(const Tensor& y_true, const Tensor& y_pred,
                                                  float lambda_box = 5.f,
                                                  float lambda_noobj = 0.5f) {
  const int64_t D = y_true.size(-1);                                            // 5 + C
  Tensor true_box = y_true.slice(-1, 0, 4), pred_box = y_pred.slice(-1, 0, 4);  // (B, R, 4)
  Tensor true_obj = y_true.slice(-1, 4, 5), pred_obj = y_pred.slice(-1, 4, 5);  // (B, R, 1)
  Tensor true_cls = y_true.slice(-1, 5, D), pred_cls = y_pred.slice(-1, 5, D);  // (B, R, C)

  Tensor box_loss = sum(square(true_box - pred_box) * true_obj);  // (B, R, 1) broadcasts over 4

  Tensor obj_loss = sum(square(true_obj - pred_obj) * true_obj);
  Tensor noobj_loss = sum(square(true_obj - pred_obj) * (1.f - true_obj));

  Tensor cls_loss =
      sum(keras_categorical_crossentropy(true_cls, pred_cls) * squeeze(true_obj, -1));  // (B, R)

  Tensor total = lambda_box * box_loss + obj_loss + lambda_noobj * noobj_loss + cls_loss;
  // Keras' "sum_over_batch_size" would divide by the number of values: total is one value.
  return {total, box_loss, obj_loss, noobj_loss, cls_loss};
}

}  // namespace minidl::tutorial
