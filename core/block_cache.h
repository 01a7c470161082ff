// BlockCache: the free lists of a caching allocator, shared by the CPU storage (core/storage.cpp)
// and the CUDA allocator (cuda/memory.cu). Freed blocks wait by size and are handed out again,
// so a training step reuses the previous step's buffers instead of asking the OS (or the driver)
// for fresh memory, whose first touch costs a page fault and a zeroed page (or a cudaMalloc).
// Not thread-safe: each allocator guards its cache with its own mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <map>
#include <vector>

namespace minidl::detail {

/// Sizes are rounded up so that near sizes share a bucket: to 512 B below 1 MiB, to 128 KiB below
/// 64 MiB (at most 1/8 wasted), to 2 MiB above. Sizes too large to round are returned unchanged.
inline std::size_t cache_round_size(std::size_t n) {
  constexpr std::size_t kMiB = std::size_t{1} << 20;
  const std::size_t q = n < kMiB ? 512 : n < 64 * kMiB ? 128 * 1024 : 2 * kMiB;
  return n > SIZE_MAX - q ? n : (n + q - 1) / q * q;
}

class BlockCache {
 public:
  /// A cached block of at least `size` bytes (a rounded size) and at most 1/8 larger, or
  /// {nullptr, 0} when there is none. The block leaves the cache.
  struct Block {
    void* ptr = nullptr;
    std::size_t size = 0;
  };
  Block take(std::size_t size) {
    auto it = free_.lower_bound(size);
    if (it == free_.end() || it->first - size > size / 8) return {};
    Block b{it->second.back(), it->first};
    it->second.pop_back();
    if (it->second.empty()) free_.erase(it);
    cached_ -= b.size;
    return b;
  }

  /// Caches a block of `size` bytes (its size as handed out). May throw std::bad_alloc (the
  /// caller then frees the block instead).
  void put(void* ptr, std::size_t size) {
    free_[size].push_back(ptr);
    cached_ += size;
  }

  /// Empties the cache, calling release(ptr, size) for every block. Returns the bytes released.
  template <class Release>
  std::size_t release_all(Release&& release) noexcept {
    std::size_t released = 0;
    for (auto& [size, blocks] : free_)
      for (void* p : blocks) {
        release(p, size);
        released += size;
      }
    free_.clear();
    cached_ = 0;
    return released;
  }

  /// Releases cached blocks worth at least `size` bytes (or all there are), calling
  /// release(ptr, size) for each: the smallest block of `size` or more when there is one (the
  /// least memory given up), else blocks from the largest down. Returns the bytes released.
  template <class Release>
  std::size_t release_at_least(std::size_t size, Release&& release) noexcept {
    std::size_t released = 0;
    auto drop = [&](std::map<std::size_t, std::vector<void*>>::iterator it) {
      release(it->second.back(), it->first);
      released += it->first;
      cached_ -= it->first;
      it->second.pop_back();
      if (it->second.empty()) free_.erase(it);
    };
    if (auto it = free_.lower_bound(size); it != free_.end()) {
      drop(it);
      return released;
    }
    while (released < size && !free_.empty()) drop(std::prev(free_.end()));
    return released;
  }

  bool empty() const { return free_.empty(); }
  std::size_t cached() const { return cached_; }

 private:
  std::map<std::size_t, std::vector<void*>> free_;  // size -> cached blocks
  std::size_t cached_ = 0;
};

}  // namespace minidl::detail
