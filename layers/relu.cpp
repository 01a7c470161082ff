// ReLU layer: calls minidl::relu. See relu.h.
#include "layers/relu.h"

namespace minidl {

Tensor ReLU::forward(const Tensor& x) { return minidl::relu(x); }

}  // namespace minidl
