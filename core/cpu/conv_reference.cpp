// The plain convolution kernels of conv_reference.h: per image, im2col of the whole image, then one
// gemm (which cuts itself over the threads). Readable, and the oracle of the tiled kernels' tests.
#include "core/cpu/conv_reference.h"

#include <algorithm>
#include <vector>

#include "core/cpu/kernels.h"

namespace minidl::cpu {

// Per image n:  y_n = b 1^T + W col_n;  dW += gy_n col_n^T;  db += gy_n 1;
//                dx_n = col2im(W^T gy_n).
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
