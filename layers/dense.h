// Dense: the fully connected layer y = x W^T + b (minidl::linear), W (out, in), b (out).
#pragma once

#include "layers/init.h"

namespace minidl {

class Dense : public WeightedModule {
 public:
  /// A layer mapping `in` features to `out`. Requires in >= 1 and out >= 1. The weights are drawn
  /// with `init` from a seed taken from `gen` (see init.h); the bias starts at zero.
  Dense(int64_t in, int64_t out, bool bias = true, Init init = Init::Auto,
        Generator& gen = default_generator());

  /// x (..., in) -> (..., out); leading axes are flattened into the batch for the product.
  Tensor forward(const Tensor& x) override;
  /// "Dense(784->128)", with ", no bias" when built without one.
  std::string name() const override;
  Shape output_shape(const Shape& input_shape) override;

  /// W (out, in).
  const Tensor& weight() const { return W_; }
  /// b (out), or an undefined tensor when built without bias.
  const Tensor& bias() const { return b_; }
  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }

 protected:
  void init_parameters(Init init, float slope, Generator& gen) override;

 private:
  int64_t in_, out_;
  Tensor W_, b_;
};

}  // namespace minidl
