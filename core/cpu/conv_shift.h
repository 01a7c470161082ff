// The backward of a stride-1 convolution without im2col ("shifted views"): for each kernel offset
// (kh, kw), the inputs that meet the outputs are one plain matrix of the padded image, offset by
// kh * row + kw, so dW and dx are KH * KW gemms on data that stays in cache. Internal; conv.cpp
// chooses between these and its im2col kernels.
#pragma once

#include "core/kernel_types.h"

namespace minidl::cpu {

/// True when g has stride 1 (the only case these kernels handle) and is not a plain 1x1.
bool conv_shift_applies(const ConvParams& g);

/// Floats of scratch memory the kernels below need for g (conv_shift_applies(g)).
int64_t conv_shift_forward_workspace(const ConvParams& g);
int64_t conv_shift_dW_workspace(const ConvParams& g);
int64_t conv_shift_dx_workspace(const ConvParams& g);

/// y (N, F, OH, OW) = conv(x, W) + b (b may be null).
void conv_shift_forward(const ConvParams& g, const float* x, const float* W, const float* b,
                        float* y, float* ws);

/// dW (F, C, KH, KW) = the gradient of sum(gy * conv(x, W)) with respect to W (overwritten).
/// The sums are grouped the same way on every run with the same thread count.
void conv_shift_dW(const ConvParams& g, const float* x, const float* gy, float* dW, float* ws);

/// dx (N, C, H, W) = the gradient with respect to x (overwritten).
void conv_shift_dx(const ConvParams& g, const float* W, const float* gy, float* dx, float* ws);

}  // namespace minidl::cpu
