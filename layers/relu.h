// ReLU: the activation max(x, 0) elementwise (minidl::relu); no parameters.
#pragma once

#include "layers/module.h"

namespace minidl {

class ReLU : public Module {
 public:
  /// Any shape -> the same shape.
  Tensor forward(const Tensor& x) override;
  /// "ReLU".
  std::string name() const override { return "ReLU"; }
  Shape output_shape(const Shape& input_shape) override { return input_shape; }
};

}  // namespace minidl
