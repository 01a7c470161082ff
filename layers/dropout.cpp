// Dropout layer: a random 0/1 mask times 1 / (1 - p), built from ops (the mask needs no
// gradient, so the backward is mul's). See dropout.h.
#include "layers/dropout.h"

namespace minidl {

Dropout::Dropout(float p, Generator& gen) : p_(p), gen_(gen.next_u64()) {
  MINIDL_CHECK(p >= 0.f && p < 1.f, "Dropout(p=", p, "): p must be in [0, 1), got ", p);
}

Tensor Dropout::forward(const Tensor& x) {
  if (!is_training() || p_ == 0.f) return x;
  MINIDL_CHECK(x.defined(), "input is undefined");
  Tensor keep = rand(x.shape(), gen_, 0.f, 1.f, x.device()) >= p_;  // 1 with probability 1 - p
  return x * (keep * (1.f / (1.f - p_)));
}

std::string Dropout::name() const { return detail::cat("Dropout(", p_, ")"); }

}  // namespace minidl
