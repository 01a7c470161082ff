// The tap loops of the few-channel shifted-view convolutions (see conv_taps.h).
//
// dW: each (filter, tap) pair is a dot product over the band's columns. A register block of
// kFB filters by kTB taps keeps kFB * kTB vectors of 8 partial sums: per 8 columns it loads kFB
// rows of gy and kTB taps and does kFB * kTB multiply-adds, so the loads stay below the
// multiply-adds (7 against 12) and the block fits the 16 vector registers of AVX2. The columns
// are walked in chunks of kChunk, so that a chunk's rows stay in L1 while every block reads
// them; the partial sums live in memory between chunks and are added up once, at the end.
//
// Forward: a register block of kFwdFB filters by kPB vectors of 8 columns, summed over all taps:
// per tap kPB loads of x and kFwdFB broadcasts of a weight feed kFwdFB * kPB multiply-adds. On
// tiny's first two layers, 6 x 2 ran faster than 4 x 3 and 3 x 4 (one thread, the same run).
//
// Each loop has a plain variant, compiled for the build's baseline, an AVX2 + FMA variant and an
// AVX-512 variant, chosen at run time (simd.h); they round differently (FMA rounds once per
// multiply-add, and the AVX-512 dW loop keeps 16 partial sums, folded to the 8 of part). AVX-512's
// 32 registers hold larger blocks: dW 4 filters by 6 taps (10 loads per 24 multiply-adds of 16
// lanes), forward 6 filters by 4 vectors of 16 columns (10 loads per 24).
#include "core/cpu/conv_taps.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "core/cpu/simd.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MINIDL_TAPS_AVX2 1
#endif

namespace minidl::cpu {

namespace {

constexpr int kFB = 3, kTB = 4;     // dW: filters by taps (baseline, AVX2)
constexpr int kFwdFB = 6, kPB = 2;  // forward: filters by vectors of 8 columns (baseline, AVX2)
constexpr int kFB512 = 4, kTB512 = 6, kPB512 = 4;  // the same for AVX-512 (vectors of 16 columns)
constexpr int64_t kChunk = 512;

// ---- dW ----------------------------------------------------------------------------------------
// part_b = part + (f0 * T + t0) * 8, g = gy + f0 * ldg, xp[t] = the row of tap t0 + t; the columns
// [0, n) with n a multiple of 8.
using DWFn = void (*)(const float* g, int64_t ldg, const float* const* xp, int64_t p0, int64_t p1,
                      float* part_b, int64_t T);

template <int FB, int TB, bool Ones>
void dW_base(const float* g, int64_t ldg, const float* const* xp, int64_t p0, int64_t p1,
             float* part_b, int64_t T) {
  float a[FB][TB][8];
  for (int f = 0; f < FB; ++f)
    for (int t = 0; t < TB; ++t) std::copy_n(part_b + (f * T + t) * 8, 8, a[f][t]);
  for (int64_t p = p0; p < p1; p += 8)
    for (int f = 0; f < FB; ++f)
      for (int t = 0; t < TB; ++t)
        for (int l = 0; l < 8; ++l)
          a[f][t][l] +=
              Ones && t == TB - 1 ? g[f * ldg + p + l] : g[f * ldg + p + l] * xp[t][p + l];
  for (int f = 0; f < FB; ++f)
    for (int t = 0; t < TB; ++t) std::copy_n(a[f][t], 8, part_b + (f * T + t) * 8);
}

#ifdef MINIDL_TAPS_AVX2
template <int FB, int TB, bool Ones>
[[gnu::target("avx2,fma")]] void dW_avx2(const float* g, int64_t ldg, const float* const* xp,
                                         int64_t p0, int64_t p1, float* part_b, int64_t T) {
  __m256 a[FB][TB];
  for (int f = 0; f < FB; ++f)
    for (int t = 0; t < TB; ++t) a[f][t] = _mm256_loadu_ps(part_b + (f * T + t) * 8);
  for (int64_t p = p0; p < p1; p += 8) {
    __m256 gv[FB];
    for (int f = 0; f < FB; ++f) gv[f] = _mm256_loadu_ps(g + f * ldg + p);
    for (int t = 0; t < TB - (Ones ? 1 : 0); ++t) {
      const __m256 xv = _mm256_loadu_ps(xp[t] + p);
      for (int f = 0; f < FB; ++f) a[f][t] = _mm256_fmadd_ps(gv[f], xv, a[f][t]);
    }
    if constexpr (Ones)
      for (int f = 0; f < FB; ++f) a[f][TB - 1] = _mm256_add_ps(a[f][TB - 1], gv[f]);
  }
  for (int f = 0; f < FB; ++f)
    for (int t = 0; t < TB; ++t) _mm256_storeu_ps(part_b + (f * T + t) * 8, a[f][t]);
}

// Columns [p0, p1) with p1 - p0 a multiple of 16; part keeps 8 lanes, so the 16 are folded on
// the way in (upper half zero) and out (upper half added to the lower).
template <int FB, int TB, bool Ones>
[[gnu::target("avx512f,avx512dq,avx512bw,avx512vl,fma")]] void dW_avx512(const float* g,
                                                                         int64_t ldg,
                                                                         const float* const* xp,
                                                                         int64_t p0, int64_t p1,
                                                                         float* part_b, int64_t T) {
  __m512 a[FB][TB];
  for (int f = 0; f < FB; ++f)
    for (int t = 0; t < TB; ++t)
      a[f][t] = _mm512_maskz_loadu_ps(0x00FF, part_b + (f * T + t) * 8);  // lanes 8-15 zero
  for (int64_t p = p0; p < p1; p += 16) {
    __m512 gv[FB];
    for (int f = 0; f < FB; ++f) gv[f] = _mm512_loadu_ps(g + f * ldg + p);
    for (int t = 0; t < TB - (Ones ? 1 : 0); ++t) {
      const __m512 xv = _mm512_loadu_ps(xp[t] + p);
      for (int f = 0; f < FB; ++f) a[f][t] = _mm512_fmadd_ps(gv[f], xv, a[f][t]);
    }
    if constexpr (Ones)
      for (int f = 0; f < FB; ++f) a[f][TB - 1] = _mm512_add_ps(a[f][TB - 1], gv[f]);
  }
  for (int f = 0; f < FB; ++f)
    for (int t = 0; t < TB; ++t)
      _mm256_storeu_ps(part_b + (f * T + t) * 8, _mm256_add_ps(_mm512_extractf32x8_ps(a[f][t], 0),
                                                               _mm512_extractf32x8_ps(a[f][t], 1)));
}

// The last n columns from p (n < the vector's width), masked loads: a vector step for every
// (filter, tap), added into its 8 partial sums (AVX-512 folds its 16 lanes as dW_avx512 does).
[[gnu::target("avx2,fma")]] void dW_tail_avx2(int64_t F, int64_t T, const float* gy, int64_t ldg,
                                              const float* const* xp, int64_t p, int64_t n,
                                              float* part) {
  alignas(32) int32_t lanes[8];
  for (int l = 0; l < 8; ++l) lanes[l] = l < n ? -1 : 0;
  const __m256i mask = _mm256_load_si256(reinterpret_cast<const __m256i*>(lanes));
  for (int64_t t = 0; t < T; ++t) {
    const __m256 xv = _mm256_maskload_ps(xp[t] + p, mask);
    for (int64_t f = 0; f < F; ++f) {
      float* a = part + (f * T + t) * 8;
      _mm256_storeu_ps(
          a, _mm256_fmadd_ps(_mm256_maskload_ps(gy + f * ldg + p, mask), xv, _mm256_loadu_ps(a)));
    }
  }
}

[[gnu::target("avx512f,avx512dq,avx512bw,avx512vl,fma")]] void dW_tail_avx512(
    int64_t F, int64_t T, const float* gy, int64_t ldg, const float* const* xp, int64_t p,
    int64_t n, float* part) {
  const __mmask16 mask = static_cast<__mmask16>((1u << n) - 1);
  for (int64_t t = 0; t < T; ++t) {
    const __m512 xv = _mm512_maskz_loadu_ps(mask, xp[t] + p);
    for (int64_t f = 0; f < F; ++f) {
      float* a = part + (f * T + t) * 8;
      const __m512 s = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, gy + f * ldg + p), xv,
                                       _mm512_maskz_loadu_ps(0x00FF, a));
      _mm256_storeu_ps(a,
                       _mm256_add_ps(_mm512_extractf32x8_ps(s, 0), _mm512_extractf32x8_ps(s, 1)));
    }
  }
}
#endif

template <Simd S, int FB, int TB, bool Ones>
void dW_block(const float* g, int64_t ldg, const float* const* xp, int64_t p0, int64_t p1,
              float* part_b, int64_t T) {
#ifdef MINIDL_TAPS_AVX2
  if constexpr (S == Simd::AVX512) return dW_avx512<FB, TB, Ones>(g, ldg, xp, p0, p1, part_b, T);
  if constexpr (S == Simd::AVX2) return dW_avx2<FB, TB, Ones>(g, ldg, xp, p0, p1, part_b, T);
#endif
  dW_base<FB, TB, Ones>(g, ldg, xp, p0, p1, part_b, T);
}

// table[(fb - 1) * TBmax + tb - 1] is the block of fb filters by tb taps; with Ones, its last tap
// is a row of ones.
template <Simd S, int TBmax, bool Ones, int... I>
constexpr std::array<DWFn, sizeof...(I)> dW_table(std::integer_sequence<int, I...>) {
  return {dW_block<S, I / TBmax + 1, I % TBmax + 1, Ones>...};
}

// ---- forward -----------------------------------------------------------------------------------
// y_b = y + f0 * ldy + p, w = Wt + f0 * T: kFwdFB filters by PB vectors of columns, over all T
// taps.
using FwdFn = void (*)(const float* w, int64_t T, const float* const* xp, int64_t p, float* y_b,
                       int64_t ldy);

template <int FB, int PB>
void fwd_base(const float* w, int64_t T, const float* const* xp, int64_t p, float* y_b,
              int64_t ldy) {
  float a[FB][PB * 8] = {};
  for (int64_t t = 0; t < T; ++t)
    for (int f = 0; f < FB; ++f) {
      const float wf = w[f * T + t];
      for (int l = 0; l < PB * 8; ++l) a[f][l] += wf * xp[t][p + l];
    }
  for (int f = 0; f < FB; ++f) std::copy_n(a[f], PB * 8, y_b + f * ldy);
}

#ifdef MINIDL_TAPS_AVX2
template <int FB, int PB>
[[gnu::target("avx2,fma")]] void fwd_avx2(const float* w, int64_t T, const float* const* xp,
                                          int64_t p, float* y_b, int64_t ldy) {
  __m256 a[FB][PB];
  for (int f = 0; f < FB; ++f)
    for (int j = 0; j < PB; ++j) a[f][j] = _mm256_setzero_ps();
  for (int64_t t = 0; t < T; ++t) {
    __m256 xv[PB];
    for (int j = 0; j < PB; ++j) xv[j] = _mm256_loadu_ps(xp[t] + p + 8 * j);
    for (int f = 0; f < FB; ++f) {
      const __m256 wv = _mm256_broadcast_ss(w + f * T + t);
      for (int j = 0; j < PB; ++j) a[f][j] = _mm256_fmadd_ps(wv, xv[j], a[f][j]);
    }
  }
  for (int f = 0; f < FB; ++f)
    for (int j = 0; j < PB; ++j) _mm256_storeu_ps(y_b + f * ldy + 8 * j, a[f][j]);
}

template <int FB, int PB>
[[gnu::target("avx512f,avx512dq,avx512bw,avx512vl,fma")]] void fwd_avx512(const float* w, int64_t T,
                                                                          const float* const* xp,
                                                                          int64_t p, float* y_b,
                                                                          int64_t ldy) {
  __m512 a[FB][PB];
  for (int f = 0; f < FB; ++f)
    for (int j = 0; j < PB; ++j) a[f][j] = _mm512_setzero_ps();
  for (int64_t t = 0; t < T; ++t) {
    __m512 xv[PB];
    for (int j = 0; j < PB; ++j) xv[j] = _mm512_loadu_ps(xp[t] + p + 16 * j);
    for (int f = 0; f < FB; ++f) {
      const __m512 wv = _mm512_set1_ps(w[f * T + t]);
      for (int j = 0; j < PB; ++j) a[f][j] = _mm512_fmadd_ps(wv, xv[j], a[f][j]);
    }
  }
  for (int f = 0; f < FB; ++f)
    for (int j = 0; j < PB; ++j) _mm512_storeu_ps(y_b + f * ldy + 16 * j, a[f][j]);
}
#endif

template <Simd S, int FB, int PB>
void fwd_block(const float* w, int64_t T, const float* const* xp, int64_t p, float* y_b,
               int64_t ldy) {
#ifdef MINIDL_TAPS_AVX2
  if constexpr (S == Simd::AVX512) return fwd_avx512<FB, PB>(w, T, xp, p, y_b, ldy);
  if constexpr (S == Simd::AVX2) return fwd_avx2<FB, PB>(w, T, xp, p, y_b, ldy);
#endif
  fwd_base<FB, PB>(w, T, xp, p, y_b, ldy);
}

// table[(fb - 1) * PBmax + pb - 1] is the block of fb filters by pb vectors.
template <Simd S, int PBmax, int... I>
constexpr std::array<FwdFn, sizeof...(I)> fwd_table(std::integer_sequence<int, I...>) {
  return {fwd_block<S, I / PBmax + 1, I % PBmax + 1>...};
}

}  // namespace

namespace {

// Walks a Prefetch's ranges, a given number of 64-byte lines per call.
class LinePrefetcher {
 public:
  LinePrefetcher(const Prefetch* next, int64_t calls) : next_(next) {
    if (!next_ || next_->ranges.empty()) return;
    int64_t lines = 0;
    for (const auto& r : next_->ranges) {
      const auto a = reinterpret_cast<std::uintptr_t>(r.first);
      lines += static_cast<int64_t>((a + r.second + 63) / 64 - a / 64);  // the lines it touches
    }
    per_call_ = calls > 0 ? (lines + calls - 1) / calls : lines;
    open(0);
  }
  void step() {
    for (int64_t k = per_call_; k > 0 && at_ < end_; --k) {
#if defined(__x86_64__) || defined(__i386__)
      _mm_prefetch(reinterpret_cast<const char*>(at_), _MM_HINT_T1);
#endif
      at_ += 64;
      if (at_ >= end_ && range_ + 1 < next_->ranges.size()) open(range_ + 1);
    }
  }

 private:
  void open(size_t r) {  // from the start of the range's first line, so its last line is reached
    range_ = r;
    const auto first = reinterpret_cast<std::uintptr_t>(next_->ranges[r].first);
    at_ = first / 64 * 64;
    end_ = first + static_cast<std::uintptr_t>(next_->ranges[r].second);
  }
  const Prefetch* next_;
  int64_t per_call_ = 0;
  size_t range_ = 0;
  std::uintptr_t at_ = 0, end_ = 0;  // addresses as integers: at_ may lie before the range
};

// The dW loop with blocks of at most FB filters by TB taps, VL columns a step. With ones, the last
// tap is a row of ones, which its block adds instead of multiplying (the same bits: g * 1 + a is
// g + a), leaving the multiply-add units to the other taps.
template <Simd S, int FB, int TB, int VL>
void dW_add(int64_t F, int64_t T, int64_t L, const float* gy, int64_t ldg, const float* const* xp,
            float* part, const Prefetch* next, bool ones) {
  using Blocks = std::make_integer_sequence<int, FB * TB>;
  static constexpr auto table = dW_table<S, TB, false>(Blocks{});
  static constexpr auto ones_table = dW_table<S, TB, true>(Blocks{});
  const int64_t Lv = L / VL * VL;
  LinePrefetcher prefetch(next,
                          (Lv + kChunk - 1) / kChunk * ((F + FB - 1) / FB) * ((T + TB - 1) / TB));
  for (int64_t p0 = 0; p0 < Lv; p0 += kChunk) {
    const int64_t p1 = std::min(Lv, p0 + kChunk);
    for (int64_t f0 = 0; f0 < F; f0 += FB) {
      const int64_t fb = std::min<int64_t>(FB, F - f0);
      for (int64_t t0 = 0; t0 < T; t0 += TB) {
        const int64_t tb = std::min<int64_t>(TB, T - t0);
        const auto& blocks = ones && t0 + tb == T ? ones_table : table;
        blocks[(fb - 1) * TB + tb - 1](gy + f0 * ldg, ldg, xp + t0, p0, p1,
                                       part + (f0 * T + t0) * 8, T);
        prefetch.step();
      }
    }
  }
  if (Lv == L) return;
#ifdef MINIDL_TAPS_AVX2
  if constexpr (S == Simd::AVX512) return dW_tail_avx512(F, T, gy, ldg, xp, Lv, L - Lv, part);
  if constexpr (S == Simd::AVX2) return dW_tail_avx2(F, T, gy, ldg, xp, Lv, L - Lv, part);
#endif
  for (int64_t f = 0; f < F; ++f)  // the last columns, into lane 0
    for (int64_t t = 0; t < T; ++t) {
      float s = 0.f;
      for (int64_t p = Lv; p < L; ++p) s += gy[f * ldg + p] * xp[t][p];
      part[(f * T + t) * 8] += s;
    }
}

}  // namespace

void taps_dW_add(int64_t F, int64_t T, int64_t L, const float* gy, int64_t ldg,
                 const float* const* xp, float* part, const Prefetch* next, bool ones) {
  switch (simd_level()) {
    case Simd::AVX512:
      return dW_add<Simd::AVX512, kFB512, kTB512, 16>(F, T, L, gy, ldg, xp, part, next, ones);
    case Simd::AVX2:
      return dW_add<Simd::AVX2, kFB, kTB, 8>(F, T, L, gy, ldg, xp, part, next, ones);
    case Simd::Base:
      return dW_add<Simd::Base, kFB, kTB, 8>(F, T, L, gy, ldg, xp, part, next, ones);
  }
}

void taps_dW_finish(int64_t F, int64_t T, const float* part, float* out) {
  for (int64_t i = 0; i < F * T; ++i) {
    const float* l = part + i * 8;
    out[i] = ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
  }
}

namespace {

// The forward sums of columns [p0, p1) one at a time (the baseline's last columns), rounded as
// the vector loops round each of their lanes, so that a column's sum does not depend on which
// loop computed it: the same image cut into other bands gives the same bits.
void forward_columns(int64_t F, int64_t T, int64_t p0, int64_t p1, const float* Wt,
                     const float* const* xp, float* y, int64_t ldy) {
  for (int64_t f = 0; f < F; ++f)
    for (int64_t q = p0; q < p1; ++q) {
      float s = 0.f;
      for (int64_t t = 0; t < T; ++t) s += Wt[f * T + t] * xp[t][q];
      y[f * ldy + q] = s;
    }
}

#ifdef MINIDL_TAPS_AVX2
// The last n columns from p (0 < n < the vector's width): one masked vector step per filter and
// tap, kFwdFB filters at a time. Each lane is its column's chain of multiply-adds over the taps in
// order from zero, as in fwd_avx2 / fwd_avx512, so the bits are theirs.
[[gnu::target("avx2,fma")]] void fwd_tail_avx2(int64_t F, int64_t T, const float* Wt,
                                               const float* const* xp, int64_t p, int64_t n,
                                               float* y, int64_t ldy) {
  alignas(32) int32_t lanes[8];
  for (int l = 0; l < 8; ++l) lanes[l] = l < n ? -1 : 0;
  const __m256i mask = _mm256_load_si256(reinterpret_cast<const __m256i*>(lanes));
  for (int64_t f0 = 0; f0 < F; f0 += kFwdFB) {
    const int64_t fb = std::min<int64_t>(kFwdFB, F - f0);
    __m256 a[kFwdFB];
    for (int f = 0; f < kFwdFB; ++f) a[f] = _mm256_setzero_ps();
    for (int64_t t = 0; t < T; ++t) {
      const __m256 xv = _mm256_maskload_ps(xp[t] + p, mask);
      for (int64_t f = 0; f < fb; ++f)
        a[f] = _mm256_fmadd_ps(_mm256_broadcast_ss(Wt + (f0 + f) * T + t), xv, a[f]);
    }
    for (int64_t f = 0; f < fb; ++f) _mm256_maskstore_ps(y + (f0 + f) * ldy + p, mask, a[f]);
  }
}

[[gnu::target("avx512f,avx512dq,avx512bw,avx512vl,fma")]] void fwd_tail_avx512(
    int64_t F, int64_t T, const float* Wt, const float* const* xp, int64_t p, int64_t n, float* y,
    int64_t ldy) {
  const __mmask16 mask = static_cast<__mmask16>((1u << n) - 1);
  for (int64_t f0 = 0; f0 < F; f0 += kFwdFB) {
    const int64_t fb = std::min<int64_t>(kFwdFB, F - f0);
    __m512 a[kFwdFB];
    for (int f = 0; f < kFwdFB; ++f) a[f] = _mm512_setzero_ps();
    for (int64_t t = 0; t < T; ++t) {
      const __m512 xv = _mm512_maskz_loadu_ps(mask, xp[t] + p);
      for (int64_t f = 0; f < fb; ++f)
        a[f] = _mm512_fmadd_ps(_mm512_set1_ps(Wt[(f0 + f) * T + t]), xv, a[f]);
    }
    for (int64_t f = 0; f < fb; ++f) _mm512_mask_storeu_ps(y + (f0 + f) * ldy + p, mask, a[f]);
  }
}
#endif

// The forward loop with blocks of at most kFwdFB filters by PB vectors of VL columns.
template <Simd S, int PB, int VL>
void forward(int64_t F, int64_t T, int64_t L, const float* Wt, const float* const* xp, float* y,
             int64_t ldy) {
  static constexpr auto table = fwd_table<S, PB>(std::make_integer_sequence<int, kFwdFB * PB>{});
  int64_t p = 0;
  for (int64_t pb = PB; pb >= 1; --pb)  // wide blocks of columns first, then single vectors
    for (; p + pb * VL <= L; p += pb * VL)
      for (int64_t f0 = 0; f0 < F; f0 += kFwdFB) {
        const int64_t fb = std::min<int64_t>(kFwdFB, F - f0);
        table[(fb - 1) * PB + pb - 1](Wt + f0 * T, T, xp, p, y + f0 * ldy + p, ldy);
      }
  if (p == L) return;
#ifdef MINIDL_TAPS_AVX2
  if constexpr (S == Simd::AVX512) return fwd_tail_avx512(F, T, Wt, xp, p, L - p, y, ldy);
  if constexpr (S == Simd::AVX2) return fwd_tail_avx2(F, T, Wt, xp, p, L - p, y, ldy);
#endif
  forward_columns(F, T, p, L, Wt, xp, y, ldy);
}

}  // namespace

void taps_forward(int64_t F, int64_t T, int64_t L, const float* Wt, const float* const* xp,
                  float* y, int64_t ldy) {
  switch (simd_level()) {
    case Simd::AVX512:
      return forward<Simd::AVX512, kPB512, 16>(F, T, L, Wt, xp, y, ldy);
    case Simd::AVX2:
      return forward<Simd::AVX2, kPB, 8>(F, T, L, Wt, xp, y, ldy);
    case Simd::Base:
      return forward<Simd::Base, kPB, 8>(F, T, L, Wt, xp, y, ldy);
  }
}

}  // namespace minidl::cpu
