// Conv2D: a 2-D convolution layer over NCHW input (minidl::conv2d), W (out, in, k, k), b (out).
#pragma once

#include "layers/init.h"

namespace minidl {

class Conv2D : public WeightedModule {
 public:
  /// `out` filters of size in x kernel x kernel, zero padding `padding` on each side.
  /// Requires in, out, kernel, stride >= 1 and padding >= 0. Weights drawn with `init` from a
  /// seed taken from `gen` (fan_in = in*k*k, fan_out = out*k*k); the bias starts at zero.
  Conv2D(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t padding = 0,
         bool bias = true, Init init = Init::Auto, Generator& gen = default_generator());

  /// x (N, in, H, W) -> (N, out, (H + 2p - k) / s + 1, (W + 2p - k) / s + 1).
  Tensor forward(const Tensor& x) override;
  /// "Conv2D(3->16, k3)", adding ", s2", ", p1" and ", no bias" where they differ from the
  /// defaults.
  std::string name() const override;
  Shape output_shape(const Shape& input_shape) override;

  /// W (out, in, k, k).
  const Tensor& weight() const { return W_; }
  /// b (out), or an undefined tensor when built without bias.
  const Tensor& bias() const { return b_; }
  int64_t in_channels() const { return in_; }
  int64_t out_channels() const { return out_; }
  int64_t kernel() const { return k_; }
  int64_t stride() const { return stride_; }
  int64_t padding() const { return padding_; }

 protected:
  void init_parameters(Init init, float slope, Generator& gen) override;

 private:
  int64_t in_, out_, k_, stride_, padding_;
  Tensor W_, b_;
};

}  // namespace minidl
