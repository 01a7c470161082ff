// The run-time choice of vector instructions (see simd.h).
#include "core/cpu/simd.h"

#include <algorithm>
#include <atomic>

namespace minidl::cpu {

namespace {
Simd detect() {
#if defined(__x86_64__) || defined(__i386__)
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return Simd::Base;
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
    return Simd::AVX512;
  return Simd::AVX2;
#else
  return Simd::Base;
#endif
}
std::atomic<Simd>& limit() {
  static std::atomic<Simd> l{Simd::AVX512};
  return l;
}
}  // namespace

Simd cpu_simd() {
  static const Simd best = detect();
  return best;
}

Simd simd_level() { return std::min(limit().load(std::memory_order_relaxed), cpu_simd()); }

void set_simd_limit(Simd l) { limit().store(l); }

}  // namespace minidl::cpu
