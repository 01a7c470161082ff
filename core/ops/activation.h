// Activations: sigmoid, tanh, relu, leaky_relu, and softmax / log_softmax along an axis.
#pragma once

#include "core/tensor.h"

namespace minidl {

Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
/// max(x, 0); NaN stays NaN (as in PyTorch); the gradient at 0 (and at NaN) is 0.
Tensor relu(const Tensor& x);
/// x > 0 ? x : slope * x.
Tensor leaky_relu(const Tensor& x, float slope = 0.01f);
/// exp(x - max) / sum(exp(x - max)) along `axis` (numerically stable).
Tensor softmax(const Tensor& x, int64_t axis = -1);
/// x - max - log(sum(exp(x - max))) along `axis` (numerically stable).
Tensor log_softmax(const Tensor& x, int64_t axis = -1);

}  // namespace minidl
