// The op table's independent references: every op's forward pass written again as plain loops
// over host values in double precision. Nothing here calls minidl's ops or kernels; the semantics
// are the documented ones (broadcasting, Python-style slices, a NaN wins max pooling, ...), so a
// row's check compares minidl against a second, separate implementation.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "core/tensor.h"

namespace minidl::test {

/// A tensor's values on the host, row-major, in double.
struct Host {
  Shape shape;
  std::vector<double> v;
};
using Hosts = std::vector<Host>;

/// The element count of a shape (1 for a 0-d shape).
int64_t count(const Shape& shape);

namespace ref {

// ---- elementwise --------------------------------------------------------------------------------

/// y = f(x) element by element.
Host map(const Host& x, const std::function<double(double)>& f);
/// y = f(a, b) after broadcasting a and b against each other (NumPy's rules).
Host zip(const Host& a, const Host& b, const std::function<double(double, double)>& f);
/// y = m != 0 ? a : b, the three broadcast together.
Host where(const Host& m, const Host& a, const Host& b);

// ---- views and copies (all by index arithmetic) -------------------------------------------------

/// The elements at offset + sum_k index[k] * strides[k] of x's row-major values, as `shape`.
Host gather(const Host& x, const Shape& shape, const Shape& strides, int64_t offset = 0);
/// The same values in a new shape; one size may be -1 (the rest of the count).
Host reshape(const Host& x, Shape shape);
/// Axes start..end (inclusive, negative from the end) merged into one.
Host flatten(const Host& x, int64_t start, int64_t end);
/// Result axis k is x's axis order[k] (negative from the end).
Host permute(const Host& x, const Shape& order);
Host transpose(const Host& x, int64_t a, int64_t b);
/// Elements start, start + step, ... < end along `axis`; start and end count from the end when
/// negative and are clamped to [0, size] (Python's rule).
Host slice(const Host& x, int64_t axis, int64_t start, int64_t end, int64_t step);
Host select(const Host& x, int64_t axis, int64_t index);
Host squeeze(const Host& x, int64_t axis);
Host unsqueeze(const Host& x, int64_t axis);
/// x broadcast to `shape`.
Host expand(const Host& x, const Shape& shape);
Host concat(const Hosts& xs, int64_t axis);
Host stack(const Hosts& xs, int64_t axis);

// ---- reductions ---------------------------------------------------------------------------------

enum class Reduce { Sum, Mean, Max, Min };
/// Every axis of a tensor of `ndim` axes: what sum(x) reduces.
Shape all_axes(size_t ndim);
/// Reduces `axes` (negative from the end). Max and min keep the first extreme in row-major order,
/// and a NaN wins.
Host reduce(const Host& x, Reduce kind, const Shape& axes, bool keepdim);
/// The index along `axis` of the first maximum (or of the first NaN).
Host argmax(const Host& x, int64_t axis, bool keepdim);
/// x summed over the axes that broadcasting from `shape` would have stretched or added.
Host sum_to(const Host& x, const Shape& shape);
/// exp(x - m) / sum exp(x - m) along `axis` (m: the maximum, NaN when the slice holds one), or
/// its logarithm (x - m) - log(sum exp(x - m)).
Host softmax(const Host& x, int64_t axis, bool log);

// ---- linear algebra and convolution -------------------------------------------------------------

/// (M, K) @ (K, N), (B, M, K) @ (B, K, N), or (B, M, K) @ (K, N) with b shared by every batch.
Host matmul(const Host& a, const Host& b);
/// x (N, in) W (out, in)^T + bias (out) when given.
Host linear(const Host& x, const Host& W, const Host* bias);
/// y[n, f, oh, ow] = bias[f] + sum_{c, kh, kw} W[f, c, kh, kw] x[n, c, oh s - p + kh, ow s - p +
/// kw] with the terms outside x left out.
Host conv2d(const Host& x, const Host& W, const Host* bias, int64_t stride, int64_t pad);
/// The maximum of each window inside x (padding is never chosen); ties go to the first element in
/// row-major order and a NaN wins. stride 0 means stride = kernel.
Host max_pool2d(const Host& x, int64_t kernel, int64_t stride, int64_t pad);

}  // namespace ref

}  // namespace minidl::test
