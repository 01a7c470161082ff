// Which vector instructions the CPU kernels may use beyond the build's baseline (x86-64-v2, that
// is SSE4.2): a kernel with an AVX2 variant asks avx2_allowed() which one to run. Internal.
#pragma once

namespace minidl::cpu {

/// True when the CPU runs AVX2 and FMA (checked once; every AVX2 CPU so far also has FMA) and
/// set_avx2_allowed(false) is not in force.
bool avx2_allowed();
/// For tests: false makes every kernel take its baseline variant; true restores the CPU's choice.
void set_avx2_allowed(bool allowed);

}  // namespace minidl::cpu
