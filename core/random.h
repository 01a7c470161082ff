// A small, portable, seedable random generator (xoshiro256**, Box-Muller for normals), so that
// the same seed gives the same numbers on every platform and compiler.
#pragma once

#include <cstdint>

namespace minidl {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0x5eed);
  void seed(uint64_t s);
  uint64_t next_u64();
  /// Uniform in [0, 1).
  float uniform();
  /// Uniform in [lo, hi) (lo itself when lo == hi).
  float uniform(float lo, float hi);
  /// Standard normal.
  float normal();
  /// Uniform integer in [0, n); throws minidl::Error when n == 0.
  uint64_t below(uint64_t n);

 private:
  uint64_t s_[4];
  bool has_spare_ = false;
  float spare_ = 0.f;
};

/// The generator used when none is passed (per process).
Generator& default_generator();
/// Reseeds the default generator.
void manual_seed(uint64_t seed);

}  // namespace minidl
