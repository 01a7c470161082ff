// CUDA twin of core/cpu/gemm.cpp: cublasSgemm on minidl's stream. cuBLAS is column-major, and a
// row-major matrix read column-major is its transpose, so the row-major C = op(A) op(B) is computed
// as the column-major C^T = op(B)^T op(A)^T: the operands swap places and keep their flags.
#include <climits>

#include "cuda/common.cuh"
#include "cuda/kernels.h"

namespace minidl::cuda {

namespace {

// C (M x N, row stride ldc) = beta * C, and exactly 0 where beta == 0 (even where C held NaN).
__global__ void scale_kernel(int64_t M, int64_t N, float* C, int64_t ldc, float beta) {
  CUDA_GRID_LOOP(i, M * N) {
    float& c = C[(i / N) * ldc + i % N];
    c = beta == 0.f ? 0.f : beta * c;
  }
}

}  // namespace

void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  for (int64_t v : {M, N, K, lda, ldb, ldc})  // cublasSgemm takes int sizes
    MINIDL_CHECK(v <= INT_MAX, "gemm: size ", v, " exceeds what cuBLAS can address (", INT_MAX,
                 "); M=", M, " N=", N, " K=", K);
  if (K == 0) {  // op(A) op(B) is a sum of no terms: C = beta * C, as on the CPU
    scale_kernel<<<blocks_for(M * N), kThreads, 0, stream()>>>(M, N, C, ldc, beta);
    CUDA_CHECK_LAUNCH();
    return;
  }
  CUBLAS_CHECK(cublas_api().cublasSgemm(
      cublas(), transB ? CUBLAS_OP_T : CUBLAS_OP_N, transA ? CUBLAS_OP_T : CUBLAS_OP_N,
      static_cast<int>(N), static_cast<int>(M), static_cast<int>(K), &alpha, B,
      static_cast<int>(ldb), A, static_cast<int>(lda), &beta, C, static_cast<int>(ldc)));
}

}  // namespace minidl::cuda
