// CUDA twins of core/cpu/optim_update.cpp: the optimizers' update steps as one kernel per
// parameter, applying the per-element rules of core/kernels/optim_math.h over a grid.
#include "core/kernels/optim_math.h"
#include "cuda/common.cuh"
#include "cuda/kernels.h"

namespace minidl::cuda {

namespace {

__global__ void sgd_update_kernel(SgdStep s, int64_t n, float* w, const float* g, float* buf) {
  CUDA_GRID_LOOP(i, n) sgd_element(s, w[i], g[i], buf ? buf + i : nullptr);
}

__global__ void adam_update_kernel(AdamStep s, int64_t n, float* w, const float* g, float* m,
                                   float* v) {
  CUDA_GRID_LOOP(i, n) adam_element(s, w[i], g[i], m[i], v[i]);
}

}  // namespace

void sgd_update(const SgdStep& s, int64_t n, float* w, const float* g, float* buf) {
  if (n <= 0) return;
  sgd_update_kernel<<<blocks_for(n), kThreads, 0, stream()>>>(s, n, w, g, buf);
  CUDA_CHECK_LAUNCH();
}

void adam_update(const AdamStep& s, int64_t n, float* w, const float* g, float* m, float* v) {
  if (n <= 0) return;
  adam_update_kernel<<<blocks_for(n), kThreads, 0, stream()>>>(s, n, w, g, m, v);
  CUDA_CHECK_LAUNCH();
}

}  // namespace minidl::cuda
