// CPU kernels for 2-D max pooling: the forward pass keeps, for each output element, the index of
// the winning input inside its (H, W) plane, and backward routes the gradient to that element.
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/cpu/kernels.h"
#include "core/cpu/parallel.h"

namespace minidl::cpu {

namespace {
// Below this many elements, threads cost more than they give.
constexpr int64_t kParallelMin = 1 << 15;
}  // namespace

// y[n, c, oh, ow] = max over h in [oh*stride - pad, +kernel), w in [ow*stride - pad, +kernel),
// clipped to the image: padded positions are skipped, which is the same as treating them as -inf.
// Ties go to the first element in row-major order; a NaN wins (and is propagated). A window with
// no element inside the image (impossible when pad <= kernel / 2) gives -inf and argmax -1.
void max_pool2d(const float* x, int64_t N, int64_t C, int64_t H, int64_t W, int64_t kernel,
                int64_t stride, int64_t pad, int64_t OH, int64_t OW, float* y, int32_t* argmax) {
  const int64_t per_plane = std::max<int64_t>(1, OH * OW * kernel * kernel);
  parallel_for(N * C, std::max<int64_t>(1, kParallelMin / per_plane), [&](int64_t p0, int64_t p1) {
    for (int64_t nc = p0; nc < p1; ++nc) {
      const float* x_p = x + nc * H * W;
      float* y_p = y + nc * OH * OW;
      int32_t* a_p = argmax + nc * OH * OW;
      for (int64_t oh = 0; oh < OH; ++oh) {
        const int64_t h0 = std::max<int64_t>(oh * stride - pad, 0);
        const int64_t h1 = std::min<int64_t>(oh * stride - pad + kernel, H);
        for (int64_t ow = 0; ow < OW; ++ow) {
          const int64_t w0 = std::max<int64_t>(ow * stride - pad, 0);
          const int64_t w1 = std::min<int64_t>(ow * stride - pad + kernel, W);
          float best = -std::numeric_limits<float>::infinity();
          int64_t best_i = -1;
          for (int64_t h = h0; h < h1; ++h)
            for (int64_t w = w0; w < w1; ++w) {
              const float v = x_p[h * W + w];
              if (best_i < 0 || v > best || (std::isnan(v) && !std::isnan(best))) {
                best = v;
                best_i = h * W + w;
              }
            }
          y_p[oh * OW + ow] = best;
          a_p[oh * OW + ow] = static_cast<int32_t>(best_i);
        }
      }
    }
  });
}

// dx = 0, then dx[argmax] += gy: only the winner of each window gets its output's gradient
// (overlapping windows that share a winner add up).
void max_pool2d_backward(const float* gy, const int32_t* argmax, int64_t N, int64_t C, int64_t H,
                         int64_t W, int64_t OH, int64_t OW, float* dx) {
  const int64_t per_plane = std::max<int64_t>(1, H * W + OH * OW);
  parallel_for(N * C, std::max<int64_t>(1, kParallelMin / per_plane), [&](int64_t p0, int64_t p1) {
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
