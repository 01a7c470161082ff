// The scalar formulas of the elementwise kernels: each unary op's forward beside its derivative,
// and the binary ops. Inline and __host__ __device__, shared by core/cpu/elementwise.cpp and its
// CUDA twin cuda/elementwise.cu, so that there is one formula per op. Internal.
#pragma once

#include <cmath>

#include "core/cpu/host_device.h"
#include "core/kernel_types.h"

namespace minidl {

// The float C functions (expf, ...) are what std::exp(float) calls on the host, and nvcc has
// device versions of them; std:: overloads would be host-only in device code.

/// y = op(x): the forward formulas (a, b: the op's scalars, see UnaryOp).
MINIDL_HD inline float unary_forward(UnaryOp op, float x, float a, float b) {
  switch (op) {
    case UnaryOp::Neg: return -x;
    case UnaryOp::Exp: return expf(x);
    case UnaryOp::Log: return logf(x);
    case UnaryOp::Sqrt: return sqrtf(x);
    case UnaryOp::Square: return x * x;
    case UnaryOp::Abs: return fabsf(x);
    case UnaryOp::Sigmoid:  // stable on both sides: never exp of a large positive number
      return x >= 0 ? 1.f / (1.f + expf(-x)) : expf(x) / (1.f + expf(x));
    case UnaryOp::Tanh: return tanhf(x);
    // ReLU keeps NaN (x <= 0 is false for it), as PyTorch does.
    case UnaryOp::Relu: return x <= 0 ? 0.f : x;
    case UnaryOp::LeakyRelu: return x > 0 ? x : a * x;
    case UnaryOp::Clamp: return x < a ? a : (x > b ? b : x);
    case UnaryOp::PowScalar: return powf(x, a);
    case UnaryOp::AddScalar: return x + a;
    case UnaryOp::MulScalar: return x * a;
  }
  return 0.f;
}

/// dy/dx given x and y = op(x): the derivatives, one line per op.
MINIDL_HD inline float unary_derivative(UnaryOp op, float x, float y, float a, float b) {
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
    case UnaryOp::PowScalar: return a == 0.f ? 0.f : a * powf(x, a - 1.f);  // d x^p = p x^(p-1)
    case UnaryOp::AddScalar: return 1.f;
    case UnaryOp::MulScalar: return a;
  }
  return 0.f;
}

/// op(a, b) for the BinaryOp family; comparisons give 1 or 0.
MINIDL_HD inline float binary_op(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::Add: return a + b;
    case BinaryOp::Sub: return a - b;
    case BinaryOp::Mul: return a * b;
    case BinaryOp::Div: return a / b;
    case BinaryOp::Pow: return powf(a, b);
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

}  // namespace minidl
