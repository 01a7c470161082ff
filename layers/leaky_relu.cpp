// LeakyReLU layer: calls minidl::leaky_relu. See leaky_relu.h.
#include "layers/leaky_relu.h"

#include <cmath>

namespace minidl {

LeakyReLU::LeakyReLU(float slope) : slope_(slope) {
  MINIDL_CHECK(std::isfinite(slope), "LeakyReLU(slope=", slope, "): slope must be finite");
}

Tensor LeakyReLU::forward(const Tensor& x) { return leaky_relu(x, slope_); }

std::string LeakyReLU::name() const { return detail::cat("LeakyReLU(", slope_, ")"); }

}  // namespace minidl
