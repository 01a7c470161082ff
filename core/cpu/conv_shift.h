// Stride-1 convolutions without im2col ("shifted views"): for each kernel offset (kh, kw), the
// inputs that meet the outputs are one plain matrix of the padded image, offset by kh * row + kw,
// so the forward pass, dW and dx are each KH * KW gemms on data that stays in cache (derived in
// docs/convolution.md). Internal; conv_plan.h says when conv.cpp runs them.
#pragma once

#include "core/cpu/pool.h"
#include "core/kernel_types.h"

namespace minidl::cpu {

/// True when the kernels below handle g: stride 1, not a plain 1x1 (pad 0), and N, F, C and the
/// output size all > 0.
bool conv_shift_applies(const ConvParams& g);

// Each kernel below requires conv_shift_applies(g) and a workspace ws of the size its _workspace
// function returned at the same thread count (minidl::set_num_threads). The results equal the
// plain sums up to rounding for finite inputs; with an Inf or NaN in x (dW) or in W (dx), entries
// that the plain sums keep finite can become NaN, because the widened columns multiply parts of
// x and W by zeros.

/// A max pool of k x k windows at stride k, without padding, on the convolution's output, run
/// inside these kernels (conv2d_max_pool2d; requires 2 <= k <= OH, OW and k <= kMaxCodedPool):
/// the forward pass writes the pooled output (N, F, OH / k, OW / k) instead of y, and codes[i]
/// (pool.h) holds dh * k + dw, the place of output i's winner in its window, by max_pool2d's
/// rule. The backward kernels then take the pooled output's gradient as gy, and the same codes:
/// the gradient of y is zero but at the winners. The convolution's whole output is never written.
/// With act.on, a leaky ReLU follows the pool: the forward pass writes its output and marks in
/// the codes where it took its slope; backward takes the gradient of that output.
struct ConvPool {
  int64_t k;
  uint8_t* codes;  // (N, F, OH / k, OW / k); read only by the backward kernels
  PoolLeaky act;
};

/// Floats of scratch memory the kernels below need for g (with a pool of k x k windows, or 1).
int64_t conv_shift_forward_workspace(const ConvParams& g, int64_t pool_k = 1);
int64_t conv_shift_dW_workspace(const ConvParams& g);
int64_t conv_shift_dx_workspace(const ConvParams& g);

/// y (N, F, OH, OW) = conv(x, W) + b (b may be null); with pool, y is the pooled output.
void conv_shift_forward(const ConvParams& g, const float* x, const float* W, const float* b,
                        float* y, float* ws, const ConvPool* pool = nullptr);

/// dW (F, C, KH, KW) = the gradient of sum(gy * conv(x, W)) with respect to W (overwritten),
/// and, when db is not null, db (F) = the bias's gradient, summed from the same gy rows while
/// they are in cache. The sums are grouped the same way on every run with the same thread count.
/// With pool, gy is the pooled output's gradient.
void conv_shift_dW(const ConvParams& g, const float* x, const float* gy, float* dW, float* db,
                   float* ws, const ConvPool* pool = nullptr);

/// dx (N, C, H, W) = the gradient with respect to x (overwritten); gy as for conv_shift_dW.
void conv_shift_dx(const ConvParams& g, const float* W, const float* gy, float* dx, float* ws,
                   const ConvPool* pool = nullptr);

}  // namespace minidl::cpu
