// The CUDA runtime calls minidl's C++ code needs, behind plain C++ signatures (no CUDA types), so
// that core/ compiles without the CUDA headers. Defined in cuda/runtime.cu; only referenced from
// code compiled with MINIDL_HAS_CUDA=1. Internal.
#pragma once

#include <cstddef>
#include <string>

namespace minidl::cuda {

int device_count();
std::string device_info();
/// Device memory; throws minidl::Error with the size asked for when the GPU is out of memory.
void* malloc(std::size_t nbytes);
void free(void* ptr);
enum class CopyKind { HostToDevice, DeviceToHost, DeviceToDevice };
void memcpy(void* dst, const void* src, std::size_t nbytes, CopyKind kind);
void synchronize();

}  // namespace minidl::cuda
