// Warp and block reductions for the CUDA kernels, in a fixed order (a tree over lanes, then over
// warps), so that a result depends only on the launch geometry: deterministic run to run. Internal.
#pragma once

#include "cuda/common.cuh"

namespace minidl::cuda {

constexpr unsigned kFullMask = 0xffffffffu;

/// Sum over the 32 lanes of a warp; every lane gets lane 0's result (so all lanes agree).
template <class T>
__device__ inline T warp_sum(T v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(kFullMask, v, o);
  return __shfl_sync(kFullMask, v, 0);
}

/// max(v, u) (min when !is_max) by the CPU's rule (core/cpu/reduce.cpp): u takes over when it is
/// larger (smaller) or a NaN while v is not, so a NaN anywhere makes the result NaN (fmaxf / fminf
/// would drop it), as PyTorch's max / min.
__device__ inline float extremum_of(float v, float u, bool is_max) {
  return ((is_max ? u > v : u < v) || (u != u && v == v)) ? u : v;
}

/// Max (Min when !is_max) over a warp's lanes by extremum_of (NaN wins); all lanes agree.
__device__ inline float warp_extremum(float v, bool is_max) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) {
    const float u = __shfl_down_sync(kFullMask, v, o);
    v = extremum_of(v, u, is_max);
  }
  return __shfl_sync(kFullMask, v, 0);
}

/// Sum over a whole block (blockDim.x a multiple of 32, at most 1024); every thread gets the
/// result. Every thread of the block must call it; it may be called repeatedly.
template <class T>
__device__ inline T block_sum(T v) {
  __shared__ T partial[32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  v = warp_sum(v);
  __syncthreads();  // an earlier call may still be reading partial
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  v = lane < warps ? partial[lane] : T(0);
  return warp_sum(v);  // every warp reduces the same partials in the same order
}

/// Max (Min) over a whole block, as block_sum.
__device__ inline float block_extremum(float v, bool is_max) {
  __shared__ float partial[32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  v = warp_extremum(v, is_max);
  __syncthreads();
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  v = lane < warps ? partial[lane] : partial[0];
  return warp_extremum(v, is_max);
}

}  // namespace minidl::cuda
