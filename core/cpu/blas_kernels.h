// Which of OpenBLAS's kernels run minidl's products, and minidl's correction of OpenBLAS's choice
// on CPUs it does not know (see blas_kernels.cpp). Internal.
#pragma once

#include <string>

namespace minidl::cpu {

/// The OpenBLAS kernel family that should replace `chosen` on a CPU with the given instructions,
/// or nullptr when `chosen` is right: a family without AVX2 (OpenBLAS's generic "Prescott" and
/// the other pre-AVX2 ones) on a CPU with AVX2 and FMA gives "SkylakeX" when the CPU also has
/// AVX-512 (F, DQ, BW, VL), else "Haswell". Pure: the tests feed it any CPU.
const char* better_blas_kernels(const char* chosen, bool avx2_fma, bool avx512);

/// Called once, before minidl's first product (core/device.cpp): when OpenBLAS was built with
/// DYNAMIC_ARCH, OPENBLAS_CORETYPE is not set, and better_blas_kernels() names a family for this
/// CPU, makes OpenBLAS choose again with that family. Else leaves OpenBLAS alone.
void pick_blas_kernels();

/// The family OpenBLAS had chosen when pick_blas_kernels changed it ("Prescott"), else "". (The
/// family in use is part of openblas_get_config().)
std::string blas_repicked_from();

}  // namespace minidl::cpu
