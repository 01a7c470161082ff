// He-normal and Glorot-uniform initialisers and WeightedModule::reset_parameters. See init.h.
#include "layers/init.h"

#include <cmath>

namespace minidl {

const char* init_name(Init init) {
  switch (init) {
    case Init::Auto:
      return "auto";
    case Init::He:
      return "he";
    case Init::Glorot:
      return "glorot";
  }
  return "?";
}

void he_normal_(Tensor W, int64_t fan_in, float slope, Generator& gen) {
  MINIDL_CHECK(fan_in >= 1, "he_normal_: fan_in must be >= 1, got ", fan_in);
  const double stddev = std::sqrt(2.0 / ((1.0 + double(slope) * slope) * double(fan_in)));
  W.copy_(randn(W.shape(), gen, 0.f, static_cast<float>(stddev), W.device()));
}

void glorot_uniform_(Tensor W, int64_t fan_in, int64_t fan_out, Generator& gen) {
  MINIDL_CHECK(fan_in >= 0 && fan_out >= 0 && fan_in + fan_out >= 1,
               "glorot_uniform_: needs fan_in + fan_out >= 1, got fan_in ", fan_in, ", fan_out ",
               fan_out);
  const float a = static_cast<float>(std::sqrt(6.0 / double(fan_in + fan_out)));
  W.copy_(rand(W.shape(), gen, -a, a, W.device()));
}

void WeightedModule::reset_parameters(Init init, float slope) {
  init_ = init;
  Generator gen(seed_);
  init_parameters(init == Init::Auto ? Init::Glorot : init, slope, gen);
}

}  // namespace minidl
