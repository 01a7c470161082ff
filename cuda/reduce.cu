// CUDA twins of core/cpu/reduce.cpp over the rows of a contiguous (M, K) matrix: a warp per row, or
// long rows split over blocks and combined in a second pass. Sums in double, in an order fixed by
// (M, K) (deterministic); max / min follow the CPU on NaN (a NaN anywhere in a row wins).
#include <cmath>

#include "cuda/kernels.h"
#include "cuda/reduce.cuh"

namespace minidl::cuda {

namespace {

constexpr int kWarps = kThreads / 32;  // rows per block in the warp-per-row kernels

// Accumulates elements k = k0, k0 + step, ... < k1 of row r into a sum (double) or an extremum.
struct RowAcc {
  double sum = 0;
  float ext;
  __device__ void add(ReduceOp op, float v) {
    if (op == ReduceOp::Sum)
      sum += v;
    else
      ext = extremum_of(ext, v, op == ReduceOp::Max);
  }
};

__device__ inline float finish(ReduceOp op, const RowAcc& a) {
  return op == ReduceOp::Sum ? static_cast<float>(a.sum) : a.ext;
}

// One warp per row (rows in a grid-stride loop). K == 0 only for Sum (gives 0).
__global__ void reduce_rows_warp(ReduceOp op, int64_t M, int64_t K, const float* x, float* y) {
  const int lane = threadIdx.x % 32;
  const int64_t first = static_cast<int64_t>(blockIdx.x) * kWarps + threadIdx.x / 32;
  for (int64_t m = first; m < M; m += static_cast<int64_t>(gridDim.x) * kWarps) {
    const float* row = x + m * K;
    RowAcc a;
    a.ext = op == ReduceOp::Sum ? 0.f : row[0];
    for (int64_t k = lane; k < K; k += 32) a.add(op, row[k]);
    if (op == ReduceOp::Sum)
      a.sum = warp_sum(a.sum);
    else
      a.ext = warp_extremum(a.ext, op == ReduceOp::Max);
    if (lane == 0) y[m] = finish(op, a);
  }
}

// Pass 1 for long rows: block (g, m) reduces chunk g of row m (`chunk` elements) into part[m*G+g].
__global__ void reduce_rows_split(ReduceOp op, int64_t K, int64_t chunk, const float* x,
                                  double* part) {
  const int64_t m = blockIdx.y, g = blockIdx.x, G = gridDim.x;
  const float* row = x + m * K;
  const int64_t k1 = (g + 1) * chunk < K ? (g + 1) * chunk : K;
  RowAcc a;
  a.ext = op == ReduceOp::Sum ? 0.f : row[g * chunk < K ? g * chunk : 0];
  for (int64_t k = g * chunk + threadIdx.x; k < k1; k += blockDim.x) a.add(op, row[k]);
  const double v = op == ReduceOp::Sum
                       ? block_sum(a.sum)
                       : static_cast<double>(block_extremum(a.ext, op == ReduceOp::Max));
  if (threadIdx.x == 0) part[m * G + g] = v;
}

// Pass 2: one warp per row combines its G partial results.
__global__ void reduce_rows_combine(ReduceOp op, int64_t M, int64_t G, const double* part,
                                    float* y) {
  const int lane = threadIdx.x % 32;
  const int64_t m = static_cast<int64_t>(blockIdx.x) * kWarps + threadIdx.x / 32;
  if (m >= M) return;  // a whole warp leaves together
  const double* p = part + m * G;
  RowAcc a;
  a.ext = static_cast<float>(p[0]);
  for (int64_t g = lane; g < G; g += 32) {
    if (op == ReduceOp::Sum)
      a.sum += p[g];
    else
      a.add(op, static_cast<float>(p[g]));
  }
  if (op == ReduceOp::Sum)
    a.sum = warp_sum(a.sum);
  else
    a.ext = warp_extremum(a.ext, op == ReduceOp::Max);
  if (lane == 0) y[m] = finish(op, a);
}

// Whether (v, k) beats (best, best_k) for argmax: a NaN beats any number, a larger number a smaller
// one, and among equals (or NaNs) the lower index wins, so the result is the CPU's: the first NaN,
// else the first largest.
__device__ inline bool argmax_beats(float v, int64_t k, float best, int64_t best_k) {
  const bool v_nan = v != v, best_nan = best != best;
  if (v_nan != best_nan) return v_nan;
  return v > best || ((v == best || v_nan) && k < best_k);
}

// argmax: one warp per row; each lane keeps its (value, index) winner by argmax_beats, then the
// lanes' winners are combined by the same rule.
__global__ void argmax_rows_warp(int64_t M, int64_t K, const float* x, float* y) {
  const int lane = threadIdx.x % 32;
  const int64_t first = static_cast<int64_t>(blockIdx.x) * kWarps + threadIdx.x / 32;
  for (int64_t m = first; m < M; m += static_cast<int64_t>(gridDim.x) * kWarps) {
    const float* row = x + m * K;
    float best = -INFINITY;
    int64_t best_k = K;  // none yet: any element, even -inf, beats it
    for (int64_t k = lane; k < K; k += 32) {
      const float v = row[k];
      if (argmax_beats(v, k, best, best_k)) best = v, best_k = k;
    }
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
      const float v = __shfl_down_sync(kFullMask, best, o);
      const int64_t k = __shfl_down_sync(kFullMask, best_k, o);
      if (argmax_beats(v, k, best, best_k)) best = v, best_k = k;
    }
    if (lane == 0) y[m] = static_cast<float>(best_k);
  }
}

unsigned row_blocks(int64_t M) {
  const int64_t b = (M + kWarps - 1) / kWarps;
  return static_cast<unsigned>(b < kMaxBlocks ? b : kMaxBlocks);
}

}  // namespace

void reduce_rows(ReduceOp op, int64_t M, int64_t K, const float* x, float* y) {
  if (M <= 0) return;
  MINIDL_CHECK(op == ReduceOp::Sum || K > 0, "reduce_rows: max / min over an empty row (M=", M,
               ")");
  // Few long rows: split each over G blocks (G from M and K only, so the result is reproducible).
  constexpr int64_t kSplitMinK = 8192, kTargetBlocks = 1024, kChunkMin = 2048;
  if (M < kTargetBlocks / 2 && K >= kSplitMinK) {
    int64_t G = kTargetBlocks / M, most = (K + kChunkMin - 1) / kChunkMin;
    G = G < most ? G : most;
    const int64_t chunk = (K + G - 1) / G;
    G = (K + chunk - 1) / chunk;  // every chunk non-empty
    Scratch part(static_cast<std::size_t>(M * G) * sizeof(double));
    reduce_rows_split<<<dim3(static_cast<unsigned>(G), static_cast<unsigned>(M)), kThreads, 0,
                        stream()>>>(op, K, chunk, x, part.as<double>());
    CUDA_CHECK_LAUNCH();
    reduce_rows_combine<<<row_blocks(M), kThreads, 0, stream()>>>(op, M, G, part.as<double>(), y);
    CUDA_CHECK_LAUNCH();
    return;
  }
  reduce_rows_warp<<<row_blocks(M), kThreads, 0, stream()>>>(op, M, K, x, y);
  CUDA_CHECK_LAUNCH();
}

void argmax_rows(int64_t M, int64_t K, const float* x, float* y) {
  if (M <= 0) return;
  MINIDL_CHECK(K > 0, "argmax_rows: empty rows (M=", M, ")");
  argmax_rows_warp<<<row_blocks(M), kThreads, 0, stream()>>>(M, K, x, y);
  CUDA_CHECK_LAUNCH();
}

}  // namespace minidl::cuda
