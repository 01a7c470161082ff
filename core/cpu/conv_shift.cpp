// Stride-1 convolutions by shifted views (see conv_shift.h and docs/convolution.md). With x padded
// to Hp x Wp and gy widened to rows of Wp (zeros in columns OW..Wp-1), column p = oh * Wp + ow of
// gy (and of y, widened the same way) meets column p + kh * Wp + kw of x for every kernel offset,
// so that, for L = (OH-1) Wp + OW,
//   y[:, 0:L] (F, L)               += W[:, :, kh, kw] (F, C) x[:, kh Wp + kw : +L] (C, L)
//   dW[:, :, kh, kw] (F, C)        += gy (F, L) x[:, kh Wp + kw : +L]^T (L, C)
//   dx[:, kh Wp + kw : +L] (C, L)  += W[:, :, kh, kw]^T (C, F) gy (F, L)
// The output rows are cut into bands whose gy and x rows stay in L2 while the KH * KW gemms read
// them; the widened columns of y are dropped, those of gy add zeros, and the padding's rows and
// columns are dropped at the end.
#include "core/cpu/conv_shift.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include "core/cpu/conv_plan.h"
#include "core/cpu/conv_taps.h"
#include "core/cpu/kernels.h"
#include "core/cpu/parallel.h"
#include "core/cpu/pool.h"

namespace minidl::cpu {

namespace {

// A band's gy and x rows together hold about this many floats (256 KB, within L2).
constexpr int64_t kBandFloats = 1 << 16;

enum class Pass { Forward, dW, dx };

// The geometry of one pass: its bands, and how its items are cut.
struct Shift {
  int64_t Hp, Wp, KK;
  int64_t R, bands;  // output rows per band, and bands per image
  int64_t chans;     // channels per block (dx items and dW's channel blocks; all C forward)
  int64_t blocks;    // channel blocks
  int64_t groups;    // dW: groups of (image, band) items, each summed into its own copy of dW
  bool padded;       // pad > 0: x is copied into padded bands, dx is summed in a padded plane
  // Band j: output rows [oh0, oh0 + r).
  int64_t oh0(int64_t j) const { return j * R; }
  int64_t rows(const ConvParams& g, int64_t j) const { return std::min(R, g.OH - j * R); }
  int64_t L(const ConvParams& g, int64_t r) const { return (r - 1) * Wp + g.OW; }
};

// pool_k: the forward pass pools windows of pool_k rows, so that its bands hold whole windows.
Shift make_shift(const ConvParams& g, Pass pass, int64_t pool_k = 1) {
  const int64_t T = max_threads();
  Shift s;
  s.Hp = g.H + 2 * g.pad;
  s.Wp = g.W + 2 * g.pad;
  s.KK = g.KH * g.KW;
  s.padded = g.pad > 0;
  s.R = std::clamp<int64_t>(kBandFloats / ((g.F + g.C) * s.Wp), 1, g.OH);
  if (s.R < g.OH) s.R = std::min(g.OH, std::max(pool_k, s.R / pool_k * pool_k));
  // dW's bands hold an even number of rows (one more than the budget, if need be), so that a 2 x 2
  // pool's gradient unpools both rows of its windows in one pass (widen_pooled). The band's rows
  // do not depend on the pool, so conv2d's dW and the fused pair's sum the same columns alike.
  if (pass == Pass::dW && s.R % 2 == 1 && s.R < g.OH) s.R = std::min(g.OH, s.R + 1);
  s.bands = ceil_div(g.OH, s.R);
  s.groups = s.blocks = 1;
  if (pass == Pass::dW) {
    s.groups = std::min(T, g.N * s.bands);
    if (s.groups * g.F * g.C * s.KK > kConvAccFloats || s.groups < T) {  // split channels instead
      s.groups = 1;
      s.blocks = std::min(T, g.C);
    }
  } else if (pass == Pass::dx) {
    s.blocks = g.N % T == 0 || g.N >= 4 * T ? 1 : std::min(g.C, T / std::gcd(g.N, T));
  }
  s.chans = ceil_div(g.C, s.blocks);
  s.blocks = ceil_div(g.C, s.chans);
  return s;
}

// Floats of one thread's buffers: y or gy rows (F, R, Wp) and, with padding, x rows (chans,
// R + KH - 1, Wp) forward and for dW, a padded dx plane (chans, Hp, Wp) for dx.
int64_t band_floats(const ConvParams& g, const Shift& s, Pass pass) {
  const int64_t rows = g.F * s.R * s.Wp;
  if (!s.padded) return rows;
  return rows + s.chans * (pass == Pass::dx ? s.Hp * s.Wp : (s.R + g.KH - 1) * s.Wp);
}

// out (F, r, Wp) = rows [oh0, oh0 + r) of image n's gy, zeros in columns OW..Wp-1; the planes
// are R * Wp apart.
void widen_gy(const ConvParams& g, const Shift& s, const float* gy_n, int64_t oh0, int64_t r,
              float* out) {
  for (int64_t f = 0; f < g.F; ++f)
    for (int64_t i = 0; i < r; ++i) {
      const float* src = gy_n + (f * g.OH + oh0 + i) * g.OW;
      float* dst = out + (f * s.R + i) * s.Wp;
      std::copy(src, src + g.OW, dst);
      std::fill(dst + g.OW, dst + s.Wp, 0.f);
    }
}

// The same from a pool's gradient gp (N, F, OH / k, OW / k) and codes (conv_shift.h): zeros but
// at the winners in rows [oh0, oh0 + r), which get their window's gradient (unpool_row, or for
// 2 x 2 windows unpool_row_pair, both rows of a window in one pass). (max_pool2d_backward adds it
// to a zero, which turns a -0 into +0; stored as is, a -0 then multiplies and adds as that +0
// would, since every sum it joins starts at +0.)
void widen_pooled(const ConvParams& g, const Shift& s, const ConvPool& pool, const float* gp,
                  int64_t n, int64_t oh0, int64_t r, float* out) {
  const int64_t k = pool.k, OHp = g.OH / k, OWp = g.OW / k;
  for (int64_t f = 0; f < g.F; ++f)
    for (int64_t i = 0; i < r; ++i) {
      float* dst = out + (f * s.R + i) * s.Wp;
      const int64_t h = oh0 + i, pr = h / k;
      if (pr >= OHp) {  // a row below the last window
        std::fill(dst, dst + s.Wp, 0.f);
        continue;
      }
      const int64_t at = ((n * g.F + f) * OHp + pr) * OWp;
      if (k == 2 && h % 2 == 0 && i + 1 < r) {  // both rows of the windows, in one pass
        unpool_row_pair(gp + at, pool.codes + at, OWp, dst, dst + s.Wp, s.Wp, pool.act.on,
                        pool.act.slope);
        ++i;
        continue;
      }
      unpool_row(gp + at, pool.codes + at, OWp, k, h - pr * k, dst, s.Wp, pool.act.on,
                 pool.act.slope);
    }
}

// A band's gy rows: from gy itself, or from a pool's gradient.
void band_gy(const ConvParams& g, const Shift& s, const float* gy, const ConvPool* pool, int64_t n,
             int64_t oh0, int64_t r, float* out) {
  if (pool)
    widen_pooled(g, s, *pool, gy, n, oh0, r, out);
  else
    widen_gy(g, s, gy + n * g.F * g.P(), oh0, r, out);
}

// What band_gy and x_rows read for item i (image, band) of dW's channels [c0, c0 + cc): the
// gradient's rows (or the pool's gradient and codes) and x's rows, for taps_dW_add to prefetch
// while it works on the item before.
void band_inputs(const ConvParams& g, const Shift& s, const float* gy, const ConvPool* pool,
                 const float* x, int64_t i, int64_t c0, int64_t cc, Prefetch& out) {
  const int64_t n = i / s.bands, j = i % s.bands, oh0 = s.oh0(j), r = s.rows(g, j);
  for (int64_t f = 0; f < g.F; ++f) {
    if (!pool) {
      out.add(gy + n * g.F * g.P() + (f * g.OH + oh0) * g.OW, r * g.OW * 4);
      continue;
    }
    const int64_t k = pool->k, OHp = g.OH / k, OWp = g.OW / k;
    const int64_t pr0 = oh0 / k, pr1 = std::min(OHp, (oh0 + r - 1) / k + 1);
    if (pr1 <= pr0) continue;
    const int64_t at = ((n * g.F + f) * OHp + pr0) * OWp;
    out.add(gy + at, (pr1 - pr0) * OWp * 4);
    out.add(pool->codes + at, (pr1 - pr0) * OWp);
  }
  const int64_t h0 = std::max<int64_t>(0, oh0 - g.pad),
                h1 = std::min<int64_t>(g.H, oh0 + r + g.KH - 1 - g.pad);
  for (int64_t c = c0; c < c0 + cc && h1 > h0; ++c)
    out.add(x + ((n * g.C + c) * g.H + h0) * g.W, (h1 - h0) * g.W * 4);
}

// out (c1 - c0, rows, Wp) = rows [row0, row0 + rows) of channels [c0, c1) of image x_n padded.
void pad_x_rows(const ConvParams& g, const Shift& s, const float* x_n, int64_t c0, int64_t c1,
                int64_t row0, int64_t rows, float* out) {
  for (int64_t c = c0; c < c1; ++c)
    for (int64_t i = 0; i < rows; ++i) {
      float* dst = out + ((c - c0) * rows + i) * s.Wp;
      const int64_t h = row0 + i - g.pad;
      if (h < 0 || h >= g.H) {
        std::fill(dst, dst + s.Wp, 0.f);
        continue;
      }
      const float* src = x_n + (c * g.H + h) * g.W;
      std::fill(dst, dst + g.pad, 0.f);
      std::copy(src, src + g.W, dst + g.pad);
      std::fill(dst + g.pad + g.W, dst + s.Wp, 0.f);
    }
}

// Rows [oh0, oh0 + r + KH - 1) of channels [c0, c1) of image x_n, padded, as a matrix of rows
// of Wp: x_n itself when there is no padding, else a copy into buf.
struct XRows {
  const float* data;
  int64_t ld;  // between channels
};
XRows x_rows(const ConvParams& g, const Shift& s, const float* x_n, int64_t c0, int64_t c1,
             int64_t oh0, int64_t r, float* buf) {
  if (!s.padded) return {x_n + c0 * g.H * g.W + oh0 * g.W, g.H * g.W};
  pad_x_rows(g, s, x_n, c0, c1, oh0, r + g.KH - 1, buf);
  return {buf, (r + g.KH - 1) * s.Wp};
}

// The rows of the taps of channels [0, cc) of a band read as xr: rows[c * KK + kh * KW + kw]
// starts at channel c's row kh, column kw, in the order of W's and dW's (C, KH, KW) axes. The tap
// loops (conv_taps.h) run instead of gemm for the forward pass with at most kTapsMaxFwdC
// channels, and for dW with at most kTapsMaxC per channel block.
std::vector<const float*> tap_rows(const ConvParams& g, const Shift& s, int64_t cc,
                                   const XRows& xr) {
  std::vector<const float*> rows(static_cast<size_t>(cc * s.KK));
  for (int64_t c = 0; c < cc; ++c)
    for (int64_t kh = 0; kh < g.KH; ++kh)
      for (int64_t kw = 0; kw < g.KW; ++kw)
        rows[static_cast<size_t>((c * g.KH + kh) * g.KW + kw)] =
            xr.data + c * xr.ld + kh * s.Wp + kw;
  return rows;
}

// Floats of one thread's dW partial sums and their totals when the tap loops run, else 0: for
// the taps of a channel block and one more, the row of ones whose sums are db.
int64_t taps_floats(const ConvParams& g, const Shift& s) {
  if (s.chans > kTapsMaxC) return 0;
  const int64_t T = s.chans * s.KK + 1;
  return taps_dW_floats(g.F, T) + g.F * T;
}

// Wt (KK, F, C) = W (F, C, KK) with its axes moved: Wt[k] is the (F, C) matrix of offset k.
void move_kernel_axis(const ConvParams& g, const float* W, float* Wt) {
  const int64_t F = g.F, C = g.C, KK = g.KH * g.KW;
  parallel_for(F, grain_for(g.K()), [&](int64_t f0, int64_t f1) {
    for (int64_t f = f0; f < f1; ++f)
      for (int64_t c = 0; c < C; ++c)
        for (int64_t k = 0; k < KK; ++k) Wt[(k * F + f) * C + c] = W[(f * C + c) * KK + k];
  });
}

// The forward pass's last step with a pool: the band yb (F, R, Wp) of image n, rows [oh0,
// oh0 + r) with oh0 a multiple of k, plus the bias (as y would get it), is pooled into the output
// rows [oh0 / k, (oh0 + r) / k), with the winners' codes, and through the leaky ReLU if any.
void pool_band(const ConvParams& g, const Shift& s, const ConvPool& pool, const float* b, int64_t n,
               int64_t oh0, int64_t r, const float* yb, float* yp) {
  const int64_t k = pool.k, OHp = g.OH / k, OWp = g.OW / k;
  const int64_t rows = std::min(r / k, OHp - oh0 / k);
  for (int64_t f = 0; f < g.F; ++f) {
    const int64_t at = ((n * g.F + f) * OHp + oh0 / k) * OWp;
    max_pool2d_codes(yb + f * s.R * s.Wp, s.Wp, k, rows, OWp, b ? b[f] : 0.f, yp + at,
                     pool.codes + at, pool.act);
  }
}

}  // namespace

bool conv_shift_applies(const ConvParams& g) {
  return g.stride == 1 && !g.is_1x1() && g.N > 0 && g.F > 0 && g.C > 0 && g.OH > 0 && g.OW > 0;
}

// Forward: the moved-axes weights (only for the gemms) and each thread's band.
int64_t conv_shift_forward_workspace(const ConvParams& g, int64_t pool_k) {
  const int64_t Wt = g.C > kTapsMaxFwdC ? g.F * g.K() : 0;
  return Wt + max_threads() * band_floats(g, make_shift(g, Pass::Forward, pool_k), Pass::Forward);
}

// dW: each (group, block)'s acc, each group's db, a row of ones, and each thread's buffers.
int64_t conv_shift_dW_workspace(const ConvParams& g) {
  const Shift s = make_shift(g, Pass::dW);
  return s.groups * s.blocks * s.KK * g.F * s.chans + s.groups * g.F + s.R * s.Wp +
         max_threads() * (band_floats(g, s, Pass::dW) + taps_floats(g, s));
}

int64_t conv_shift_dx_workspace(const ConvParams& g) {
  const Shift s = make_shift(g, Pass::dx);
  return g.F * g.K() + max_threads() * band_floats(g, s, Pass::dx);
}

// Items (image, band): y's band (F, r, Wp) = sum over offsets of Wt[k] (F, C) times x's band at
// that offset, in a widened band, copied out with the bias.
void conv_shift_forward(const ConvParams& g, const float* x, const float* W, const float* b,
                        float* y, float* ws, const ConvPool* pool) {
  const Shift s = make_shift(g, Pass::Forward, pool ? pool->k : 1);
  const int64_t F = g.F, C = g.C, band = band_floats(g, s, Pass::Forward);
  const bool taps = C <= kTapsMaxFwdC;
  float* Wt = ws;
  float* buffers = taps ? ws : ws + F * g.K();
  if (!taps) move_kernel_axis(g, W, Wt);
  parallel_items(g.N * s.bands, [&](int64_t item, int slot) {
    const int64_t n = item / s.bands, j = item % s.bands, oh0 = s.oh0(j), r = s.rows(g, j);
    float* yb = buffers + slot * band;  // (F, R, Wp)
    float* xb = yb + F * s.R * s.Wp;
    const XRows xr = x_rows(g, s, x + n * C * g.H * g.W, 0, C, oh0, r, xb);
    if (taps)  // W's (F, C, KH, KW) layout is the taps' (F, T)
      taps_forward(F, C * s.KK, s.L(g, r), W, tap_rows(g, s, C, xr).data(), yb, s.R * s.Wp);
    else
      for (int64_t kh = 0; kh < g.KH; ++kh)
        for (int64_t kw = 0; kw < g.KW; ++kw) {
          const int64_t k = kh * g.KW + kw;
          gemm(false, false, F, s.L(g, r), C, 1.f, Wt + k * F * C, C, xr.data + kh * s.Wp + kw,
               xr.ld, k == 0 ? 0.f : 1.f, yb, s.R * s.Wp);
        }
    if (pool) return pool_band(g, s, *pool, b, n, oh0, r, yb, y);
    for (int64_t f = 0; f < F; ++f) {
      const float bias = b ? b[f] : 0.f;
      for (int64_t i = 0; i < r; ++i) {
        const float* src = yb + (f * s.R + i) * s.Wp;
        float* dst = y + ((n * F + f) * g.OH + oh0 + i) * g.OW;
        for (int64_t w = 0; w < g.OW; ++w) dst[w] = src[w] + bias;
      }
    }
  });
}

// Items (group q, channel block b): group q sums the (image, band) items q, q + groups, ... in
// that order into acc (KK, F, chans) for its block, and block 0 also sums db into the group's
// dbq (F): a band's gy rows times a row of ones, one more tap for the tap loops, one more gemm
// otherwise. The accs and dbqs are then added up in group order.
void conv_shift_dW(const ConvParams& g, const float* x, const float* gy, float* dW, float* db,
                   float* ws, const ConvPool* pool) {
  const Shift s = make_shift(g, Pass::dW);
  const int64_t F = g.F, C = g.C, KK = s.KK, acc_floats = KK * F * s.chans;
  const int64_t items = g.N * s.bands, band = band_floats(g, s, Pass::dW) + taps_floats(g, s);
  const bool taps = s.chans <= kTapsMaxC;
  float* accs = ws;  // (groups, blocks) accs of acc_floats each
  float* dbqs = accs + s.groups * s.blocks * acc_floats;  // (groups, F)
  float* ones = dbqs + s.groups * F;                      // R * Wp
  float* buffers = ones + s.R * s.Wp;
  std::fill(ones, buffers, 1.f);
  parallel_items(s.groups * s.blocks, [&](int64_t item, int slot) {
    const int64_t q = item / s.blocks, b = item % s.blocks;
    const int64_t c0 = b * s.chans, cc = std::min(s.chans, C - c0);
    const bool sum_db = db && b == 0;
    const int64_t T = cc * KK + (sum_db ? 1 : 0);  // the tap loops' rows
    float* acc = accs + item * acc_floats;
    float* dbq = dbqs + q * F;
    float* gyb = buffers + slot * band;
    float* xb = gyb + F * s.R * s.Wp;
    // The tap loops' partial sums (F, T, 8), then their totals (F, T).
    float* part = taps ? gyb + band_floats(g, s, Pass::dW) : nullptr;
    float* sums = taps ? part + taps_dW_floats(F, T) : nullptr;
    std::fill(acc, acc + acc_floats, 0.f);
    if (sum_db) std::fill(dbq, dbq + F, 0.f);
    if (taps) std::fill(part, sums, 0.f);
    Prefetch next;  // the next item's inputs
    for (int64_t i = q; i < items; i += s.groups) {
      const int64_t n = i / s.bands, j = i % s.bands, oh0 = s.oh0(j), r = s.rows(g, j);
      band_gy(g, s, gy, pool, n, oh0, r, gyb);
      const XRows xr = x_rows(g, s, x + n * C * g.H * g.W, c0, c0 + cc, oh0, r, xb);
      if (taps) {
        std::vector<const float*> rows = tap_rows(g, s, cc, xr);
        if (sum_db) rows.push_back(ones);
        next.clear();
        if (i + s.groups < items) band_inputs(g, s, gy, pool, x, i + s.groups, c0, cc, next);
        taps_dW_add(F, T, s.L(g, r), gyb, s.R * s.Wp, rows.data(), part, &next, sum_db);
        continue;
      }
      for (int64_t kh = 0; kh < g.KH; ++kh)
        for (int64_t kw = 0; kw < g.KW; ++kw)
          gemm(false, true, F, cc, s.L(g, r), 1.f, gyb, s.R * s.Wp, xr.data + kh * s.Wp + kw, xr.ld,
               1.f, acc + (kh * g.KW + kw) * F * cc, cc);
      if (sum_db)
        gemm(false, true, F, 1, s.L(g, r), 1.f, gyb, s.R * s.Wp, ones, s.R * s.Wp, 1.f, dbq, 1);
    }
    if (!taps) return;
    taps_dW_finish(F, T, part, sums);  // sums (F, T): (F, cc, KK) into acc (KK, F, cc), db
    for (int64_t f = 0; f < F; ++f) {
      for (int64_t c = 0; c < cc; ++c)
        for (int64_t k = 0; k < KK; ++k) acc[(k * F + f) * cc + c] = sums[f * T + c * KK + k];
      if (sum_db) dbq[f] = sums[f * T + cc * KK];
    }
  });
  parallel_for(F, grain_for(g.K() * s.groups), [&](int64_t f0, int64_t f1) {
    for (int64_t f = f0; f < f1; ++f) {
      for (int64_t c = 0; c < C; ++c) {
        const int64_t b = c / s.chans, cc = std::min(s.chans, C - b * s.chans);
        for (int64_t k = 0; k < KK; ++k) {
          const int64_t at = (k * F + f) * cc + (c - b * s.chans);
          float sum = 0.f;
          for (int64_t q = 0; q < s.groups; ++q) sum += accs[(q * s.blocks + b) * acc_floats + at];
          dW[(f * C + c) * KK + k] = sum;
        }
      }
      if (!db) continue;
      float sum = 0.f;
      for (int64_t q = 0; q < s.groups; ++q) sum += dbqs[q * F + f];
      db[f] = sum;
    }
  });
}

// Items (image, channel block): the block's dx (in a padded plane when pad > 0) summed band by
// band, then copied out without the padding.
void conv_shift_dx(const ConvParams& g, const float* W, const float* gy, float* dx, float* ws,
                   const ConvPool* pool) {
  const Shift s = make_shift(g, Pass::dx);
  const int64_t F = g.F, C = g.C, K = g.K(), band = band_floats(g, s, Pass::dx);
  float* Wt = ws;
  float* buffers = ws + F * K;
  move_kernel_axis(g, W, Wt);
  parallel_items(g.N * s.blocks, [&](int64_t item, int slot) {
    const int64_t n = item / s.blocks, c0 = (item % s.blocks) * s.chans;
    const int64_t cc = std::min(s.chans, C - c0);
    float* gyb = buffers + slot * band;
    float* d = dx + (n * C + c0) * g.H * g.W;  // unpadded: summed in dx itself
    int64_t ldd = g.H * g.W;
    if (s.padded) {
      d = gyb + F * s.R * s.Wp;
      ldd = s.Hp * s.Wp;
    }
    for (int64_t c = 0; c < cc; ++c) std::fill(d + c * ldd, d + c * ldd + s.Hp * s.Wp, 0.f);
    for (int64_t j = 0; j < s.bands; ++j) {
      const int64_t oh0 = s.oh0(j), r = s.rows(g, j);
      band_gy(g, s, gy, pool, n, oh0, r, gyb);
      for (int64_t kh = 0; kh < g.KH; ++kh)
        for (int64_t kw = 0; kw < g.KW; ++kw)
          gemm(true, false, cc, s.L(g, r), F, 1.f, Wt + (kh * g.KW + kw) * F * C + c0, C, gyb,
               s.R * s.Wp, 1.f, d + (oh0 + kh) * s.Wp + kw, ldd);
    }
    if (s.padded)
      for (int64_t c = 0; c < cc; ++c)
        for (int64_t h = 0; h < g.H; ++h) {
          const float* src = d + c * ldd + (h + g.pad) * s.Wp + g.pad;
          std::copy(src, src + g.W, dx + ((n * C + c0 + c) * g.H + h) * g.W);
        }
  });
}

}  // namespace minidl::cpu
