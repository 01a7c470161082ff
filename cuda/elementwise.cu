// CUDA twins of core/cpu/elementwise.cpp: the same scalar formulas
// (core/kernels/elementwise_math.h) over a grid. Binary ops and where() read broadcast / strided
// operands through their layouts, with a flat path when every operand is contiguous.
#include <array>

#include "core/kernels/elementwise_math.h"
#include "cuda/kernels.h"
#include "cuda/strided.cuh"

namespace minidl::cuda {

namespace {

__global__ void unary_kernel(UnaryOp op, int64_t n, const float* x, float* y, float a, float b) {
  CUDA_GRID_LOOP(i, n) y[i] = unary_forward(op, x[i], a, b);
}

__global__ void unary_backward_kernel(UnaryOp op, int64_t n, const float* x, const float* y,
                                      const float* gy, float* dx, float a, float b) {
  CUDA_GRID_LOOP(i, n) dx[i] = gy[i] * unary_derivative(op, x[i], y[i], a, b);
}

__global__ void binary_flat_kernel(BinaryOp op, int64_t n, const float* a, const float* b,
                                   float* y) {
  CUDA_GRID_LOOP(i, n) y[i] = binary_op(op, a[i], b[i]);
}

template <class I>
__global__ void binary_strided_kernel(BinaryOp op, int64_t n, const float* a, const float* b,
                                      StridedIndex<2, I> ix, float* y) {
  CUDA_GRID_LOOP(i, n) {
    I off[2];
    ix.offsets(static_cast<I>(i), off);
    y[i] = binary_op(op, a[off[0]], b[off[1]]);
  }
}

__global__ void where_flat_kernel(int64_t n, const float* m, const float* a, const float* b,
                                  float* y) {
  CUDA_GRID_LOOP(i, n) y[i] = m[i] != 0.f ? a[i] : b[i];
}

template <class I>
__global__ void where_strided_kernel(int64_t n, const float* m, const float* a, const float* b,
                                     StridedIndex<3, I> ix, float* y) {
  CUDA_GRID_LOOP(i, n) {
    I off[3];
    ix.offsets(static_cast<I>(i), off);
    y[i] = m[off[0]] != 0.f ? a[off[1]] : b[off[2]];
  }
}

}  // namespace

void unary(UnaryOp op, int64_t n, const float* x, float* y, float a, float b) {
  if (n <= 0) return;
  unary_kernel<<<blocks_for(n), kThreads, 0, stream()>>>(op, n, x, y, a, b);
  CUDA_CHECK_LAUNCH();
}

void unary_backward(UnaryOp op, int64_t n, const float* x, const float* y, const float* gy,
                    float* dx, float a, float b) {
  if (n <= 0) return;
  unary_backward_kernel<<<blocks_for(n), kThreads, 0, stream()>>>(op, n, x, y, gy, dx, a, b);
  CUDA_CHECK_LAUNCH();
}

void binary(BinaryOp op, const Layout& out, const float* a, const Layout& la, const float* b,
            const Layout& lb, float* y) {
  const Coalesced<2> c(out, {&la, &lb});
  if (c.numel == 0) return;
  const unsigned blocks = blocks_for(c.numel);
  if (c.flat())
    binary_flat_kernel<<<blocks, kThreads, 0, stream()>>>(op, c.numel, a, b, y);
  else if (c.fits_int32())
    binary_strided_kernel<int32_t>
        <<<blocks, kThreads, 0, stream()>>>(op, c.numel, a, b, c.index<int32_t>(), y);
  else
    binary_strided_kernel<int64_t>
        <<<blocks, kThreads, 0, stream()>>>(op, c.numel, a, b, c.index<int64_t>(), y);
  CUDA_CHECK_LAUNCH();
}

void where(const Layout& out, const float* m, const Layout& lm, const float* a, const Layout& la,
           const float* b, const Layout& lb, float* y) {
  const Coalesced<3> c(out, {&lm, &la, &lb});
  if (c.numel == 0) return;
  const unsigned blocks = blocks_for(c.numel);
  if (c.flat())
    where_flat_kernel<<<blocks, kThreads, 0, stream()>>>(c.numel, m, a, b, y);
  else if (c.fits_int32())
    where_strided_kernel<int32_t>
        <<<blocks, kThreads, 0, stream()>>>(c.numel, m, a, b, c.index<int32_t>(), y);
  else
    where_strided_kernel<int64_t>
        <<<blocks, kThreads, 0, stream()>>>(c.numel, m, a, b, c.index<int64_t>(), y);
  CUDA_CHECK_LAUNCH();
}

}  // namespace minidl::cuda
