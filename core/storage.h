// Storage: one buffer of bytes on one device, owned by shared_ptr and shared by tensor views.
#pragma once

#include <cstddef>
#include <memory>

#include "core/device.h"

namespace minidl {

class Storage {
 public:
  /// Allocates nbytes on `device` (uninitialised). Throws minidl::Error when memory runs out.
  Storage(std::size_t nbytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return ptr_; }
  std::size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

 private:
  void* ptr_ = nullptr;
  std::size_t nbytes_ = 0;
  std::size_t capacity_ = 0;  // CPU: the bytes actually allocated (>= nbytes_)
  Device device_;
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
