// The table of elementwise ops: one line per op, from which everything else about its math is
// generated, so that no op can be half added.
//   - UnaryOp and BinaryOp (core/kernel_types.h includes this header for them);
//   - unary_forward, unary_derivative and binary_op below: inline and __host__ __device__,
//     compiled into the CPU kernels (core/cpu/elementwise.cpp) and their CUDA twins
//     (cuda/elementwise.cu);
//   - the CPU kernels' per-op dispatch (with_unary, with_binary in core/cpu/elementwise.cpp).
// Every switch over these enums is expanded from the table, so a switch cannot miss a case.
// Adding a unary op is one line in MINIDL_UNARY_OPS plus its public function (docs/adding-an-op.md
// step 2a). Internal.
#pragma once

#include <cmath>

#include "core/kernels/host_device.h"

// The float C functions (expf, ...) are what std::exp(float) calls on the host, and nvcc has
// device versions of them; std:: overloads would be host-only in device code. The formulas are
// macro arguments: they are compiled only where the table is expanded into the functions below.

// clang-format off

// X(Name, forward, derivative): y = forward (a function of x) and dy/dx = derivative (a function
// of x and of y, the forward output). a and b are the op's scalars (the kernels' `a` and `b`);
// an op that takes none ignores them.
#define MINIDL_UNARY_OPS(X)                                                                      \
  X(Neg,       -x,                            -1.f)                                              \
  X(Exp,       expf(x),                       y)                    /* d e^x = e^x */            \
  X(Log,       logf(x),                       1.f / x)              /* d ln x = 1/x */           \
  X(Sqrt,      sqrtf(x),                      0.5f / y)             /* d √x = 1/(2√x) */         \
  X(Square,    x * x,                         2.f * x)              /* d x² = 2x */              \
  X(Abs,       fabsf(x),                      x > 0 ? 1.f : (x < 0 ? -1.f : 0.f))                \
  /* Sigmoid is stable on both sides: never exp of a large positive number. σ' = σ(1-σ) */      \
  X(Sigmoid,   x >= 0 ? 1.f / (1.f + expf(-x)) : expf(x) / (1.f + expf(x)),                      \
                                              y * (1.f - y))                                     \
  X(Tanh,      tanhf(x),                      1.f - y * y)          /* tanh' = 1 - tanh² */      \
  /* ReLU keeps NaN (x <= 0 is false for it), as PyTorch does. */                                \
  X(Relu,      x <= 0 ? 0.f : x,              x > 0 ? 1.f : 0.f)                                 \
  X(LeakyRelu, x > 0 ? x : a * x,             x > 0 ? 1.f : a)      /* a = slope */              \
  X(Clamp,     x < a ? a : (x > b ? b : x),   (x >= a && x <= b) ? 1.f : 0.f) /* a = lo, b = hi */ \
  /* d x^p = p x^(p-1); a = p */                                                                 \
  X(PowScalar, powf(x, a),                    a == 0.f ? 0.f : a * powf(x, a - 1.f))             \
  X(AddScalar, x + a,                         1.f)                  /* a = addend */             \
  X(MulScalar, x * a,                         a)                    /* a = factor */

// X(Name, value): op(a, b) for two operands; comparisons give 1 or 0. The gradients of the
// differentiable ones (Add to Maximum) are tensor expressions, beside each op's front end in
// core/ops/elementwise.cpp (they sum the gradient back over broadcast axes); comparisons have
// none. Minimum and Maximum give NaN when either operand is NaN (as torch.minimum / maximum).
#define MINIDL_BINARY_OPS(X)                      \
  X(Add,     a + b)                               \
  X(Sub,     a - b)                               \
  X(Mul,     a * b)                               \
  X(Div,     a / b)                               \
  X(Pow,     powf(a, b))                          \
  X(Minimum, (a < b || a != a) ? a : b)           \
  X(Maximum, (a > b || a != a) ? a : b)           \
  X(Eq,      a == b ? 1.f : 0.f)                  \
  X(Ne,      a != b ? 1.f : 0.f)                  \
  X(Lt,      a < b ? 1.f : 0.f)                   \
  X(Le,      a <= b ? 1.f : 0.f)                  \
  X(Gt,      a > b ? 1.f : 0.f)                   \
  X(Ge,      a >= b ? 1.f : 0.f)

// clang-format on

namespace minidl {

#define MINIDL_ENUMERATOR(name, ...) name,
/// The unary elementwise ops, in the order of MINIDL_UNARY_OPS.
enum class UnaryOp { MINIDL_UNARY_OPS(MINIDL_ENUMERATOR) };
/// The binary elementwise ops, in the order of MINIDL_BINARY_OPS.
enum class BinaryOp { MINIDL_BINARY_OPS(MINIDL_ENUMERATOR) };
#undef MINIDL_ENUMERATOR
#define MINIDL_ONE(...) +1
/// How many ops each table holds (UnaryOp values are 0 to kUnaryOpCount - 1): a test table with
/// one row per op can static_assert that it has them all.
constexpr int kUnaryOpCount = 0 MINIDL_UNARY_OPS(MINIDL_ONE);
constexpr int kBinaryOpCount = 0 MINIDL_BINARY_OPS(MINIDL_ONE);
#undef MINIDL_ONE

/// y = op(x): the forward formulas (a, b: the op's scalars, see MINIDL_UNARY_OPS).
MINIDL_HD inline float unary_forward(UnaryOp op, float x, float a, float b) {
  switch (op) {
#define MINIDL_CASE(name, forward, derivative) \
  case UnaryOp::name:                          \
    return (forward);
    MINIDL_UNARY_OPS(MINIDL_CASE)
#undef MINIDL_CASE
  }
  return 0.f;  // not reached: the cases above cover every UnaryOp
}

/// dy/dx given x and y = op(x): the derivatives.
MINIDL_HD inline float unary_derivative(UnaryOp op, float x, float y, float a, float b) {
  switch (op) {
#define MINIDL_CASE(name, forward, derivative) \
  case UnaryOp::name:                          \
    return (derivative);
    MINIDL_UNARY_OPS(MINIDL_CASE)
#undef MINIDL_CASE
  }
  return 0.f;  // not reached
}

/// op(a, b) for the BinaryOp family; comparisons give 1 or 0.
MINIDL_HD inline float binary_op(BinaryOp op, float a, float b) {
  switch (op) {
#define MINIDL_CASE(name, value) \
  case BinaryOp::name:           \
    return (value);
    MINIDL_BINARY_OPS(MINIDL_CASE)
#undef MINIDL_CASE
  }
  return 0.f;  // not reached
}

}  // namespace minidl
