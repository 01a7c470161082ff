// Tanh: the activation tanh(x) elementwise (minidl::tanh); no parameters.
#pragma once

#include "layers/module.h"

namespace minidl {

class Tanh : public Module {
 public:
  /// Any shape -> the same shape.
  Tensor forward(const Tensor& x) override;
  /// "Tanh".
  std::string name() const override { return "Tanh"; }
  Shape output_shape(const Shape& input_shape) override { return input_shape; }
};

}  // namespace minidl
