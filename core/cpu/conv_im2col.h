// The im2col kernels of conv2d on the CPU (core/cpu/conv_im2col.cpp): the batch's col matrices
// are cut into spans of columns (a tile of one image, or several whole small images side by
// side) or blocks of rows, which one thread unrolls and multiplies with a one-thread gemm while
// the span is still in cache, as conv_plan.h plans them. conv.cpp runs them for
// ConvPath::Im2col. Internal.
#pragma once

#include "core/cpu/conv_plan.h"

namespace minidl::cpu {

/// y (N, F, OH, OW) = conv(x, W) + b (b may be null), planned by f = forward_plan(g);
/// ws: f.workspace(g, max_threads()) floats.
void conv_im2col_forward(const ConvParams& g, const ForwardPlan& f, const float* x, const float* W,
                         const float* b, float* y, float* ws);
/// dW (F, K) = sum_n gy_n col_n^T (overwritten), planned by plan = backward_plan(g);
/// ws: plan.workspace(g, false, true, max_threads()) floats.
void conv_im2col_dW(const ConvParams& g, const BackwardPlan& plan, const float* x, const float* gy,
                    float* dW, float* ws);
/// dx_n = col2im(W^T gy_n) (overwritten), planned by plan = backward_plan(g);
/// ws: plan.workspace(g, true, false, max_threads()) floats.
void conv_im2col_dx(const ConvParams& g, const BackwardPlan& plan, const float* W, const float* gy,
                    float* dx, float* ws);

}  // namespace minidl::cpu
