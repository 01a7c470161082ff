// Permute: reorders each sample's axes, keeping the batch axis first; no parameters. A
// convolutional head's (N, C, H, W) output becomes the (N, H, W, C) grid that YOLO's loss reads.
#pragma once

#include "layers/module.h"

namespace minidl {

class Permute : public Module {
 public:
  /// `dims` orders the per-sample axes, numbered from 1 (the batch axis is 0 and stays first):
  /// Permute({2, 3, 1}) maps (N, C, H, W) to (N, H, W, C). Must be a permutation of 1..k.
  explicit Permute(Shape dims);
  /// x (N, d1, ..., dk) -> (N, d_dims[0], ..., d_dims[k-1]), copied into contiguous memory.
  Tensor forward(const Tensor& x) override;
  /// "Permute(2, 3, 1)".
  std::string name() const override;
  Shape output_shape(const Shape& input_shape) override;
  const Shape& dims() const { return dims_; }

 private:
  Shape dims_;
};

}  // namespace minidl
