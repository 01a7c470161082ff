// CPU kernels of the optimizers' update steps: one pass over a parameter applying the
// per-element rules of core/kernels/optim_math.h, which cuda/optim_update.cu shares.
#include "core/cpu/kernels.h"
#include "core/cpu/parallel.h"
#include "core/kernels/optim_math.h"

namespace minidl::cpu {

// Each block copies the step's hyperparameters into locals and takes restrict pointers: a write
// to w[i] then cannot change them, so the compiler hoists the options' branches out of the loop
// and vectorises it (with the fields read through a reference, every element reloaded them).

void sgd_update(const SgdStep& step, int64_t n, float* w, const float* g, float* buf) {
  parallel_for(n, kParallelMin, [&](int64_t i0, int64_t i1) {
    const SgdStep s = step;
    float* __restrict wr = w;
    const float* __restrict gr = g;
    float* __restrict br = buf;
    if (s.momentum == 0.f) {
      for (int64_t i = i0; i < i1; ++i) sgd_element(s, wr[i], gr[i], nullptr);
    } else {
      for (int64_t i = i0; i < i1; ++i) sgd_element(s, wr[i], gr[i], br + i);
    }
  });
}

void adam_update(const AdamStep& step, int64_t n, float* w, const float* g, float* m, float* v) {
  parallel_for(n, kParallelMin, [&](int64_t i0, int64_t i1) {
    const AdamStep s = step;
    float* __restrict wr = w;
    const float* __restrict gr = g;
    float* __restrict mr = m;
    float* __restrict vr = v;
    for (int64_t i = i0; i < i1; ++i) adam_element(s, wr[i], gr[i], mr[i], vr[i]);
  });
}

}  // namespace minidl::cpu
