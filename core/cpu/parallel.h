// minidl's CPU threads: one pool (set_num_threads(n) gives it n - 1 workers beside the calling
// thread) that runs every parallel loop of the CPU kernels, gemm's included (OpenBLAS itself
// always runs on one thread), so there is one level of parallelism and never two pools competing
// for the cores. Waiting threads spin for a few microseconds, then sleep. Internal.
#pragma once

#include <algorithm>
#include <cstdint>

namespace minidl::cpu {

/// Elements of work below which one thread costs less than waking the pool: the grain of the
/// elementwise, softmax, pooling and optimizer loops (gemm.cpp sets its own, in multiply-adds).
constexpr int64_t kParallelMin = int64_t{1} << 15;

/// The grain, in items, of a loop whose items cost about `work_per_item` elements each (a row,
/// an image plane): as many items as make kParallelMin elements, and at least one.
constexpr int64_t grain_for(int64_t work_per_item) {
  return std::max<int64_t>(1, kParallelMin / std::max<int64_t>(work_per_item, 1));
}

/// The threads minidl's parallel loops use (minidl::set_num_threads).
int max_threads();
/// Sets the pool to n threads in all (the caller's included). Not while a parallel loop runs.
void set_pool_threads(int n);
/// True inside a body run by parallel_items (where a nested parallel loop runs serially).
bool in_parallel();

namespace detail {
using ItemFn = void (*)(const void* ctx, int64_t item, int slot);
void run_items(int64_t n, ItemFn fn, const void* ctx);
}  // namespace detail

/// Calls body(item, slot) once for every item in [0, n), on the pool's threads: each thread takes
/// the next item when it is done with one, so a thread the OS has descheduled does not hold up the
/// others. slot (< max_threads()) is the calling thread's number, for per-thread scratch memory;
/// one slot never runs two items at once. With one item or one thread, or when called from
/// inside another parallel loop, everything runs on the caller. An exception thrown by body is
/// rethrown here, after every item that started has finished.
template <class Body>
void parallel_items(int64_t n, const Body& body) {
  detail::run_items(
      n,
      [](const void* ctx, int64_t item, int slot) { (*static_cast<const Body*>(ctx))(item, slot); },
      &body);
}

/// Calls body(begin, end) on consecutive ranges that cover [0, n), in parallel when n is at least
/// 2 * grain (each range then holds at least `grain` indices; grain: the work below which a
/// thread costs more than it gives).
template <class Body>
void parallel_for(int64_t n, int64_t grain, const Body& body) {
  const int64_t T = max_threads();
  int64_t chunks = std::min<int64_t>(n / std::max<int64_t>(grain, 1), 4 * T);
  if (chunks < 2 || T == 1 || in_parallel()) {
    if (n > 0) body(int64_t{0}, n);
    return;
  }
  const int64_t size = (n + chunks - 1) / chunks;
  chunks = (n + size - 1) / size;
  parallel_items(chunks, [&](int64_t c, int) { body(c * size, std::min(n, c * size + size)); });
}

}  // namespace minidl::cpu
