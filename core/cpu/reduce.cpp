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
        float best = row[0];
        for (int64_t k = 1; k < K; ++k)
          best = op == ReduceOp::Max ? (row[k] > best ? row[k] : best)
                                     : (row[k] < best ? row[k] : best);
        y[m] = best;
      }
    }
  });
}

void argmax_rows(int64_t M, int64_t K, const float* x, float* y) {
  for (int64_t m = 0; m < M; ++m) {
    const float* row = x + m * K;
    int64_t best = 0;
    for (int64_t k = 1; k < K; ++k)
      if (row[k] > row[best]) best = k;
    y[m] = static_cast<float>(best);
  }
}

}  // namespace minidl::cpu
