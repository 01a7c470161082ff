// The CUDA context of minidl: one stream and one cuBLAS handle, made on first use (function-local
// statics, so the first use from several threads is safe) and kept for the life of the process.
#include "cuda/common.cuh"

namespace minidl::cuda {

cudaStream_t stream() {
  // Non-blocking: never implicitly ordered with the legacy default stream, which minidl does not
  // use (every copy goes through this stream too, see runtime.cu). Never destroyed: the driver
  // releases it at exit, after which destroying it would fail.
  static const cudaStream_t s = [] {
    cudaStream_t st = nullptr;
    CUDA_CHECK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
    return st;
  }();
  return s;
}

cublasHandle_t cublas() {
  static const cublasHandle_t h = [] {
    cublasHandle_t handle = nullptr;
    CUBLAS_CHECK(cublasCreate(&handle));
    CUBLAS_CHECK(cublasSetStream(handle, stream()));
    // alpha and beta are host floats; FP32 math only (no TF32), like the CPU's sgemm.
    CUBLAS_CHECK(cublasSetPointerMode(handle, CUBLAS_POINTER_MODE_HOST));
    CUBLAS_CHECK(cublasSetMathMode(handle, CUBLAS_DEFAULT_MATH));
    return handle;
  }();
  return h;
}

}  // namespace minidl::cuda
