// Sigmoid layer: calls minidl::sigmoid. See sigmoid.h.
#include "layers/sigmoid.h"

namespace minidl {

Tensor Sigmoid::forward(const Tensor& x) { return minidl::sigmoid(x); }

}  // namespace minidl
