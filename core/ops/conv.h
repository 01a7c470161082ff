// 2-D convolution (im2col + sgemm; a 1x1 stride-1 unpadded convolution is a plain gemm) and
// 2-D max pooling (the argmax is kept for backward). Layout NCHW.
#pragma once

#include <optional>

#include "core/tensor.h"

namespace minidl {

/// x (N, C, H, W), W (F, C, KH, KW), b (F) or undefined ->
/// (N, F, (H + 2 padding - KH) / stride + 1, (W + 2 padding - KW) / stride + 1). Zero padding.
/// Requires KH, KW >= 1 and a kernel no larger than the padded input.
Tensor conv2d(const Tensor& x, const Tensor& W, const Tensor& b = Tensor(), int64_t stride = 1,
              int64_t padding = 0);
/// max_pool2d(conv2d(x, W, b, stride, padding), pool): the same values and gradients, in one pass
/// where the CPU kernels allow it (stride-1 convolutions with few channels, shifted views): the
/// convolution's output is pooled band by band while it is in cache and never written whole,
/// nor is its gradient. Elsewhere (CUDA, other shapes) it runs the two ops. Requires pool >= 1.
/// With leaky_slope: leaky_relu(max_pool2d(conv2d(...), pool), *leaky_slope), the activation in
/// the same pass when its slope is >= 0 (its output is then the only thing kept for backward).
Tensor conv2d_max_pool2d(const Tensor& x, const Tensor& W, const Tensor& b, int64_t stride,
                         int64_t padding, int64_t pool,
                         std::optional<float> leaky_slope = std::nullopt);
/// Whether conv2d_max_pool2d runs in one pass for these arguments (false for arguments that
/// conv2d would reject).
bool conv2d_max_pool2d_fuses(const Tensor& x, const Tensor& W, const Tensor& b, int64_t stride,
                             int64_t padding, int64_t pool);
/// x (N, C, H, W) -> (N, C, (H + 2 padding - kernel) / stride + 1, ...); stride 0 means `kernel`.
/// Padded positions never win the max. Requires H, W >= 1 and padding <= kernel / 2.
Tensor max_pool2d(const Tensor& x, int64_t kernel, int64_t stride = 0, int64_t padding = 0);

}  // namespace minidl
