// cpu::gemm against a double-precision loop for every transpose: thin shapes (one row of C, one
// column, K = 1, which take sgemv and the outer-product path), padded leading dimensions, beta 0
// (C is not read, even when it holds NaN), 1 and 0.5, and products big enough to be cut into
// blocks over 1 to 3 threads.
#include <cmath>
#include <limits>

#include "core/cpu/kernels.h"
#include "support/helpers.h"
#include "support/kernels.h"

using namespace minidl;
using namespace minidl::test;

TEST_CASE("gemm kernel: thin, padded and large products for every transpose and beta",
          "[linalg][kernels]") {
  ThreadsGuard restore;
  struct Shape3 {
    int64_t M, N, K;
  };
  const Shape3 shapes[] = {{1, 37, 19}, {23, 1, 17}, {29, 31, 1},    {1, 1, 40},
                           {1, 300, 1}, {5, 7, 3},   {130, 70, 240}, {3, 700, 1100}};
  int seed = 0;
  for (const Shape3& s : shapes)
    for (int t = 0; t < 4; ++t)
      for (float beta : {0.f, 1.f, 0.5f})
        for (int threads : {1, 3}) {
          const bool tA = t & 1, tB = t & 2;
          // op(A) is (M, K), op(B) is (K, N); each stored row-major with 3 padding columns.
          const int64_t ra = tA ? s.K : s.M, ca = tA ? s.M : s.K, lda = ca + 3;
          const int64_t rb = tB ? s.N : s.K, cb = tB ? s.K : s.N, ldb = cb + 3, ldc = s.N + 3;
          INFO("M=" << s.M << " N=" << s.N << " K=" << s.K << " transA " << tA << " transB " << tB
                    << " beta " << beta << ", " << threads << " threads");
          set_num_threads(threads);
          const auto A = random_vec(ra * lda, ++seed), B = random_vec(rb * ldb, ++seed);
          auto C = random_vec(s.M * ldc, ++seed);
          if (beta == 0.f) C[0] = std::numeric_limits<float>::quiet_NaN();  // must not be read
          const float alpha = 0.75f;
          std::vector<double> ref(static_cast<size_t>(s.M * s.N));
          for (int64_t i = 0; i < s.M; ++i)
            for (int64_t j = 0; j < s.N; ++j) {
              double acc = 0;
              for (int64_t k = 0; k < s.K; ++k)
                acc += double(tA ? A[k * lda + i] : A[i * lda + k]) *
                       (tB ? B[j * ldb + k] : B[k * ldb + j]);
              ref[i * s.N + j] = alpha * acc + (beta == 0.f ? 0.0 : beta * double(C[i * ldc + j]));
            }
          std::vector<float> out = C;
          cpu::gemm(tA, tB, s.M, s.N, s.K, alpha, A.data(), lda, B.data(), ldb, beta, out.data(),
                    ldc);
          double worst = 0;
          bool padding_kept = true;
          for (int64_t i = 0; i < s.M; ++i) {
            for (int64_t j = 0; j < s.N; ++j)
              worst = std::max(worst, std::fabs(out[i * ldc + j] - ref[i * s.N + j]) /
                                          (1.0 + std::fabs(ref[i * s.N + j])));
            for (int64_t j = s.N; j < ldc && i * ldc + j < static_cast<int64_t>(out.size()); ++j)
              padding_kept &= out[i * ldc + j] == C[i * ldc + j];
          }
          CHECK(worst < 1e-4);  // float sums of up to 1100 products
          CHECK(padding_kept);  // the columns past N of each row of C are left alone
        }
}
