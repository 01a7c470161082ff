// CUDA twins of core/cpu/copy.cpp: fill and the strided gather / scatter behind contiguous() and
// copy_(). Offsets come from the layout by index arithmetic (cuda/strided.cuh).
#include <array>

#include "cuda/kernels.h"
#include "cuda/strided.cuh"

namespace minidl::cuda {

namespace {

__global__ void fill_kernel(float* y, int64_t n, float value) { CUDA_GRID_LOOP(i, n) y[i] = value; }

__global__ void copy_flat_kernel(const float* x, int64_t n, float* y) {
  CUDA_GRID_LOOP(i, n) y[i] = x[i];
}

// y[i] = x[offset of i] (gather) or, when `scatter`, y[offset of i] = x[i]. A scatter into a
// layout that maps two elements to one place (a broadcast view) keeps one of them, unspecified
// which (the CPU keeps the last).
template <class I>
__global__ void strided_kernel(const float* x, StridedIndex<1, I> ix, int64_t n, float* y,
                               bool scatter) {
  CUDA_GRID_LOOP(i, n) {
    I off[1];
    ix.offsets(static_cast<I>(i), off);
    if (scatter)
      y[off[0]] = x[i];
    else
      y[i] = x[off[0]];
  }
}

void strided_copy(const float* x, const Layout& l, float* y, bool scatter) {
  const Coalesced<1> c(l, {&l});
  if (c.numel == 0) return;
  const unsigned blocks = blocks_for(c.numel);
  if (c.flat()) {
    copy_flat_kernel<<<blocks, kThreads, 0, stream()>>>(x, c.numel, y);
  } else if (c.fits_int32()) {
    strided_kernel<int32_t>
        <<<blocks, kThreads, 0, stream()>>>(x, c.index<int32_t>(), c.numel, y, scatter);
  } else {
    strided_kernel<int64_t>
        <<<blocks, kThreads, 0, stream()>>>(x, c.index<int64_t>(), c.numel, y, scatter);
  }
  CUDA_CHECK_LAUNCH();
}

}  // namespace

void fill(float* y, int64_t n, float value) {
  if (n <= 0) return;
  fill_kernel<<<blocks_for(n), kThreads, 0, stream()>>>(y, n, value);
  CUDA_CHECK_LAUNCH();
}

void copy_strided(const float* x, const Layout& lx, float* y) { strided_copy(x, lx, y, false); }

void scatter_strided(const float* x, float* y, const Layout& ly) { strided_copy(x, ly, y, true); }

}  // namespace minidl::cuda
