// Flatten layer: a reshape to (N, features). See flatten.h.
#include "layers/flatten.h"

namespace minidl {

Tensor Flatten::forward(const Tensor& x) {
  MINIDL_CHECK(x.defined(), "input is undefined");
  return x.reshape(output_shape(x.shape()));
}

Shape Flatten::output_shape(const Shape& s) {
  MINIDL_CHECK(!s.empty(), "expects input (N, ...), got a scalar");
  return {s[0], shape_numel(Shape(s.begin() + 1, s.end()))};
}

}  // namespace minidl
