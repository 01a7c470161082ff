// CPU kernels for convolution. im2col unrolls the receptive fields of an image into the columns of
// a matrix, so that a convolution is a gemm, and col2im is its adjoint (scatter-add). The fast
// kernels cut each op into tiles of columns (or blocks of rows) that one thread unrolls and
// multiplies with a one-thread gemm while the tile is still in cache; the reference kernels below
// them are the plain per-image loop the tests compare them with.
#include <algorithm>
#include <cstring>
#include <numeric>
#include <vector>

#include "core/cpu/conv_reference.h"
#include "core/cpu/kernels.h"
#include "core/cpu/parallel.h"

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
// Per-thread copies of dW (for summing over the batch without locks) up to this many floats.
constexpr int64_t kAccFloats = 1 << 22;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t round_up(int64_t a, int64_t m) { return ceil_div(a, m) * m; }
// ceil(a / s) for s > 0, and 0 for a <= 0.
int64_t ceil_pos(int64_t a, int64_t s) { return a <= 0 ? 0 : (a + s - 1) / s; }

// The output columns [lo, hi) of [ow0, ow1) whose input column ow * stride - pad + kw lies in
// [0, W); the others read the padding.
void valid_cols(const ConvParams& g, int64_t kw, int64_t ow0, int64_t ow1, int64_t& lo,
                int64_t& hi) {
  lo = std::max(ow0, ceil_pos(g.pad - kw, g.stride));
  hi = std::min(ow1, ceil_pos(g.W + g.pad - kw, g.stride));
  if (hi < lo) hi = lo;
}

// Calls fn(oh, ow0, ow1, offset) for each run of columns [p0, p0 + pc) of a col matrix that lies
// in one output row oh (columns ow0..ow1-1 of it); offset = the run's first column - p0.
template <class Fn>
void for_each_row_run(const ConvParams& g, int64_t p0, int64_t pc, Fn&& fn) {
  for (int64_t p = p0, end = p0 + pc; p < end;) {
    const int64_t oh = p / g.OW, ow0 = p - oh * g.OW, ow1 = std::min(g.OW, ow0 + (end - p));
    fn(oh, ow0, ow1, p - p0);
    p += ow1 - ow0;
  }
}

// out ((r1 - r0), pc) = rows [r0, r1), columns [p0, p0 + pc) of image x's col matrix (see im2col).
void im2col_tile(const ConvParams& g, const float* x, int64_t r0, int64_t r1, int64_t p0,
                 int64_t pc, float* out) {
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t c = r / (g.KH * g.KW), kh = (r / g.KW) % g.KH, kw = r % g.KW;
    const float* x_c = x + c * g.H * g.W;
    float* o_r = out + (r - r0) * pc;
    for_each_row_run(g, p0, pc, [&](int64_t oh, int64_t ow0, int64_t ow1, int64_t off) {
      float* o = o_r + off - ow0;  // o[ow] for ow in [ow0, ow1)
      const int64_t h = oh * g.stride - g.pad + kh;
      if (h < 0 || h >= g.H) {
        std::fill(o + ow0, o + ow1, 0.f);
        return;
      }
      int64_t lo, hi;
      valid_cols(g, kw, ow0, ow1, lo, hi);
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

// The adjoint of im2col_tile: dx += the scatter of col ((r1 - r0), pc), rows [r0, r1) and
// columns [p0, p0 + pc) of image dx's col matrix.
void col2im_tile(const ConvParams& g, const float* col, int64_t r0, int64_t r1, int64_t p0,
                 int64_t pc, float* dx) {
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t c = r / (g.KH * g.KW), kh = (r / g.KW) % g.KH, kw = r % g.KW;
    float* dx_c = dx + c * g.H * g.W;
    const float* i_r = col + (r - r0) * pc;
    for_each_row_run(g, p0, pc, [&](int64_t oh, int64_t ow0, int64_t ow1, int64_t off) {
      const int64_t h = oh * g.stride - g.pad + kh;
      if (h < 0 || h >= g.H) return;
      int64_t lo, hi;
      valid_cols(g, kw, ow0, ow1, lo, hi);
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

// Column tiles of each image's col matrix: tile j covers columns [j * cols, j * cols + cols) ∩ [0,
// P).
struct Tiles {
  int64_t per_image = 1, cols = 1;
  int64_t width(int64_t j, int64_t P) const { return std::min(cols, P - j * cols); }
};

// Tiles of at most `budget` floats for `rows` rows (but kWideCols wide), cut finer when the batch
// has fewer images than threads, so that N * tiles is a multiple of the T threads when possible.
Tiles column_tiles(int64_t N, int64_t P, int64_t rows, int64_t T, bool memory_bound = true) {
  Tiles t;
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

// Forward: items (image n, column tile j, block of filters), each one im2col_tile and one gemm.
// Filters are split only when there are fewer column tiles than threads (small late layers).
struct ForwardPlan {
  Tiles tiles;
  Blocks filters;
  int64_t slot;  // workspace floats per thread
};

ForwardPlan forward_plan(const ConvParams& g) {
  const int64_t T = max_threads(), K = g.K();
  ForwardPlan f;
  f.tiles = column_tiles(g.N, g.P(), K, T, !g.is_1x1());
  const int64_t items = g.N * f.tiles.per_image;
  f.filters = split(g.F, items >= T ? 1 : ceil_div(T, items));
  f.slot = g.is_1x1() ? 0 : K * f.tiles.cols;
  return f;
}

}  // namespace

// ---- forward ----------------------------------------------------------------------------------
// y_n[f0:f1, tile] = b 1^T + W[f0:f1] (F, K) col_n[:, tile] (K, pc), with col_n = im2col(x_n)
// (x_n itself when 1x1). The bias is written first and gemm adds to it (beta = 1).

int64_t conv2d_forward_workspace(const ConvParams& g) {
  return g.N == 0 ? 0 : max_threads() * forward_plan(g).slot;
}

void conv2d_forward(const ConvParams& g, const float* x, const float* W, const float* b, float* y,
                    float* ws) {
  const int64_t F = g.F, K = g.K(), P = g.P(), xsize = g.C * g.H * g.W;
  if (g.N == 0 || F == 0 || P == 0) return;
  const ForwardPlan f = forward_plan(g);
  const int64_t per_image = f.tiles.per_image * f.filters.count;
  parallel_items(g.N * per_image, [&](int64_t item, int slot) {
    const int64_t n = item / per_image, j = (item % per_image) / f.filters.count;
    const int64_t f0 = (item % f.filters.count) * f.filters.size;
    const int64_t fc = std::min(f.filters.size, F - f0);
    const int64_t p0 = j * f.tiles.cols, pc = f.tiles.width(j, P);
    const float* x_n = x + n * xsize;
    const float* col = x_n + p0;  // 1x1: the image is the col matrix (row stride P)
    int64_t ldcol = P;
    if (!g.is_1x1()) {
      col = ws + slot * f.slot;
      ldcol = pc;
      im2col_tile(g, x_n, 0, K, p0, pc, ws + slot * f.slot);
    }
    float* y_t = y + n * F * P + f0 * P + p0;
    if (b)
      for (int64_t i = 0; i < fc; ++i) std::fill(y_t + i * P, y_t + i * P + pc, b[f0 + i]);
    gemm(false, false, fc, pc, K, 1.f, W + f0 * K, K, col, ldcol, b ? 1.f : 0.f, y_t, P);
  });
}

// ---- backward -----------------------------------------------------------------------------------
//   db (F)    = sum over n and p of gy_n
//   dW (F, K) = sum_n gy_n (F, P) col_n^T (P, K)
//   dx_n      = col2im(W^T (K, F) gy_n (F, P))          (1x1: dx_n = W^T gy_n)
// dW is summed over the batch either by column tiles, each thread into its own copy of dW, added
// up at the end in thread order (small dW, many tiles), or by blocks of its columns (rows of the
// col matrices), each thread unrolling only its rows of every image. dx is computed by image and
// block of channels (a channel's rows of col only ever add into that channel's plane of dx).

namespace {

struct BackwardPlan {
  bool dW_by_tiles;    // per-thread copies of dW over column tiles; else blocks of rows
  Tiles w_tiles;       // the column tiles of either dW scheme
  Blocks w_rows;       // the rows of dW's blocks of rows
  int64_t w_slot = 0;  // per-thread col floats for dW
  Blocks x_chans;      // channels per dx item
  Tiles x_tiles;       // column tiles of a dx item
  int64_t x_slot = 0;  // per-thread col floats for dx
  int64_t workspace(const ConvParams& g, bool dx, bool dW, int64_t T) const {
    const int64_t accs = dW && dW_by_tiles ? (T - 1) * g.F * g.K() : 0;
    return std::max(dW ? T * w_slot + accs : 0, dx ? T * x_slot : 0);
  }
};

BackwardPlan backward_plan(const ConvParams& g) {
  const int64_t T = max_threads(), K = g.K(), P = g.P(), KK = g.KH * g.KW;
  const bool mem = !g.is_1x1();
  BackwardPlan b;
  b.w_tiles = column_tiles(g.N, P, K, T, mem);
  const int64_t items = g.N * b.w_tiles.per_image;
  b.dW_by_tiles = T == 1 || ((items % T == 0 || items >= 4 * T) && (T - 1) * g.F * K <= kAccFloats);
  if (b.dW_by_tiles) {
    b.w_slot = mem ? K * b.w_tiles.cols : 0;
  } else {
    b.w_rows = split(K, T);
    b.w_tiles = column_tiles(1, P, b.w_rows.size, 1, mem);
    b.w_slot = mem ? b.w_rows.size * b.w_tiles.cols : 0;
  }
  const bool by_image = g.N % T == 0 || g.N >= 4 * T;
  b.x_chans = split(g.C, by_image ? 1 : T / std::gcd(g.N, T));
  b.x_tiles = column_tiles(1, P, b.x_chans.size * KK, 1, mem);
  b.x_slot = mem ? b.x_chans.size * KK * b.x_tiles.cols : 0;
  return b;
}

// dW (F, K) (+)= gy_n[:, tile] (F, pc) col[:, tile]^T for rows [r0, r1) of the col matrix of x_n;
// the product is written to dW[:, r0:r1] when `first`, else added.
void dW_tile(const ConvParams& g, const float* x_n, const float* gy_n, int64_t r0, int64_t r1,
             int64_t p0, int64_t pc, float* col, bool first, float* dW) {
  const int64_t P = g.P();
  const float* c = x_n + r0 * P + p0;  // 1x1: rows of the image itself
  int64_t ldc = P;
  if (!g.is_1x1()) {
    im2col_tile(g, x_n, r0, r1, p0, pc, col);
    c = col;
    ldc = pc;
  }
  gemm(false, true, g.F, r1 - r0, pc, 1.f, gy_n + p0, P, c, ldc, first ? 0.f : 1.f, dW + r0, g.K());
}

}  // namespace

int64_t conv2d_backward_workspace(const ConvParams& g, bool dx, bool dW) {
  return g.N == 0 ? 0 : backward_plan(g).workspace(g, dx, dW, max_threads());
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
                     for (int64_t n = 0; n < N; ++n) {
                       s += row_sum(gy + (n * F + f) * P, P);
                     }
                     db[f] = static_cast<float>(s);
                   }
                 });
  if (N == 0 || P == 0) {  // empty batch or output: the gradients are 0
    if (dW) std::fill(dW, dW + F * K, 0.f);
    if (dx) std::fill(dx, dx + N * xsize, 0.f);
    return;
  }
  const BackwardPlan b = backward_plan(g);
  if (dW && b.dW_by_tiles) {
    // Group q of the G groups holds items q, q + G, ... and adds them, in that order, into its own
    // copy of dW (dW itself for q = 0); the copies are then added in group order. Whichever thread
    // runs a group, the sums are the same.
    const Tiles& t = b.w_tiles;
    const int64_t items = N * t.per_image, G = std::min(T, items);
    float* accs = ws + T * b.w_slot;
    std::fill(dW, dW + F * K, 0.f);
    std::fill(accs, accs + (G - 1) * F * K, 0.f);
    parallel_items(G, [&](int64_t q, int) {
      float* acc = q == 0 ? dW : accs + (q - 1) * F * K;
      for (int64_t item = q; item < items; item += G) {
        const int64_t n = item / t.per_image, j = item % t.per_image;
        dW_tile(g, x + n * xsize, gy + n * F * P, 0, K, j * t.cols, t.width(j, P),
                ws + q * b.w_slot, false, acc);
      }
    });
    if (G > 1)
      parallel_for(F * K, kParallelMin, [&](int64_t i0, int64_t i1) {
        for (int64_t q = 1; q < G; ++q) {
          const float* acc = accs + (q - 1) * F * K;
          for (int64_t i = i0; i < i1; ++i) dW[i] += acc[i];
        }
      });
  } else if (dW) {
    const Tiles& t = b.w_tiles;
    parallel_items(b.w_rows.count, [&](int64_t item, int slot) {
      const int64_t r0 = item * b.w_rows.size, r1 = std::min(K, r0 + b.w_rows.size);
      for (int64_t n = 0; n < N; ++n)
        for (int64_t j = 0; j < t.per_image; ++j)
          dW_tile(g, x + n * xsize, gy + n * F * P, r0, r1, j * t.cols, t.width(j, P),
                  ws + slot * b.w_slot, n == 0 && j == 0, dW);
    });
  }
  if (dx) {
    const int64_t per_image = b.x_chans.count;
    const Tiles& t = b.x_tiles;
    parallel_items(N * per_image, [&](int64_t item, int slot) {
      const int64_t n = item / per_image, c0 = (item % per_image) * b.x_chans.size;
      const int64_t c1 = std::min(g.C, c0 + b.x_chans.size), r0 = c0 * KK, r1 = c1 * KK;
      float* dx_n = dx + n * xsize;
      const float* gy_n = gy + n * F * P;
      if (g.is_1x1()) {  // dx_n[c0:c1] = W[:, c0:c1]^T gy_n
        gemm(true, false, r1 - r0, P, F, 1.f, W + r0, K, gy_n, P, 0.f, dx_n + r0 * P, P);
        return;
      }
      float* col = ws + slot * b.x_slot;
      std::fill(dx_n + c0 * g.H * g.W, dx_n + c1 * g.H * g.W, 0.f);
      for (int64_t j = 0; j < t.per_image; ++j) {
        const int64_t p0 = j * t.cols, pc = t.width(j, P);
        gemm(true, false, r1 - r0, pc, F, 1.f, W + r0, K, gy_n + p0, P, 0.f, col, pc);
        col2im_tile(g, col, r0, r1, p0, pc, dx_n);
      }
    });
  }
}

// ---- whole-image im2col / col2im and the reference kernels
// ----------------------------------------

// col[r, p] with r = (c * KH + kh) * KW + kw and p = oh * OW + ow holds
//   x[c, oh * stride - pad + kh, ow * stride - pad + kw]   (0 where that lies in the padding).
void im2col(const float* x, int64_t C, int64_t H, int64_t W, int64_t KH, int64_t KW, int64_t stride,
            int64_t pad, int64_t OH, int64_t OW, float* col) {
  const ConvParams g{1, C, H, W, 0, KH, KW, OH, OW, stride, pad};
  const int64_t R = C * KH * KW, P = OH * OW;
  parallel_for(R, std::max<int64_t>(1, kParallelMin / std::max<int64_t>(P, 1)),
               [&](int64_t r0, int64_t r1) { im2col_tile(g, x, r0, r1, 0, P, col + r0 * P); });
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
                 col2im_tile(g, col + c0 * KK * P, c0 * KK, c1 * KK, 0, P, dx);
               });
}

// Per image n:  y_n = b 1^T + W col_n;  dW += gy_n col_n^T;  db += gy_n 1;  dx_n = col2im(W^T
// gy_n).
void conv2d_forward_reference(const ConvParams& g, const float* x, const float* W, const float* b,
                              float* y) {
  const int64_t F = g.F, K = g.K(), P = g.P(), xsize = g.C * g.H * g.W;
  std::vector<float> col(static_cast<size_t>(K * P));
  for (int64_t n = 0; n < g.N; ++n) {
    float* y_n = y + n * F * P;
    for (int64_t f = 0; f < F; ++f) std::fill(y_n + f * P, y_n + (f + 1) * P, b ? b[f] : 0.f);
    im2col(x + n * xsize, g.C, g.H, g.W, g.KH, g.KW, g.stride, g.pad, g.OH, g.OW, col.data());
    gemm(false, false, F, P, K, 1.f, W, K, col.data(), P, 1.f, y_n, P);
  }
}

void conv2d_backward_reference(const ConvParams& g, const float* x, const float* W, const float* gy,
                               float* dx, float* dW, float* db) {
  const int64_t F = g.F, K = g.K(), P = g.P(), xsize = g.C * g.H * g.W;
  std::vector<float> col(static_cast<size_t>(K * P));
  if (dW) std::fill(dW, dW + F * K, 0.f);
  if (db) std::fill(db, db + F, 0.f);
  if (dx) std::fill(dx, dx + g.N * xsize, 0.f);
  for (int64_t n = 0; n < g.N; ++n) {
    const float* gy_n = gy + n * F * P;
    if (dW) {
      im2col(x + n * xsize, g.C, g.H, g.W, g.KH, g.KW, g.stride, g.pad, g.OH, g.OW, col.data());
      gemm(false, true, F, K, P, 1.f, gy_n, P, col.data(), P, 1.f, dW, K);
    }
    if (db)
      for (int64_t f = 0; f < F; ++f)
        for (int64_t p = 0; p < P; ++p) db[f] += gy_n[f * P + p];
    if (dx) {
      gemm(true, false, K, P, F, 1.f, W, K, gy_n, P, 0.f, col.data(), P);
      col2im(col.data(), g.C, g.H, g.W, g.KH, g.KW, g.stride, g.pad, g.OH, g.OW, dx + n * xsize);
    }
  }
}

}  // namespace minidl::cpu
