// CPU kernels for 2-D max pooling: the forward pass keeps, for each output element, the index of
// the winning input inside its (H, W) plane, and backward routes the gradient to that element.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#if defined(__SSE4_1__) || defined(__x86_64__)
#include <immintrin.h>
#endif
#ifdef __x86_64__
#define MINIDL_POOL_AVX512 1
#endif

#include "core/cpu/kernels.h"
#include "core/cpu/parallel.h"
#include "core/cpu/pool.h"
#include "core/cpu/simd.h"

namespace minidl::cpu {

namespace {

// The window's rule in one place: v (at index i) takes over from the best so far when there is
// none yet, when it is larger, or when it is the first NaN. Written as selects, not branches
// (which random data mispredicts half the time).
inline void consider(float v, int64_t i, float& best, int64_t& best_i) {
  const bool take = (best_i < 0) | (v > best) | ((v != v) & (best == best));
  best = take ? v : best;
  best_i = take ? i : best_i;
}

// One (H, W) plane, any window.
void pool_plane(const float* x_p, int64_t H, int64_t W, int64_t kernel, int64_t stride, int64_t pad,
                int64_t OH, int64_t OW, float* y_p, int32_t* a_p) {
  for (int64_t oh = 0; oh < OH; ++oh) {
    const int64_t h0 = std::max<int64_t>(oh * stride - pad, 0);
    const int64_t h1 = std::min<int64_t>(oh * stride - pad + kernel, H);
    for (int64_t ow = 0; ow < OW; ++ow) {
      const int64_t w0 = std::max<int64_t>(ow * stride - pad, 0);
      const int64_t w1 = std::min<int64_t>(ow * stride - pad + kernel, W);
      float best = -std::numeric_limits<float>::infinity();
      int64_t best_i = -1;
      for (int64_t h = h0; h < h1; ++h)
        for (int64_t w = w0; w < w1; ++w) consider(x_p[h * W + w], h * W + w, best, best_i);
      y_p[oh * OW + ow] = best;
      a_p[oh * OW + ow] = static_cast<int32_t>(best_i);
    }
  }
}

#ifdef MINIDL_POOL_AVX512
#define MINIDL_AVX512 [[gnu::target("avx512f,avx512dq,avx512bw,avx512vl")]]
// One candidate of 16 windows (pool_row_2x2_avx512): take = v > best, or v is NaN and best is not.
MINIDL_AVX512 inline __mmask16 takes(__m512 v, __m512 best) {
  return _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ) |
         (_mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q) & _mm512_cmp_ps_mask(best, best, _CMP_ORD_Q));
}

// pool_plane_2x2's SSE4.1 loop 16 windows at a time, on one row of windows (input rows r0, r1):
// the even and odd columns are split with two-source permutes. Returns where it stopped (a
// multiple of 16), for the narrower loops to finish the row. With leaky (Codes only), the
// winners go through leaky_rows's formula and mark before they are stored.
template <bool Codes>
MINIDL_AVX512 int64_t pool_row_2x2_avx512(const float* r0, const float* r1, int64_t W, int64_t OW,
                                          float bias, float* y, int32_t* a, int64_t base,
                                          uint8_t* c, bool leaky = false, float slope = 0.f) {
  const __m512 sv = _mm512_set1_ps(slope), zero = _mm512_setzero_ps();
  const __m512i slope_bit = _mm512_set1_epi32(kSlopeBit);
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512 bv = _mm512_set1_ps(bias);
  // The winner's offset from its window's corner, or (Codes) its code dh * 2 + dw.
  const __m512i off1 = _mm512_set1_epi32(1),
                offW = _mm512_set1_epi32(static_cast<int32_t>(Codes ? 2 : W)),
                offW1 = _mm512_set1_epi32(static_cast<int32_t>(Codes ? 3 : W + 1));
  int64_t ow = 0;
  for (; ow + 16 <= OW; ow += 16) {
    __m512 v[4] = {_mm512_loadu_ps(r0 + 2 * ow), _mm512_loadu_ps(r0 + 2 * ow + 16),
                   _mm512_loadu_ps(r1 + 2 * ow), _mm512_loadu_ps(r1 + 2 * ow + 16)};
    if constexpr (Codes)
      for (__m512& x : v) x = _mm512_add_ps(x, bv);
    __m512 best = _mm512_permutex2var_ps(v[0], even, v[1]);
    __m512i code = _mm512_setzero_si512();
    const __m512 cand[3] = {_mm512_permutex2var_ps(v[0], odd, v[1]),
                            _mm512_permutex2var_ps(v[2], even, v[3]),
                            _mm512_permutex2var_ps(v[2], odd, v[3])};
    const __m512i offs[3] = {off1, offW, offW1};
    for (int k = 0; k < 3; ++k) {
      const __mmask16 take = takes(cand[k], best);
      best = _mm512_mask_mov_ps(best, take, cand[k]);
      code = _mm512_mask_mov_epi32(code, take, offs[k]);
    }
    if (Codes && leaky) {  // as leaky_rows_avx512
      const __mmask16 positive = _mm512_cmp_ps_mask(best, zero, _CMP_GT_OQ);
      best = _mm512_mask_mov_ps(_mm512_mul_ps(best, sv), positive, best);
      code = _mm512_mask_or_epi32(code, static_cast<__mmask16>(~positive), code, slope_bit);
    }
    _mm512_storeu_ps(y + ow, best);
    if constexpr (Codes) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(c + ow),
                       _mm512_maskz_cvtepi32_epi8(0xFFFF, code));
    } else {
      const __m512i corner =
          _mm512_add_epi32(_mm512_set1_epi32(static_cast<int32_t>(base + 2 * ow)), even);
      _mm512_storeu_si512(a + ow, _mm512_add_epi32(corner, code));
    }
  }
  return ow;
}

// leaky_rows 16 values at a time; returns where it stopped.
MINIDL_AVX512 int64_t leaky_rows_avx512(float* v, uint8_t* codes, int64_t n, float slope) {
  const __m512 sv = _mm512_set1_ps(slope), zero = _mm512_setzero_ps();
  const __m128i mark = _mm_set1_epi8(static_cast<char>(kSlopeBit));
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 x = _mm512_loadu_ps(v + i);
    const __mmask16 positive = _mm512_cmp_ps_mask(x, zero, _CMP_GT_OQ);
    _mm512_storeu_ps(v + i, _mm512_mask_mov_ps(_mm512_mul_ps(x, sv), positive, x));
    __m128i* c = reinterpret_cast<__m128i*>(codes + i);
    _mm_storeu_si128(c, _mm_or_si128(_mm_loadu_si128(c), _mm_maskz_mov_epi8(~positive, mark)));
  }
  return i;
}

// unpool_row's AVX-512 loop for k = 2, 16 windows (32 outputs) at a time; returns where it stopped.
MINIDL_AVX512 int64_t unpool_row_2_avx512(const float* g, const uint8_t* codes, int64_t OW,
                                          int32_t c0, float* out, bool leaky, float slope) {
  const __m512i w0 = _mm512_set1_epi32(c0), w1 = _mm512_set1_epi32(c0 + 1);
  const __m512i place_bits = _mm512_set1_epi32(kPlaceBits),
                slope_bit = _mm512_set1_epi32(kSlopeBit);
  // out[2j] = a[j], out[2j + 1] = b[j]: lanes 0-7 of a and b interleaved, then lanes 8-15.
  const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i hi = _mm512_add_epi32(lo, _mm512_set1_epi32(8));
  const __m512 sv = _mm512_set1_ps(slope);
  int64_t pc = 0;
  for (; pc + 16 <= OW; pc += 16) {
    const __m512i code = _mm512_maskz_cvtepu8_epi32(
        0xFFFF, _mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + pc)));
    const __m512i c = _mm512_and_si512(code, place_bits);
    __m512 gv = _mm512_loadu_ps(g + pc);
    if (leaky) gv = _mm512_mask_mul_ps(gv, _mm512_test_epi32_mask(code, slope_bit), gv, sv);
    const __m512 a = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(c, w0), gv);
    const __m512 b = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(c, w1), gv);
    _mm512_storeu_ps(out + 2 * pc, _mm512_permutex2var_ps(a, lo, b));
    _mm512_storeu_ps(out + 2 * pc + 16, _mm512_permutex2var_ps(a, hi, b));
  }
  return pc;
}

// unpool_row_pair's AVX-512 loop, 16 windows (32 outputs in each row) at a time: each gradient
// copied into both lanes of its window, zero but where the window's code places the winner (a
// byte compare of the codes, each doubled, with the places of the row). One pass writes both
// rows: the codes and gradients are read once.
MINIDL_AVX512 int64_t unpool_pair_avx512(const float* g, const uint8_t* codes, int64_t OW,
                                         float* out0, float* out1, bool leaky, float slope) {
  const __m128i row0 = _mm_set1_epi16(0x0100), row1 = _mm_set1_epi16(0x0302);  // places 0 1, 2 3
  const __m128i place_bits = _mm_set1_epi8(static_cast<char>(kPlaceBits));
  const __m128i slope_bit = _mm_set1_epi8(static_cast<char>(kSlopeBit));
  const __m512i lo = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
  const __m512i hi = _mm512_add_epi32(lo, _mm512_set1_epi32(8));
  const __m512 sv = _mm512_set1_ps(slope);
  int64_t pc = 0;
  for (; pc + 16 <= OW; pc += 16) {
    const __m128i code = _mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + pc));
    const __m128i c = _mm_and_si128(code, place_bits);
    __m512 gv = _mm512_loadu_ps(g + pc);
    if (leaky) gv = _mm512_mask_mul_ps(gv, _mm_test_epi8_mask(code, slope_bit), gv, sv);
    const __m128i c_lo = _mm_unpacklo_epi8(c, c), c_hi = _mm_unpackhi_epi8(c, c);
    _mm512_storeu_ps(out0 + 2 * pc,
                     _mm512_maskz_permutexvar_ps(_mm_cmpeq_epi8_mask(c_lo, row0), lo, gv));
    _mm512_storeu_ps(out0 + 2 * pc + 16,
                     _mm512_maskz_permutexvar_ps(_mm_cmpeq_epi8_mask(c_hi, row0), hi, gv));
    _mm512_storeu_ps(out1 + 2 * pc,
                     _mm512_maskz_permutexvar_ps(_mm_cmpeq_epi8_mask(c_lo, row1), lo, gv));
    _mm512_storeu_ps(out1 + 2 * pc + 16,
                     _mm512_maskz_permutexvar_ps(_mm_cmpeq_epi8_mask(c_hi, row1), hi, gv));
  }
  return pc;
}
#undef MINIDL_AVX512
#endif

// The same for 2x2 windows at stride 2 without padding (every window inside the image): the four
// candidates in the order the loops above visit them, 16 windows at a time with AVX-512 where the
// CPU has it (pool_row_2x2_avx512), then four at a time with SSE4.1 selects where the compiler
// targets it (x86-64-v2 and up), one at a time otherwise and at a row's end.
// Codes = false: a_p gets the winner's index in the plane. Codes = true (the fused convolution's
// pool): the candidates are x + bias, rounded as y = x + bias would be, and c_p gets the winner's
// code in its window, dh * 2 + dw; with leaky, each row then goes through leaky_rows (the
// AVX-512 loop does so before it stores, the row's rest after it), while it is in L1.
template <bool Codes>
void pool_plane_2x2(const float* x_p, int64_t W, int64_t OH, int64_t OW, float bias, float* y_p,
                    int32_t* a_p, uint8_t* c_p, bool leaky = false, float slope = 0.f) {
  auto at = [&](const float* p) { return Codes ? *p + bias : *p; };
  [[maybe_unused]] const bool avx512 = simd_level() == Simd::AVX512;
  for (int64_t oh = 0; oh < OH; ++oh) {
    const float* r0 = x_p + 2 * oh * W;
    const float* r1 = r0 + W;
    float* y = y_p + oh * OW;
    const int64_t base = Codes ? 0 : 2 * oh * W;
    int64_t ow = 0;
    [[maybe_unused]] int64_t unmarked = 0;  // where the row's leaky ReLU has yet to run
#ifdef MINIDL_POOL_AVX512
    if (avx512) {
      if constexpr (Codes)
        ow = pool_row_2x2_avx512<true>(r0, r1, W, OW, bias, y, nullptr, 0, c_p + oh * OW, leaky,
                                       slope);
      else
        ow = pool_row_2x2_avx512<false>(r0, r1, W, OW, bias, y, a_p + oh * OW, base, nullptr);
      unmarked = ow;
    }
#endif
#ifdef __SSE4_1__
    // Candidates k = 0..3 at offsets 0, 1, W, W + 1 from the window's corner; `code` holds the
    // winner's offset (or its k). take = v > best, or v is NaN and best is not.
    const __m128i off1 = _mm_set1_epi32(1),
                  offW = _mm_set1_epi32(static_cast<int32_t>(Codes ? 2 : W)),
                  offW1 = _mm_set1_epi32(static_cast<int32_t>(Codes ? 3 : W + 1));
    const __m128 bv = _mm_set1_ps(bias);
    auto load = [&](const float* p) {
      const __m128 v = _mm_loadu_ps(p);
      return Codes ? _mm_add_ps(v, bv) : v;
    };
    auto step = [](__m128 v, __m128i off, __m128& best, __m128i& code) {
      const __m128 take = _mm_or_ps(_mm_cmpgt_ps(v, best),
                                    _mm_and_ps(_mm_cmpunord_ps(v, v), _mm_cmpord_ps(best, best)));
      best = _mm_blendv_ps(best, v, take);
      code = _mm_castps_si128(_mm_blendv_ps(_mm_castsi128_ps(code), _mm_castsi128_ps(off), take));
    };
    for (; ow + 4 <= OW; ow += 4) {
      const __m128 a0 = load(r0 + 2 * ow), a1 = load(r0 + 2 * ow + 4);
      const __m128 b0 = load(r1 + 2 * ow), b1 = load(r1 + 2 * ow + 4);
      __m128 best = _mm_shuffle_ps(a0, a1, _MM_SHUFFLE(2, 0, 2, 0));  // r0[2ow], r0[2ow + 2], ...
      __m128i code = _mm_setzero_si128();
      step(_mm_shuffle_ps(a0, a1, _MM_SHUFFLE(3, 1, 3, 1)), off1, best, code);
      step(_mm_shuffle_ps(b0, b1, _MM_SHUFFLE(2, 0, 2, 0)), offW, best, code);
      step(_mm_shuffle_ps(b0, b1, _MM_SHUFFLE(3, 1, 3, 1)), offW1, best, code);
      _mm_storeu_ps(y + ow, best);
      if constexpr (Codes) {
        const int32_t bytes =
            _mm_cvtsi128_si32(_mm_packus_epi16(_mm_packus_epi32(code, code), code));
        std::memcpy(c_p + oh * OW + ow, &bytes, 4);
      } else {
        const int32_t i0 = static_cast<int32_t>(base + 2 * ow);
        const __m128i corner = _mm_setr_epi32(i0, i0 + 2, i0 + 4, i0 + 6);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(a_p + oh * OW + ow),
                         _mm_add_epi32(corner, code));
      }
    }
#endif
    for (; ow < OW; ++ow) {
      const int64_t i = Codes ? 0 : base + 2 * ow, w1 = Codes ? 2 : W;
      float best = at(r0 + 2 * ow);
      int64_t best_i = i;
      consider(at(r0 + 2 * ow + 1), i + 1, best, best_i);
      consider(at(r1 + 2 * ow), i + w1, best, best_i);
      consider(at(r1 + 2 * ow + 1), i + w1 + 1, best, best_i);
      y[ow] = best;
      if constexpr (Codes)
        c_p[oh * OW + ow] = static_cast<uint8_t>(best_i);
      else
        a_p[oh * OW + ow] = static_cast<int32_t>(best_i);
    }
    if (Codes && leaky) leaky_rows(y + unmarked, c_p + oh * OW + unmarked, OW - unmarked, slope);
  }
}

// k x k windows at stride k, any k <= kMaxCodedPool, with codes: as pool_plane's loops, on
// x + bias.
void pool_plane_codes(const float* x_p, int64_t ld, int64_t k, int64_t OH, int64_t OW, float bias,
                      float* y_p, uint8_t* c_p) {
  for (int64_t oh = 0; oh < OH; ++oh)
    for (int64_t ow = 0; ow < OW; ++ow) {
      const float* corner = x_p + oh * k * ld + ow * k;
      float best = corner[0] + bias;
      int64_t best_i = 0;
      for (int64_t dh = 0; dh < k; ++dh)
        for (int64_t dw = 0; dw < k; ++dw)
          consider(corner[dh * ld + dw] + bias, dh * k + dw, best, best_i);
      y_p[oh * OW + ow] = best;
      c_p[oh * OW + ow] = static_cast<uint8_t>(best_i);
    }
}

}  // namespace

void max_pool2d_codes(const float* x_p, int64_t ld, int64_t k, int64_t OH, int64_t OW, float bias,
                      float* y_p, uint8_t* c_p, PoolLeaky act) {
  if (k == 2)
    return pool_plane_2x2<true>(x_p, ld, OH, OW, bias, y_p, nullptr, c_p, act.on, act.slope);
  pool_plane_codes(x_p, ld, k, OH, OW, bias, y_p, c_p);
  if (act.on) leaky_rows(y_p, c_p, OH * OW, act.slope);
}

void leaky_rows(float* v, uint8_t* codes, int64_t n, float slope) {
  int64_t i = 0;
#ifdef MINIDL_POOL_AVX512
  if (simd_level() == Simd::AVX512) i = leaky_rows_avx512(v, codes, n, slope);
#endif
  for (; i < n; ++i) {
    const bool positive = v[i] > 0;
    v[i] = positive ? v[i] : slope * v[i];
    codes[i] = static_cast<uint8_t>(codes[i] | (positive ? 0 : kSlopeBit));
  }
}

namespace {

// Windows [from, to) of row dh of a k x k pool's input gradient, one window at a time (what the
// vector loops of unpool_row and unpool_row_pair leave): out[j * k + dw] = window j's gradient,
// g[j] or through the leaky ReLU's (g * 1 is g, bit for bit), where its code places the winner at
// (dh, dw), else 0.
void unpool_windows(const float* g, const uint8_t* codes, int64_t from, int64_t to, int64_t k,
                    int64_t dh, float* out, bool leaky, float slope) {
  for (int64_t j = from; j < to; ++j) {
    const float gj = leaky && (codes[j] & kSlopeBit) ? g[j] * slope : g[j];
    const int64_t place = codes[j] & kPlaceBits;
    for (int64_t dw = 0; dw < k; ++dw) out[j * k + dw] = place == dh * k + dw ? gj : 0.f;
  }
}

}  // namespace

void unpool_row(const float* g, const uint8_t* codes, int64_t OW, int64_t k, int64_t dh, float* out,
                int64_t width, bool leaky, float slope) {
  int64_t pc = 0;
  if (k == 2) {
    [[maybe_unused]] const int32_t c0 = static_cast<int32_t>(2 * dh);
#ifdef MINIDL_POOL_AVX512
    if (simd_level() == Simd::AVX512) pc = unpool_row_2_avx512(g, codes, OW, c0, out, leaky, slope);
#endif
#ifdef __SSE4_1__
    // Four windows: the masks of "the winner is at dw = 0 / 1 of this row", and their gradients
    // interleaved into 8 floats.
    const __m128i w0 = _mm_set1_epi32(c0), w1 = _mm_set1_epi32(c0 + 1);
    const __m128i place_bits = _mm_set1_epi32(kPlaceBits), slope_bit = _mm_set1_epi32(kSlopeBit);
    const __m128 sv = _mm_set1_ps(slope);
    for (; pc + 4 <= OW; pc += 4) {
      int32_t bytes;
      std::memcpy(&bytes, codes + pc, 4);
      const __m128i code = _mm_cvtepu8_epi32(_mm_cvtsi32_si128(bytes));
      const __m128i c = _mm_and_si128(code, place_bits);
      __m128 gv = _mm_loadu_ps(g + pc);
      if (leaky)
        gv = _mm_blendv_ps(
            gv, _mm_mul_ps(gv, sv),
            _mm_castsi128_ps(_mm_cmpeq_epi32(_mm_and_si128(code, slope_bit), slope_bit)));
      const __m128 a = _mm_and_ps(gv, _mm_castsi128_ps(_mm_cmpeq_epi32(c, w0)));
      const __m128 b = _mm_and_ps(gv, _mm_castsi128_ps(_mm_cmpeq_epi32(c, w1)));
      _mm_storeu_ps(out + 2 * pc, _mm_unpacklo_ps(a, b));
      _mm_storeu_ps(out + 2 * pc + 4, _mm_unpackhi_ps(a, b));
    }
#endif
  }
  unpool_windows(g, codes, pc, OW, k, dh, out, leaky, slope);
  std::fill(out + OW * k, out + width, 0.f);
}

void unpool_row_pair(const float* g, const uint8_t* codes, int64_t OW, float* out0, float* out1,
                     int64_t width, bool leaky, float slope) {
  int64_t pc = 0;
#ifdef MINIDL_POOL_AVX512
  if (simd_level() == Simd::AVX512) pc = unpool_pair_avx512(g, codes, OW, out0, out1, leaky, slope);
#endif
  if (pc == 0) {  // no AVX-512, or fewer than 16 windows: row by row
    unpool_row(g, codes, OW, 2, 0, out0, width, leaky, slope);
    return unpool_row(g, codes, OW, 2, 1, out1, width, leaky, slope);
  }
  unpool_windows(g, codes, pc, OW, 2, 0, out0, leaky, slope);  // the last windows
  unpool_windows(g, codes, pc, OW, 2, 1, out1, leaky, slope);
  std::fill(out0 + 2 * OW, out0 + width, 0.f);
  std::fill(out1 + 2 * OW, out1 + width, 0.f);
}

// y[n, c, oh, ow] = max over h in [oh*stride - pad, +kernel), w in [ow*stride - pad, +kernel),
// clipped to the image: padded positions are skipped, which is the same as treating them as -inf.
// Ties go to the first element in row-major order; a NaN wins (and is propagated). A window with
// no element inside the image (impossible when pad <= kernel / 2) gives -inf and argmax -1.
void max_pool2d(const float* x, int64_t N, int64_t C, int64_t H, int64_t W, int64_t kernel,
                int64_t stride, int64_t pad, int64_t OH, int64_t OW, float* y, int32_t* argmax) {
  const bool k2 = kernel == 2 && stride == 2 && pad == 0;
  const int64_t per_plane = std::max<int64_t>(1, OH * OW * kernel * kernel);
  parallel_for(N * C, grain_for(per_plane), [&](int64_t p0, int64_t p1) {
    for (int64_t nc = p0; nc < p1; ++nc) {
      const float* x_p = x + nc * H * W;
      float* y_p = y + nc * OH * OW;
      int32_t* a_p = argmax + nc * OH * OW;
      if (k2)
        pool_plane_2x2<false>(x_p, W, OH, OW, 0.f, y_p, a_p, nullptr);
      else
        pool_plane(x_p, H, W, kernel, stride, pad, OH, OW, y_p, a_p);
    }
  });
}

// dx = 0, then dx[argmax] += gy: only the winner of each window gets its output's gradient
// (overlapping windows that share a winner add up).
void max_pool2d_backward(const float* gy, const int32_t* argmax, int64_t N, int64_t C, int64_t H,
                         int64_t W, int64_t OH, int64_t OW, float* dx) {
  const int64_t per_plane = std::max<int64_t>(1, H * W + OH * OW);
  parallel_for(N * C, grain_for(per_plane), [&](int64_t p0, int64_t p1) {
    for (int64_t nc = p0; nc < p1; ++nc) {
      float* dx_p = dx + nc * H * W;
      const float* gy_p = gy + nc * OH * OW;
      const int32_t* a_p = argmax + nc * OH * OW;
      std::fill(dx_p, dx_p + H * W, 0.f);
      for (int64_t i = 0; i < OH * OW; ++i)
        if (a_p[i] >= 0) dx_p[a_p[i]] += gy_p[i];
    }
  });
}

}  // namespace minidl::cpu
