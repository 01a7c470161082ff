// Tanh layer: calls minidl::tanh. See tanh.h.
#include "layers/tanh.h"

namespace minidl {

Tensor Tanh::forward(const Tensor& x) { return minidl::tanh(x); }

}  // namespace minidl
