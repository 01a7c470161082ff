// CUDA twins of core/cpu/softmax.cpp: (log_)softmax along K of x viewed as (outer, K, inner),
// forward and backward, with the CPU's formulas (max subtracted, sums in double). A warp (or block)
// per row when inner == 1; otherwise a thread per (outer, inner) position.
#include "cuda/kernels.h"
#include "cuda/reduce.cuh"

namespace minidl::cuda {

namespace {

constexpr int64_t kLongRow = 1024;  // from here on a row gets a whole block instead of a warp

// Reduction over the TPR threads of one row: a warp (TPR == 32) or the whole block (TPR ==
// kThreads).
template <int TPR>
__device__ inline double group_sum(double v) {
  if constexpr (TPR == 32)
    return warp_sum(v);
  else
    return block_sum(v);
}
template <int TPR>
__device__ inline float group_max(float v) {
  if constexpr (TPR == 32)
    return warp_extremum(v, true);
  else
    return block_extremum(v, true);
}

// The row (o, i) starts at (o * K) * inner + i; its elements are `inner` apart.
__device__ inline int64_t row_base(int64_t r, int64_t K, int64_t inner) {
  return (r / inner) * K * inner + r % inner;
}

// y = softmax(x) or log_softmax(x) for rows of TPR threads each (inner == 1, so stride 1).
//   y_k = exp(x_k - m) / s        or        y_k = x_k - m - log(s)
// with m = max_j x_j and s = sum_j exp(x_j - m) >= 1.
template <int TPR>
__global__ void softmax_rows(int64_t rows, int64_t K, const float* x, float* y, bool log) {
  constexpr int RPB = kThreads / TPR;  // rows per block
  const int t = threadIdx.x % TPR;
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * RPB + threadIdx.x / TPR; r < rows;
       r += static_cast<int64_t>(gridDim.x) * RPB) {  // uniform per row group
    const float* xr = x + r * K;
    float* yr = y + r * K;
    float m = xr[0];
    for (int64_t k = t; k < K; k += TPR) m = fmaxf(m, xr[k]);
    m = group_max<TPR>(m);
    double s = 0;
    for (int64_t k = t; k < K; k += TPR) s += expf(xr[k] - m);
    s = group_sum<TPR>(s);
    if (log) {
      const double shift = m + ::log(s);
      for (int64_t k = t; k < K; k += TPR) yr[k] = static_cast<float>(xr[k] - shift);
    } else {
      const float inv = static_cast<float>(1.0 / s);
      for (int64_t k = t; k < K; k += TPR) yr[k] = expf(xr[k] - m) * inv;
    }
  }
}

// The same for inner > 1: one thread per row; neighbouring threads read neighbouring elements.
__global__ void softmax_strided(int64_t rows, int64_t K, int64_t inner, const float* x, float* y,
                                bool log) {
  CUDA_GRID_LOOP(r, rows) {
    const int64_t base = row_base(r, K, inner);
    const float* xr = x + base;
    float* yr = y + base;
    float m = xr[0];
    for (int64_t k = 1; k < K; ++k) m = fmaxf(m, xr[k * inner]);
    double s = 0;
    for (int64_t k = 0; k < K; ++k) s += expf(xr[k * inner] - m);
    if (log) {
      const double shift = m + ::log(s);
      for (int64_t k = 0; k < K; ++k) yr[k * inner] = static_cast<float>(xr[k * inner] - shift);
    } else {
      const float inv = static_cast<float>(1.0 / s);
      for (int64_t k = 0; k < K; ++k) yr[k * inner] = expf(xr[k * inner] - m) * inv;
    }
  }
}

// softmax:     dx_k = y_k (gy_k - sum_j gy_j y_j)
// log_softmax: dx_k = gy_k - exp(y_k) sum_j gy_j
template <int TPR>
__global__ void softmax_backward_rows(int64_t rows, int64_t K, const float* y, const float* gy,
                                      float* dx, bool log) {
  constexpr int RPB = kThreads / TPR;
  const int t = threadIdx.x % TPR;
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * RPB + threadIdx.x / TPR; r < rows;
       r += static_cast<int64_t>(gridDim.x) * RPB) {
    const float* yr = y + r * K;
    const float* gr = gy + r * K;
    float* dr = dx + r * K;
    double s = 0;
    for (int64_t k = t; k < K; k += TPR)
      s += log ? static_cast<double>(gr[k]) : static_cast<double>(gr[k]) * yr[k];
    s = group_sum<TPR>(s);
    for (int64_t k = t; k < K; k += TPR)
      dr[k] = log ? static_cast<float>(gr[k] - static_cast<double>(expf(yr[k])) * s)
                  : static_cast<float>(yr[k] * (gr[k] - s));
  }
}

__global__ void softmax_backward_strided(int64_t rows, int64_t K, int64_t inner, const float* y,
                                         const float* gy, float* dx, bool log) {
  CUDA_GRID_LOOP(r, rows) {
    const int64_t base = row_base(r, K, inner);
    const float* yr = y + base;
    const float* gr = gy + base;
    float* dr = dx + base;
    double s = 0;
    for (int64_t k = 0; k < K; ++k)
      s += log ? static_cast<double>(gr[k * inner])
               : static_cast<double>(gr[k * inner]) * yr[k * inner];
    for (int64_t k = 0; k < K; ++k) {
      const int64_t e = k * inner;
      dr[e] = log ? static_cast<float>(gr[e] - static_cast<double>(expf(yr[e])) * s)
                  : static_cast<float>(yr[e] * (gr[e] - s));
    }
  }
}

unsigned row_blocks(int64_t rows, int rows_per_block) {
  const int64_t b = (rows + rows_per_block - 1) / rows_per_block;
  return static_cast<unsigned>(b < kMaxBlocks ? b : kMaxBlocks);
}

}  // namespace

void softmax(int64_t outer, int64_t K, int64_t inner, const float* x, float* y, bool log) {
  const int64_t rows = outer * inner;
  if (rows <= 0 || K <= 0) return;
  if (inner > 1)
    softmax_strided<<<blocks_for(rows), kThreads, 0, stream()>>>(rows, K, inner, x, y, log);
  else if (K < kLongRow)
    softmax_rows<32>
        <<<row_blocks(rows, kThreads / 32), kThreads, 0, stream()>>>(rows, K, x, y, log);
  else
    softmax_rows<kThreads><<<row_blocks(rows, 1), kThreads, 0, stream()>>>(rows, K, x, y, log);
  CUDA_CHECK_LAUNCH();
}

void softmax_backward(int64_t outer, int64_t K, int64_t inner, const float* y, const float* gy,
                      float* dx, bool log) {
  const int64_t rows = outer * inner;
  if (rows <= 0 || K <= 0) return;
  if (inner > 1)
    softmax_backward_strided<<<blocks_for(rows), kThreads, 0, stream()>>>(rows, K, inner, y, gy, dx,
                                                                          log);
  else if (K < kLongRow)
    softmax_backward_rows<32>
        <<<row_blocks(rows, kThreads / 32), kThreads, 0, stream()>>>(rows, K, y, gy, dx, log);
  else
    softmax_backward_rows<kThreads>
        <<<row_blocks(rows, 1), kThreads, 0, stream()>>>(rows, K, y, gy, dx, log);
  CUDA_CHECK_LAUNCH();
}

}  // namespace minidl::cuda
