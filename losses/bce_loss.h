// Binary cross-entropy, on probabilities (clipped) and on logits (the numerically stable form).
// Composed from public ops, so autograd differentiates them.
#pragma once

#include "core/tensor.h"
#include "losses/reduction.h"

namespace minidl {

/// -(t log p + (1 - t) log(1 - p)) per element with p = clamp(prob, eps, 1 - eps), then
/// `reduction`. The clipping (as Keras does) keeps the loss finite at p = 0 and p = 1; where prob
/// lies outside [eps, 1 - eps] its gradient is 0. target is usually 0/1 but may be any value in
/// [0, 1]. Requires prob and target of exactly the same shape and device, and 0 < eps < 0.5;
/// otherwise throws minidl::Error naming "bce_loss" (and both shapes).
Tensor bce_loss(const Tensor& prob, const Tensor& target, Reduction reduction = Reduction::Mean,
                float eps = 1e-7f);

/// Binary cross-entropy of sigmoid(logits) against target, computed without forming sigmoid:
/// max(z, 0) - z t + log(1 + exp(-|z|)) per element, then `reduction`. Finite and accurate for any
/// finite z (z = ±100 included); the gradient is sigmoid(z) - t everywhere, z = 0 included.
/// Requires logits and target of exactly the same shape and device; otherwise throws
/// minidl::Error naming "bce_with_logits_loss" and both shapes.
Tensor bce_with_logits_loss(const Tensor& logits, const Tensor& target,
                            Reduction reduction = Reduction::Mean);

}  // namespace minidl
