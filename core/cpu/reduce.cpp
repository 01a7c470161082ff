// CPU reduction kernels over the rows of a contiguous (M, K) matrix; the op front end permutes
// the reduced axes last first.
#include <algorithm>

#include "core/cpu/kernels.h"
#include "core/cpu/parallel.h"

namespace minidl::cpu {

void reduce_rows(ReduceOp op, int64_t M, int64_t K, const float* x, float* y) {
  parallel_for(M, grain_for(K), [&](int64_t m0, int64_t m1) {
    for (int64_t m = m0; m < m1; ++m) {
      const float* row = x + m * K;
      if (op == ReduceOp::Sum) {
        double s = 0;
        for (int64_t k = 0; k < K; ++k) s += row[k];
        y[m] = static_cast<float>(s);
      } else {
        // v takes over when it is larger (smaller for Min) or the first NaN: a NaN anywhere
        // makes the result NaN (as PyTorch's max / amax / min), and nothing replaces a NaN.
        float best = row[0];
        const bool is_max = op == ReduceOp::Max;
        for (int64_t k = 1; k < K; ++k) {
          const float v = row[k];
          if ((is_max ? v > best : v < best) || (v != v && best == best)) best = v;
        }
        y[m] = best;
      }
    }
  });
}

void argmax_rows(int64_t M, int64_t K, const float* x, float* y) {
  for (int64_t m = 0; m < M; ++m) {
    const float* row = x + m * K;
    int64_t best = 0;
    // The first NaN counts as the maximum (as PyTorch's argmax); otherwise the first largest.
    for (int64_t k = 1; k < K; ++k)
      if (row[k] > row[best] || (row[k] != row[k] && row[best] == row[best])) best = k;
    y[m] = static_cast<float>(best);
  }
}

}  // namespace minidl::cpu
