// How a loss turns its per-element values into its result (PyTorch's `reduction`), and the shape
// check every loss runs first. Shared by all the losses in losses/.
#pragma once

#include "core/tensor.h"

namespace minidl {

/// None: the per-element losses, same shape as the input. Mean: their mean (a 0-d tensor).
/// Sum: their sum (a 0-d tensor).
enum class Reduction { None, Mean, Sum };

/// "none", "mean" or "sum".
const char* reduction_name(Reduction reduction);

/// Applies `reduction` to per-element losses (differentiable). `loss` names the caller in errors:
/// Mean over no elements (an empty batch) throws minidl::Error, since there is nothing to average
/// (PyTorch returns NaN); Sum gives 0 and None the empty tensor.
Tensor reduce_loss(const Tensor& per_element, Reduction reduction,
                   const char* loss = "reduce_loss");

namespace detail {
/// Throws minidl::Error unless both tensors are defined, on one device and of exactly the same
/// shape (no broadcasting: a (N, 1) prediction against an (N) target is a bug, not a loss).
/// The message names the loss, both arguments and both shapes, e.g.
/// "mse_loss: pred (2, 3) and target (3) must have the same shape".
void check_same_shape(const char* loss, const Tensor& a, const char* a_name, const Tensor& b,
                      const char* b_name);
}  // namespace detail

}  // namespace minidl
