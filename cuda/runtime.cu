// Device query and device memory for minidl's CUDA backend. A CUDA build runs on a machine
// without a GPU: every query here answers "no GPU" instead of failing.
#include <cstdio>

#include "cuda/common.cuh"
#include "cuda/runtime.h"

namespace minidl::cuda {

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no device" / "no driver" error
    return 0;
  }
  return n;
}

std::string device_info() {
  int n = 0;
  cudaError_t err = cudaGetDeviceCount(&n);
  if (err != cudaSuccess) {
    cudaGetLastError();
    return detail::cat("no usable GPU (", cudaGetErrorString(err), ")");
  }
  if (n == 0) return "no GPU";
  cudaDeviceProp p{};
  CUDA_CHECK(cudaGetDeviceProperties(&p, 0));
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s, sm_%d%d, %.1f GiB", p.name, p.major, p.minor,
                static_cast<double>(p.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0));
  return buf;
}

void* malloc(std::size_t nbytes) {
  if (nbytes == 0) return nullptr;
  if (device_count() == 0)
    throw Error(detail::cat("cannot allocate a CUDA tensor: ", device_info(),
                            " (minidl::cuda_available() tells before you try)"));
  void* p = nullptr;
  cudaError_t err = cudaMalloc(&p, nbytes);
  if (err != cudaSuccess) {
    cudaGetLastError();
    std::size_t free_b = 0, total_b = 0;
    cudaMemGetInfo(&free_b, &total_b);
    throw Error(detail::cat("CUDA out of memory: asked for ", nbytes / (1024.0 * 1024.0), " MiB, ",
                            free_b / (1024.0 * 1024.0), " MiB free of ", total_b / (1024.0 * 1024.0),
                            " MiB (", cudaGetErrorString(err),
                            "); hint: use a smaller batch or input size"));
  }
  return p;
}

void free(void* ptr) {
  if (ptr) cudaFree(ptr);  // never throws: called from destructors
}

void memcpy(void* dst, const void* src, std::size_t nbytes, CopyKind kind) {
  if (nbytes == 0) return;
  cudaMemcpyKind k = kind == CopyKind::HostToDevice   ? cudaMemcpyHostToDevice
                     : kind == CopyKind::DeviceToHost ? cudaMemcpyDeviceToHost
                                                      : cudaMemcpyDeviceToDevice;
  CUDA_CHECK(cudaMemcpy(dst, src, nbytes, k));
}

void synchronize() { CUDA_CHECK(cudaDeviceSynchronize()); }

}  // namespace minidl::cuda
