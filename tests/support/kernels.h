// Helpers for the tests that call kernels directly on host buffers: random inputs, and a guard that
// restores the thread count when a test ends (also when a check throws), so that one test's
// setting never leaks into the next. (The guard of the CPU convolution kernels, ConvModeGuard, is
// in tests/ops/conv_mode.h.)
#pragma once

#include <cstdint>
#include <vector>

#include "core/minidl.h"

namespace minidl::test {

/// n values drawn uniformly from [lo, hi) by a Generator seeded with `seed`.
inline std::vector<float> random_vec(int64_t n, uint64_t seed, float lo = -1.f, float hi = 1.f) {
  Generator gen(seed);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& e : v) e = gen.uniform(lo, hi);
  return v;
}

/// Restores the thread count in force when it was made.
struct ThreadsGuard {
  int saved = num_threads();
  ThreadsGuard() = default;
  ThreadsGuard(const ThreadsGuard&) = delete;
  ThreadsGuard& operator=(const ThreadsGuard&) = delete;
  ~ThreadsGuard() { set_num_threads(saved); }
};

}  // namespace minidl::test
