// Shape ops: views that share storage (reshape of contiguous data, slice, select, transpose,
// permute, squeeze, unsqueeze, expand) and copies (contiguous, concat, stack). All differentiable.
#pragma once

#include <vector>

#include "core/tensor.h"

namespace minidl {

/// Same elements in a new shape; one size may be -1 (inferred). A view when x is contiguous,
/// else a copy.
Tensor reshape(const Tensor& x, const Shape& shape);
/// Like reshape but never copies: requires x to be contiguous.
Tensor view(const Tensor& x, const Shape& shape);
/// Merges axes start..end (inclusive) into one.
Tensor flatten(const Tensor& x, int64_t start_axis = 0, int64_t end_axis = -1);
/// Elements start, start+step, ... < end along `axis` (a view). Python-style: negative start/end
/// count from the end and are clamped to the axis; requires step >= 1.
Tensor slice(const Tensor& x, int64_t axis, int64_t start, int64_t end, int64_t step = 1);
/// The sub-tensor at `index` along `axis`, which is removed (a view). Negative index from the end.
Tensor select(const Tensor& x, int64_t axis, int64_t index);
/// Swaps two axes (a view).
Tensor transpose(const Tensor& x, int64_t axis0, int64_t axis1);
/// Reorders axes: result axis k is x's axis dims[k] (a view).
Tensor permute(const Tensor& x, const Shape& dims);
/// Removes `axis`, which must have size 1 (a view).
Tensor squeeze(const Tensor& x, int64_t axis);
/// Inserts an axis of size 1 before position `axis` (a view; axis may equal dim()).
Tensor unsqueeze(const Tensor& x, int64_t axis);
/// Broadcasts x to `shape` without copying (stride 0 on stretched axes).
Tensor expand(const Tensor& x, const Shape& shape);
/// x itself if contiguous, else a contiguous copy.
Tensor contiguous(const Tensor& x);
/// Joins tensors along an existing axis; all other sizes must match.
Tensor concat(const std::vector<Tensor>& xs, int64_t axis);
/// Joins tensors of one shape along a new axis.
Tensor stack(const std::vector<Tensor>& xs, int64_t axis = 0);

}  // namespace minidl
