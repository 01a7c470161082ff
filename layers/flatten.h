// Flatten: merges every axis after the batch axis into one; no parameters.
#pragma once

#include "layers/module.h"

namespace minidl {

class Flatten : public Module {
 public:
  /// x (N, d1, ..., dk) -> (N, d1 * ... * dk); x (N) -> (N, 1). Requires at least one axis.
  Tensor forward(const Tensor& x) override;
  /// "Flatten".
  std::string name() const override { return "Flatten"; }
  Shape output_shape(const Shape& input_shape) override;
};

}  // namespace minidl
