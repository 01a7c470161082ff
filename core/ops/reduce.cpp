// Reductions. The front end moves the reduced axes last (a permuted copy when needed) and reduces
// rows; backward broadcasts the gradient back over the reduced axes.
#include "core/ops/reduce.h"

#include <algorithm>

#include "core/cpu/kernels.h"
#include "core/ops/creation.h"
#include "core/ops/elementwise.h"
#include "core/ops/op_util.h"
#include "core/ops/shape.h"

namespace minidl {

namespace {

struct Plan {
  std::vector<bool> reduced;  // per axis of x
  Shape out_keep;             // x's shape with reduced axes set to 1
  Shape out;                  // out_keep without them unless keepdim
  int64_t M = 1, K = 1;
};

Plan plan(const char* op, const Tensor& x, const Shape& axes, bool keepdim) {
  Plan p;
  p.reduced.assign(x.dim(), false);
  for (int64_t a : axes) {
    int64_t ax = detail::normalize_axis(op, a, x.shape());
    MINIDL_CHECK(!p.reduced[ax], op, ": axis ", a, " given twice for shape ", shape_str(x.shape()));
    p.reduced[ax] = true;
  }
  for (int64_t k = 0; k < x.dim(); ++k) {
    int64_t d = x.shape()[k];
    p.out_keep.push_back(p.reduced[k] ? 1 : d);
    if (!p.reduced[k] || keepdim) p.out.push_back(p.reduced[k] ? 1 : d);
    (p.reduced[k] ? p.K : p.M) *= d;
  }
  return p;
}

// Forward of sum / max / min along axes: (M, K) rows of x with the reduced axes moved last.
Tensor reduce_forward(const char* op, ReduceOp rop, const Tensor& x, const Plan& p) {
  MINIDL_CHECK(rop == ReduceOp::Sum || p.K > 0, op, ": cannot reduce an empty axis of shape ",
               shape_str(x.shape()));
  Shape order;
  for (int64_t k = 0; k < x.dim(); ++k)
    if (!p.reduced[k]) order.push_back(k);
  for (int64_t k = 0; k < x.dim(); ++k)
    if (p.reduced[k]) order.push_back(k);
  Tensor xc = contiguous(permute(x.detach(), order));
  Tensor y = Tensor::empty(p.out, x.device());
  if (p.M > 0) MINIDL_DISPATCH(x.device(), reduce_rows, rop, p.M, p.K, xc.data(), y.data());
  return y;
}

Shape all_axes(const Tensor& x) {
  Shape a(x.dim());
  for (int64_t k = 0; k < x.dim(); ++k) a[k] = k;
  return a;
}

}  // namespace

// d sum = gy broadcast over the reduced axes
Tensor sum(const Tensor& x, const Shape& axes, bool keepdim) {
  detail::check_defined("sum", x);
  Plan p = plan("sum", x, axes, keepdim);
  Tensor y = reduce_forward("sum", ReduceOp::Sum, x, p);
  return record("sum", y, {x}, [xs = x.shape(), keep = p.out_keep](const Tensor& gy, const Needs&) {
    return Grads{expand(reshape(gy, keep), xs)};
  });
}

Tensor mean(const Tensor& x, const Shape& axes, bool keepdim) {
  detail::check_defined("mean", x);
  Plan p = plan("mean", x, axes, keepdim);
  MINIDL_CHECK(p.K > 0, "mean: cannot average over an empty axis of shape ", shape_str(x.shape()));
  return sum(x, axes, keepdim) * (1.f / static_cast<float>(p.K));
}

namespace {
// d max: gy goes to the elements equal to the maximum, shared equally among ties. Where the
// result is NaN (a NaN in the slice), it goes to the NaN elements instead (as PyTorch's
// evenly_distribute_backward): eq(NaN, NaN) is 0, so comparing with the result would find none.
Tensor extremum(const char* op, ReduceOp rop, const Tensor& x, const Shape& axes, bool keepdim) {
  detail::check_defined(op, x);
  Plan p = plan(op, x, axes, keepdim);
  Tensor y = reduce_forward(op, rop, x, p);
  return record(op, y, {x},
                [x, axes, keep = p.out_keep, yd = y.detach()](const Tensor& gy, const Needs&) {
                  Tensor yk = reshape(yd, keep);
                  Tensor hit = where(ne(yk, yk), ne(x, x), eq(x, yk));
                  Tensor count = sum(hit, axes, true);
                  return Grads{hit * reshape(gy, keep) / count};
                });
}
}  // namespace

Tensor max(const Tensor& x, const Shape& axes, bool keepdim) {
  return extremum("max", ReduceOp::Max, x, axes, keepdim);
}
Tensor min(const Tensor& x, const Shape& axes, bool keepdim) {
  return extremum("min", ReduceOp::Min, x, axes, keepdim);
}

Tensor sum(const Tensor& x) { return detail::check_defined("sum", x), sum(x, all_axes(x), false); }
Tensor mean(const Tensor& x) {
  return detail::check_defined("mean", x), mean(x, all_axes(x), false);
}
Tensor max(const Tensor& x) { return detail::check_defined("max", x), max(x, all_axes(x), false); }
Tensor min(const Tensor& x) { return detail::check_defined("min", x), min(x, all_axes(x), false); }

Tensor argmax(const Tensor& x, int64_t axis, bool keepdim) {
  detail::check_defined("argmax", x);
  int64_t ax = detail::normalize_axis("argmax", axis, x.shape());
  Plan p = plan("argmax", x, {ax}, keepdim);
  MINIDL_CHECK(p.K > 0, "argmax: axis ", axis, " of shape ", shape_str(x.shape()), " is empty");
  Shape order;  // the reduced axis last, the others in their order
  for (int64_t k = 0; k < x.dim(); ++k)
    if (k != ax) order.push_back(k);
  order.push_back(ax);
  Tensor xc = contiguous(permute(x.detach(), order));
  Tensor y = Tensor::empty(p.out, x.device());
  if (p.M > 0) MINIDL_DISPATCH(x.device(), argmax_rows, p.M, p.K, xc.data(), y.data());
  return y;
}

Tensor sum_to(const Tensor& x, const Shape& shape) {
  detail::check_defined("sum_to", x);
  if (x.shape() == shape) return x;
  MINIDL_CHECK(detail::broadcast_shapes("sum_to", shape, x.shape()) == x.shape(), "sum_to: shape ",
               shape_str(shape), " does not broadcast to ", shape_str(x.shape()));
  size_t lead = x.shape().size() - shape.size();
  Shape axes;
  for (size_t k = 0; k < x.shape().size(); ++k)
    if (k < lead || (shape[k - lead] == 1 && x.shape()[k] != 1))
      axes.push_back(static_cast<int64_t>(k));
  return reshape(sum(x, axes, true), shape);
}

}  // namespace minidl
