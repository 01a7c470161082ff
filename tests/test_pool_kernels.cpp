// The 2x2 max-pool kernels of core/cpu/pool.cpp run 16 windows at a time (AVX-512), then 4
// (SSE4.1), then 1. Each vector level must follow max_pool2d's rule exactly, written out here as a
// plain loop: the candidates of a window in row-major order, the first of equal maxima winning,
// the first NaN winning over numbers. Rows of 39 windows reach all three loops; ties, NaN (one,
// two, four in a window, at each place), +-inf are planted across the 16-window blocks.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "core/cpu/kernels.h"
#include "core/cpu/pool.h"
#include "core/cpu/simd.h"

using namespace minidl;

namespace {

constexpr int64_t kOW = 39, kOH = 3, kW = 2 * kOW + 1, kH = 2 * kOH;  // an odd column left out

bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof(float)) == 0; }

// Small integers (many ties) with NaN and infinities planted.
std::vector<float> plane() {
  const float nan = std::numeric_limits<float>::quiet_NaN(),
              inf = std::numeric_limits<float>::infinity();
  std::vector<float> x(static_cast<size_t>(kH * kW));
  uint64_t s = 12345;
  for (float& v : x) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    v = static_cast<float>(static_cast<int>((s >> 33) % 5) - 2);
  }
  auto at = [&](int64_t h, int64_t w) -> float& { return x[static_cast<size_t>(h * kW + w)]; };
  // Window (0, j) holds one NaN at place j % 4, for j in 0..7 and 16..23 (both vector blocks).
  for (int64_t j : {0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23, 33, 36})
    at(j % 4 / 2, 2 * j + j % 2) = nan;
  // Row 1 of windows: two NaNs (the first in row-major order wins), all four NaN, +inf, -inf.
  at(2, 2 * 5 + 1) = nan, at(3, 2 * 5) = nan;
  for (int64_t d = 0; d < 4; ++d) at(2 + d / 2, 2 * 12 + d % 2) = nan;
  at(3, 2 * 20 + 1) = inf, at(2, 2 * 21) = -inf, at(2, 2 * 21 + 1) = -inf, at(3, 2 * 21) = -inf,
                 at(3, 2 * 21 + 1) = -inf;
  at(2, 2 * 37) = inf, at(3, 2 * 37 + 1) = inf;  // equal infinities: the first
  return x;
}

// The rule: the winner of window (oh, ow) of x + bias, and its code dh * 2 + dw.
void expected(const std::vector<float>& x, int64_t oh, int64_t ow, float bias, float& best,
              int& code) {
  code = -1;
  for (int d = 0; d < 4; ++d) {
    const float v = x[static_cast<size_t>((2 * oh + d / 2) * kW + 2 * ow + d % 2)] + bias;
    if (code < 0 || v > best || (std::isnan(v) && !std::isnan(best))) best = v, code = d;
  }
}

struct SimdGuard {
  ~SimdGuard() { cpu::set_simd_limit(cpu::Simd::AVX512); }
};

}  // namespace

TEST_CASE("pool kernels: 2x2 windows follow max_pool2d's rule at every vector level",
          "[pool][kernels]") {
  const std::vector<float> x = plane();
  const SimdGuard restore;
  for (const cpu::Simd limit : {cpu::Simd::Base, cpu::Simd::AVX2, cpu::Simd::AVX512}) {
    INFO("vector level " << static_cast<int>(limit) << " (0 baseline, 1 AVX2, 2 AVX-512)");
    cpu::set_simd_limit(limit);
    std::vector<float> y(kOH * kOW), yc(kOH * kOW);
    std::vector<int32_t> argmax(kOH * kOW);
    std::vector<uint8_t> codes(kOH * kOW);
    cpu::max_pool2d(x.data(), 1, 1, kH, kW, 2, 2, 0, kOH, kOW, y.data(), argmax.data());
    cpu::max_pool2d_codes(x.data(), kW, 2, kOH, kOW, 0.5f, yc.data(), codes.data());
    int mismatches = 0;
    for (int64_t oh = 0; oh < kOH; ++oh)
      for (int64_t ow = 0; ow < kOW; ++ow) {
        const size_t i = static_cast<size_t>(oh * kOW + ow);
        float best = 0, best_b = 0;
        int code = 0, code_b = 0;
        expected(x, oh, ow, 0.f, best, code);
        expected(x, oh, ow, 0.5f, best_b, code_b);
        const int32_t index = static_cast<int32_t>((2 * oh + code / 2) * kW + 2 * ow + code % 2);
        if (!same_bits(y[i], best) || argmax[i] != index || !same_bits(yc[i], best_b) ||
            codes[i] != code_b) {
          ++mismatches;
          UNSCOPED_INFO("window (" << oh << ", " << ow << "): " << y[i] << " at " << argmax[i]
                                   << ", " << yc[i] << " code " << int(codes[i]) << "; expected "
                                   << best << " at " << index << ", " << best_b << " code "
                                   << code_b);
        }
      }
    CHECK(mismatches == 0);
  }
}

TEST_CASE("pool kernels: pool and leaky ReLU in one pass give the bits of the two in turn",
          "[pool][kernels]") {
  // max_pool2d_codes with a leaky ReLU folds it into the AVX-512 loop and runs leaky_rows on the
  // rest of each row (the SSE4.1 and scalar windows), so every level and loop is compared, on the
  // plane's ties, NaNs and infinities shifted by a bias of either sign or -0, with windows of
  // zeros of both signs planted (a winner of -0 or +0 takes the slope, keeping its sign). 3x3
  // windows run pool and leaky in turn, as the reference does: that checks the dispatch only.
  std::vector<float> x = plane();
  for (int64_t j = 26; j < 30; ++j)  // windows (1, 26..29): -0 and +0 in turn, the first wins
    for (int64_t d = 0; d < 4; ++d)
      x[static_cast<size_t>((2 + d / 2) * kW + 2 * j + d % 2)] = (j + d) % 2 ? -0.f : 0.f;
  const SimdGuard restore;
  for (const cpu::Simd limit : {cpu::Simd::Base, cpu::Simd::AVX2, cpu::Simd::AVX512})
    for (const int64_t k : {2, 3})
      for (const float bias : {0.5f, -1.f, -0.f}) {
        INFO("vector level " << static_cast<int>(limit) << ", windows " << k << "x" << k
                             << ", bias " << bias);
        cpu::set_simd_limit(limit);
        const int64_t OH = kH / k, OW = kW / k;
        std::vector<float> y(OH * OW), yf(OH * OW, 42.f);
        std::vector<uint8_t> codes(OH * OW), cf(OH * OW, 77);
        cpu::max_pool2d_codes(x.data(), kW, k, OH, OW, bias, y.data(), codes.data());
        cpu::leaky_rows(y.data(), codes.data(), OH * OW, 0.125f);
        cpu::max_pool2d_codes(x.data(), kW, k, OH, OW, bias, yf.data(), cf.data(), {true, 0.125f});
        int wrong = 0, marks = 0;
        for (int64_t i = 0; i < OH * OW; ++i) {
          const bool ok = same_bits(yf[i], y[i]) && cf[i] == codes[i];
          if (!ok)
            UNSCOPED_INFO("window " << i << ": " << yf[i] << " code " << int(cf[i]) << "; expected "
                                    << y[i] << " code " << int(codes[i]));
          wrong += !ok;
          marks += (codes[i] & cpu::kSlopeBit) != 0;
        }
        CHECK(wrong == 0);
        CHECK((marks > 0 && marks < OH * OW));  // both sides of the leaky ReLU were taken
        if (k == 2 && bias == 0.f)  // bias -0: the planted zeros won with their signs, marked
          for (int64_t j = 26; j < 30; ++j) {
            const size_t i = static_cast<size_t>(kOW + j);
            CHECK(same_bits(yf[i], j % 2 ? -0.f : 0.f));
            CHECK((cf[i] & cpu::kSlopeBit) != 0);
          }
      }
}

TEST_CASE("pool kernels: unpool_row at every vector level", "[pool][kernels]") {
  // Codes cycle through the four places (and 9, which no row of a 2x2 window matches); gradients
  // include -0 (kept as is); the pooled values' signs pick the leaky ReLU's factor (0 and NaN take
  // the slope), which leaky_rows marks in the codes.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> g(kOW), y(kOW);
  std::vector<uint8_t> codes(kOW);
  for (int64_t j = 0; j < kOW; ++j) {
    g[j] = j == 7 ? -0.f : 0.25f * static_cast<float>(j) - 3.f;
    y[j] = j % 5 == 0 ? 0.f : j == 19 ? nan : static_cast<float>(j % 3) - 1.f;
    codes[j] = static_cast<uint8_t>(j % 11 == 10 ? 9 : (j * 7 + j / 4) % 4);
  }
  const SimdGuard restore;
  // leaky_rows at every vector level: the formula, and the slope's mark beside each place
  std::vector<uint8_t> marked;
  for (const cpu::Simd limit : {cpu::Simd::Base, cpu::Simd::AVX2, cpu::Simd::AVX512}) {
    cpu::set_simd_limit(limit);
    std::vector<float> v = y;
    marked = codes;
    cpu::leaky_rows(v.data(), marked.data(), kOW, 0.25f);
    int marks = 0, wrong = 0;
    for (int64_t j = 0; j < kOW; ++j) {
      const bool ok = same_bits(v[j], y[j] > 0 ? y[j] : 0.25f * y[j]) &&
                      (marked[j] & cpu::kPlaceBits) == codes[j] &&
                      ((marked[j] & cpu::kSlopeBit) != 0) == !(y[j] > 0);
      if (!ok)
        UNSCOPED_INFO("leaky_rows at vector level " << static_cast<int>(limit) << ", window " << j
                                                    << ": " << v[j]);
      wrong += !ok;
      marks += (marked[j] & cpu::kSlopeBit) != 0;
    }
    CHECK(wrong == 0);
    CHECK((marks > 0 && marks < kOW));
  }
  const int64_t width = 2 * kOW + 3;  // zeros after the windows
  for (const cpu::Simd limit : {cpu::Simd::Base, cpu::Simd::AVX2, cpu::Simd::AVX512})
    for (int64_t dh = 0; dh < 2; ++dh)
      for (const bool leaky : {false, true}) {
        // without the leaky the marks are there too: the places must still be read right
        INFO("vector level " << static_cast<int>(limit) << ", row " << dh << ", leaky " << leaky);
        cpu::set_simd_limit(limit);
        std::vector<float> out(width, 42.f);
        cpu::unpool_row(g.data(), marked.data(), kOW, 2, dh, out.data(), width, leaky, 0.25f);
        int mismatches = 0;
        for (int64_t w = 0; w < width; ++w) {
          const int64_t j = w / 2;
          float want = 0.f;
          if (w < 2 * kOW && codes[j] == dh * 2 + w % 2)
            want = !leaky || y[j] > 0 ? g[j] : g[j] * 0.25f;
          if (!same_bits(out[w], want)) {
            ++mismatches;
            UNSCOPED_INFO("out[" << w << "] = " << out[w] << ", expected " << want);
          }
        }
        CHECK(mismatches == 0);
      }
  // unpool_row_pair writes both rows of the windows in one pass: the same values, bit for bit
  for (const cpu::Simd limit : {cpu::Simd::Base, cpu::Simd::AVX2, cpu::Simd::AVX512})
    for (const bool leaky : {false, true}) {
      INFO("unpool_row_pair at vector level " << static_cast<int>(limit) << ", leaky " << leaky);
      cpu::set_simd_limit(limit);
      std::vector<float> rows[2] = {std::vector<float>(width, 42.f),
                                    std::vector<float>(width, 42.f)};
      cpu::unpool_row_pair(g.data(), marked.data(), kOW, rows[0].data(), rows[1].data(), width,
                           leaky, 0.25f);
      int mismatches = 0, winners = 0;
      for (int64_t dh = 0; dh < 2; ++dh)
        for (int64_t w = 0; w < width; ++w) {
          const int64_t j = w / 2;
          float want = 0.f;
          if (w < 2 * kOW && codes[j] == dh * 2 + w % 2) {
            want = !leaky || y[j] > 0 ? g[j] : g[j] * 0.25f;
            ++winners;
          }
          if (!same_bits(rows[dh][w], want)) {
            ++mismatches;
            UNSCOPED_INFO("row " << dh << ", out[" << w << "] = " << rows[dh][w] << ", expected "
                                 << want);
          }
        }
      CHECK(mismatches == 0);
      CHECK(winners > kOW / 2);  // the windows whose code is a place (9 is none)
    }
}
