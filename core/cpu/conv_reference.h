// The plain convolution kernels (per image: im2col, then one gemm over all threads): the readable
// reference that tests/test_conv_kernels.cpp holds the fast kernels of core/cpu/kernels.h to, and
// what conv2d_forward / conv2d_backward run for every call under MINIDL_CONV=reference
// (conv_plan.h). CPU only (no CUDA twins); defined in core/cpu/conv_reference.cpp. Internal.
#pragma once

#include "core/kernel_types.h"

namespace minidl::cpu {

/// As conv2d_forward, without a workspace (it allocates one image's col matrix).
void conv2d_forward_reference(const ConvParams& p, const float* x, const float* W, const float* b,
                              float* y);
/// As conv2d_backward, without a workspace.
void conv2d_backward_reference(const ConvParams& p, const float* x, const float* W, const float* gy,
                               float* dx, float* dW, float* db);

}  // namespace minidl::cpu
