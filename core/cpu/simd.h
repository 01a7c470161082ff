// Which vector instructions the CPU kernels may use beyond the build's baseline (x86-64-v2, that
// is SSE4.2): a kernel with AVX2 or AVX-512 variants asks simd_level() which one to run. Internal.
#pragma once

namespace minidl::cpu {

/// The instruction sets a kernel may choose from, in order: AVX2 means AVX2 and FMA (every AVX2
/// CPU so far also has FMA); AVX512 means AVX-512 F, DQ, BW and VL besides.
enum class Simd { Base, AVX2, AVX512 };

/// The best set the CPU (and the OS) runs, checked once.
Simd cpu_simd();
/// cpu_simd(), capped by set_simd_limit: the set the kernels use.
Simd simd_level();
/// For tests: caps simd_level() at `limit`; Simd::AVX512 restores the CPU's choice.
void set_simd_limit(Simd limit);

/// simd_level() >= Simd::AVX2.
inline bool avx2_allowed() { return simd_level() >= Simd::AVX2; }

}  // namespace minidl::cpu
