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
  Device device_;
};

/// Copies nbytes between any two devices (host<->device, device<->device, host<->host).
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, std::size_t nbytes);

}  // namespace minidl
