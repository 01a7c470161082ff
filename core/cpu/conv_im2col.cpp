// The im2col kernels of conv2d (see conv_im2col.h), and the whole-image im2col / col2im of
// core/cpu/kernels.h. im2col unrolls the receptive fields of an image into the columns of a
// matrix, so that a convolution is a gemm; col2im is its adjoint (scatter-add). Per span s of
// the col matrices (conv_plan.h):
//   forward: y[:, s] = b 1^T + W (F, K) col[:, s] (K, width)      (1x1: col is the image itself)
//   dW (F, K)       += gy[:, s] (F, width) col[:, s]^T (width, K)
//   dx              += col2im(W^T (K, F) gy[:, s] (F, width))
#include "core/cpu/conv_im2col.h"

#include <algorithm>

#include "core/cpu/kernels.h"
#include "core/cpu/parallel.h"

namespace minidl::cpu {

namespace {

// ceil(a / s) for s > 0, and 0 for a <= 0.
int64_t ceil_pos(int64_t a, int64_t s) { return a <= 0 ? 0 : (a + s - 1) / s; }

// The output columns [lo, hi) whose input column ow * stride - pad + kw lies in [0, W); the others
// read the padding. One pair per row r of a col matrix (the divisions stay out of the loops over
// its runs, which clamp it to their own columns).
struct ValidCols {
  int64_t lo, hi;
  ValidCols(const ConvParams& g, int64_t kw)
      : lo(std::min(g.OW, ceil_pos(g.pad - kw, g.stride))),
        hi(std::max(lo, std::min(g.OW, ceil_pos(g.W + g.pad - kw, g.stride)))) {}
  // [lo, hi) within the run [ow0, ow1) (empty: lo == hi).
  void clamp(int64_t ow0, int64_t ow1, int64_t& l, int64_t& h) const {
    l = std::clamp(lo, ow0, ow1);
    h = std::clamp(hi, l, ow1);
  }
};

// Calls fn(oh, ow0, ow1, offset) for each run of columns [p0, p0 + pc) of a col matrix that lies
// in one output row oh (columns ow0..ow1-1 of it); offset = the run's first column - p0. Only the
// first run needs a division: the next ones start at column 0 of the next row.
template <class Fn>
void for_each_row_run(const ConvParams& g, int64_t p0, int64_t pc, Fn&& fn) {
  int64_t oh = p0 / g.OW, ow0 = p0 - oh * g.OW;
  for (int64_t off = 0; off < pc; ++oh, ow0 = 0) {
    const int64_t ow1 = std::min(g.OW, ow0 + (pc - off));
    fn(oh, ow0, ow1, off);
    off += ow1 - ow0;
  }
}

// out ((r1 - r0), pc; row stride ld) = rows [r0, r1), columns [p0, p0 + pc) of image x's col
// matrix (see im2col).
void im2col_tile(const ConvParams& g, const float* x, int64_t r0, int64_t r1, int64_t p0,
                 int64_t pc, float* out, int64_t ld) {
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t c = r / (g.KH * g.KW), kh = (r / g.KW) % g.KH, kw = r % g.KW;
    const float* x_c = x + c * g.H * g.W;
    float* o_r = out + (r - r0) * ld;
    const ValidCols valid(g, kw);
    for_each_row_run(g, p0, pc, [&](int64_t oh, int64_t ow0, int64_t ow1, int64_t off) {
      float* o = o_r + off - ow0;  // o[ow] for ow in [ow0, ow1)
      const int64_t h = oh * g.stride - g.pad + kh;
      if (h < 0 || h >= g.H) {
        std::fill(o + ow0, o + ow1, 0.f);
        return;
      }
      int64_t lo, hi;
      valid.clamp(ow0, ow1, lo, hi);
      std::fill(o + ow0, o + lo, 0.f);
      const float* x_h = x_c + h * g.W - g.pad + kw;  // x_h[ow * stride] = x[c, h, w]
      if (g.stride == 1)
        std::copy(x_h + lo, x_h + hi, o + lo);
      else
        for (int64_t ow = lo; ow < hi; ++ow) o[ow] = x_h[ow * g.stride];
      std::fill(o + hi, o + ow1, 0.f);
    });
  }
}

// The adjoint of im2col_tile: dx += the scatter of col ((r1 - r0), pc; row stride ld), rows
// [r0, r1) and columns [p0, p0 + pc) of image dx's col matrix.
void col2im_tile(const ConvParams& g, const float* col, int64_t r0, int64_t r1, int64_t p0,
                 int64_t pc, float* dx, int64_t ld) {
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t c = r / (g.KH * g.KW), kh = (r / g.KW) % g.KH, kw = r % g.KW;
    float* dx_c = dx + c * g.H * g.W;
    const float* i_r = col + (r - r0) * ld;
    const ValidCols valid(g, kw);
    for_each_row_run(g, p0, pc, [&](int64_t oh, int64_t ow0, int64_t ow1, int64_t off) {
      const int64_t h = oh * g.stride - g.pad + kh;
      if (h < 0 || h >= g.H) return;
      int64_t lo, hi;
      valid.clamp(ow0, ow1, lo, hi);
      const float* in = i_r + off - ow0;
      float* d_h = dx_c + h * g.W - g.pad + kw;
      if (g.stride == 1)
        for (int64_t ow = lo; ow < hi; ++ow) d_h[ow] += in[ow];
      else
        for (int64_t ow = lo; ow < hi; ++ow) d_h[ow * g.stride] += in[ow];
    });
  }
}

// Rows [r0, r1) of span s of the col matrices into out (r1 - r0, s.width()).
void im2col_span(const ConvParams& g, const float* x, const Span& s, int64_t r0, int64_t r1,
                 float* out) {
  const int64_t xsize = g.C * g.H * g.W;
  for (int64_t i = 0; i < s.ng; ++i)
    im2col_tile(g, x + (s.n0 + i) * xsize, r0, r1, s.p0, s.pc, out + i * s.pc, s.width());
}

// gy's columns of span s as one (F, s.width()) matrix: gy itself (row stride P) for a tile of one
// image, else a copy into buf.
const float* gy_span(const ConvParams& g, const float* gy, const Span& s, float* buf, int64_t& ld) {
  const int64_t F = g.F, P = g.P();
  ld = P;
  if (s.ng == 1) return gy + s.n0 * F * P + s.p0;
  ld = s.width();
  for (int64_t i = 0; i < s.ng; ++i)
    for (int64_t f = 0; f < F; ++f) {
      const float* src = gy + ((s.n0 + i) * F + f) * P;
      std::copy(src, src + P, buf + f * ld + i * P);
    }
  return buf;
}

// dW[:, r0:r1] (+)= gy[:, span] (F, width) col[r0:r1, span]^T; written when `first`, else added.
// scratch: span_slot floats.
void dW_span(const ConvParams& g, const float* x, const float* gy, const Span& s, int64_t r0,
             int64_t r1, float* scratch, bool first, float* dW) {
  const int64_t P = g.P();
  const float* c = x + s.n0 * g.C * P + r0 * P + s.p0;  // 1x1: rows of the image itself
  int64_t ldc = P;
  if (!g.is_1x1()) {
    im2col_span(g, x, s, r0, r1, scratch);
    c = scratch;
    ldc = s.width();
  }
  int64_t ldg;  // 1x1 spans are single images: gy is read in place and no scratch is given
  float* gy_buf = g.is_1x1() ? nullptr : scratch + (r1 - r0) * s.width();
  const float* gs = gy_span(g, gy, s, gy_buf, ldg);
  gemm(false, true, g.F, r1 - r0, s.width(), 1.f, gs, ldg, c, ldc, first ? 0.f : 1.f, dW + r0,
       g.K());
}

}  // namespace

// ---- forward ------------------------------------------------------------------------------------
// The bias is written first and gemm adds to it (beta = 1); a span of several images is
// multiplied into scratch and copied out with the bias.

void conv_im2col_forward(const ConvParams& g, const ForwardPlan& f, const float* x, const float* W,
                         const float* b, float* y, float* ws) {
  const int64_t F = g.F, K = g.K(), P = g.P();
  const int64_t nf = f.filters.count, ns = f.spans.count(g.N), colsize = K * f.spans.max_width();
  if (f.shared_col) {  // every span's col matrix, in blocks of rows: span i's at ws + i * colsize
    const Blocks rows = split(K, ceil_div(max_threads(), ns));
    parallel_items(ns * rows.count, [&](int64_t item, int) {
      const int64_t i = item / rows.count, r0 = (item % rows.count) * rows.size;
      const Span s = f.spans.at(i, g.N, P);
      im2col_span(g, x, s, r0, std::min(K, r0 + rows.size), ws + i * colsize + r0 * s.width());
    });
  }
  parallel_items(ns * nf, [&](int64_t item, int slot) {
    const Span s = f.spans.at(item / nf, g.N, P);
    const int64_t f0 = (item % nf) * f.filters.size, fc = std::min(f.filters.size, F - f0);
    const float* col = x + s.n0 * g.C * P + s.p0;  // 1x1: the image is the col matrix (stride P)
    int64_t ldcol = P;
    if (f.shared_col) {
      col = ws + (item / nf) * colsize;
      ldcol = s.width();
    } else if (!g.is_1x1()) {
      col = ws + slot * f.slot;
      ldcol = s.width();
      im2col_span(g, x, s, 0, K, ws + slot * f.slot);
    }
    if (s.ng == 1) {
      float* y_t = y + s.n0 * F * P + f0 * P + s.p0;
      if (b)
        for (int64_t i = 0; i < fc; ++i) std::fill(y_t + i * P, y_t + i * P + s.pc, b[f0 + i]);
      gemm(false, false, fc, s.pc, K, 1.f, W + f0 * K, K, col, ldcol, b ? 1.f : 0.f, y_t, P);
      return;
    }
    float* out = ws + slot * f.slot + K * f.spans.max_width();  // (fc, width)
    gemm(false, false, fc, s.width(), K, 1.f, W + f0 * K, K, col, ldcol, 0.f, out, s.width());
    for (int64_t i = 0; i < s.ng; ++i)
      for (int64_t r = 0; r < fc; ++r) {
        const float* src = out + r * s.width() + i * P;
        float* dst = y + ((s.n0 + i) * F + f0 + r) * P;
        const float bias = b ? b[f0 + r] : 0.f;
        for (int64_t p = 0; p < P; ++p) dst[p] = src[p] + bias;
      }
  });
}

// ---- backward -----------------------------------------------------------------------------------

void conv_im2col_dW(const ConvParams& g, const BackwardPlan& plan, const float* x, const float* gy,
                    float* dW, float* ws) {
  const int64_t N = g.N, F = g.F, K = g.K(), P = g.P(), T = max_threads();
  if (plan.dW_by_spans) {
    // Group q of the G groups holds spans q, q + G, ... and adds them, in that order, into its own
    // copy of dW (dW itself for q = 0); the copies are then added in group order. Whichever thread
    // runs a group, the sums are the same.
    const int64_t items = plan.w_spans.count(N), G = std::min(T, items);
    float* accs = ws + T * plan.w_slot;
    std::fill(dW, dW + F * K, 0.f);
    std::fill(accs, accs + (G - 1) * F * K, 0.f);
    parallel_items(G, [&](int64_t q, int) {
      float* acc = q == 0 ? dW : accs + (q - 1) * F * K;
      for (int64_t i = q; i < items; i += G)
        dW_span(g, x, gy, plan.w_spans.at(i, N, P), 0, K, ws + q * plan.w_slot, false, acc);
    });
    if (G > 1)
      parallel_for(F * K, kParallelMin, [&](int64_t i0, int64_t i1) {
        for (int64_t q = 1; q < G; ++q) {
          const float* acc = accs + (q - 1) * F * K;
          for (int64_t i = i0; i < i1; ++i) dW[i] += acc[i];
        }
      });
  } else {
    parallel_items(plan.w_rows.count, [&](int64_t item, int slot) {
      const int64_t r0 = item * plan.w_rows.size, r1 = std::min(K, r0 + plan.w_rows.size);
      for (int64_t i = 0; i < plan.w_spans.count(N); ++i)
        dW_span(g, x, gy, plan.w_spans.at(i, N, P), r0, r1, ws + slot * plan.w_slot, i == 0, dW);
    });
  }
}

void conv_im2col_dx(const ConvParams& g, const BackwardPlan& plan, const float* W, const float* gy,
                    float* dx, float* ws) {
  const int64_t N = g.N, F = g.F, K = g.K(), P = g.P(), KK = g.KH * g.KW, xsize = g.C * g.H * g.W;
  // Items (span of whole images or one image, block of channels); a one-image item runs over
  // that image's tiles.
  const Spans& t = plan.x_spans;
  const int64_t nc = plan.x_chans.count, units = t.group > 1 ? t.count(N) : N;
  parallel_items(units * nc, [&](int64_t item, int slot) {
    const int64_t u = item / nc, c0 = (item % nc) * plan.x_chans.size;
    const int64_t c1 = std::min(g.C, c0 + plan.x_chans.size), r0 = c0 * KK, r1 = c1 * KK;
    const int64_t n0 = t.group > 1 ? u * t.group : u;
    const int64_t ng = t.group > 1 ? std::min(t.group, N - n0) : 1;
    if (g.is_1x1()) {  // dx_n[c0:c1] = W[:, c0:c1]^T gy_n
      gemm(true, false, r1 - r0, P, F, 1.f, W + r0, K, gy + n0 * F * P, P, 0.f,
           dx + n0 * xsize + r0 * P, P);
      return;
    }
    for (int64_t n = n0; n < n0 + ng; ++n)
      std::fill(dx + n * xsize + c0 * g.H * g.W, dx + n * xsize + c1 * g.H * g.W, 0.f);
    float* col = ws + slot * plan.x_slot;
    const int64_t parts = t.group > 1 ? 1 : t.per_image;
    for (int64_t j = 0; j < parts; ++j) {
      const Span s = t.group > 1 ? Span{n0, ng, 0, P} : t.at(j, 1, P);
      const Span sn{n0, ng, s.p0, s.pc};
      int64_t ldg;
      const float* gs = gy_span(g, gy, sn, col + (r1 - r0) * sn.width(), ldg);
      gemm(true, false, r1 - r0, sn.width(), F, 1.f, W + r0, K, gs, ldg, 0.f, col, sn.width());
      for (int64_t i = 0; i < ng; ++i)
        col2im_tile(g, col + i * sn.pc, r0, r1, sn.p0, sn.pc, dx + (n0 + i) * xsize, sn.width());
    }
  });
}

// ---- whole-image im2col / col2im ----------------------------------------------------------------

// col[r, p] with r = (c * KH + kh) * KW + kw and p = oh * OW + ow holds
//   x[c, oh * stride - pad + kh, ow * stride - pad + kw]   (0 where that lies in the padding).
void im2col(const float* x, int64_t C, int64_t H, int64_t W, int64_t KH, int64_t KW, int64_t stride,
            int64_t pad, int64_t OH, int64_t OW, float* col) {
  const ConvParams g{1, C, H, W, 0, KH, KW, OH, OW, stride, pad};
  const int64_t R = C * KH * KW, P = OH * OW;
  parallel_for(R, grain_for(P),
               [&](int64_t r0, int64_t r1) { im2col_tile(g, x, r0, r1, 0, P, col + r0 * P, P); });
}

// The adjoint of im2col: every col[r, p] is added back to the x position it was read from;
// entries that came from the padding are dropped. Channels own disjoint planes of dx, so the
// parallel loop runs over channels.
void col2im(const float* col, int64_t C, int64_t H, int64_t W, int64_t KH, int64_t KW,
            int64_t stride, int64_t pad, int64_t OH, int64_t OW, float* dx) {
  const ConvParams g{1, C, H, W, 0, KH, KW, OH, OW, stride, pad};
  const int64_t KK = KH * KW, P = OH * OW;
  parallel_for(C, grain_for(KK * P), [&](int64_t c0, int64_t c1) {
    col2im_tile(g, col + c0 * KK * P, c0 * KK, c1 * KK, 0, P, dx, P);
  });
}

}  // namespace minidl::cpu
