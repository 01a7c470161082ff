// The run-time choice of vector instructions (see simd.h).
#include "core/cpu/simd.h"

#include <atomic>

namespace minidl::cpu {

namespace {
bool cpu_has_avx2() {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}
std::atomic<bool>& allowed() {
  static std::atomic<bool> a{cpu_has_avx2()};
  return a;
}
}  // namespace

bool avx2_allowed() { return allowed().load(std::memory_order_relaxed); }

void set_avx2_allowed(bool allow) { allowed().store(allow && cpu_has_avx2()); }

}  // namespace minidl::cpu
