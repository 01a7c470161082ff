// Tutorial 5 (docs/tutorials/5-imbalanced-losses.md): the three losses of the article "How do I
// implement a custom loss function in Keras?" (weighted MSE, Huber, focal), from minidl's public
// ops, in Keras' form: f(y_true, y_pred) returns one value per sample, the mean over the last axis;
// Keras then averages those over the batch (keras_reduce). Also the focal loss of Lin et al., with
// a class-dependent alpha_t, which is not the article's.
// tests/test_tutorial_5_imbalanced_losses.cpp checks them against hand arithmetic and
// docs/tutorials/imbalanced_losses_check.py.
#pragma once

#include <minidl/minidl.h>

namespace minidl::tutorial {

/// The article's weighted MSE: mean over the last axis of weights * (y_pred - y_true)^2. The
/// article's weights, (1, 2, 3), weigh the output columns; a (N, 1) tensor weighs the samples.
inline Tensor weighted_mse(const Tensor& y_true, const Tensor& y_pred, const Tensor& weights) {
  Tensor squared_error = square(y_pred - y_true);
  return mean(weights * squared_error, {-1});
}

/// The article's Huber loss: with e = |y_pred - y_true|, 0.5 e^2 where e <= delta, else
/// delta e - 0.5 delta^2; the mean over the last axis.
inline Tensor huber(const Tensor& y_true, const Tensor& y_pred, float delta = 1.f) {
  Tensor e = abs(y_pred - y_true);
  Tensor per_value = where(e <= delta, 0.5f * square(e), delta * e - 0.5f * delta * delta);
  return mean(per_value, {-1});
}

/// The article's focal loss: p = clip(y_pred, 1e-7, 1 - 1e-7); the cross-entropy of the positive
/// and of the negative part, -t log p - (1 - t) log(1 - p); p_t = t p + (1 - t)(1 - p); each value
/// weighted by alpha (1 - p_t)^gamma, with ONE alpha for both classes; the mean over the last axis.
inline Tensor focal(const Tensor& y_true, const Tensor& y_pred, float gamma = 2.f,
                    float alpha = 0.25f) {
  Tensor p = clamp(y_pred, 1e-7f, 1.f - 1e-7f);
  Tensor cross_entropy = -y_true * log(p) - (1.f - y_true) * log(1.f - p);
  Tensor p_t = y_true * p + (1.f - y_true) * (1.f - p);
  Tensor focal_weight = alpha * pow(1.f - p_t, gamma);
  return mean(focal_weight * cross_entropy, {-1});
}

/// Not the article's: the focal loss of Lin et al. (2017), which weighs the positives by alpha and
/// the negatives by 1 - alpha (alpha_t), for 0/1 targets; the mean over the last axis. The same
/// clipping as above.
inline Tensor focal_alpha_t(const Tensor& y_true, const Tensor& y_pred, float gamma = 2.f,
                            float alpha = 0.25f) {
  Tensor p = clamp(y_pred, 1e-7f, 1.f - 1e-7f);
  Tensor p_t = y_true * p + (1.f - y_true) * (1.f - p);
  Tensor alpha_t = y_true * alpha + (1.f - y_true) * (1.f - alpha);
  return mean(-alpha_t * pow(1.f - p_t, gamma) * log(p_t), {-1});
}

/// What Keras does with a loss function's (batch,) result: its sum divided by its number of
/// elements (the reduction "sum_over_batch_size"), i.e. the mean over the batch.
inline Tensor keras_reduce(const Tensor& per_sample) { return mean(per_sample); }

}  // namespace minidl::tutorial
