// 2-D convolution (im2col + sgemm; a 1x1 stride-1 unpadded convolution is a plain gemm) and
// 2-D max pooling (the argmax is kept for backward). Layout NCHW.
#pragma once

#include "core/tensor.h"

namespace minidl {

/// x (N, C, H, W), W (F, C, KH, KW), b (F) or undefined ->
/// (N, F, (H + 2 padding - KH) / stride + 1, (W + 2 padding - KW) / stride + 1). Zero padding.
Tensor conv2d(const Tensor& x, const Tensor& W, const Tensor& b = Tensor(), int64_t stride = 1,
              int64_t padding = 0);
/// x (N, C, H, W) -> (N, C, (H + 2 padding - kernel) / stride + 1, ...); stride 0 means `kernel`.
/// Padded positions never win the max. Requires padding <= kernel / 2.
Tensor max_pool2d(const Tensor& x, int64_t kernel, int64_t stride = 0, int64_t padding = 0);

}  // namespace minidl
