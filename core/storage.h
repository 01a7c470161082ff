// Storage: one buffer of bytes on one device, owned by shared_ptr and shared by tensor views.
#pragma once

#include <cstddef>
#include <memory>

#include "core/device.h"

namespace minidl {

/// Host memory as the operating system pages it, or page-locked ("pinned") by the CUDA driver:
/// copies between a pinned buffer and the GPU run by DMA at the link's full rate, without the
/// driver's bounce through a pinned buffer of its own.
enum class HostMemory { Pageable, Pinned };

class Storage {
 public:
  /// Allocates nbytes on `device` (uninitialised). Throws minidl::Error when memory runs out.
  /// HostMemory::Pinned (CPU only) needs a CUDA build and a GPU, and throws a clear error without.
  Storage(std::size_t nbytes, Device device, HostMemory host = HostMemory::Pageable);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return ptr_; }
  std::size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }
  bool pinned() const { return pinned_; }

 private:
  void* ptr_ = nullptr;
  std::size_t nbytes_ = 0;
  std::size_t capacity_ = 0;  // CPU: the bytes actually allocated (>= nbytes_)
  Device device_;
  bool pinned_ = false;  // CPU memory from cudaHostAlloc (not cached: freed with cudaFreeHost)
};

/// CPU buffers of 64 KiB and more are cached when freed and handed out again (the sizes a
/// training step uses repeat every step, and fresh memory costs page faults at its first touch).
/// The cache holds at most MINIDL_CPU_CACHE_MB megabytes (default 4096; 0 turns it off).
/// The bytes the CPU cache holds now.
std::size_t cpu_cached_bytes();
/// Returns every cached CPU buffer to the system; gives the bytes released.
std::size_t empty_cpu_cache();

/// Copies nbytes between any two devices (host<->device, device<->device, host<->host).
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device,
                std::size_t nbytes);

}  // namespace minidl
