// The CPU convolution kernels of core/cpu/kernels.h: a dispatcher. conv_plan.h chooses the path
// of each call; the kernels are in their own files:
//   conv_reference.cpp  the readable loop (per image: im2col, one gemm); MINIDL_CONV=reference
//                       runs it for every call, and the tests hold the others to it;
//   conv_1x1.cpp        the forward of a 1x1 convolution on few channels, a loop without gemm;
//   conv_shift.cpp      stride 1 with few channels: KH*KW gemms on shifted views, no im2col;
//   conv_im2col.cpp     everything else: spans of the col matrices, each unrolled and multiplied
//                       by one thread while it is in cache.
// docs/convolution.md derives the algorithms and says when each runs.
#include <algorithm>
#include <vector>

#include "core/cpu/conv_1x1.h"
#include "core/cpu/conv_im2col.h"
#include "core/cpu/conv_plan.h"
#include "core/cpu/conv_pool.h"
#include "core/cpu/conv_reference.h"
#include "core/cpu/conv_shift.h"
#include "core/cpu/kernels.h"
#include "core/cpu/parallel.h"
#include "core/cpu/pool.h"

namespace minidl::cpu {

namespace {

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

}  // namespace

// ---- forward ------------------------------------------------------------------------------------
// y_n = b 1^T + W (F, K) col_n (K, P), col_n = im2col(x_n).

int64_t conv2d_forward_workspace(const ConvParams& g) {
  switch (conv_forward_path(g)) {
    case ConvPath::Reference:  // allocates its own
    case ConvPath::Empty:
    case ConvPath::Shallow1x1:
      return 0;
    case ConvPath::Shift:
      return conv_shift_forward_workspace(g);
    case ConvPath::Im2col:
      return forward_plan(g).workspace(g, max_threads());
  }
  return 0;
}

void conv2d_forward(const ConvParams& g, const float* x, const float* W, const float* b, float* y,
                    float* ws) {
  switch (conv_forward_path(g)) {
    case ConvPath::Reference:
      return conv2d_forward_reference(g, x, W, b, y);
    case ConvPath::Empty:  // y = b (nothing when N, F or P is 0)
      for (int64_t n = 0; n < g.N; ++n)
        for (int64_t f = 0; f < g.F; ++f)
          std::fill_n(y + (n * g.F + f) * g.P(), g.P(), b ? b[f] : 0.f);
      return;
    case ConvPath::Shallow1x1:
      return conv1x1_shallow_forward(g, x, W, b, y);
    case ConvPath::Shift:
      return conv_shift_forward(g, x, W, b, y, ws);
    case ConvPath::Im2col:
      return conv_im2col_forward(g, forward_plan(g), x, W, b, y, ws);
  }
}

// ---- backward -----------------------------------------------------------------------------------
//   db (F)    = sum over n and p of gy_n
//   dW (F, K) = sum_n gy_n (F, P) col_n^T (P, K)
//   dx_n      = col2im(W^T (K, F) gy_n (F, P))          (1x1: dx_n = W^T gy_n)

int64_t conv2d_backward_workspace(const ConvParams& g, bool dx, bool dW) {
  switch (conv_backward_path(g)) {
    case ConvPath::Reference:
    case ConvPath::Empty:
    case ConvPath::Shallow1x1:
      return 0;  // (forward only)
    case ConvPath::Shift:
      return std::max(dW ? conv_shift_dW_workspace(g) : 0, dx ? conv_shift_dx_workspace(g) : 0);
    case ConvPath::Im2col:
      return backward_plan(g).workspace(g, dx, dW, max_threads());
  }
  return 0;
}

void conv2d_backward(const ConvParams& g, const float* x, const float* W, const float* gy,
                     float* dx, float* dW, float* db, float* ws) {
  const ConvPath path = conv_backward_path(g);
  if (path == ConvPath::Reference) return conv2d_backward_reference(g, x, W, gy, dx, dW, db);
  const int64_t N = g.N, F = g.F, P = g.P();
  const bool db_with_dW = db && dW && path == ConvPath::Shift;  // conv_shift_dW sums db
  if (db && !db_with_dW)
    parallel_for(F, grain_for(N * P), [&](int64_t f0, int64_t f1) {
      for (int64_t f = f0; f < f1; ++f) {
        double s = 0;
        for (int64_t n = 0; n < N; ++n) s += row_sum(gy + (n * F + f) * P, P);
        db[f] = static_cast<float>(s);
      }
    });
  if (path == ConvPath::Empty) {  // the gradients are 0
    if (dW) std::fill(dW, dW + F * g.K(), 0.f);
    if (dx) std::fill(dx, dx + N * g.C * g.H * g.W, 0.f);
    return;
  }
  if (path == ConvPath::Shift) {
    if (dW) conv_shift_dW(g, x, gy, dW, db_with_dW ? db : nullptr, ws);
    if (dx) conv_shift_dx(g, W, gy, dx, ws);
    return;
  }
  const BackwardPlan plan = backward_plan(g);
  if (dW) conv_im2col_dW(g, plan, x, gy, dW, ws);
  if (dx) conv_im2col_dx(g, plan, W, gy, dx, ws);
}

// ---- conv2d + max pool (conv_pool.h) ----------------------------------------------------------

bool conv2d_pool_fuses(const ConvParams& g, int64_t k) {
  return k >= 2 && k <= kMaxCodedPool && k <= g.OH && k <= g.OW &&
         conv_forward_path(g) == ConvPath::Shift && conv_backward_path(g) == ConvPath::Shift;
}

int64_t conv2d_pool_forward_workspace(const ConvParams& g, int64_t k) {
  return conv_shift_forward_workspace(g, k);
}

int64_t conv2d_pool_backward_workspace(const ConvParams& g, bool dx, bool dW) {
  return conv2d_backward_workspace(g, dx, dW);
}

void conv2d_pool_forward(const ConvParams& g, int64_t k, const float* x, const float* W,
                         const float* b, float* yp, uint8_t* codes, float* ws, PoolLeaky act) {
  const ConvPool pool{k, codes, act};
  conv_shift_forward(g, x, W, b, yp, ws, &pool);
}

namespace {
// row_sum of the plane of y's gradient that a pool's gradient gp (OHp, OWp) and codes stand for
// (zeros but at the winners), bit for bit: the k rows of each pooled row are rebuilt in `rows`
// (k * OW floats, unpool_row) and added into the same lanes, in the same order, as row_sum adds
// the plane. (A winner's -0 is stored as is: added to a lane, it gives what the +0 of the two ops
// gives.)
double pooled_row_sum(const ConvParams& g, const ConvPool& pool, const float* gp,
                      const uint8_t* codes, float* rows) {
  const int64_t k = pool.k;
  const int64_t OHp = g.OH / k, OWp = g.OW / k, P8 = g.P() / 8 * 8, n = k * g.OW;
  float part[8] = {};
  double s = 0;
  std::vector<float> tail;  // positions P8.. of the plane, added after the lanes
  for (int64_t pr = 0; pr < OHp; ++pr) {
    const int64_t p0 = pr * n;  // the rows' first position in the plane
    for (int64_t dh = 0; dh < k; ++dh)
      unpool_row(gp + pr * OWp, codes + pr * OWp, OWp, k, dh, rows + dh * g.OW, g.OW, pool.act.on,
                 pool.act.slope);
    int64_t j = 0;
    for (; j < n && (p0 + j) % 8 != 0 && p0 + j < P8; ++j) part[(p0 + j) % 8] += rows[j];
    for (; j + 8 <= n && p0 + j + 8 <= P8; j += 8)
      for (int l = 0; l < 8; ++l) part[l] += rows[j + l];
    for (; j < n; ++j) {
      if (p0 + j < P8)
        part[(p0 + j) % 8] += rows[j];
      else
        tail.push_back(rows[j]);
    }
  }
  for (int l = 0; l < 8; ++l) s += part[l];
  for (const float v : tail) s += v;
  return s;
}
}  // namespace

// db: with dW, conv_shift_dW sums it from the rows it rebuilds, as conv2d_backward's from the
// pool's dense gradient; without, the pool's gradient reaches y only at the winners
// (pooled_row_sum), so db is the same sum as conv2d_backward's row_sum.
void conv2d_pool_backward(const ConvParams& g, int64_t k, const float* x, const float* W,
                          const float* gp, const uint8_t* codes, float* dx, float* dW, float* db,
                          float* ws, PoolLeaky act) {
  // codes are read only by the backward kernels
  const ConvPool pool{k, const_cast<uint8_t*>(codes), act};
  const int64_t Pp = (g.OH / k) * (g.OW / k);
  if (db && !dW)
    parallel_for(g.F, grain_for(g.N * Pp), [&](int64_t f0, int64_t f1) {
      std::vector<float> rows(static_cast<size_t>(k * g.OW));
      for (int64_t f = f0; f < f1; ++f) {
        double s = 0;
        for (int64_t n = 0; n < g.N; ++n)
          s += pooled_row_sum(g, pool, gp + (n * g.F + f) * Pp, codes + (n * g.F + f) * Pp,
                              rows.data());
        db[f] = static_cast<float>(s);
      }
    });
  if (dW) conv_shift_dW(g, x, gp, dW, db, ws, &pool);
  if (dx) conv_shift_dx(g, W, gp, dx, ws, &pool);
}

}  // namespace minidl::cpu
