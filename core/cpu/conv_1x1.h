// The forward pass of a 1x1, stride-1, unpadded convolution on at most kShallowK input channels
// (such as one on the 3 colour channels of an image) without gemm, in a loop with an AVX2
// variant. conv.cpp runs it when conv_forward_path says ConvPath::Shallow1x1. Internal.
#pragma once

#include "core/kernel_types.h"

namespace minidl::cpu {

/// y (N, F, H, W) = the convolution of x (N, C, H, W) with W (F, C), plus b (F) when b is not
/// null; requires g.is_1x1() and 1 <= g.C <= kShallowK. Needs no workspace.
void conv1x1_shallow_forward(const ConvParams& g, const float* x, const float* W, const float* b,
                             float* y);

}  // namespace minidl::cpu
