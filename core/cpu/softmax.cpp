// CPU softmax and log_softmax along one axis, forward and backward. x is contiguous and viewed as
// (outer, K, inner): the K values of one softmax sit `inner` elements apart. Numerically stable:
// the maximum is subtracted before exp, sums accumulate in double.
#include <algorithm>
#include <cmath>

#include "core/cpu/kernels.h"
#include "core/cpu/parallel.h"

namespace minidl::cpu {

// y_k = exp(x_k - m) / s                      (softmax)
// y_k = x_k - m - log(s)                      (log_softmax)
// with m = max_j x_j and s = sum_j exp(x_j - m) >= 1, so nothing overflows and log(s) is finite.
void softmax(int64_t outer, int64_t K, int64_t inner, const float* x, float* y, bool log) {
  const int64_t rows = outer * inner;
  parallel_for(rows, grain_for(K), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t base = (r / inner) * K * inner + r % inner;  // element (o, 0, i)
      const float* xr = x + base;
      float* yr = y + base;
      if (K == 0) continue;
      float m = xr[0];
      for (int64_t k = 1; k < K; ++k) m = xr[k * inner] > m ? xr[k * inner] : m;
      double s = 0;
      for (int64_t k = 0; k < K; ++k) {
        const float e = std::exp(xr[k * inner] - m);  // in (0, 1]
        if (!log) yr[k * inner] = e;
        s += e;
      }
      if (log) {
        const double shift = m + std::log(s);
        for (int64_t k = 0; k < K; ++k) yr[k * inner] = static_cast<float>(xr[k * inner] - shift);
      } else {
        const float inv = static_cast<float>(1.0 / s);
        for (int64_t k = 0; k < K; ++k) yr[k * inner] *= inv;
      }
    }
  });
}

// softmax:     dx_k = y_k (gy_k - sum_j gy_j y_j)          (the Jacobian is diag(y) - y y^T)
// log_softmax: dx_k = gy_k - exp(y_k) sum_j gy_j           (d y_j / d x_k = [j == k] - softmax_k)
void softmax_backward(int64_t outer, int64_t K, int64_t inner, const float* y, const float* gy,
                      float* dx, bool log) {
  const int64_t rows = outer * inner;
  parallel_for(rows, grain_for(K), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t base = (r / inner) * K * inner + r % inner;
      const float* yr = y + base;
      const float* gr = gy + base;
      float* dr = dx + base;
      double s = 0;
      if (log) {
        for (int64_t k = 0; k < K; ++k) s += gr[k * inner];
        for (int64_t k = 0; k < K; ++k)
          dr[k * inner] =
              static_cast<float>(gr[k * inner] - std::exp(static_cast<double>(yr[k * inner])) * s);
      } else {
        for (int64_t k = 0; k < K; ++k) s += static_cast<double>(gr[k * inner]) * yr[k * inner];
        for (int64_t k = 0; k < K; ++k)
          dr[k * inner] = static_cast<float>(yr[k * inner] * (gr[k * inner] - s));
      }
    }
  });
}

}  // namespace minidl::cpu
