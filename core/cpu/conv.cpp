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

#include "core/cpu/conv_1x1.h"
#include "core/cpu/conv_im2col.h"
#include "core/cpu/conv_plan.h"
#include "core/cpu/conv_reference.h"
#include "core/cpu/conv_shift.h"
#include "core/cpu/kernels.h"
#include "core/cpu/parallel.h"

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
  if (db)
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
    if (dW) conv_shift_dW(g, x, gy, dW, ws);
    if (dx) conv_shift_dx(g, W, gy, dx, ws);
    return;
  }
  const BackwardPlan plan = backward_plan(g);
  if (dW) conv_im2col_dW(g, plan, x, gy, dW, ws);
  if (dx) conv_im2col_dx(g, plan, W, gy, dx, ws);
}

}  // namespace minidl::cpu
