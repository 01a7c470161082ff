// MaxPool2D layer: argument checks and a forward that calls minidl::max_pool2d. See max_pool2d.h.
#include "layers/max_pool2d.h"

namespace minidl {

MaxPool2D::MaxPool2D(int64_t kernel, int64_t stride, int64_t padding)
    : k_(kernel), stride_(stride == 0 ? kernel : stride), padding_(padding) {
  auto what = [&] {
    return detail::cat("MaxPool2D(kernel=", kernel, ", stride=", stride, ", padding=", padding,
                       ")");
  };
  MINIDL_CHECK(kernel >= 1, what(), ": kernel must be >= 1, got ", kernel);
  MINIDL_CHECK(stride >= 0, what(), ": stride must be >= 1 (or 0, meaning kernel), got ", stride);
  MINIDL_CHECK(padding >= 0 && padding <= kernel / 2, what(), ": padding must be in [0, ",
               kernel / 2, "] (kernel / 2), got ", padding);
}

Tensor MaxPool2D::forward(const Tensor& x) { return max_pool2d(x, k_, stride_, padding_); }

std::string MaxPool2D::name() const {
  return detail::cat("MaxPool2D(k", k_, ", s", stride_,
                     padding_ ? detail::cat(", p", padding_) : std::string(), ")");
}

Shape MaxPool2D::output_shape(const Shape& s) {
  MINIDL_CHECK(s.size() == 4, "expects input (N, C, H, W), got ", shape_str(s));
  MINIDL_CHECK(s[2] + 2 * padding_ >= k_ && s[3] + 2 * padding_ >= k_, "input ", shape_str(s),
               " padded by ", padding_, " is smaller than the ", k_, "x", k_, " window");
  return {s[0], s[1], (s[2] + 2 * padding_ - k_) / stride_ + 1,
          (s[3] + 2 * padding_ - k_) / stride_ + 1};
}

}  // namespace minidl
