// Tests of tensor creation: constants, arange (negative steps, empty ranges, float steps that land
// on the end), from_vector, and the seeded random tensors (deterministic, in range, with the
// asked-for mean and standard deviation).
#include <algorithm>
#include <cmath>

#include "support/helpers.h"

using namespace minidl;
using namespace minidl::test;
using Catch::Contains;

TEST_CASE("creation: zeros, ones, full, scalar and the _like forms", "[creation]") {
  CHECK_CLOSE(zeros({2, 2}), {0, 0, 0, 0}, {2, 2});
  CHECK_CLOSE(ones({3}), {1, 1, 1}, {3});
  CHECK_CLOSE(full({2, 1}, -1.5f), {-1.5f, -1.5f}, {2, 1});
  CHECK_CLOSE(scalar(7.f), {7}, {});
  Tensor t = arange(0, 6).reshape({3, 2}).transpose(0, 1);  // any shape, even a view
  CHECK_CLOSE(zeros_like(t), {0, 0, 0, 0, 0, 0}, {2, 3});
  CHECK_CLOSE(ones_like(t), {1, 1, 1, 1, 1, 1}, {2, 3});
  CHECK_CLOSE(full_like(t, 4.f), {4, 4, 4, 4, 4, 4}, {2, 3});
  CHECK(zeros_like(t).is_contiguous());
  CHECK(zeros({0}).numel() == 0);
  CHECK_FALSE(ones({2}).requires_grad());
  CHECK_THROWS_WITH(zeros({-2}), Contains("(-2)"));
}

TEST_CASE("creation: arange", "[creation]") {
  CHECK_CLOSE(arange(0, 5), {0, 1, 2, 3, 4}, {5});
  CHECK_CLOSE(arange(1, 2, 0.25f), {1, 1.25f, 1.5f, 1.75f}, {4});
  CHECK_CLOSE(arange(5, 0, -2), {5, 3, 1}, {3});
  CHECK_CLOSE(arange(-1, -2.5f, -0.5f), {-1, -1.5f, -2}, {3});
  CHECK(arange(3, 3).shape() == Shape{0});
  CHECK(arange(3, 0).shape() == Shape{0});      // positive step away from the end
  CHECK(arange(0, 3, -1).shape() == Shape{0});  // negative step away from the end
  CHECK_THROWS_WITH(arange(0, 1, 0), Contains("arange") && Contains("step"));
  CHECK_THROWS_WITH(arange(0, INFINITY), Contains("arange"));
  CHECK_THROWS_WITH(arange(0, 1e30f, 1e-30f), Contains("arange"));
}

TEST_CASE("creation: arange never includes its end", "[creation]") {
  // In float32, 0.3f / 0.1f = 3.0000001, so ceil() alone counts 4 elements and the 4th,
  // float(3 * 0.1f) = 0.3f, equals the end. [0, 0.3) in steps of 0.1 is 0, 0.1, 0.2.
  CHECK_CLOSE(arange(0, 0.3f, 0.1f), {0, 0.1f, 0.2f}, {3});
  // likewise going down: 1 - 3 * 0.1f rounds to 0.7f, the end
  CHECK_CLOSE(arange(1, 0.7f, -0.1f), {1, 0.9f, 0.8f}, {3});
  for (float end : {0.3f, 0.7f, 1.1f, 2.3f}) {
    auto v = arange(0, end, 0.1f).to_vector();
    REQUIRE_FALSE(v.empty());
    CHECK(v.back() < end);
  }
}

TEST_CASE("creation: from_vector", "[creation]") {
  CHECK_CLOSE(from_vector({1, 2, 3, 4, 5, 6}, {2, 3}), {1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK_CLOSE(from_vector({1, 2}), {1, 2}, {2});
  CHECK_CLOSE(from_vector({3}, Shape{}), {3}, {});
  CHECK(from_vector(std::vector<float>{}).shape() == Shape{0});
  CHECK_THROWS_WITH(from_vector({1, 2, 3, 4, 5}, {2, 3}),
                    Contains("from_vector") && Contains("5") && Contains("(2, 3)"));
  CHECK_THROWS_WITH(from_vector({1, 2}, Shape{}), Contains("from_vector") && Contains("()"));
}

TEST_CASE("creation: rand and randn are deterministic for a seed", "[creation]") {
  Generator g1(7), g2(7), g3(8);
  Tensor a = rand({100}, g1), b = rand({100}, g2), c = rand({100}, g3);
  CHECK(a.to_vector() == b.to_vector());
  CHECK(a.to_vector() != c.to_vector());
  Tensor n1 = randn({100}, g1), n2 = randn({100}, g2);
  CHECK(n1.to_vector() == n2.to_vector());
  // reseeding restarts the sequence, for a Generator and for the default one
  g1.seed(7);
  CHECK(rand({100}, g1).to_vector() == a.to_vector());
  manual_seed(99);
  auto d1 = rand({10}).to_vector();
  manual_seed(99);
  CHECK(rand({10}).to_vector() == d1);
  // randn of an odd count consumes a Box-Muller pair half-way; reseeding forgets the spare
  Generator h(5);
  auto first = randn({3}, h).to_vector();
  h.seed(5);
  CHECK(randn({3}, h).to_vector() == first);
}

TEST_CASE("creation: rand stays in the half-open range from lo to hi", "[creation]") {
  Generator g(3);
  auto u = rand({10000}, g).to_vector();
  auto v = rand({10000}, g, -2.f, 3.f).to_vector();
  int outside = 0;
  for (float e : u) outside += !(e >= 0.f && e < 1.f);
  for (float e : v) outside += !(e >= -2.f && e < 3.f);
  CHECK(outside == 0);
  CHECK(*std::min_element(u.begin(), u.end()) < 0.01f);  // and fills the range
  CHECK(*std::max_element(v.begin(), v.end()) > 2.99f);
  // lo + (hi - lo) * u rounds up to hi in float32 when u is the largest draw, 1 - 2^-24, and hi
  // is 2 (1 + (1 - 2^-24) is a tie that rounds to even, 2). Seed 1 draws it at index 395951.
  Generator h(1);
  auto w = rand({400000}, h, 1.f, 2.f).to_vector();
  float hi_seen = 0;
  for (float e : w) hi_seen = std::max(hi_seen, e);
  CHECK(hi_seen < 2.f);
  CHECK(hi_seen >= 1.99f);
  // a degenerate range gives lo; a reversed one is an error
  CHECK_CLOSE(rand({2}, g, 4.f, 4.f), {4, 4}, {2});
  CHECK_THROWS_WITH(rand({2}, g, 1.f, 0.f), Contains("rand"));
}

TEST_CASE("creation: randn has the asked-for mean and standard deviation", "[creation]") {
  Generator g(2024);
  const int n = 200000;
  auto v = randn({n}, g, 2.f, 3.f).to_vector();
  double s = 0, s2 = 0;
  for (float e : v) s += e;
  double m = s / n;
  for (float e : v) s2 += (e - m) * (e - m);
  double sd = std::sqrt(s2 / (n - 1));
  // standard error of the mean 3 / sqrt(2e5) = 0.0067; the tolerances are 4-5 of those
  CHECK(m == Approx(2.0).margin(0.03));
  CHECK(sd == Approx(3.0).margin(0.03));
  // about 68.3% within one standard deviation
  int within = 0;
  for (float e : v) within += std::fabs(e - 2.f) < 3.f;
  CHECK(within / double(n) == Approx(0.6827).margin(0.01));
  CHECK_THROWS_WITH(randn({2}, g, 0.f, -1.f), Contains("randn") && Contains("stddev"));
}

TEST_CASE("creation: Generator basics", "[creation]") {
  Generator g(11);
  std::vector<int> hits(7, 0);
  bool in_range = true;
  for (int i = 0; i < 7000; ++i) {
    uint64_t k = g.below(7);
    in_range = in_range && k < 7;
    if (k < 7) ++hits[k];
  }
  CHECK(in_range);
  // 1000 expected per value; a binomial standard deviation is about 30
  CHECK(*std::min_element(hits.begin(), hits.end()) > 850);
  CHECK(*std::max_element(hits.begin(), hits.end()) < 1150);
  CHECK(g.below(1) == 0);
  CHECK_THROWS_AS(g.below(0), Error);
  Generator a(1), b(2);
  CHECK(a.next_u64() != b.next_u64());
}
