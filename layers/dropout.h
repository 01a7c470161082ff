// Dropout: inverted dropout while training (zero each element with probability p, scale the rest
// by 1 / (1 - p)); the identity in eval mode. No parameters.
#pragma once

#include "layers/module.h"

namespace minidl {

class Dropout : public Module {
 public:
  /// Requires 0 <= p < 1. The masks come from the layer's own Generator, seeded with one number
  /// drawn from `gen` here, so a model built after manual_seed(s) drops the same elements.
  explicit Dropout(float p, Generator& gen = default_generator());
  /// Any shape -> the same shape. Training: x * mask / (1 - p) with mask ~ Bernoulli(1 - p) drawn
  /// anew on each call; eval (or p == 0): x itself.
  Tensor forward(const Tensor& x) override;
  /// "Dropout(0.5)".
  std::string name() const override;
  Shape output_shape(const Shape& input_shape) override { return input_shape; }
  float p() const { return p_; }
  /// Restarts the mask sequence from `seed`.
  void seed(uint64_t seed) { gen_.seed(seed); }

 private:
  float p_;
  Generator gen_;
};

}  // namespace minidl
