// Reshape: gives each sample a new shape, keeping the batch axis; no parameters.
#pragma once

#include "layers/module.h"

namespace minidl {

class Reshape : public Module {
 public:
  /// `shape` is the per-sample shape (without the batch axis). One entry may be -1 (inferred);
  /// the others must be >= 1.
  explicit Reshape(Shape shape);
  /// x (N, ...) -> (N, shape...). Requires the per-sample element counts to agree.
  Tensor forward(const Tensor& x) override;
  /// "Reshape(7, 7, 30)".
  std::string name() const override;
  Shape output_shape(const Shape& input_shape) override;
  const Shape& target_shape() const { return shape_; }

 private:
  Shape shape_;
};

}  // namespace minidl
