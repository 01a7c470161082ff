// The CPU matrix product on OpenBLAS, which always runs on the calling thread: a big product is cut
// here into one block of rows or columns of C per thread of minidl's pool. A product with one row
// or one column of C is a matrix-vector product (sgemv, which reads the matrix once instead of
// packing it), and one with K = 1 is an outer product (sger).
#include <cblas.h>

#include <algorithm>
#include <climits>

#include "core/cpu/kernels.h"
#include "core/cpu/parallel.h"
#include "core/error.h"

namespace minidl::cpu {

namespace {

// Products below this many multiply-adds run on one thread (about 20-50 microseconds of work).
constexpr int64_t kParallelMacs = int64_t{1} << 21;
// Blocks of C are at least this many rows or columns (a multiple of the kernels' widths).
constexpr int64_t kMinBlock = 32;

// C (M x N) = beta * C, where beta == 0 writes zeros without reading C (as gemm does).
void scale_c(int64_t M, int64_t N, float beta, float* C, int64_t ldc) {
  if (beta == 1.f) return;
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == 0.f ? 0.f : beta * C[i * ldc + j];
}

// The product on this thread, M, N, K >= 1.
void gemm_one_thread(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                     const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                     int64_t ldc) {
  // OpenBLAS on one thread: core/device.cpp set it once for the process, which is enough for
  // the pthreads build, but in OpenBLAS's OpenMP build openblas_set_num_threads sets only the
  // calling thread's count, so there it is set once on every thread that multiplies (a pool
  // worker, or a user's own thread), which would otherwise start an OpenMP team per product.
  thread_local const bool one_blas_thread =
      openblas_get_parallel() != 2 || (openblas_set_num_threads(1), true);
  (void)one_blas_thread;
  const auto i = [](int64_t v) { return static_cast<int>(v); };
  if (M == 1) {  // C (1, N) = alpha a op(B) + beta C, with a = op(A) (1, K)
    const int64_t inca = transA ? lda : 1;
    scale_c(1, N, beta, C, ldc);
    if (transB)  // B is (N, K): C^T = B a
      cblas_sgemv(CblasRowMajor, CblasNoTrans, i(N), i(K), alpha, B, i(ldb), A, i(inca), 1.f, C, 1);
    else  // B is (K, N): C^T = B^T a
      cblas_sgemv(CblasRowMajor, CblasTrans, i(K), i(N), alpha, B, i(ldb), A, i(inca), 1.f, C, 1);
    return;
  }
  if (N == 1) {  // C (M, 1) = alpha op(A) b + beta C, with b = op(B) (K, 1)
    const int64_t incb = transB ? 1 : ldb;
    scale_c(M, 1, beta, C, ldc);
    if (transA)  // A is (K, M)
      cblas_sgemv(CblasRowMajor, CblasTrans, i(K), i(M), alpha, A, i(lda), B, i(incb), 1.f, C,
                  i(ldc));
    else
      cblas_sgemv(CblasRowMajor, CblasNoTrans, i(M), i(K), alpha, A, i(lda), B, i(incb), 1.f, C,
                  i(ldc));
    return;
  }
  if (K == 1) {  // C = alpha a b^T + beta C, a = op(A) (M, 1), b = op(B) (1, N)
    const int64_t inca = transA ? 1 : lda, incb = transB ? ldb : 1;
    if (beta == 0.f) {  // one pass that writes C (sger would read and write it after a zero fill)
      for (int64_t r = 0; r < M; ++r) {
        const float a = alpha * A[r * inca];
        float* c = C + r * ldc;
        if (incb == 1)
          for (int64_t j = 0; j < N; ++j) c[j] = a * B[j];
        else
          for (int64_t j = 0; j < N; ++j) c[j] = a * B[j * incb];
      }
      return;
    }
    scale_c(M, N, beta, C, ldc);
    cblas_sger(CblasRowMajor, i(M), i(N), alpha, A, i(inca), B, i(incb), C, i(ldc));
    return;
  }
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
              i(M), i(N), i(K), alpha, A, i(lda), B, i(ldb), beta, C, i(ldc));
}

}  // namespace

void gemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  for (int64_t v : {M, N, K, lda, ldb, ldc})  // CBLAS takes int sizes
    MINIDL_CHECK(v <= INT_MAX, "gemm: size ", v, " exceeds what CBLAS can address (", INT_MAX,
                 "); M=", M, " N=", N, " K=", K);
  if (K == 0) {  // BLAS leaves C untouched when K == 0 only if beta == 1: make it C *= beta
    scale_c(M, N, beta, C, ldc);
    return;
  }
  const int64_t T = max_threads();
  if (T == 1 || in_parallel() || M * N * K < kParallelMacs) {
    gemm_one_thread(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  // One block of C per thread, cut along its longer side: rows of C are rows of op(A), columns
  // of C columns of op(B).
  const bool by_rows = M >= N;
  const int64_t side = by_rows ? M : N;
  const int64_t blocks = std::max<int64_t>(1, std::min(T, side / kMinBlock));
  const int64_t size = (side + blocks - 1) / blocks;
  parallel_items((side + size - 1) / size, [&](int64_t blk, int) {
    const int64_t o = blk * size, len = std::min(size, side - o);
    if (by_rows)
      gemm_one_thread(transA, transB, len, N, K, alpha, A + (transA ? o : o * lda), lda, B, ldb,
                      beta, C + o * ldc, ldc);
    else
      gemm_one_thread(transA, transB, M, len, K, alpha, A, lda, B + (transB ? o * ldb : o), ldb,
                      beta, C + o, ldc);
  });
}

}  // namespace minidl::cpu
