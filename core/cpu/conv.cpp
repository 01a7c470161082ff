// CPU kernels for convolution. im2col unrolls the receptive fields of an image into the columns of
// a matrix, so that a convolution is a gemm, and col2im is its adjoint (scatter-add). The fast
// kernels cut each op into spans of columns (a tile of one image, or several whole small images
// side by side) or blocks of rows, that one thread unrolls and multiplies with a one-thread gemm
// while the span is still in cache; conv_reference.cpp has the plain per-image loop the tests
// compare them with.
#include <algorithm>
#include <numeric>

#include "core/cpu/conv_shift.h"
#include "core/cpu/kernels.h"
#include "core/cpu/parallel.h"
#include "core/cpu/simd.h"

namespace minidl::cpu {

namespace {

// Below this many elements, threads cost more than they give.
constexpr int64_t kParallelMin = 1 << 15;
// A thread's col tile holds about this many floats (4 MB), but never fewer than kWideCols columns
// (narrower gemm calls spend their time re-packing W)...
constexpr int64_t kTileFloats = 1 << 20;
constexpr int64_t kWideCols = 512;
// ...and tiles cut only to give every thread work stay at least this wide.
constexpr int64_t kMinCols = 64;
// 1x1 convolutions with at most this many input channels skip gemm (see conv1x1_shallow; with
// 6 or 8 channels, measured on 64x64 and 224x224 images, gemm is the faster again)...
constexpr int64_t kShallowK = 4;
// ...and write y in blocks of this many columns of a row (4 KB, in L1 while they are summed).
constexpr int64_t kShallowCols = 1024;
// A stride-1 convolution with at least kShiftMinC input channels and at most kShiftMaxFC input
// plus output channels uses conv_shift.h (no im2col): measured with 2 threads on the humble and
// tiny layers with so few channels, its backward runs at 1.2-2.4x the speed of the kernels here
// (dx and dW alike) and its forward at 1.0-1.8x; with 96 or more channels, or one input channel
// and a 5x5 kernel, the kernels here were the faster.
constexpr int64_t kShiftMinC = 3, kShiftMaxFC = 48;

bool use_shift(const ConvParams& g) {
  return conv_shift_applies(g) && g.C >= kShiftMinC && g.F + g.C <= kShiftMaxFC;
}
int64_t round_up(int64_t a, int64_t m) { return ceil_div(a, m) * m; }
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

// The sum of x[0..n): eight float partial sums (which the compiler keeps in vector registers),
// added in double at the end.
double row_sum(const float* x, int64_t n) {
  float part[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) part[k] += x[i + k];
  double s = 0;
  for (int k = 0; k < 8; ++k) s += part[k];
  for (; i < n; ++i) s += x[i];
  return s;
}

// A span of the batch's col matrices: images [n0, n0 + ng), columns [p0, p0 + pc) of each, side by
// side (image n0 + i at columns i * pc of the span): either a tile of one image (ng = 1) or, when
// one image has few columns (the late layers), several whole images, so that each gemm is wide.
struct Span {
  int64_t n0, ng, p0, pc;
  int64_t width() const { return ng * pc; }
};

// How the batch is cut into spans: `group` whole images per span, or (group = 1) `per_image`
// tiles of `cols` columns per image.
struct Spans {
  int64_t group = 1, per_image = 1, cols = 1;
  int64_t count(int64_t N) const { return group > 1 ? ceil_div(N, group) : N * per_image; }
  Span at(int64_t i, int64_t N, int64_t P) const {
    if (group > 1) return {i * group, std::min(group, N - i * group), 0, P};
    const int64_t j = i % per_image;
    return {i / per_image, 1, j * cols, std::min(cols, P - j * cols)};
  }
  int64_t max_width() const { return group * cols; }
};

// Spans of at most kTileFloats floats for `rows` rows (but kWideCols wide), cut finer when the
// batch has fewer images than threads, so that the count is a multiple of the T threads when
// possible; images with fewer than kWideCols columns are grouped (when `group` allows it).
Spans make_spans(int64_t N, int64_t P, int64_t rows, int64_t T, bool memory_bound, bool group) {
  Spans t;
  if (group && N > 1 && P < kWideCols) {
    int64_t spans = ceil_div(N, ceil_div(kWideCols, P));
    if (spans < N) spans = std::min(N, round_up(spans, T));
    t.group = ceil_div(N, spans);
    if (t.group > 1) {
      t.cols = P;
      return t;
    }
  }
  t.per_image =
      memory_bound ? ceil_div(P, std::max(kWideCols, kTileFloats / std::max<int64_t>(rows, 1))) : 1;
  if ((N * t.per_image) % T != 0 && N * t.per_image < 4 * T) {
    const int64_t finer = round_up(t.per_image, T / std::gcd(N, T));
    t.per_image = std::max(t.per_image, std::min(finer, P / kMinCols));
  }
  t.cols = ceil_div(P, t.per_image);
  t.per_image = ceil_div(P, t.cols);
  return t;
}

// An even split of n things into `blocks` blocks: block i is [i * size, i * size + size) ∩ [0, n).
struct Blocks {
  int64_t count = 1, size = 1;
};
Blocks split(int64_t n, int64_t blocks) {
  Blocks b;
  b.size = ceil_div(n, std::max<int64_t>(1, std::min(blocks, n)));
  b.count = ceil_div(n, b.size);
  return b;
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

// Forward: items (span, block of filters), each an im2col of the span and one gemm. Filters are
// split only when there are fewer spans than threads (one image with few columns, late in a
// network); the threads would then each unroll the same span, so when the spans are tiles of one
// image (shared_col) every span is unrolled once, by all the threads, into one shared col matrix
// before the gemms.
struct ForwardPlan {
  Spans spans;
  Blocks filters;
  bool shared_col = false;
  int64_t slot = 0;  // workspace floats per thread: the span's col matrix (+ its output if grouped)
  int64_t workspace(const ConvParams& g, int64_t T) const {
    return shared_col ? spans.count(g.N) * g.K() * spans.max_width() : T * slot;
  }
};

ForwardPlan forward_plan(const ConvParams& g) {
  const int64_t T = max_threads(), K = g.K();
  ForwardPlan f;
  f.spans = make_spans(g.N, g.P(), K, T, !g.is_1x1(), !g.is_1x1());
  const int64_t items = f.spans.count(g.N);
  f.filters = split(g.F, items >= T ? 1 : ceil_div(T, items));
  f.shared_col = f.filters.count > 1 && f.spans.group == 1 && !g.is_1x1();
  const int64_t w = f.spans.max_width();
  f.slot = g.is_1x1() ? 0 : K * w + (f.spans.group > 1 ? g.F * w : 0);
  return f;
}

// y_n[f, p] = b[f] + sum_k W[f, k] x_n[k, p] for a 1x1 convolution with K <= kShallowK (such as
// one on the 3 colour channels of the input). There are so few products per output that gemm
// would spend its time writing y twice (the bias first, then adding to it with beta = 1 in
// OpenBLAS's small-matrix kernel, which reads C). Here each block of y is written once, in one
// pass over its K rows of x; K is a template argument, so that the sum is unrolled and the loop
// over p vectorised. The loop itself is the rest of the time, so it has an AVX2 variant: on
// humble's first layer at batch 8, 0.03-0.05 ms instead of 0.08-0.09 ms with SSE (median of 300
// calls, 2 threads).
//
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
  parallel_for(g.N * blocks, std::max<int64_t>(1, kParallelMin / (F * kShallowCols)),
               [&](int64_t i0, int64_t i1) {
                 for (int64_t i = i0; i < i1; ++i) {
                   const int64_t n = i / blocks, p0 = (i % blocks) * kShallowCols;
                   block(x + n * K * P + p0, W, b, F, P, std::min(kShallowCols, P - p0),
                         y + n * F * P + p0);
                 }
               });
}

}  // namespace

// ---- forward ----------------------------------------------------------------------------------
// y_n[f0:f1, span] = b 1^T + W[f0:f1] (F, K) col[:, span] (K, width), col = im2col(x) (x_n itself
// when 1x1). The bias is written first and gemm adds to it (beta = 1); a span of several images
// is multiplied into scratch and copied out with the bias.

namespace {
// A convolution with an empty operand (no image, filter, output pixel or input channel) needs no
// plan and no scratch: its output is the bias alone (or nothing), its gradients are 0.
bool has_empty_operand(const ConvParams& g) {
  return g.N == 0 || g.F == 0 || g.P() == 0 || g.K() == 0;
}
}  // namespace

int64_t conv2d_forward_workspace(const ConvParams& g) {
  if (has_empty_operand(g)) return 0;
  return use_shift(g) ? conv_shift_forward_workspace(g)
                      : forward_plan(g).workspace(g, max_threads());
}

void conv2d_forward(const ConvParams& g, const float* x, const float* W, const float* b, float* y,
                    float* ws) {
  const int64_t F = g.F, K = g.K(), P = g.P();
  if (g.N == 0 || F == 0 || P == 0) return;
  if (K == 0) {  // no input channels: y = b
    for (int64_t n = 0; n < g.N; ++n)
      for (int64_t c = 0; c < F; ++c) std::fill_n(y + (n * F + c) * P, P, b ? b[c] : 0.f);
    return;
  }
  if (g.is_1x1() && K <= kShallowK) {
    static_assert(kShallowK == 4);
    constexpr void (*shallow[])(const ConvParams&, const float*, const float*, const float*,
                                float*) = {conv1x1_shallow<1>, conv1x1_shallow<2>,
                                           conv1x1_shallow<3>, conv1x1_shallow<4>};
    return shallow[K - 1](g, x, W, b, y);
  }
  if (use_shift(g)) return conv_shift_forward(g, x, W, b, y, ws);
  const ForwardPlan f = forward_plan(g);
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
//   db (F)    = sum over n and p of gy_n
//   dW (F, K) = sum_n gy_n (F, P) col_n^T (P, K)
//   dx_n      = col2im(W^T (K, F) gy_n (F, P))          (1x1: dx_n = W^T gy_n)
// dW is summed over the batch either by spans, in groups that each add into their own copy of dW,
// added up at the end in group order (small dW, many spans), or by blocks of its columns (rows of
// the col matrices), each thread unrolling only its rows of every image. dx is computed by span
// and block of channels (a channel's rows of col only ever add into that channel's plane of dx).
// Stride-1 convolutions with few channels take conv_shift.h's kernels instead (kShiftMaxFC).

namespace {

struct BackwardPlan {
  bool dW_by_spans = false;  // per-group copies of dW over spans; else blocks of rows
  Spans w_spans;             // the spans of either dW scheme
  Blocks w_rows;             // the rows of dW's blocks of rows
  int64_t w_slot = 0;        // per-thread scratch floats for dW: col (+ gy of a grouped span)
  Blocks x_chans;            // channels per dx item
  Spans x_spans;             // the spans of dx
  int64_t x_slot = 0;        // per-thread scratch floats for dx
  bool shift = false;        // conv_shift.h's kernels instead of all of the above
  int64_t workspace(const ConvParams& g, bool dx, bool dW, int64_t T) const {
    const int64_t accs = dW && dW_by_spans ? (T - 1) * g.F * g.K() : 0;
    const int64_t w = shift ? conv_shift_dW_workspace(g) : T * w_slot + accs;
    const int64_t x = shift ? conv_shift_dx_workspace(g) : T * x_slot;
    return std::max(dW ? w : 0, dx ? x : 0);
  }
};

// Scratch floats for `rows` rows of a span's col matrix and, for a grouped span, its gy.
int64_t span_slot(const ConvParams& g, const Spans& s, int64_t rows) {
  if (g.is_1x1()) return 0;
  return rows * s.max_width() + (s.group > 1 ? g.F * s.max_width() : 0);
}

BackwardPlan backward_plan(const ConvParams& g) {
  const int64_t T = max_threads(), K = g.K(), P = g.P(), KK = g.KH * g.KW;
  const bool mem = !g.is_1x1();
  BackwardPlan b;
  b.shift = use_shift(g);
  if (b.shift) return b;  // none of the rest is used
  b.w_spans = make_spans(g.N, P, K, T, mem, mem);
  const int64_t items = b.w_spans.count(g.N);
  b.dW_by_spans =
      T == 1 || ((items % T == 0 || items >= 4 * T) && (T - 1) * g.F * K <= kConvAccFloats);
  if (b.dW_by_spans) {
    b.w_slot = span_slot(g, b.w_spans, K);
  } else {
    b.w_rows = split(K, T);
    b.w_spans = make_spans(g.N, P, b.w_rows.size, 1, mem, mem);
    b.w_slot = span_slot(g, b.w_spans, b.w_rows.size);
  }
  // dx items: a grouped span, or one image (over its tiles), times blocks of channels.
  b.x_spans = make_spans(g.N, P, K, T, mem, mem);
  const int64_t units = b.x_spans.group > 1 ? b.x_spans.count(g.N) : g.N;
  b.x_chans = split(g.C, units % T == 0 || units >= 4 * T ? 1 : T / std::gcd(units, T));
  if (b.x_spans.group == 1) b.x_spans = make_spans(1, P, b.x_chans.size * KK, 1, mem, false);
  b.x_slot = span_slot(g, b.x_spans, b.x_chans.size * KK);
  return b;
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

int64_t conv2d_backward_workspace(const ConvParams& g, bool dx, bool dW) {
  return has_empty_operand(g) ? 0 : backward_plan(g).workspace(g, dx, dW, max_threads());
}

void conv2d_backward(const ConvParams& g, const float* x, const float* W, const float* gy,
                     float* dx, float* dW, float* db, float* ws) {
  const int64_t N = g.N, F = g.F, K = g.K(), P = g.P(), KK = g.KH * g.KW, xsize = g.C * g.H * g.W;
  const int64_t T = max_threads();
  if (db)
    parallel_for(F, std::max<int64_t>(1, kParallelMin / std::max<int64_t>(N * P, 1)),
                 [&](int64_t f0, int64_t f1) {
                   for (int64_t f = f0; f < f1; ++f) {
                     double s = 0;
                     for (int64_t n = 0; n < N; ++n) s += row_sum(gy + (n * F + f) * P, P);
                     db[f] = static_cast<float>(s);
                   }
                 });
  if (has_empty_operand(g)) {  // the gradients are 0
    if (dW) std::fill(dW, dW + F * K, 0.f);
    if (dx) std::fill(dx, dx + N * xsize, 0.f);
    return;
  }
  const BackwardPlan b = backward_plan(g);
  if (dW && b.shift) {
    conv_shift_dW(g, x, gy, dW, ws);
  } else if (dW && b.dW_by_spans) {
    // Group q of the G groups holds spans q, q + G, ... and adds them, in that order, into its own
    // copy of dW (dW itself for q = 0); the copies are then added in group order. Whichever thread
    // runs a group, the sums are the same.
    const int64_t items = b.w_spans.count(N), G = std::min(T, items);
    float* accs = ws + T * b.w_slot;
    std::fill(dW, dW + F * K, 0.f);
    std::fill(accs, accs + (G - 1) * F * K, 0.f);
    parallel_items(G, [&](int64_t q, int) {
      float* acc = q == 0 ? dW : accs + (q - 1) * F * K;
      for (int64_t i = q; i < items; i += G)
        dW_span(g, x, gy, b.w_spans.at(i, N, P), 0, K, ws + q * b.w_slot, false, acc);
    });
    if (G > 1)
      parallel_for(F * K, kParallelMin, [&](int64_t i0, int64_t i1) {
        for (int64_t q = 1; q < G; ++q) {
          const float* acc = accs + (q - 1) * F * K;
          for (int64_t i = i0; i < i1; ++i) dW[i] += acc[i];
        }
      });
  } else if (dW) {
    parallel_items(b.w_rows.count, [&](int64_t item, int slot) {
      const int64_t r0 = item * b.w_rows.size, r1 = std::min(K, r0 + b.w_rows.size);
      for (int64_t i = 0; i < b.w_spans.count(N); ++i)
        dW_span(g, x, gy, b.w_spans.at(i, N, P), r0, r1, ws + slot * b.w_slot, i == 0, dW);
    });
  }
  if (dx && b.shift) {
    conv_shift_dx(g, W, gy, dx, ws);
  } else if (dx) {
    // Items (span of whole images or one image, block of channels); a one-image item runs over
    // that image's tiles.
    const Spans& t = b.x_spans;
    const int64_t nc = b.x_chans.count, units = t.group > 1 ? t.count(N) : N;
    parallel_items(units * nc, [&](int64_t item, int slot) {
      const int64_t u = item / nc, c0 = (item % nc) * b.x_chans.size;
      const int64_t c1 = std::min(g.C, c0 + b.x_chans.size), r0 = c0 * KK, r1 = c1 * KK;
      const int64_t n0 = t.group > 1 ? u * t.group : u;
      const int64_t ng = t.group > 1 ? std::min(t.group, N - n0) : 1;
      if (g.is_1x1()) {  // dx_n[c0:c1] = W[:, c0:c1]^T gy_n
        gemm(true, false, r1 - r0, P, F, 1.f, W + r0, K, gy + n0 * F * P, P, 0.f,
             dx + n0 * xsize + r0 * P, P);
        return;
      }
      for (int64_t n = n0; n < n0 + ng; ++n)
        std::fill(dx + n * xsize + c0 * g.H * g.W, dx + n * xsize + c1 * g.H * g.W, 0.f);
      float* col = ws + slot * b.x_slot;
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
}

// ---- whole-image im2col / col2im
// -------------------------------------------------------------------

// col[r, p] with r = (c * KH + kh) * KW + kw and p = oh * OW + ow holds
//   x[c, oh * stride - pad + kh, ow * stride - pad + kw]   (0 where that lies in the padding).
void im2col(const float* x, int64_t C, int64_t H, int64_t W, int64_t KH, int64_t KW, int64_t stride,
            int64_t pad, int64_t OH, int64_t OW, float* col) {
  const ConvParams g{1, C, H, W, 0, KH, KW, OH, OW, stride, pad};
  const int64_t R = C * KH * KW, P = OH * OW;
  parallel_for(R, std::max<int64_t>(1, kParallelMin / std::max<int64_t>(P, 1)),
               [&](int64_t r0, int64_t r1) { im2col_tile(g, x, r0, r1, 0, P, col + r0 * P, P); });
}

// The adjoint of im2col: every col[r, p] is added back to the x position it was read from;
// entries that came from the padding are dropped. Channels own disjoint planes of dx, so the
// parallel loop runs over channels.
void col2im(const float* col, int64_t C, int64_t H, int64_t W, int64_t KH, int64_t KW,
            int64_t stride, int64_t pad, int64_t OH, int64_t OW, float* dx) {
  const ConvParams g{1, C, H, W, 0, KH, KW, OH, OW, stride, pad};
  const int64_t KK = KH * KW, P = OH * OW;
  parallel_for(C, std::max<int64_t>(1, kParallelMin / std::max<int64_t>(KK * P, 1)),
               [&](int64_t c0, int64_t c1) {
                 col2im_tile(g, col + c0 * KK * P, c0 * KK, c1 * KK, 0, P, dx, P);
               });
}

}  // namespace minidl::cpu
