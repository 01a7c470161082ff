// The CPU matrix product: cblas_sgemm from OpenBLAS (threaded inside; callers never nest threads).
#include <cblas.h>

#include <climits>

#include "core/cpu/kernels.h"
#include "core/error.h"

namespace minidl::cpu {

void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  for (int64_t v : {M, N, K, lda, ldb, ldc})  // CBLAS takes int sizes
    MINIDL_CHECK(v <= INT_MAX, "gemm: size ", v, " exceeds what CBLAS can address (", INT_MAX,
                 "); M=", M, " N=", N, " K=", K);
  if (K == 0) {  // BLAS leaves C untouched when K == 0 only if beta == 1: make it C *= beta
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == 0.f ? 0.f : beta * C[i * ldc + j];
    return;
  }
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
              static_cast<int>(M), static_cast<int>(N), static_cast<int>(K), alpha, A,
              static_cast<int>(lda), B, static_cast<int>(ldb), beta, C, static_cast<int>(ldc));
}

}  // namespace minidl::cpu
