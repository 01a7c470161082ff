// The CUDA kernels (namespace minidl::cuda): every kernel contract listed in
// core/kernels/kernel_list.h, with the names and signatures of the CPU kernels, declared here by
// expanding that list. Every pointer is a device pointer; each kernel runs asynchronously on
// minidl's stream (cuda/context.cu). Plain C++ (no CUDA types), so the op front ends include it
// in a CUDA build. What CUDA alone has (device queries, memory, copies) is in cuda/runtime.h.
// Internal.
#pragma once

#include <cstdint>

#include "core/kernel_types.h"

namespace minidl::cuda {

#define MINIDL_KERNEL(ret, name, params) ret name params
#include "core/kernels/kernel_list.h"
#undef MINIDL_KERNEL

}  // namespace minidl::cuda
