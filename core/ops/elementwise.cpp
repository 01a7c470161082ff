// Elementwise ops: forward through the kernels in core/cpu/elementwise.cpp, whose formulas are the
// table of ops in core/kernels/elementwise_math.h. The unary ops' derivatives are in that table too
// (detail::unary_op records dx = gy * op'(x)); each binary op's backward is here, beside its
// front end, as tensor expressions. Broadcasting is undone in backward by sum_to (the sum over
// stretched axes).
#include "core/ops/elementwise.h"

#include "core/cpu/kernels.h"
#include "core/ops/creation.h"
#include "core/ops/op_util.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"
#include "core/profile.h"

namespace minidl {

namespace {

Tensor binary_forward(const char* name, BinaryOp op, const Tensor& a, const Tensor& b) {
  detail::check_defined(name, a, "first input");
  detail::check_defined(name, b, "second input");
  detail::check_same_device(name, {a, b});
  Shape out = detail::broadcast_shapes(name, a.shape(), b.shape());
  Tensor y = Tensor::empty(out, a.device());
  Layout lo = detail::layout_of(y), la = detail::broadcast_layout(a, out),
         lb = detail::broadcast_layout(b, out);
  MINIDL_DISPATCH(a.device(), binary, op, lo, a.data(), la, b.data(), lb, y.data());
  return y;
}

Tensor compare(const char* name, BinaryOp op, const Tensor& a, const Tensor& b) {
  profile::Timer timer(profile::Category::Elementwise);
  detail::check_defined(name, a, "first input");
  detail::check_defined(name, b, "second input");
  return binary_forward(name, op, a.detach(), b.detach());  // masks carry no gradient
}

// The scalar operand of op `name` as a 0-d tensor on x's device.
Tensor scalar_like(const char* name, float v, const Tensor& x) {
  detail::check_defined(name, x);
  return scalar(v, x.device());
}

}  // namespace

// Each op times itself as elementwise work for the profile (core/profile.h); the node it records
// then times its backward the same way.

// d(a + b) = da + db
Tensor add(const Tensor& a, const Tensor& b) {
  profile::Timer timer(profile::Category::Elementwise);
  Tensor y = binary_forward("add", BinaryOp::Add, a, b);
  return record("add", y, {a, b}, [sa = a.shape(), sb = b.shape()](const Tensor& gy, const Needs&) {
    return Grads{sum_to(gy, sa), sum_to(gy, sb)};
  });
}

// d(a - b) = da - db
Tensor sub(const Tensor& a, const Tensor& b) {
  profile::Timer timer(profile::Category::Elementwise);
  Tensor y = binary_forward("sub", BinaryOp::Sub, a, b);
  return record("sub", y, {a, b},
                [sa = a.shape(), sb = b.shape()](const Tensor& gy, const Needs& n) {
                  return Grads{sum_to(gy, sa), n[1] ? sum_to(neg(gy), sb) : Tensor()};
                });
}

// d(a b) = b da + a db
Tensor mul(const Tensor& a, const Tensor& b) {
  profile::Timer timer(profile::Category::Elementwise);
  Tensor y = binary_forward("mul", BinaryOp::Mul, a, b);
  return record("mul", y, {a, b}, [a, b](const Tensor& gy, const Needs& n) {
    return Grads{n[0] ? sum_to(gy * b, a.shape()) : Tensor(),
                 n[1] ? sum_to(gy * a, b.shape()) : Tensor()};
  });
}

// d(a / b) = da / b - a db / b²
Tensor div(const Tensor& a, const Tensor& b) {
  profile::Timer timer(profile::Category::Elementwise);
  Tensor y = binary_forward("div", BinaryOp::Div, a, b);
  return record("div", y, {a, b}, [a, b](const Tensor& gy, const Needs& n) {
    return Grads{n[0] ? sum_to(gy / b, a.shape()) : Tensor(),
                 n[1] ? sum_to(neg(gy * a / square(b)), b.shape()) : Tensor()};
  });
}

// d(a^b) = b a^(b-1) da + a^b ln(a) db   (the db term only where a > 0)
Tensor pow(const Tensor& a, const Tensor& b) {
  profile::Timer timer(profile::Category::Elementwise);
  Tensor y = binary_forward("pow", BinaryOp::Pow, a, b);
  return record("pow", y, {a, b}, [a, b, yd = y.detach()](const Tensor& gy, const Needs& n) {
    Tensor da, db;
    // b a^(b-1) is 0 * 0^-1 = NaN at a = 0, b = 0, where a^0 = 1 is flat: 0 wherever b == 0
    // (as PyTorch's pow_backward_self and the scalar-exponent pow).
    if (n[0]) da = sum_to(where(eq(b, 0.f), 0.f, gy * b * pow(a, b - 1.f)), a.shape());
    if (n[1])
      db = sum_to(where(a > 0.f, gy * yd * log(maximum(a, scalar_like("pow", 1e-30f, a))), 0.f),
                  b.shape());
    return Grads{da, db};
  });
}

namespace {
// min/max: the selected operand gets the gradient; on ties each gets half. With a NaN the
// result is that NaN (a's when both are): a is selected where a < b (a > b) or a is NaN.
Tensor min_max(const char* name, BinaryOp op, const Tensor& a, const Tensor& b) {
  profile::Timer timer(profile::Category::Elementwise);
  Tensor y = binary_forward(name, op, a, b);
  bool is_min = op == BinaryOp::Minimum;
  return record(name, y, {a, b}, [a, b, is_min](const Tensor& gy, const Needs&) {
    // share of a (the three terms exclude one another: with a NaN, lt / gt / eq are 0)
    Tensor wa = (is_min ? lt(a, b) : gt(a, b)) + ne(a, a) + eq(a, b) * 0.5f;
    return Grads{sum_to(gy * wa, a.shape()), sum_to(gy * (1.f - wa), b.shape())};
  });
}
}  // namespace

Tensor minimum(const Tensor& a, const Tensor& b) {
  return min_max("minimum", BinaryOp::Minimum, a, b);
}
Tensor maximum(const Tensor& a, const Tensor& b) {
  return min_max("maximum", BinaryOp::Maximum, a, b);
}

Tensor add(const Tensor& x, float s) {
  return detail::unary_op("add_scalar", UnaryOp::AddScalar, x, s);
}
Tensor sub(const Tensor& x, float s) {
  return detail::unary_op("sub_scalar", UnaryOp::AddScalar, x, -s);
}
Tensor mul(const Tensor& x, float s) {
  return detail::unary_op("mul_scalar", UnaryOp::MulScalar, x, s);
}
Tensor div(const Tensor& x, float s) {
  detail::check_defined("div_scalar", x);
  MINIDL_CHECK(s != 0.f, "div: division by the scalar 0 (tensor of shape ", shape_str(x.shape()),
               ")");
  return detail::unary_op("div_scalar", UnaryOp::MulScalar, x, 1.f / s);
}
Tensor pow(const Tensor& x, float p) {
  return detail::unary_op("pow_scalar", UnaryOp::PowScalar, x, p);
}

Tensor neg(const Tensor& x) { return detail::unary_op("neg", UnaryOp::Neg, x); }
Tensor exp(const Tensor& x) { return detail::unary_op("exp", UnaryOp::Exp, x); }
Tensor log(const Tensor& x) { return detail::unary_op("log", UnaryOp::Log, x); }
Tensor sqrt(const Tensor& x) { return detail::unary_op("sqrt", UnaryOp::Sqrt, x); }
Tensor square(const Tensor& x) { return detail::unary_op("square", UnaryOp::Square, x); }
Tensor abs(const Tensor& x) { return detail::unary_op("abs", UnaryOp::Abs, x); }
Tensor clamp(const Tensor& x, float lo, float hi) {
  MINIDL_CHECK(lo <= hi, "clamp: lo (", lo, ") must not exceed hi (", hi, ")");
  return detail::unary_op("clamp", UnaryOp::Clamp, x, lo, hi);
}

// where(m, a, b): da = gy where m, db = gy elsewhere; the mask gets no gradient.
Tensor where(const Tensor& mask, const Tensor& a, const Tensor& b) {
  profile::Timer timer(profile::Category::Elementwise);
  const char* name = "where";
  detail::check_defined(name, mask, "mask");
  detail::check_defined(name, a, "first input");
  detail::check_defined(name, b, "second input");
  detail::check_same_device(name, {mask, a, b});
  Shape out = detail::broadcast_shapes(
      name, detail::broadcast_shapes(name, mask.shape(), a.shape()), b.shape());
  Tensor y = Tensor::empty(out, a.device());
  Layout lo = detail::layout_of(y), lm = detail::broadcast_layout(mask, out),
         la = detail::broadcast_layout(a, out), lb = detail::broadcast_layout(b, out);
  MINIDL_DISPATCH(a.device(), where, lo, mask.data(), lm, a.data(), la, b.data(), lb, y.data());
  Tensor m = mask.detach();
  return record(name, y, {m, a, b},
                [m, sa = a.shape(), sb = b.shape()](const Tensor& gy, const Needs& n) {
                  Tensor zero = scalar(0.f, gy.device());
                  return Grads{Tensor(), n[1] ? sum_to(where(m, gy, zero), sa) : Tensor(),
                               n[2] ? sum_to(where(m, zero, gy), sb) : Tensor()};
                });
}
Tensor where(const Tensor& mask, const Tensor& a, float b) {
  return where(mask, a, scalar_like("where", b, a));
}
Tensor where(const Tensor& mask, float a, const Tensor& b) {
  return where(mask, scalar_like("where", a, b), b);
}

Tensor eq(const Tensor& a, const Tensor& b) { return compare("eq", BinaryOp::Eq, a, b); }
Tensor ne(const Tensor& a, const Tensor& b) { return compare("ne", BinaryOp::Ne, a, b); }
Tensor lt(const Tensor& a, const Tensor& b) { return compare("lt", BinaryOp::Lt, a, b); }
Tensor le(const Tensor& a, const Tensor& b) { return compare("le", BinaryOp::Le, a, b); }
Tensor gt(const Tensor& a, const Tensor& b) { return compare("gt", BinaryOp::Gt, a, b); }
Tensor ge(const Tensor& a, const Tensor& b) { return compare("ge", BinaryOp::Ge, a, b); }
Tensor eq(const Tensor& a, float b) { return eq(a, scalar_like("eq", b, a)); }
Tensor ne(const Tensor& a, float b) { return ne(a, scalar_like("ne", b, a)); }
Tensor lt(const Tensor& a, float b) { return lt(a, scalar_like("lt", b, a)); }
Tensor le(const Tensor& a, float b) { return le(a, scalar_like("le", b, a)); }
Tensor gt(const Tensor& a, float b) { return gt(a, scalar_like("gt", b, a)); }
Tensor ge(const Tensor& a, float b) { return ge(a, scalar_like("ge", b, a)); }

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator+(const Tensor& a, float b) { return add(a, b); }
Tensor operator-(const Tensor& a, float b) { return sub(a, b); }
Tensor operator*(const Tensor& a, float b) { return mul(a, b); }
Tensor operator/(const Tensor& a, float b) { return div(a, b); }
Tensor operator+(float a, const Tensor& b) { return add(b, a); }
Tensor operator-(float a, const Tensor& b) { return add(neg(b), a); }
Tensor operator*(float a, const Tensor& b) { return mul(b, a); }
Tensor operator/(float a, const Tensor& b) { return div(scalar_like("div", a, b), b); }
Tensor operator-(const Tensor& x) { return neg(x); }
Tensor operator<(const Tensor& a, const Tensor& b) { return lt(a, b); }
Tensor operator<=(const Tensor& a, const Tensor& b) { return le(a, b); }
Tensor operator>(const Tensor& a, const Tensor& b) { return gt(a, b); }
Tensor operator>=(const Tensor& a, const Tensor& b) { return ge(a, b); }
Tensor operator<(const Tensor& a, float b) { return lt(a, b); }
Tensor operator<=(const Tensor& a, float b) { return le(a, b); }
Tensor operator>(const Tensor& a, float b) { return gt(a, b); }
Tensor operator>=(const Tensor& a, float b) { return ge(a, b); }

}  // namespace minidl
