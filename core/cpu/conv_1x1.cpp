// y_n[f, p] = b[f] + sum_k W[f, k] x_n[k, p] for a 1x1 convolution with K <= kShallowK channels
// (see conv_1x1.h). There are so few products per output that gemm would spend its time writing
// y twice (the bias first, then adding to it with beta = 1 in OpenBLAS's small-matrix kernel,
// which reads C). Here each block of y is written once, in one pass over its K rows of x; K is a
// template argument, so that the sum is unrolled and the loop over p vectorised. The loop itself
// is the rest of the time, so it has an AVX2 variant, chosen at run time (core/cpu/simd.h):
// measured on humble's first layer at batch 8, 2 threads, it is markedly faster than the SSE
// loop (the figures are in apps/bench/README.md, "kShallowK").
#include "core/cpu/conv_1x1.h"

#include <algorithm>

#include "core/cpu/conv_plan.h"
#include "core/cpu/parallel.h"
#include "core/cpu/simd.h"

namespace minidl::cpu {

namespace {

// y is written in blocks of this many columns of a row (4 KB, in L1 while they are summed).
constexpr int64_t kShallowCols = 1024;

// shallow_block: rows f of y_n's block of pc columns (y_b = y_n + p0, x_b = x_n + p0, rows P
// apart).
template <int K>
[[gnu::always_inline]] inline void shallow_block(const float* x_b, const float* W, const float* b,
                                                 int64_t F, int64_t P, int64_t pc, float* y_b) {
  for (int64_t f = 0; f < F; ++f) {
    float* __restrict o = y_b + f * P;
    float w[K];
    std::copy(W + f * K, W + f * K + K, w);
    const float bias = b ? b[f] : 0.f;
    for (int64_t p = 0; p < pc; ++p) {
      float s = bias;
      for (int k = 0; k < K; ++k) s += w[k] * x_b[k * P + p];
      o[p] = s;
    }
  }
}
// The same loop compiled for SSE (the build's baseline) and for AVX2 (chosen at run time): the
// same multiplies and adds in the same order, so both give the same bits.
template <int K>
void shallow_block_base(const float* x_b, const float* W, const float* b, int64_t F, int64_t P,
                        int64_t pc, float* y_b) {
  shallow_block<K>(x_b, W, b, F, P, pc, y_b);
}
#if defined(__x86_64__) || defined(__i386__)
template <int K>
[[gnu::target("avx2")]] void shallow_block_avx2(const float* x_b, const float* W, const float* b,
                                                int64_t F, int64_t P, int64_t pc, float* y_b) {
  shallow_block<K>(x_b, W, b, F, P, pc, y_b);
}
#endif

template <int K>
void conv1x1_shallow(const ConvParams& g, const float* x, const float* W, const float* b,
                     float* y) {
  auto block = shallow_block_base<K>;
#if defined(__x86_64__) || defined(__i386__)
  if (avx2_allowed()) block = shallow_block_avx2<K>;
#endif
  const int64_t F = g.F, P = g.P(), blocks = ceil_div(P, kShallowCols);
  parallel_for(g.N * blocks, grain_for(F * kShallowCols), [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t n = i / blocks, p0 = (i % blocks) * kShallowCols;
      block(x + n * K * P + p0, W, b, F, P, std::min(kShallowCols, P - p0), y + n * F * P + p0);
    }
  });
}

}  // namespace

void conv1x1_shallow_forward(const ConvParams& g, const float* x, const float* W, const float* b,
                             float* y) {
  static_assert(kShallowK == 4);
  constexpr void (*shallow[])(const ConvParams&, const float*, const float*, const float*,
                              float*) = {conv1x1_shallow<1>, conv1x1_shallow<2>, conv1x1_shallow<3>,
                                         conv1x1_shallow<4>};
  shallow[g.K() - 1](g, x, W, b, y);
}

}  // namespace minidl::cpu
