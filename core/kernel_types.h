// Types shared by the CPU kernels (core/cpu) and their CUDA twins (cuda/): plain data only,
// no Tensor, so a kernel sees pointers, sizes, strides and scalars. Internal (not installed).
#pragma once

#include <cstdint>

// UnaryOp and BinaryOp: generated from the table of elementwise ops, beside their formulas.
#include "core/kernels/elementwise_math.h"

namespace minidl {

constexpr int kMaxDims = 8;

/// Shape and element strides of one operand, aligned to the output's shape (stride 0 where the
/// operand is broadcast). Passed by value to CUDA kernels.
struct Layout {
  int ndim = 0;
  int64_t shape[kMaxDims] = {};
  int64_t stride[kMaxDims] = {};
};

/// The YOLOv1 loss's configuration as the kernels see it (see losses/yolo_v1_loss.h).
struct YoloV1Params {
  int S, B, C;
  float lambda_coord, lambda_noobj, lambda_obj, lambda_class;
  bool rescore, sqrt_wh, softmax_ce;
};

/// One SGD step's hyperparameters as the update kernels see them (see core/optim.h).
struct SgdStep {
  float lr, momentum, weight_decay;
  bool nesterov;
};

/// One Adam / AdamW step's hyperparameters as the update kernels see them (see core/optim.h):
/// step_size = lr / (1 - beta1^t) and inv_sqrt_bc2 = 1 / sqrt(1 - beta2^t) for update t.
struct AdamStep {
  float lr, beta1, beta2, eps, weight_decay;
  bool decoupled;  // AdamW: w *= 1 - lr * weight_decay instead of the L2 term in the gradient
  float step_size, inv_sqrt_bc2;
};

/// The sizes of one 2-D convolution, layout NCHW: x (N, C, H, W), W (F, C, KH, KW) and
/// y (N, F, OH, OW) with OH = (H + 2 pad - KH) / stride + 1 (OW alike). In the gemm view an
/// image's col matrix is (K, P) with K = C*KH*KW rows and P = OH*OW columns, W is (F, K) and y_n
/// is (F, P).
struct ConvParams {
  int64_t N, C, H, W, F, KH, KW, OH, OW, stride, pad;
  int64_t K() const { return C * KH * KW; }
  int64_t P() const { return OH * OW; }
  /// A 1x1, stride-1, unpadded convolution: the image (C, H*W) is its own col matrix.
  bool is_1x1() const { return KH == 1 && KW == 1 && stride == 1 && pad == 0; }
};

enum class ReduceOp { Sum, Max, Min };

}  // namespace minidl
