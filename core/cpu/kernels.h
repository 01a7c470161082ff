// The CPU kernels (namespace minidl::cpu): the reference implementation of every kernel contract
// listed in core/kernels/kernel_list.h, declared here by expanding that list. Raw pointers, sizes
// and scalars in; no Tensor, no allocation. cuda/kernels.h declares the same list for CUDA.
// What the CPU alone has is declared beside its code: the thread pool (parallel.h), the
// convolution paths (conv_plan.h, conv_im2col.h, conv_1x1.h, conv_shift.h, conv_reference.h) and
// the AVX2 switch (simd.h). Internal.
#pragma once

#include <cstdint>

#include "core/kernel_types.h"

namespace minidl::cpu {

#define MINIDL_KERNEL(ret, name, params) ret name params
#include "core/kernels/kernel_list.h"
#undef MINIDL_KERNEL

}  // namespace minidl::cpu
