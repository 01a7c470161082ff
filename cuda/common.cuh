// What every CUDA source of minidl shares: error checks for CUDA and cuBLAS calls and for kernel
// launches (failures become minidl::Error naming the call and place), the launch geometry, the
// stream and cuBLAS handle of cuda/context.cu, and scratch memory from the caching allocator.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "cuda/runtime.h"

#define CUDA_CHECK(call)                                                                          \
  do {                                                                                            \
    cudaError_t err_ = (call);                                                                    \
    if (err_ != cudaSuccess)                                                                      \
      throw ::minidl::Error(::minidl::detail::cat("CUDA error in ", #call, " at ", __FILE__, ":", \
                                                  __LINE__, ": ", cudaGetErrorString(err_)));     \
  } while (0)

#define CUBLAS_CHECK(call)                                                                        \
  do {                                                                                            \
    cublasStatus_t st_ = (call);                                                                  \
    if (st_ != CUBLAS_STATUS_SUCCESS)                                                             \
      throw ::minidl::Error(                                                                      \
          ::minidl::detail::cat("cuBLAS error in ", #call, " at ", __FILE__, ":", __LINE__, ": ", \
                                ::minidl::cuda::cublas_api().cublasGetStatusName(st_), " (",      \
                                ::minidl::cuda::cublas_api().cublasGetStatusString(st_), ")"));   \
  } while (0)

/// Put right after every kernel launch: a bad launch (configuration, missing image for this GPU)
/// is reported here, naming the kernel's file and line, instead of at some later call.
#define CUDA_CHECK_LAUNCH()                                                                       \
  do {                                                                                            \
    cudaError_t err_ = cudaGetLastError();                                                        \
    if (err_ != cudaSuccess)                                                                      \
      throw ::minidl::Error(::minidl::detail::cat("CUDA kernel launch failed at ", __FILE__, ":", \
                                                  __LINE__, ": ", cudaGetErrorString(err_)));     \
  } while (0)

namespace minidl::cuda {

// ---- context (cuda/context.cu) ------------------------------------------------------------------
/// The one stream every kernel, copy and cuBLAS call of minidl runs on, so that work is ordered
/// and a block freed to the caching allocator can be handed out again at once. Made on first use.
cudaStream_t stream();
/// The cuBLAS handle, bound to stream(). Made on first use (thread-safe).
cublasHandle_t cublas();

/// cuBLAS's functions that minidl calls. The library is loaded (dlopen) on the first call of
/// cublas_api(), not with the program: linking libcublas costs every process that loads minidl
/// about 150 MB of resident memory at start (CUDA 13: its 360,000 relocations and data), GPU or
/// not. Throws minidl::Error naming the library and the loader's reason when it cannot be loaded.
/// Each member bears its function's name (cublas_v2.h's macros map both to the _v2 symbols), so
/// CUBLAS_CHECK's message names the cuBLAS call that failed.
struct Cublas {
  decltype(&::cublasCreate) cublasCreate;
  decltype(&::cublasSetStream) cublasSetStream;
  decltype(&::cublasSetPointerMode) cublasSetPointerMode;
  decltype(&::cublasSetMathMode) cublasSetMathMode;
  decltype(&::cublasSgemm) cublasSgemm;
  decltype(&::cublasGetStatusName) cublasGetStatusName;
  decltype(&::cublasGetStatusString) cublasGetStatusString;
};
const Cublas& cublas_api();

// ---- launch geometry ----------------------------------------------------------------------------
constexpr int kThreads = 256;                     // threads per block of the elementwise kernels
constexpr int64_t kMaxBlocks = int64_t{1} << 16;  // beyond this, kernels loop (grid-stride)

/// Blocks for n work items at `threads` per block, capped at kMaxBlocks; n > 0.
inline unsigned blocks_for(int64_t n, int threads = kThreads) {
  int64_t b = (n + threads - 1) / threads;
  return static_cast<unsigned>(b < kMaxBlocks ? b : kMaxBlocks);
}

/// Grid-stride loop over [0, n): each thread takes i = its global index, then steps by the grid.
#define CUDA_GRID_LOOP(i, n)                                                             \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)

/// True when every value fits a 32-bit signed index, so a kernel can use cheaper 32-bit math.
inline bool fits_int32(int64_t v) { return v >= 0 && v <= INT32_MAX; }

// ---- scratch memory -----------------------------------------------------------------------------
/// Device scratch memory from the caching allocator, returned to it when this goes out of scope.
/// Safe to drop right after the kernels that use it are launched: the next user of the block is
/// ordered after them on the one stream.
class Scratch {
 public:
  explicit Scratch(std::size_t nbytes) : ptr_(::minidl::cuda::malloc(nbytes)) {}
  ~Scratch() { ::minidl::cuda::free(ptr_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  template <class T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }

 private:
  void* ptr_;
};

}  // namespace minidl::cuda
