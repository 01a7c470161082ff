// LocallyConnected2d: a convolution whose filters are not shared: every output position has its
// own (out, in, k, k) filter bank and its own bias (darknet's [local] layer, used by YOLOv1).
// Built from ops: the input's k x k patches are gathered with strided slices (an im2col made of
// views and one stack), then one batched matmul applies each position's filters. Autograd gives
// the backward and the ops' CUDA kernels the GPU path.
#pragma once

#include "layers/init.h"

namespace minidl {

class LocallyConnected2d : public WeightedModule {
 public:
  /// `out` filters of size in x kernel x kernel at each output position of an (in, height, width)
  /// input with zero padding `padding` on each side. The output is OH x OW with
  ///   OH = (height + 2 padding - kernel) / stride + 1, OW likewise, L = OH * OW positions.
  /// Requires in, out, height, width, kernel, stride >= 1, padding >= 0 and a kernel that fits
  /// the padded input. Weights drawn with `init` (fan_in = in*k*k, fan_out = out*k*k) from a seed
  /// taken from `gen`; the bias starts at zero.
  LocallyConnected2d(int64_t in, int64_t out, int64_t height, int64_t width, int64_t kernel,
                     int64_t stride = 1, int64_t padding = 0, bool bias = true,
                     Init init = Init::Auto, Generator& gen = default_generator());

  /// x (N, in, height, width) -> y (N, out, OH, OW) with, at position p = oh * OW + ow,
  ///   y[n, f, oh, ow] = b[f, oh, ow] + sum_{c, i, j} W[p, f, c, i, j] *
  ///                     x_pad[n, c, oh * stride + i, ow * stride + j].
  Tensor forward(const Tensor& x) override;
  /// "LocallyConnected2d(1024->256, 9x9, k3)", adding ", s2", ", p1" and ", no bias" where they
  /// differ from the defaults (the size is the input's).
  std::string name() const override;
  Shape output_shape(const Shape& input_shape) override;

  /// W (L, out, in, k, k): position p's filters are W[p], in darknet's order (its .weights files
  /// store this layer's weights as these floats in this order).
  const Tensor& weight() const { return W_; }
  /// b (out, OH, OW), or an undefined tensor when built without bias.
  const Tensor& bias() const { return b_; }
  int64_t in_channels() const { return in_; }
  int64_t out_channels() const { return out_; }
  int64_t in_height() const { return H_; }
  int64_t in_width() const { return W_in_; }
  int64_t out_height() const { return OH_; }
  int64_t out_width() const { return OW_; }
  int64_t kernel() const { return k_; }
  int64_t stride() const { return stride_; }
  int64_t padding() const { return padding_; }

 protected:
  void init_parameters(Init init, float slope, Generator& gen) override;

 private:
  int64_t in_, out_, H_, W_in_, k_, stride_, padding_, OH_, OW_;
  Tensor W_, b_;
};

}  // namespace minidl
