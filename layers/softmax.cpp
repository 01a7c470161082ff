// Softmax layer: calls minidl::softmax. See softmax.h.
#include "layers/softmax.h"

namespace minidl {

Tensor Softmax::forward(const Tensor& x) { return softmax(x, axis_); }

std::string Softmax::name() const { return detail::cat("Softmax(axis=", axis_, ")"); }

Shape Softmax::output_shape(const Shape& s) {
  const int64_t n = static_cast<int64_t>(s.size());
  MINIDL_CHECK(axis_ >= -n && axis_ < n, "axis ", axis_, " is out of range for input ",
               shape_str(s));
  return s;
}

}  // namespace minidl
