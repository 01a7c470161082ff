// LeakyReLU: the activation x > 0 ? x : slope * x elementwise (minidl::leaky_relu); no parameters.
#pragma once

#include "layers/module.h"

namespace minidl {

class LeakyReLU : public Module {
 public:
  /// Requires a finite slope.
  explicit LeakyReLU(float slope = 0.01f);
  /// Any shape -> the same shape.
  Tensor forward(const Tensor& x) override;
  /// "LeakyReLU(0.1)".
  std::string name() const override;
  Shape output_shape(const Shape& input_shape) override { return input_shape; }
  float slope() const { return slope_; }

 private:
  float slope_;
};

}  // namespace minidl
