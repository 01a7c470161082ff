// Tutorial 5 (docs/tutorials/5-imbalanced-losses.md): the small custom losses every loss tutorial
// writes, in the PyTorch idiom (pred, target) -> mean, from minidl's public ops: weighted MSE,
// Huber written with where, and the binary focal loss. tests/test_tutorial_losses.cpp checks them.
#pragma once

#include <minidl/minidl.h>

namespace minidl::tutorial {

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
