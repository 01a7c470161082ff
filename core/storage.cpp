// Storage allocation and cross-device copies. CPU buffers are 64-byte aligned (AVX-512 friendly);
// large ones are mappings of their own, in huge pages where the kernel offers them.
#include "core/storage.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include "core/error.h"
#if MINIDL_HAS_CUDA
#include "cuda/runtime.h"
#endif

namespace minidl {

[[noreturn]] void throw_no_cuda(const char* what) {
  throw Error(detail::cat(what,
                          ": minidl was built without CUDA (configure with -DMINIDL_CUDA=ON "
                          "on a machine with the CUDA Toolkit)"));
}

namespace {

// CPU buffers of at least this size get a mapping of their own that starts on a 2 MB boundary,
// with transparent huge pages asked for (madvise): the first touch of fresh memory then costs one
// page fault per 2 MB instead of 512, and a training step touches hundreds of MB of fresh memory.
// The mapping is not rounded beyond 4 KB pages, so no memory is wasted (a tail shorter than 2 MB
// stays in small pages), and where the kernel gives no huge pages all of it does.
constexpr std::size_t kHugePage = std::size_t{2} << 20;
constexpr std::size_t kMapMin = kHugePage;

std::size_t mapped_size(std::size_t nbytes) { return (nbytes + 4095) / 4096 * 4096; }

void* map_large(std::size_t nbytes) {
  const std::size_t len = mapped_size(nbytes);
  void* raw =
      mmap(nullptr, len + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  // Keep the 2 MB aligned [p, p + len) of the mapping and unmap what lies before and after it.
  const auto start = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t p = (start + kHugePage - 1) / kHugePage * kHugePage;
  if (p > start) munmap(raw, p - start);
  const std::uintptr_t end = start + len + kHugePage;
  if (end > p + len) munmap(reinterpret_cast<void*>(p + len), end - (p + len));
#ifdef MADV_HUGEPAGE
  madvise(reinterpret_cast<void*>(p), len, MADV_HUGEPAGE);  // a hint: failure changes nothing
#endif
  return reinterpret_cast<void*>(p);
}

}  // namespace

Storage::Storage(std::size_t nbytes, Device device) : nbytes_(nbytes), device_(device) {
  if (device == Device::CPU) {
    if (nbytes >= kMapMin) {
      ptr_ = map_large(nbytes);
    } else {
      std::size_t rounded = (nbytes + 63) / 64 * 64;
      ptr_ = rounded ? std::aligned_alloc(64, rounded) : nullptr;
    }
    MINIDL_CHECK(ptr_ || !nbytes, "out of host memory: asked for ", nbytes, " bytes");
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
    if (nbytes_ >= kMapMin)
      munmap(ptr_, mapped_size(nbytes_));
    else
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
