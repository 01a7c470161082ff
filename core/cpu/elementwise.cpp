// CPU elementwise kernels. The forward formula of each unary op sits beside its derivative.
#include <array>
#include <cmath>

#include "core/cpu/kernels.h"
#include "core/cpu/strided.h"

namespace minidl::cpu {

namespace {

constexpr int64_t kParallelMin = 1 << 15;  // below this, threads cost more than they give

// y = op(x): the forward formulas.
inline float unary_forward(UnaryOp op, float x, float a, float b) {
  switch (op) {
    case UnaryOp::Neg: return -x;
    case UnaryOp::Exp: return std::exp(x);
    case UnaryOp::Log: return std::log(x);
    case UnaryOp::Sqrt: return std::sqrt(x);
    case UnaryOp::Square: return x * x;
    case UnaryOp::Abs: return std::fabs(x);
    case UnaryOp::Sigmoid:  // stable on both sides: never exp of a large positive number
      return x >= 0 ? 1.f / (1.f + std::exp(-x)) : std::exp(x) / (1.f + std::exp(x));
    case UnaryOp::Tanh: return std::tanh(x);
    case UnaryOp::Relu: return x > 0 ? x : 0.f;
    case UnaryOp::LeakyRelu: return x > 0 ? x : a * x;
    case UnaryOp::Clamp: return x < a ? a : (x > b ? b : x);
    case UnaryOp::PowScalar: return std::pow(x, a);
    case UnaryOp::AddScalar: return x + a;
    case UnaryOp::MulScalar: return x * a;
  }
  return 0.f;
}

// dy/dx given x and y = op(x): the derivatives, one line per op.
inline float unary_derivative(UnaryOp op, float x, float y, float a, float b) {
  switch (op) {
    case UnaryOp::Neg: return -1.f;
    case UnaryOp::Exp: return y;                         // d e^x = e^x
    case UnaryOp::Log: return 1.f / x;                   // d ln x = 1/x
    case UnaryOp::Sqrt: return 0.5f / y;                 // d √x = 1/(2√x)
    case UnaryOp::Square: return 2.f * x;                // d x² = 2x
    case UnaryOp::Abs: return x > 0 ? 1.f : (x < 0 ? -1.f : 0.f);
    case UnaryOp::Sigmoid: return y * (1.f - y);         // σ' = σ(1-σ)
    case UnaryOp::Tanh: return 1.f - y * y;              // tanh' = 1 - tanh²
    case UnaryOp::Relu: return x > 0 ? 1.f : 0.f;
    case UnaryOp::LeakyRelu: return x > 0 ? 1.f : a;
    case UnaryOp::Clamp: return (x >= a && x <= b) ? 1.f : 0.f;
    case UnaryOp::PowScalar: return a == 0.f ? 0.f : a * std::pow(x, a - 1.f);  // d x^p = p x^(p-1)
    case UnaryOp::AddScalar: return 1.f;
    case UnaryOp::MulScalar: return a;
  }
  return 0.f;
}

inline float binary_op(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::Add: return a + b;
    case BinaryOp::Sub: return a - b;
    case BinaryOp::Mul: return a * b;
    case BinaryOp::Div: return a / b;
    case BinaryOp::Pow: return std::pow(a, b);
    case BinaryOp::Minimum: return a < b ? a : b;
    case BinaryOp::Maximum: return a > b ? a : b;
    case BinaryOp::Eq: return a == b ? 1.f : 0.f;
    case BinaryOp::Ne: return a != b ? 1.f : 0.f;
    case BinaryOp::Lt: return a < b ? 1.f : 0.f;
    case BinaryOp::Le: return a <= b ? 1.f : 0.f;
    case BinaryOp::Gt: return a > b ? 1.f : 0.f;
    case BinaryOp::Ge: return a >= b ? 1.f : 0.f;
  }
  return 0.f;
}

bool all_contiguous(const Layout& out, std::initializer_list<const Layout*> ls) {
  for (const Layout* l : ls) {
    int64_t expected = 1;
    for (int k = out.ndim - 1; k >= 0; --k) {
      if (out.shape[k] != 1 && l->stride[k] != expected) return false;
      expected *= out.shape[k];
    }
  }
  return true;
}

int64_t numel(const Layout& l) {
  int64_t n = 1;
  for (int k = 0; k < l.ndim; ++k) n *= l.shape[k];
  return n;
}

}  // namespace

void unary(UnaryOp op, int64_t n, const float* x, float* y, float a, float b) {
#pragma omp parallel for if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) y[i] = unary_forward(op, x[i], a, b);
}

void unary_backward(UnaryOp op, int64_t n, const float* x, const float* y, const float* gy, float* dx,
                    float a, float b) {
#pragma omp parallel for if (n > kParallelMin)
  for (int64_t i = 0; i < n; ++i) dx[i] = gy[i] * unary_derivative(op, x[i], y[i], a, b);
}

void binary(BinaryOp op, const Layout& out, const float* a, const Layout& la, const float* b,
            const Layout& lb, float* y) {
  int64_t n = numel(out);
  if (all_contiguous(out, {&la, &lb})) {
#pragma omp parallel for if (n > kParallelMin)
    for (int64_t i = 0; i < n; ++i) y[i] = binary_op(op, a[i], b[i]);
    return;
  }
  for_each_strided<2>(out, {&la, &lb}, [&](int64_t i, const std::array<int64_t, 2>& o) {
    y[i] = binary_op(op, a[o[0]], b[o[1]]);
  });
}

void where(const Layout& out, const float* m, const Layout& lm, const float* a, const Layout& la,
           const float* b, const Layout& lb, float* y) {
  for_each_strided<3>(out, {&lm, &la, &lb}, [&](int64_t i, const std::array<int64_t, 3>& o) {
    y[i] = m[o[0]] != 0.f ? a[o[1]] : b[o[2]];
  });
}

}  // namespace minidl::cpu
