// The CUDA runtime calls minidl's C++ code needs, behind plain C++ signatures (no CUDA types), so
// that core/ compiles without the CUDA headers. Defined in cuda/runtime.cu and cuda/memory.cu;
// only referenced from code compiled with MINIDL_HAS_CUDA=1. Internal.
#pragma once

#include <cstddef>
#include <string>

namespace minidl::cuda {

int device_count();
std::string device_info();

/// Device memory of at least nbytes (nullptr for 0), from the caching allocator (memory.cu): freed
/// blocks are kept in size buckets and handed out again. When the GPU is out of memory, every
/// cached block is released and the allocation tried once more; then it throws minidl::Error
/// naming the size asked for, with a hint.
void* malloc(std::size_t nbytes);
/// Returns ptr (from malloc, or nullptr) to the cache. Never throws.
void free(void* ptr);
/// Releases every cached (free) block to the driver, after the stream's pending work is done.
void empty_cache();
/// Bytes held in the cache, free for reuse (for tests and memory reports).
std::size_t cached_bytes();

/// Page-locked host memory of at least nbytes (nullptr for 0), from cudaHostAlloc; throws
/// minidl::Error naming the size when there is no GPU or the driver refuses. Not cached.
void* host_alloc(std::size_t nbytes);
/// Returns ptr (from host_alloc, or nullptr). Never throws.
void host_free(void* ptr);
/// True when ptr lies in host memory the CUDA driver has page-locked (the driver's own answer).
bool is_pinned(const void* ptr);

enum class CopyKind { HostToDevice, DeviceToHost, DeviceToDevice };
/// Copies on minidl's stream; returns once host memory involved may be reused or read.
void memcpy(void* dst, const void* src, std::size_t nbytes, CopyKind kind);
/// Waits for all work queued so far.
void synchronize();

/// cuBLAS is loaded on first use (cuda/context.cu), not with the program. load_cublas() loads it
/// now if it is not yet, and returns the file it came from (throws minidl::Error naming the
/// library when it cannot); cublas_loaded() says whether it is in this process, loading nothing.
std::string load_cublas();
bool cublas_loaded();

}  // namespace minidl::cuda
