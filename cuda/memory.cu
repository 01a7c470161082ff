// The caching allocator behind cuda::malloc / cuda::free: freed blocks wait in free lists by size
// and are handed out again, instead of a slow, device-synchronising cudaMalloc per op. Safe because
// all work runs on one stream: the next user of a block queues after everything that used it.
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/block_cache.h"
#include "cuda/common.cuh"
#include "cuda/runtime.h"

namespace minidl::cuda {

namespace {

constexpr std::size_t kKiB = 1024, kMiB = 1024 * kKiB;

std::string mib(std::size_t n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(n) / static_cast<double>(kMiB));
  return buf;
}

class Allocator {
 public:
  void* allocate(std::size_t nbytes) {
    // A request may take a cached block up to 1/8 larger than its rounded size.
    const std::size_t size = detail::cache_round_size(nbytes);
    std::lock_guard<std::mutex> lock(mutex_);
    if (const detail::BlockCache::Block b = free_.take(size); b.ptr) {
      live_.emplace(b.ptr, b.size);
      return b.ptr;
    }
    check_device();
    void* p = nullptr;
    cudaError_t err = cudaMalloc(&p, size);
    std::size_t released = 0;
    if (err == cudaErrorMemoryAllocation) {  // out of memory: give the cache back, try once more
      cudaGetLastError();
      released = release_cached();
      err = cudaMalloc(&p, size);
    }
    if (err != cudaSuccess) {
      cudaGetLastError();
      if (err != cudaErrorMemoryAllocation)  // a broken context or driver, not a full GPU
        throw Error(detail::cat("cannot allocate ", nbytes,
                                " bytes on the GPU: cudaMalloc failed (", cudaGetErrorString(err),
                                ")"));
      std::size_t free_b = 0, total_b = 0;
      if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) cudaGetLastError();
      throw Error(detail::cat("CUDA out of memory: asked for ", nbytes, " bytes (", mib(nbytes),
                              "); ", mib(free_b), " free of ", mib(total_b), " after releasing ",
                              mib(released), " of cached blocks (", cudaGetErrorString(err),
                              "); hint: use a smaller batch or input ",
                              "size, or free tensors you no longer need"));
    }
    live_.emplace(p, size);
    return p;
  }

  void deallocate(void* p) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = live_.find(p);
    if (it == live_.end()) {  // not ours (cannot happen through Storage): hand it to the driver
      cudaFree(p);
      return;
    }
    const std::size_t size = it->second;
    live_.erase(it);
    try {
      free_.put(p, size);
    } catch (...) {  // no host memory for the free list: give the block back instead
      cudaFree(p);
    }
  }

  void empty() {
    std::lock_guard<std::mutex> lock(mutex_);
    release_cached();
  }

  std::size_t cached() {
    std::lock_guard<std::mutex> lock(mutex_);
    return free_.cached();
  }

 private:
  // Throws the "no GPU" error before the first real allocation on a machine without one.
  void check_device() {
    if (device_checked_) return;
    if (device_count() == 0)
      throw Error(detail::cat("cannot allocate a CUDA tensor: ", device_info(),
                              " (minidl::cuda_available() tells before you try)"));
    device_checked_ = true;
  }

  // Frees every cached block once the queued work (which may still use them) is done.
  // Called with mutex_ held. Returns the bytes released.
  std::size_t release_cached() noexcept {
    if (free_.empty()) return 0;
    if (cudaDeviceSynchronize() != cudaSuccess) cudaGetLastError();
    return free_.release_all([](void* p, std::size_t) { cudaFree(p); });
  }

  std::mutex mutex_;
  detail::BlockCache free_;                      // rounded size -> cached blocks
  std::unordered_map<void*, std::size_t> live_;  // block handed out -> its size
  bool device_checked_ = false;
};

// Never destroyed: tensors in static objects may be freed after other statics are gone, and at
// exit the driver reclaims all device memory anyway.
Allocator& allocator() {
  static Allocator* a = new Allocator();
  return *a;
}

}  // namespace

void* malloc(std::size_t nbytes) {
  if (nbytes == 0) return nullptr;
  return allocator().allocate(nbytes);
}

void free(void* ptr) {
  if (ptr) allocator().deallocate(ptr);
}

void empty_cache() { allocator().empty(); }

std::size_t cached_bytes() { return allocator().cached(); }

}  // namespace minidl::cuda
