// MaxPool2D: 2-D max pooling over NCHW input (minidl::max_pool2d); no parameters.
#pragma once

#include "layers/module.h"

namespace minidl {

class MaxPool2D : public Module {
 public:
  /// kernel x kernel windows every `stride` pixels (0 means stride = kernel), padding on each side
  /// that never wins the max. Requires kernel >= 1, stride >= 0 and 0 <= padding <= kernel / 2.
  explicit MaxPool2D(int64_t kernel, int64_t stride = 0, int64_t padding = 0);

  /// x (N, C, H, W) -> (N, C, (H + 2p - k) / s + 1, (W + 2p - k) / s + 1).
  Tensor forward(const Tensor& x) override;
  /// "MaxPool2D(k2, s2)", with ", p1" when padded.
  std::string name() const override;
  Shape output_shape(const Shape& input_shape) override;

  int64_t kernel() const { return k_; }
  int64_t stride() const { return stride_; }
  int64_t padding() const { return padding_; }

 private:
  int64_t k_, stride_, padding_;
};

}  // namespace minidl
