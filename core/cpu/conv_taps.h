// The inner loops of the shifted-view convolution kernels (conv_shift.cpp) for few input
// channels, where gemm does badly: with C input channels, a band's forward gemm has an inner
// dimension of only C, and its dW gemm an output of only F x C, so OpenBLAS spends its time packing
// (measured on tiny's first layer, C = 3: forward at 28% and dW at 12% of the sgemm rate). Here a
// "tap" is one input channel at one kernel offset, a row of the padded band starting at xp[t]; the
// T = C * KH * KW taps are multiplied directly with register blocks of filters and columns, with
// AVX2 + FMA or AVX-512 chosen at run time (core/cpu/simd.h). docs/convolution.md derives them.
// Internal.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace minidl::cpu {

/// dW of a shifted-view convolution runs the tap loops when a channel block has at most kTapsMaxC
/// input channels, the forward pass when the layer has at most kTapsMaxFwdC; else gemm. Measured
/// on 2 threads at once, each on its own bands of a 448-column image (apps/bench/README.md, "Why
/// conv2d's CPU constants have their values"): the dW loop ran at 1.4-8x gemm's speed with 3 to 16
/// channels; the forward loop beat gemm with 3 channels and lost or tied with 8 and 16 there (Intel
/// Xeon, Haswell kernels). On the 2-core AMD EPYC (Zen 4) of CI's kind its AVX-512 variant took the
/// forward of tiny's 16-channel layer from 23.0-23.1 to 20.2-20.4 ms, hence 16 since the ninth
/// session.
constexpr int64_t kTapsMaxC = 16, kTapsMaxFwdC = 16;

/// Memory a thread will read next (the next band's inputs), asked into L2 a few cache lines at a
/// time while taps_dW_add computes: the loop reads its band from cache, and the memory would
/// otherwise sit idle meanwhile. ranges: (start, bytes).
struct Prefetch {
  std::vector<std::pair<const void*, int64_t>> ranges;
  void clear() { ranges.clear(); }
  void add(const void* p, int64_t bytes) {
    if (bytes > 0) ranges.emplace_back(p, bytes);
  }
};

/// Floats of the partial sums that taps_dW_add keeps for F filters and T taps.
inline int64_t taps_dW_floats(int64_t F, int64_t T) { return F * T * 8; }

/// part (F, T, 8) += the products of gy's rows and the taps over columns [0, L), kept as 8
/// partial sums per (filter, tap):
///   sum over lanes of part[f, t, :] grows by sum_{p < L} gy[f * ldg + p] * xp[t][p].
/// With next, its ranges are prefetched along the way. ones: xp[T - 1] is a row of ones (whose
/// sums are db), added rather than multiplied, with the same result.
void taps_dW_add(int64_t F, int64_t T, int64_t L, const float* gy, int64_t ldg,
                 const float* const* xp, float* part, const Prefetch* next = nullptr,
                 bool ones = false);

/// out[f * T + t] = the sum of part[f, t, :] (lanes added in a fixed order).
void taps_dW_finish(int64_t F, int64_t T, const float* part, float* out);

/// y[f * ldy + p] = sum_t Wt[f * T + t] * xp[t][p] for f < F, p < L (overwritten).
void taps_forward(int64_t F, int64_t T, int64_t L, const float* Wt, const float* const* xp,
                  float* y, int64_t ldy);

}  // namespace minidl::cpu
