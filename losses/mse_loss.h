// Mean squared error: the regression loss (PyTorch's MSELoss, Keras' MeanSquaredError).
// Composed from public ops, so autograd differentiates it.
#pragma once

#include "core/tensor.h"
#include "losses/reduction.h"

namespace minidl {

/// (pred - target)² per element, then `reduction` (default: the mean over all elements).
/// Requires pred and target to have exactly the same shape (no broadcasting) and device;
/// otherwise throws minidl::Error naming "mse_loss" and both shapes. target may require grad.
Tensor mse_loss(const Tensor& pred, const Tensor& target, Reduction reduction = Reduction::Mean);

}  // namespace minidl
