// CPU kernels for convolution: im2col unrolls the receptive fields of one image into the columns
// of a matrix (so that a convolution becomes one gemm) and col2im is its adjoint (scatter-add).
#include <algorithm>

#include "core/cpu/kernels.h"

namespace minidl::cpu {

namespace {
// Below this many elements, threads cost more than they give.
constexpr int64_t kParallelMin = 1 << 15;
}  // namespace

// col[r, p] with r = (c * KH + kh) * KW + kw and p = oh * OW + ow holds
//   x[c, oh * stride - pad + kh, ow * stride - pad + kw]   (0 where that lies in the padding).
void im2col(const float* x, int64_t C, int64_t H, int64_t W, int64_t KH, int64_t KW, int64_t stride,
            int64_t pad, int64_t OH, int64_t OW, float* col) {
  const int64_t R = C * KH * KW, P = OH * OW;
#pragma omp parallel for if (R * P > kParallelMin && R > 1)
  for (int64_t r = 0; r < R; ++r) {
    const int64_t c = r / (KH * KW), kh = (r / KW) % KH, kw = r % KW;
    const float* x_c = x + c * H * W;
    float* row = col + r * P;
    for (int64_t oh = 0; oh < OH; ++oh) {
      const int64_t h = oh * stride - pad + kh;
      float* out = row + oh * OW;
      if (h < 0 || h >= H) {
        std::fill(out, out + OW, 0.f);
        continue;
      }
      const float* x_h = x_c + h * W;
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t w = ow * stride - pad + kw;
        out[ow] = (w >= 0 && w < W) ? x_h[w] : 0.f;
      }
    }
  }
}

// The adjoint of im2col: every col[r, p] is added back to the x position it was read from;
// entries that came from the padding are dropped. Channels own disjoint planes of dx, so the
// parallel loop runs over channels.
void col2im(const float* col, int64_t C, int64_t H, int64_t W, int64_t KH, int64_t KW,
            int64_t stride, int64_t pad, int64_t OH, int64_t OW, float* dx) {
  const int64_t P = OH * OW;
#pragma omp parallel for if (C * KH * KW * P > kParallelMin && C > 1)
  for (int64_t c = 0; c < C; ++c) {
    float* dx_c = dx + c * H * W;
    for (int64_t kh = 0; kh < KH; ++kh)
      for (int64_t kw = 0; kw < KW; ++kw) {
        const float* row = col + ((c * KH + kh) * KW + kw) * P;
        for (int64_t oh = 0; oh < OH; ++oh) {
          const int64_t h = oh * stride - pad + kh;
          if (h < 0 || h >= H) continue;
          const float* in = row + oh * OW;
          float* dx_h = dx_c + h * W;
          for (int64_t ow = 0; ow < OW; ++ow) {
            const int64_t w = ow * stride - pad + kw;
            if (w >= 0 && w < W) dx_h[w] += in[ow];
          }
        }
      }
  }
}

}  // namespace minidl::cpu
