// BatchNorm2d: batch normalisation over the channels of NCHW input, in PyTorch's arithmetic or in
// darknet's, and fold_batch_norm(), which merges a trained BatchNorm2d into the Conv2D before it
// for inference (fold_for_inference does it for a whole model). Built from ops (mean, sqrt,
// broadcasting), so autograd gives the backward and every op's CUDA kernel the GPU path.
#pragma once

#include <memory>

#include "layers/conv2d.h"
#include "layers/module.h"
#include "layers/sequential.h"

namespace minidl {

/// Which formula normalises. With m = N * H * W values per channel, mean mu and
///   var_b = sum (x - mu)^2 / m         (biased),   var_u = sum (x - mu)^2 / (m - 1)  (unbiased):
/// Standard (PyTorch):  x_hat = (x - mu) / sqrt(var_b + eps)       in training,
///                      x_hat = (x - running_mean) / sqrt(running_var + eps)       in eval.
/// Darknet:             x_hat = (x - mu) / (sqrt(var_u) + eps)     in training,
///                      x_hat = (x - running_mean) / (sqrt(running_var) + eps)     in eval.
/// Both keep running averages of mu and var_u.
enum class BatchNormStyle { Standard, Darknet };

struct BatchNormOptions {
  /// Added to the variance (Standard) or to the standard deviation (Darknet).
  float eps = 1e-5f;
  /// Weight of the batch statistic in the running averages (PyTorch's convention):
  /// running = (1 - momentum) * running + momentum * batch statistic.
  float momentum = 0.1f;
  /// Learnt per-channel scale gamma (starts at 1) and shift beta (starts at 0).
  bool affine = true;
  BatchNormStyle style = BatchNormStyle::Standard;

  /// Darknet's batch norm: eps 1e-6 on the standard deviation, running averages updated as
  /// 0.99 * running + 0.01 * batch statistic, affine.
  static BatchNormOptions darknet() { return {1e-6f, 0.01f, true, BatchNormStyle::Darknet}; }
};

class BatchNorm2d : public Module {
 public:
  /// Normalises `channels` channels. Requires channels >= 1, eps >= 0 (eps > 0 for Standard) and
  /// 0 <= momentum <= 1. running_mean starts at 0 and running_var at 1 (buffers, not parameters).
  explicit BatchNorm2d(int64_t channels, BatchNormOptions options = {});

  /// x (N, C, H, W) -> the same shape: y = gamma * x_hat + beta per channel (x_hat as in
  /// BatchNormStyle). Training mode uses the batch's statistics and updates the running ones
  /// (no gradient flows into them); it needs more than one value per channel (N * H * W >= 2).
  /// Eval mode (Module::eval()) uses the running statistics and changes nothing.
  Tensor forward(const Tensor& x) override;
  /// "BatchNorm2d(16)", with ", darknet" for that style and ", no affine" without gamma and beta.
  std::string name() const override;
  Shape output_shape(const Shape& input_shape) override;

  /// gamma (C), or undefined without affine.
  const Tensor& weight() const { return gamma_; }
  /// beta (C), or undefined without affine.
  const Tensor& bias() const { return beta_; }
  /// The running mean (C) and running unbiased variance (C).
  const Tensor& running_mean() const { return running_mean_; }
  const Tensor& running_var() const { return running_var_; }
  int64_t channels() const { return channels_; }
  const BatchNormOptions& options() const { return options_; }

 private:
  // (x - mean) / std_dev(var) with the style's formula; mean and var are (1, C, 1, 1).
  Tensor normalise(const Tensor& x, const Tensor& mean, const Tensor& var) const;

  int64_t channels_;
  BatchNormOptions options_;
  Tensor gamma_, beta_, running_mean_, running_var_;
};

/// A new Conv2D that computes bn(conv(x)) with bn in eval mode: per output channel f, with
/// s_f = gamma_f / sd_f and sd_f = sqrt(running_var_f) + eps (Darknet) or
/// sqrt(running_var_f + eps) (Standard),
///   W'[f] = s_f * W[f],   b'_f = s_f * (b_f - running_mean_f) + beta_f   (b_f = 0 without bias).
/// The result always has a bias, lives on conv's device, and shares nothing with either layer.
/// Requires bn.channels() == conv.out_channels() and both on one device.
std::shared_ptr<Conv2D> fold_batch_norm(const Conv2D& conv, const BatchNorm2d& bn);

/// A model for inference that computes what `model` computes in eval mode, faster: nested
/// Sequentials (of exactly that type) are flattened into one, and every Conv2D followed directly
/// by a BatchNorm2d becomes fold_batch_norm of the two. Flat, the activation and max pooling of
/// neighbouring blocks meet, so Sequential can run the pool first (sequential.h). The other layers
/// are shared with `model`, not copied; `model` itself is unchanged. The result is in eval mode and
/// its parameter names differ from `model`'s (keep `model` to save or train).
std::shared_ptr<Sequential> fold_for_inference(const Sequential& model);

}  // namespace minidl
