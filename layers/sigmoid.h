// Sigmoid: the activation 1 / (1 + exp(-x)) elementwise (minidl::sigmoid); no parameters.
#pragma once

#include "layers/module.h"

namespace minidl {

class Sigmoid : public Module {
 public:
  /// Any shape -> the same shape.
  Tensor forward(const Tensor& x) override;
  /// "Sigmoid".
  std::string name() const override { return "Sigmoid"; }
  Shape output_shape(const Shape& input_shape) override { return input_shape; }
};

}  // namespace minidl
