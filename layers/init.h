// Weight initialisation: He/Kaiming normal (for layers followed by a (leaky) ReLU), Glorot/Xavier
// uniform (otherwise), and WeightedModule, the base of layers whose weights use them (Dense,
// Conv2D).
#pragma once

#include <cstdint>

#include "layers/module.h"

namespace minidl {

/// How a layer draws its weights (biases always start at zero).
/// Auto: Glorot uniform, switched to He normal when a Sequential places a ReLU or LeakyReLU
///       directly after the layer (see Sequential::add).
/// He:   normal with std = sqrt(2 / ((1 + slope^2) * fan_in))   (Kaiming, fan_in mode).
/// Glorot: uniform in [-a, a], a = sqrt(6 / (fan_in + fan_out)), so std = sqrt(2 / (fan_in +
/// fan_out)).
enum class Init { Auto, He, Glorot };

/// "auto", "he" or "glorot".
const char* init_name(Init init);

/// Overwrites W (a handle: the caller's tensor changes) with He-normal values for the given fan_in
/// and leaky slope (0 for ReLU).
/// Requires fan_in >= 1. No autograd; W keeps its device.
void he_normal_(Tensor W, int64_t fan_in, float slope, Generator& gen);
/// Overwrites W with Glorot-uniform values. Requires fan_in + fan_out >= 1.
void glorot_uniform_(Tensor W, int64_t fan_in, int64_t fan_out, Generator& gen);

/// A module with weights drawn by an Init scheme. Each layer takes one 64-bit seed from the
/// generator it is built with and draws from its own Generator(seed), so re-initialising gives
/// the same numbers and never needs the original generator again.
class WeightedModule : public Module {
 public:
  /// The scheme in force (Auto until a Sequential or reset_parameters() decides).
  Init init() const { return init_; }
  /// Redraws the weights with `init` from this layer's seed and zeroes the biases. `slope` is the
  /// negative slope of the LeakyReLU that follows (0 for ReLU); only He uses it.
  void reset_parameters(Init init, float slope = 0.f);

 protected:
  WeightedModule(Init init, Generator& gen) : init_(init), seed_(gen.next_u64()) {}
  /// Draws the weights with `init` (He or Glorot, never Auto) and zeroes the biases.
  virtual void init_parameters(Init init, float slope, Generator& gen) = 0;

 private:
  Init init_;
  uint64_t seed_;
};

}  // namespace minidl
