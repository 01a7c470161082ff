// Activations: sigmoid, tanh, relu and leaky_relu through the UnaryOp kernels (their formulas and
// derivatives are their lines of MINIDL_UNARY_OPS in core/kernels/elementwise_math.h), and softmax
// / log_softmax along an axis through the kernels in core/cpu/softmax.cpp.
#include "core/ops/activation.h"

#include "core/cpu/kernels.h"
#include "core/ops/op_util.h"
#include "core/ops/shape.h"

namespace minidl {

namespace {

// x (outer, K, inner) around `axis` of size K.
struct AxisView {
  int64_t outer = 1, K = 1, inner = 1;
};

AxisView axis_view(const Shape& shape, int64_t axis) {
  AxisView v;
  for (int64_t k = 0; k < axis; ++k) v.outer *= shape[k];
  v.K = shape[axis];
  for (int64_t k = axis + 1; k < static_cast<int64_t>(shape.size()); ++k) v.inner *= shape[k];
  return v;
}

// softmax (log = false) or log_softmax (log = true) along `axis`. The backward formulas are in
// cpu::softmax_backward:
//   softmax:     dx = y * (gy - sum_axis(gy * y))
//   log_softmax: dx = gy - exp(y) * sum_axis(gy)
Tensor softmax_op(const char* name, const Tensor& x, int64_t axis, bool log) {
  detail::check_defined(name, x);
  const int64_t ax = detail::normalize_axis(name, axis, x.shape());
  const AxisView v = axis_view(x.shape(), ax);
  Tensor xc = contiguous(x.detach());
  Tensor y = Tensor::empty(x.shape(), x.device());
  MINIDL_DISPATCH(x.device(), softmax, v.outer, v.K, v.inner, xc.data(), y.data(), log);
  return record(name, y, {x}, [v, log, yd = y.detach()](const Tensor& gy, const Needs&) {
    Tensor g = contiguous(gy);
    Tensor dx = Tensor::empty(yd.shape(), yd.device());
    MINIDL_DISPATCH(yd.device(), softmax_backward, v.outer, v.K, v.inner, yd.data(), g.data(),
                    dx.data(), log);
    return Grads{dx};
  });
}

}  // namespace

// dx = gy * op'(x) through the unary_backward kernel (detail::unary_op); op' is in the table.
Tensor sigmoid(const Tensor& x) { return detail::unary_op("sigmoid", UnaryOp::Sigmoid, x); }
Tensor tanh(const Tensor& x) { return detail::unary_op("tanh", UnaryOp::Tanh, x); }
Tensor relu(const Tensor& x) { return detail::unary_op("relu", UnaryOp::Relu, x); }
Tensor leaky_relu(const Tensor& x, float slope) {
  return detail::unary_op("leaky_relu", UnaryOp::LeakyRelu, x, slope);
}

Tensor softmax(const Tensor& x, int64_t axis) { return softmax_op("softmax", x, axis, false); }
Tensor log_softmax(const Tensor& x, int64_t axis) {
  return softmax_op("log_softmax", x, axis, true);
}

}  // namespace minidl
