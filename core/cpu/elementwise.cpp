// CPU elementwise kernels: loops over the scalar formulas of core/kernels/elementwise_math.h (the
// table of ops: each unary op's forward beside its derivative), which cuda/elementwise.cu shares.
#include <array>
#include <initializer_list>
#include <type_traits>

#include "core/cpu/kernels.h"
#include "core/cpu/parallel.h"
#include "core/kernels/elementwise_math.h"
#include "core/kernels/strided.h"

namespace minidl::cpu {

namespace {

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

// Calls fn(std::integral_constant<UnaryOp, op>{}) for the run-time op, so that each loop below is
// compiled once per op with the formula's switch folded away (and vectorised where it can be).
// The cases come from the table (MINIDL_UNARY_OPS), so every op has one.
template <class Fn>
void with_unary(UnaryOp op, Fn&& fn) {
  switch (op) {
#define MINIDL_CASE(name, ...) \
  case UnaryOp::name:          \
    return fn(std::integral_constant<UnaryOp, UnaryOp::name>{});
    MINIDL_UNARY_OPS(MINIDL_CASE)
#undef MINIDL_CASE
  }
}

// The same for BinaryOp (MINIDL_BINARY_OPS).
template <class Fn>
void with_binary(BinaryOp op, Fn&& fn) {
  switch (op) {
#define MINIDL_CASE(name, ...) \
  case BinaryOp::name:         \
    return fn(std::integral_constant<BinaryOp, BinaryOp::name>{});
    MINIDL_BINARY_OPS(MINIDL_CASE)
#undef MINIDL_CASE
  }
}

}  // namespace

void unary(UnaryOp op, int64_t n, const float* x, float* y, float a, float b) {
  with_unary(op, [&](auto o) {
    parallel_for(n, kParallelMin, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) y[i] = unary_forward(o(), x[i], a, b);
    });
  });
}

void unary_backward(UnaryOp op, int64_t n, const float* x, const float* y, const float* gy,
                    float* dx, float a, float b) {
  with_unary(op, [&](auto o) {
    parallel_for(n, kParallelMin, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) dx[i] = gy[i] * unary_derivative(o(), x[i], y[i], a, b);
    });
  });
}

void binary(BinaryOp op, const Layout& out, const float* a, const Layout& la, const float* b,
            const Layout& lb, float* y) {
  int64_t n = numel(out);
  if (all_contiguous(out, {&la, &lb})) {
    with_binary(op, [&](auto o) {
      parallel_for(n, kParallelMin, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i) y[i] = binary_op(o(), a[i], b[i]);
      });
    });
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
