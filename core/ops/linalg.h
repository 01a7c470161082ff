// Matrix products on cblas_sgemm (cuBLAS on CUDA): matmul and the dense layer's linear map.
#pragma once

#include "core/tensor.h"

namespace minidl {

/// (M, K) @ (K, N) -> (M, N); (B, M, K) @ (B, K, N) -> (B, M, N); (B, M, K) @ (K, N) -> (B, M, N).
Tensor matmul(const Tensor& a, const Tensor& b);
/// y = x W^T + b with x (N, in), W (out, in), b (out) or undefined -> (N, out).
Tensor linear(const Tensor& x, const Tensor& W, const Tensor& b = Tensor());

}  // namespace minidl
