// Softmax: exp(x) / sum(exp(x)) along one axis (minidl::softmax, numerically stable); no
// parameters.
#pragma once

#include "layers/module.h"

namespace minidl {

class Softmax : public Module {
 public:
  /// `axis` counts from the end when negative; it is checked against the input in forward.
  explicit Softmax(int64_t axis = -1) : axis_(axis) {}
  /// Any shape with that axis -> the same shape.
  Tensor forward(const Tensor& x) override;
  /// "Softmax(axis=-1)".
  std::string name() const override;
  Shape output_shape(const Shape& input_shape) override;
  int64_t axis() const { return axis_; }

 private:
  int64_t axis_;
};

}  // namespace minidl
