// Storage allocation and cross-device copies. CPU buffers are 64-byte aligned (AVX-512 friendly).
#include "core/storage.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "core/error.h"
#if MINIDL_HAS_CUDA
#include "cuda/runtime.h"
#endif

namespace minidl {

[[noreturn]] void throw_no_cuda(const char* what) {
  throw Error(detail::cat(what, ": minidl was built without CUDA (configure with -DMINIDL_CUDA=ON "
                                "on a machine with the CUDA Toolkit)"));
}

Storage::Storage(std::size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  if (device == Device::CPU) {
    std::size_t rounded = (nbytes + 63) / 64 * 64;
    ptr_ = rounded ? std::aligned_alloc(64, rounded) : nullptr;
    MINIDL_CHECK(ptr_ || !rounded, "out of host memory: asked for ", nbytes, " bytes");
  } else {
#if MINIDL_HAS_CUDA
    ptr_ = cuda::malloc(nbytes);
#else
    throw_no_cuda("allocating a CUDA tensor");
#endif
  }
}

Storage::~Storage() {
  if (device_ == Device::CPU) {
    std::free(ptr_);
  } else {
#if MINIDL_HAS_CUDA
    cuda::free(ptr_);
#endif
  }
}

void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device,
                std::size_t nbytes) {
  if (nbytes == 0) return;
  if (dst_device == Device::CPU && src_device == Device::CPU) {
    std::memmove(dst, src, nbytes);  // the ranges may overlap (copy_ between views of one storage)
    return;
  }
#if MINIDL_HAS_CUDA
  using cuda::CopyKind;
  CopyKind kind = src_device == Device::CPU   ? CopyKind::HostToDevice
                  : dst_device == Device::CPU ? CopyKind::DeviceToHost
                                              : CopyKind::DeviceToDevice;
  cuda::memcpy(dst, src, nbytes, kind);
#else
  throw_no_cuda("copying to or from a CUDA tensor");
#endif
}

}  // namespace minidl
