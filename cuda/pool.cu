// CUDA twins of core/cpu/pool.cpp. Forward: a thread per output, the CPU's window scan. Backward:
// a warp per (n, c) plane adds gy into dx in the CPU's order, lanes with the same target combined
// by the first of them: no atomics, and dx equals the CPU's bit for bit.
#include <cmath>

#include "cuda/kernels.h"
#include "cuda/reduce.cuh"

namespace minidl::cuda {

namespace {

constexpr int kWarps = kThreads / 32;  // planes per block in the backward kernel

// Output element i = (nc * OH + oh) * OW + ow: the CPU's window scan. Host-callable too.
__host__ __device__ inline void max_pool2d_at(int64_t i, const float* x, int64_t H, int64_t W,
                                              int64_t kernel, int64_t stride, int64_t pad,
                                              int64_t OH, int64_t OW, float* y, int32_t* argmax) {
  const int64_t ow = i % OW, oh = (i / OW) % OH, nc = i / (OH * OW);
  const float* x_p = x + nc * H * W;
  const int64_t h0 = oh * stride - pad > 0 ? oh * stride - pad : 0;
  const int64_t h1 = oh * stride - pad + kernel < H ? oh * stride - pad + kernel : H;
  const int64_t w0 = ow * stride - pad > 0 ? ow * stride - pad : 0;
  const int64_t w1 = ow * stride - pad + kernel < W ? ow * stride - pad + kernel : W;
  float best = -INFINITY;
  int64_t best_i = -1;
  for (int64_t h = h0; h < h1; ++h)
    for (int64_t w = w0; w < w1; ++w) {
      const float v = x_p[h * W + w];
      if (best_i < 0 || v > best || (isnan(v) && !isnan(best))) {
        best = v;
        best_i = h * W + w;
      }
    }
  y[i] = best;
  argmax[i] = static_cast<int32_t>(best_i);
}

__global__ void max_pool2d_kernel(const float* x, int64_t H, int64_t W, int64_t kernel,
                                  int64_t stride, int64_t pad, int64_t OH, int64_t OW,
                                  int64_t total, float* y, int32_t* argmax) {
  CUDA_GRID_LOOP(i, total) max_pool2d_at(i, x, H, W, kernel, stride, pad, OH, OW, y, argmax);
}

// dx plane = 0, then dx[argmax[o]] += gy[o] for the plane's outputs o in order. Each round, lane l
// takes output base + l; the lanes with the same target find each other (__match_any_sync), and
// the lowest of them adds all their values in lane order. Rounds are separated by __syncwarp, which
// also orders the memory accesses of the warp's lanes.
__global__ void max_pool2d_backward_kernel(const float* gy, const int32_t* argmax, int64_t planes,
                                           int64_t HW, int64_t P, float* dx) {
  __shared__ float vals[kWarps][32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  for (int64_t nc = static_cast<int64_t>(blockIdx.x) * kWarps + warp; nc < planes;
       nc += static_cast<int64_t>(gridDim.x) * kWarps) {  // uniform per warp
    float* dx_p = dx + nc * HW;
    const float* gy_p = gy + nc * P;
    const int32_t* a_p = argmax + nc * P;
    for (int64_t k = lane; k < HW; k += 32) dx_p[k] = 0.f;
    __syncwarp();
    for (int64_t base = 0; base < P; base += 32) {
      const int64_t o = base + lane;
      const int32_t a = o < P ? a_p[o] : -1;
      vals[warp][lane] = o < P ? gy_p[o] : 0.f;
      const unsigned peers = __match_any_sync(kFullMask, a);
      __syncwarp();
      if (a >= 0 && lane == __ffs(peers) - 1) {
        float s = dx_p[a];
        for (unsigned m = peers; m; m &= m - 1) s += vals[warp][__ffs(m) - 1];
        dx_p[a] = s;
      }
      __syncwarp();
    }
  }
}

}  // namespace

void max_pool2d(const float* x, int64_t N, int64_t C, int64_t H, int64_t W, int64_t kernel,
                int64_t stride, int64_t pad, int64_t OH, int64_t OW, float* y, int32_t* argmax) {
  const int64_t total = N * C * OH * OW;
  if (total <= 0) return;
  max_pool2d_kernel<<<blocks_for(total), kThreads, 0, stream()>>>(x, H, W, kernel, stride, pad, OH,
                                                                  OW, total, y, argmax);
  CUDA_CHECK_LAUNCH();
}

void max_pool2d_backward(const float* gy, const int32_t* argmax, int64_t N, int64_t C, int64_t H,
                         int64_t W, int64_t OH, int64_t OW, float* dx) {
  const int64_t planes = N * C;
  if (planes <= 0 || H * W <= 0) return;
  const int64_t b = (planes + kWarps - 1) / kWarps;
  max_pool2d_backward_kernel<<<static_cast<unsigned>(b < kMaxBlocks ? b : kMaxBlocks), kThreads, 0,
                               stream()>>>(gy, argmax, planes, H * W, OH * OW, dx);
  CUDA_CHECK_LAUNCH();
}

}  // namespace minidl::cuda
