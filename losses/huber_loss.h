// Huber loss and smooth L1 loss with PyTorch's definitions: quadratic near zero, linear beyond.
// Composed from public ops, so autograd differentiates them.
#pragma once

#include "core/tensor.h"
#include "losses/reduction.h"

namespace minidl {

/// With d = pred - target, per element:
///   0.5 d²                    where |d| < delta
///   delta (|d| - 0.5 delta)   otherwise,
/// then `reduction` (PyTorch's HuberLoss; Keras' Huber is the same). Its gradient is d inside and
/// ±delta outside, continuous at |d| = delta. Requires delta > 0, pred and target of exactly the
/// same shape and device; otherwise throws minidl::Error naming "huber_loss" (and both shapes).
Tensor huber_loss(const Tensor& pred, const Tensor& target, float delta = 1.f,
                  Reduction reduction = Reduction::Mean);

/// With d = pred - target, per element:
///   0.5 d² / beta    where |d| < beta
///   |d| - 0.5 beta   otherwise,
/// then `reduction` (PyTorch's SmoothL1Loss: huber_loss(delta = beta) / beta). beta = 0 gives
/// the L1 loss |d|. Requires beta >= 0, pred and target of exactly the same shape and device;
/// otherwise throws minidl::Error naming "smooth_l1_loss" (and both shapes).
Tensor smooth_l1_loss(const Tensor& pred, const Tensor& target, float beta = 1.f,
                      Reduction reduction = Reduction::Mean);

}  // namespace minidl
