// CPU kernels of the optimizers' update steps: one pass over a parameter applying the
// per-element rules of core/cpu/optim_math.h, which cuda/optim_update.cu shares.
#include "core/cpu/kernels.h"
#include "core/cpu/optim_math.h"
#include "core/cpu/parallel.h"

namespace minidl::cpu {

namespace {
constexpr int64_t kParallelMin = 1 << 15;  // below this, threads cost more than they give
}  // namespace

void sgd_update(const SgdStep& s, int64_t n, float* w, const float* g, float* buf) {
  parallel_for(n, kParallelMin, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) sgd_element(s, w[i], g[i], buf ? buf + i : nullptr);
  });
}

void adam_update(const AdamStep& s, int64_t n, float* w, const float* g, float* m, float* v) {
  parallel_for(n, kParallelMin, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) adam_element(s, w[i], g[i], m[i], v[i]);
  });
}

}  // namespace minidl::cpu
