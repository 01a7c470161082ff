// Device queries and copies for minidl's CUDA backend. A CUDA build runs on a machine without a
// GPU: every query here answers "no GPU" instead of failing. Memory is in memory.cu.
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
  char gib[32];
  std::snprintf(gib, sizeof gib, "%.1f GiB",
                static_cast<double>(p.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0));
  return detail::cat(p.name, ", sm_", p.major, p.minor, ", ", gib);
}

// Every copy runs on minidl's stream, after the kernels queued before it. Copies that involve host
// memory wait for the copy itself: the caller reads the host buffer next, or frees it.
void memcpy(void* dst, const void* src, std::size_t nbytes, CopyKind kind) {
  if (nbytes == 0) return;
  cudaMemcpyKind k = kind == CopyKind::HostToDevice   ? cudaMemcpyHostToDevice
                     : kind == CopyKind::DeviceToHost ? cudaMemcpyDeviceToHost
                                                      : cudaMemcpyDeviceToDevice;
  CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, k, stream()));
  if (kind != CopyKind::DeviceToDevice) CUDA_CHECK(cudaStreamSynchronize(stream()));
}

void synchronize() { CUDA_CHECK(cudaDeviceSynchronize()); }

// Pinned host memory: asked of the driver each time (buffers of this kind live long: staging
// buckets, pinned copies a user keeps), so no cache as for device memory.
void* host_alloc(std::size_t nbytes) {
  if (nbytes == 0) return nullptr;
  if (device_count() == 0)
    throw Error(detail::cat("cannot allocate ", nbytes, " bytes of pinned host memory: ",
                            device_info(), " (pinned memory is for copies to and from a GPU)"));
  void* p = nullptr;
  const cudaError_t err = cudaHostAlloc(&p, nbytes, cudaHostAllocDefault);
  if (err != cudaSuccess) {
    cudaGetLastError();
    throw Error(detail::cat(
        "cannot allocate ", nbytes, " bytes of pinned host memory: ", "cudaHostAlloc failed (",
        cudaGetErrorString(err), "); page-locked memory is limited by the system (ulimit -l)"));
  }
  return p;
}

void host_free(void* ptr) {
  if (ptr && cudaFreeHost(ptr) != cudaSuccess) cudaGetLastError();  // never throws
}

bool is_pinned(const void* ptr) {
  if (!ptr || device_count() == 0) return false;
  cudaPointerAttributes a{};
  if (cudaPointerGetAttributes(&a, ptr) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return a.type == cudaMemoryTypeHost;
}

}  // namespace minidl::cuda
