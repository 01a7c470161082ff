// Reductions: sum, mean, max and min over all elements or along axes (keepdim or not).
#pragma once

#include "core/tensor.h"

namespace minidl {

/// Sum of all elements: a 0-dimensional tensor.
Tensor sum(const Tensor& x);
/// Sum along `axes` (negative axes count from the end; each at most once).
Tensor sum(const Tensor& x, const Shape& axes, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, const Shape& axes, bool keepdim = false);
/// Maximum; where several elements tie for the maximum they share the gradient equally. A NaN
/// makes the result NaN (as PyTorch's max / amax / min), and then the gradient is shared among
/// the NaN elements. min likewise.
Tensor max(const Tensor& x);
Tensor max(const Tensor& x, const Shape& axes, bool keepdim = false);
Tensor min(const Tensor& x);
Tensor min(const Tensor& x, const Shape& axes, bool keepdim = false);
/// Index of the maximum along `axis` (first on ties; the first NaN counts as the maximum, as in
/// PyTorch), as floats; no gradient.
Tensor argmax(const Tensor& x, int64_t axis, bool keepdim = false);
/// Sums a broadcast result back to `shape` (the gradient of broadcasting). Requires that `shape`
/// broadcasts to x's shape.
Tensor sum_to(const Tensor& x, const Shape& shape);

}  // namespace minidl
