// conv2d followed by a max pool of k x k windows at stride k, in one pass on the CPU: the
// shifted-view kernels pool each band of the convolution's output while it is in cache, so the
// output itself is never written, and its gradient is rebuilt band by band from the pool's
// (conv_shift.h, ConvPool). core/ops/conv.cpp's conv2d_max_pool2d runs these when
// conv2d_pool_fuses() says so, and the two ops one after the other otherwise. Internal.
#pragma once

#include <cstdint>

#include "core/cpu/pool.h"
#include "core/kernel_types.h"

namespace minidl::cpu {

/// True when the fast kernels run g by shifted views both ways and 2 <= k <= OH, OW, k <=
/// kMaxCodedPool (pool.h: a winner's place and the leaky's slope share one byte).
bool conv2d_pool_fuses(const ConvParams& g, int64_t k);

/// Floats of scratch memory for the calls below.
int64_t conv2d_pool_forward_workspace(const ConvParams& g, int64_t k);
int64_t conv2d_pool_backward_workspace(const ConvParams& g, bool dx, bool dW);

/// yp (N, F, OH / k, OW / k) = max_pool2d(conv2d(x, W, b), k), b may be null, then leaky_relu
/// with act's slope when act.on; codes (one byte per output, pool.h) = the place dh * k + dw of
/// each output's winner in its window, and with act.on whether the leaky took its slope.
void conv2d_pool_forward(const ConvParams& g, int64_t k, const float* x, const float* W,
                         const float* b, float* yp, uint8_t* codes, float* ws, PoolLeaky act = {});

/// The gradients of sum(gp * yp) for the forward call above (each may be null: not computed),
/// with its codes and act.
void conv2d_pool_backward(const ConvParams& g, int64_t k, const float* x, const float* W,
                          const float* gp, const uint8_t* codes, float* dx, float* dW, float* db,
                          float* ws, PoolLeaky act = {});

}  // namespace minidl::cpu
