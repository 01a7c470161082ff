// Storage allocation and cross-device copies. CPU buffers are 64-byte aligned (AVX-512 friendly);
// large ones are mappings of their own, in huge pages where the kernel offers them, and buffers of
// 64 KiB and more are cached when freed and handed out again (a BlockCache, as on the GPU).
#include "core/storage.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>

#include "core/block_cache.h"
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

// Buffers of at least kCacheMin bytes are rounded (cache_round_size) and cached when freed: a
// training step frees and allocates the same sizes again and again, and a fresh buffer costs a
// page fault and a zeroed page per 4 KiB (or 2 MiB) at its first touch. The cache must not raise
// the peak memory much: when a request finds no cached block and the live plus cached bytes would
// pass the peak of the live bytes by more than 1/4 (or 64 MiB, for small networks), cached blocks
// are given back to the system first. (Without that slack, a request taking a block a little larger
// than it needs makes a later request miss, whose releases make others miss: a step never settles
// into reusing. With 1/8, tiny YOLOv1's step at batch 8 did not settle: each step gave back and
// mapped again four blocks of 8-14 MiB, about 46 MiB of fresh pages; with 1/4 it maps nothing
// after the first steps, for 21 MiB more peak RSS.) The cache holds at most cache_limit() bytes; a
// block that would overflow it empties the cache first (the sizes in use changed, e.g. a new batch
// size), so stale blocks never pile up. Smaller buffers come from malloc, whose own free lists
// already reuse them.
constexpr std::size_t kCacheMin = std::size_t{64} << 10;
constexpr std::size_t kCacheSlack = std::size_t{64} << 20;

void* os_allocate(std::size_t size) {
  return size >= kMapMin ? map_large(size) : std::aligned_alloc(64, size);
}

void os_free(void* p, std::size_t size) {
  if (size >= kMapMin)
    munmap(p, mapped_size(size));
  else
    std::free(p);
}

// MINIDL_CPU_CACHE_MB (default 4096; 0 turns the cache off).
std::size_t cache_limit() {
  static const std::size_t limit = [] {
    const char* env = std::getenv("MINIDL_CPU_CACHE_MB");
    char* end = nullptr;
    const unsigned long long mb = env && *env ? std::strtoull(env, &end, 10) : 4096;
    return static_cast<std::size_t>(end && *end ? 4096 : mb) << 20;
  }();
  return limit;
}

class HostCache {
 public:
  // A block of at least `size` (rounded) bytes; `got` is its real size, for release().
  void* allocate(std::size_t size, std::size_t& got) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (const detail::BlockCache::Block b = free_.take(size); b.ptr) {
        got = b.size;
        live_ += got;
        return b.ptr;
      }
      // A miss: the footprint (live + cached) may grow to 1/4 (and at least kCacheSlack) above
      // the peak of the live bytes; beyond that, cached blocks go back to the system first.
      live_ += size;
      peak_live_ = std::max(peak_live_, live_);
      const std::size_t limit = peak_live_ + std::max(peak_live_ / 4, kCacheSlack),
                        footprint = live_ + free_.cached();
      if (footprint > limit) free_.release_at_least(footprint - limit, os_free);
    }
    got = size;
    void* p = os_allocate(size);
    if (!p) {  // out of memory: give the cache back and try once more
      empty();
      p = os_allocate(size);
    }
    if (!p) {
      std::lock_guard<std::mutex> lock(mutex_);
      live_ -= size;
    }
    return p;
  }

  void release(void* p, std::size_t size) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    live_ -= size;
    if (size > cache_limit()) return os_free(p, size);
    if (free_.cached() + size > cache_limit()) free_.release_all(os_free);
    try {
      free_.put(p, size);
    } catch (...) {  // no memory for the free list: give the block back instead
      os_free(p, size);
    }
  }

  std::size_t empty() noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    return free_.release_all(os_free);
  }

  std::size_t cached() {
    std::lock_guard<std::mutex> lock(mutex_);
    return free_.cached();
  }

 private:
  std::mutex mutex_;
  detail::BlockCache free_;
  std::size_t live_ = 0, peak_live_ = 0;  // bytes of cacheable blocks handed out: now, at most
};

// Never destroyed: tensors in static objects may be freed after other statics are gone.
HostCache& host_cache() {
  static HostCache* c = new HostCache();
  return *c;
}

}  // namespace

std::size_t cpu_cached_bytes() { return host_cache().cached(); }

std::size_t empty_cpu_cache() { return host_cache().empty(); }

Storage::Storage(std::size_t nbytes, Device device, HostMemory host)
    : nbytes_(nbytes), device_(device), pinned_(host == HostMemory::Pinned) {
  MINIDL_CHECK(!pinned_ || device == Device::CPU, "pinned memory is host memory: asked for ",
               nbytes, " pinned bytes on ", device_name(device));
  if (pinned_) {
#if MINIDL_HAS_CUDA
    ptr_ = cuda::host_alloc(nbytes);
#else
    throw_no_cuda("allocating pinned host memory");
#endif
  } else if (device == Device::CPU) {
    if (nbytes >= kCacheMin) {
      ptr_ = host_cache().allocate(detail::cache_round_size(nbytes), capacity_);
    } else {
      capacity_ = (nbytes + 63) / 64 * 64;
      ptr_ = capacity_ ? std::aligned_alloc(64, capacity_) : nullptr;
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
  if (pinned_) {
#if MINIDL_HAS_CUDA
    cuda::host_free(ptr_);
#endif
  } else if (device_ == Device::CPU) {
    if (nbytes_ >= kCacheMin)
      host_cache().release(ptr_, capacity_);
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
