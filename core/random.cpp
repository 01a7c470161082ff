// xoshiro256** seeded through splitmix64; Box-Muller normals. See random.h.
#include "core/random.h"

#include <cmath>

#include "core/error.h"

namespace minidl {

namespace {
uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

Generator::Generator(uint64_t seed) { this->seed(seed); }

void Generator::seed(uint64_t s) {
  for (auto& w : s_) w = splitmix64(s);
  has_spare_ = false;
}

uint64_t Generator::next_u64() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

float Generator::uniform() { return static_cast<float>(next_u64() >> 40) * 0x1.0p-24f; }

float Generator::uniform(float lo, float hi) {
  float v = lo + (hi - lo) * uniform();
  // With u = 1 - 2^-24 the sum can round up to hi (1 + (1 - 2^-24) is 2 in float32): step back to
  // the largest float below hi to keep the interval half-open.
  return v < hi ? v : (lo < hi ? std::nextafter(hi, lo) : lo);
}

float Generator::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  // Box-Muller on (0, 1] x [0, 1): u1 is never 0, so log(u1) is finite.
  double u1 = (static_cast<double>(next_u64() >> 11) + 1.0) * 0x1.0p-53;
  double u2 = static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
  double r = std::sqrt(-2.0 * std::log(u1));
  double a = 2.0 * 3.14159265358979323846 * u2;
  spare_ = static_cast<float>(r * std::sin(a));
  has_spare_ = true;
  return static_cast<float>(r * std::cos(a));
}

uint64_t Generator::below(uint64_t n) {
  MINIDL_CHECK(n > 0, "Generator::below: n must be > 0");
  // Lemire's nearly-divisionless method would be faster; rejection keeps it exactly uniform.
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do x = next_u64();
  while (x >= limit);
  return x % n;
}

Generator& default_generator() {
  static Generator g;
  return g;
}

void manual_seed(uint64_t seed) { default_generator().seed(seed); }

}  // namespace minidl
