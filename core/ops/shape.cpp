// Shape ops. Views share storage and differ only in shape, strides and offset; their backward
// maps the gradient back to the input's shape (a scatter into zeros for slice and select).
#include "core/ops/shape.h"

#include <algorithm>

#include "core/cpu/kernels.h"
#include "core/ops/creation.h"
#include "core/ops/op_util.h"
#include "core/ops/reduce.h"

namespace minidl {

namespace {

// True when a tensor of this (non-negative) shape can exist: see detail::checked_numel.
bool shape_fits(const Shape& shape) {
  try {
    detail::checked_numel("", shape);
    return true;
  } catch (const Error&) {
    return false;
  }
}

Tensor make_view(const Tensor& x, const Shape& shape, const Shape& strides, int64_t offset) {
  return Tensor::view_of(x.storage(), shape, strides, offset);
}

Shape infer_shape(const char* op, const Tensor& x, Shape shape) {
  int64_t infer = -1;
  Shape given = shape;  // the sizes given, the -1 counted as 1
  for (size_t k = 0; k < shape.size(); ++k) {
    if (shape[k] == -1) {
      MINIDL_CHECK(infer < 0, op, ": more than one -1 in target shape ", shape_str(shape));
      infer = static_cast<int64_t>(k);
      given[k] = 1;
    } else {
      MINIDL_CHECK(shape[k] >= 0, op, ": negative size in target shape ", shape_str(shape));
    }
  }
  MINIDL_CHECK(shape.size() <= static_cast<size_t>(kMaxDims) && shape_fits(given), op,
               ": cannot reshape ", shape_str(x.shape()), " to ", shape_str(shape),
               ": no tensor has that many elements");
  const int64_t known = shape_numel(given);
  if (infer >= 0) {
    MINIDL_CHECK(known > 0 && x.numel() % known == 0, op, ": cannot reshape ", shape_str(x.shape()),
                 " to ", shape_str(shape));
    shape[infer] = x.numel() / known;
  }
  MINIDL_CHECK(shape_numel(shape) == x.numel(), op, ": cannot reshape ", shape_str(x.shape()), " (",
               x.numel(), " elements) to ", shape_str(shape), " (", shape_numel(shape),
               " elements)");
  return shape;
}

// Backward of a view that keeps every element (reshape, squeeze, unsqueeze): reshape gy back.
Node::BackwardFn reshape_back(const Shape& input_shape) {
  return [input_shape](const Tensor& gy, const Needs&) { return Grads{reshape(gy, input_shape)}; };
}

}  // namespace

Tensor contiguous(const Tensor& x) {
  detail::check_defined("contiguous", x);
  if (x.is_contiguous()) return x;
  Tensor y = Tensor::empty(x.shape(), x.device());
  Layout lx = detail::layout_of(x);
  MINIDL_DISPATCH(x.device(), copy_strided, x.data(), lx, y.data());
  return record("contiguous", y, {x}, [](const Tensor& gy, const Needs&) { return Grads{gy}; });
}

Tensor view(const Tensor& x, const Shape& shape) {
  detail::check_defined("view", x);
  MINIDL_CHECK(x.is_contiguous(), "view: tensor of shape ", shape_str(x.shape()), " with strides ",
               shape_str(x.strides()), " is not contiguous (use reshape(), which copies)");
  Shape s = infer_shape("view", x, shape);
  Tensor y = make_view(x, s, contiguous_strides(s), x.offset());
  return record("view", y, {x}, reshape_back(x.shape()));
}

Tensor reshape(const Tensor& x, const Shape& shape) {
  detail::check_defined("reshape", x);
  Shape s = infer_shape("reshape", x, shape);
  if (s == x.shape()) return x;
  return view(contiguous(x), s);
}

Tensor flatten(const Tensor& x, int64_t start_axis, int64_t end_axis) {
  detail::check_defined("flatten", x);
  if (x.dim() == 0) return reshape(x, {1});
  int64_t a = detail::normalize_axis("flatten", start_axis, x.shape());
  int64_t b = detail::normalize_axis("flatten", end_axis, x.shape());
  MINIDL_CHECK(a <= b, "flatten: start axis ", start_axis, " comes after end axis ", end_axis,
               " for shape ", shape_str(x.shape()));
  Shape s(x.shape().begin(), x.shape().begin() + a);
  int64_t merged = 1;
  for (int64_t k = a; k <= b; ++k) merged *= x.shape()[k];
  s.push_back(merged);
  s.insert(s.end(), x.shape().begin() + b + 1, x.shape().end());
  return reshape(x, s);
}

Tensor slice(const Tensor& x, int64_t axis, int64_t start, int64_t end, int64_t step) {
  detail::check_defined("slice", x);
  int64_t ax = detail::normalize_axis("slice", axis, x.shape());
  MINIDL_CHECK(step >= 1, "slice: step must be >= 1, got ", step, " (axis ", axis, " of shape ",
               shape_str(x.shape()), ")");
  int64_t n = x.shape()[ax];
  auto clampi = [n](int64_t i) {
    return std::clamp(i < 0 ? std::max(i, -n) + n : i, int64_t{0}, n);
  };
  int64_t s = clampi(start), e = clampi(end);
  int64_t len = e > s ? 1 + (e - s - 1) / step : 0;  // (e - s + step - 1) / step, without overflow
  Shape shape = x.shape(), strides = x.strides();
  shape[ax] = len;
  int64_t offset = x.offset() + (len > 0 ? s * strides[ax] : 0);
  if (len > 1) strides[ax] *= step;  // step < n here; a single element needs no stride
  Tensor y = make_view(x, shape, strides, offset);
  return record("slice", y, {x}, [xs = x.shape(), ax, s, e, step](const Tensor& gy, const Needs&) {
    Tensor dx = zeros(xs, gy.device());
    slice(dx, ax, s, e, step).copy_(gy);  // scatter gy into the sliced positions
    return Grads{dx};
  });
}

Tensor select(const Tensor& x, int64_t axis, int64_t index) {
  detail::check_defined("select", x);
  int64_t ax = detail::normalize_axis("select", axis, x.shape());
  int64_t n = x.shape()[ax];
  MINIDL_CHECK(index >= -n && index < n, "select: index ", index, " is out of range for axis ",
               axis, " of shape ", shape_str(x.shape()));
  int64_t i = index < 0 ? index + n : index;
  Shape shape = x.shape(), strides = x.strides();
  int64_t offset = x.offset() + i * strides[ax];
  shape.erase(shape.begin() + ax);
  strides.erase(strides.begin() + ax);
  Tensor y = make_view(x, shape, strides, offset);
  return record("select", y, {x}, [xs = x.shape(), ax, i](const Tensor& gy, const Needs&) {
    Tensor dx = zeros(xs, gy.device());
    select(dx, ax, i).copy_(gy);
    return Grads{dx};
  });
}

Tensor permute(const Tensor& x, const Shape& dims) {
  detail::check_defined("permute", x);
  int64_t n = x.dim();
  MINIDL_CHECK(static_cast<int64_t>(dims.size()) == n, "permute: ", dims.size(),
               " axes given for a tensor of shape ", shape_str(x.shape()));
  Shape shape(n), strides(n), inverse(n, -1);
  for (int64_t k = 0; k < n; ++k) {
    int64_t d = detail::normalize_axis("permute", dims[k], x.shape());
    MINIDL_CHECK(inverse[d] < 0, "permute: axis ", dims[k], " appears twice in ", shape_str(dims),
                 " (tensor of shape ", shape_str(x.shape()), ")");
    inverse[d] = k;
    shape[k] = x.shape()[d];
    strides[k] = x.strides()[d];
  }
  Tensor y = make_view(x, shape, strides, x.offset());
  return record("permute", y, {x},
                [inverse](const Tensor& gy, const Needs&) { return Grads{permute(gy, inverse)}; });
}

Tensor transpose(const Tensor& x, int64_t axis0, int64_t axis1) {
  detail::check_defined("transpose", x);
  int64_t a = detail::normalize_axis("transpose", axis0, x.shape());
  int64_t b = detail::normalize_axis("transpose", axis1, x.shape());
  Shape dims(x.dim());
  for (int64_t k = 0; k < x.dim(); ++k) dims[k] = k;
  std::swap(dims[a], dims[b]);
  return permute(x, dims);
}

Tensor squeeze(const Tensor& x, int64_t axis) {
  detail::check_defined("squeeze", x);
  int64_t ax = detail::normalize_axis("squeeze", axis, x.shape());
  MINIDL_CHECK(x.shape()[ax] == 1, "squeeze: axis ", axis, " of shape ", shape_str(x.shape()),
               " has size ", x.shape()[ax], ", not 1");
  Shape shape = x.shape(), strides = x.strides();
  shape.erase(shape.begin() + ax);
  strides.erase(strides.begin() + ax);
  return record("squeeze", make_view(x, shape, strides, x.offset()), {x}, reshape_back(x.shape()));
}

Tensor unsqueeze(const Tensor& x, int64_t axis) {
  detail::check_defined("unsqueeze", x);
  int64_t n = x.dim();
  MINIDL_CHECK(axis >= -n - 1 && axis <= n, "unsqueeze: axis ", axis,
               " is out of range for a tensor of shape ", shape_str(x.shape()));
  int64_t ax = axis < 0 ? axis + n + 1 : axis;
  Shape shape = x.shape(), strides = x.strides();
  int64_t stride = ax < n ? strides[ax] * shape[ax] : 1;
  shape.insert(shape.begin() + ax, 1);
  strides.insert(strides.begin() + ax, stride);
  return record("unsqueeze", make_view(x, shape, strides, x.offset()), {x},
                reshape_back(x.shape()));
}

Tensor expand(const Tensor& x, const Shape& shape) {
  detail::check_defined("expand", x);
  detail::checked_numel("expand", shape);
  Shape b = detail::broadcast_shapes("expand", x.shape(), shape);
  MINIDL_CHECK(b == shape, "expand: shape ", shape_str(x.shape()), " cannot be expanded to ",
               shape_str(shape));
  Layout l = detail::broadcast_layout(x, shape);
  Shape strides(l.stride, l.stride + l.ndim);
  Tensor y = make_view(x, shape, strides, x.offset());
  return record("expand", y, {x},
                [xs = x.shape()](const Tensor& gy, const Needs&) { return Grads{sum_to(gy, xs)}; });
}

Tensor concat(const std::vector<Tensor>& xs, int64_t axis) {
  MINIDL_CHECK(!xs.empty(), "concat: no tensors given");
  for (const auto& x : xs) detail::check_defined("concat", x);
  detail::check_same_device("concat", xs);
  int64_t ax = detail::normalize_axis("concat", axis, xs[0].shape());
  Shape out = xs[0].shape();
  out[ax] = 0;
  for (const auto& x : xs) {
    Shape a = x.shape(), b = xs[0].shape();
    MINIDL_CHECK(a.size() == b.size(), "concat: shapes ", shape_str(b), " and ", shape_str(a),
                 " differ in rank");
    a[ax] = b[ax] = 0;
    MINIDL_CHECK(a == b, "concat: shapes ", shape_str(xs[0].shape()), " and ", shape_str(x.shape()),
                 " differ outside axis ", axis);
    out[ax] += x.shape()[ax];
  }
  Tensor y = Tensor::empty(out, xs[0].device());
  std::vector<int64_t> starts;
  int64_t at = 0;
  for (const auto& x : xs) {
    starts.push_back(at);
    slice(y, ax, at, at + x.shape()[ax]).copy_(x);  // y is no leaf of any graph yet: plain copy
    at += x.shape()[ax];
  }
  return record("concat", y, xs, [ax, starts, xs](const Tensor& gy, const Needs& n) {
    Grads g(xs.size());
    for (size_t i = 0; i < xs.size(); ++i)
      if (n[i]) g[i] = slice(gy, ax, starts[i], starts[i] + xs[i].shape()[ax]);
    return g;
  });
}

Tensor stack(const std::vector<Tensor>& xs, int64_t axis) {
  MINIDL_CHECK(!xs.empty(), "stack: no tensors given");
  std::vector<Tensor> expanded;
  for (const auto& x : xs) {
    detail::check_defined("stack", x);
    MINIDL_CHECK(x.shape() == xs[0].shape(), "stack: shapes ", shape_str(xs[0].shape()), " and ",
                 shape_str(x.shape()), " differ");
    const int64_t n = x.dim();
    MINIDL_CHECK(axis >= -n - 1 && axis <= n, "stack: axis ", axis,
                 " is out of range for stacking tensors of shape ", shape_str(x.shape()));
    expanded.push_back(unsqueeze(x, axis));
  }
  return concat(expanded, axis);
}

}  // namespace minidl
