// Tests for the layers that only move values: Reshape, Flatten and Permute (shapes, values,
// names, errors and gradient checks). The other layers are in test_layers.cpp.
#include "layers/layers.h"
#include "support/helpers.h"

using namespace minidl;
using namespace minidl::test;

namespace {
using Ins = std::vector<Tensor>;
}  // namespace

// ---- Reshape, Flatten --------------------------------------------------------------------------

TEST_CASE("layers: Reshape and Flatten keep the batch axis and the values", "[layers]") {
  Tensor x = R({2, 3, 4}, 13);
  Flatten flat;
  Tensor f = flat(x);
  CHECK(f.shape() == Shape{2, 12});
  CHECK(f.to_vector() == x.to_vector());
  CHECK(flat.output_shape({5, 2, 3, 4}) == Shape{5, 24});
  CHECK(flat.output_shape({5}) == Shape{5, 1});

  Reshape r({4, -1});
  CHECK(r(x).shape() == Shape{2, 4, 3});
  CHECK(r(x).to_vector() == x.to_vector());
  CHECK(r.output_shape({7, 12}) == Shape{7, 4, 3});
  CHECK(r.name() == "Reshape(4, -1)");
  CHECK(Reshape({7, 7, 30}).output_shape({2, 1470}) == Shape{2, 7, 7, 30});
  CHECK_THROWS_WITH(Reshape({5})(x), Catch::Contains("Reshape(5)") && Catch::Contains("12"));
  // an empty batch has 6 elements per sample too, which (5) cannot hold: the check compared
  // totals, 0 == 0 * 6, and gave (0, 5); likewise (4, -1) of 6 (6 / 4 = 1 would give (0, 4, 1))
  CHECK_THROWS_WITH(Reshape({5})(zeros({0, 6})),
                    Catch::Contains("Reshape(5)") && Catch::Contains("(0, 6)"));
  CHECK_THROWS_WITH(Reshape({4, -1})(zeros({0, 6})), Catch::Contains("Reshape(4, -1)"));
  CHECK(Reshape({3, -1})(zeros({0, 6})).shape() == Shape{0, 3, 2});
  CHECK_THROWS_WITH(Reshape({0, 2}), Catch::Contains("Reshape(0, 2)"));
  CHECK_THROWS_WITH(Reshape({-1, -1}), Catch::Contains("at most one"));

  CHECK_GRADS([&](const Ins& in) { return flat(in[0]); }, {R({2, 3, 2}, 14)});
  CHECK_GRADS([&](const Ins& in) { return r(in[0]); }, {R({2, 12}, 15)});
}

// ---- Permute -----------------------------------------------------------------------------------

TEST_CASE("layers: Permute reorders each sample's axes, the batch axis first", "[layers]") {
  // x[n][c][h][w] = 1000n + 100c + 10h + w, so every element says where it came from.
  std::vector<float> v;
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 3; ++c)
      for (int h = 0; h < 2; ++h)
        for (int w = 0; w < 4; ++w) v.push_back(1000.f * n + 100.f * c + 10.f * h + w);
  Tensor x = T(v, {2, 3, 2, 4});
  Permute p({2, 3, 1});  // (N, C, H, W) -> (N, H, W, C)
  Tensor y = p(x);
  REQUIRE(y.shape() == Shape{2, 2, 4, 3});
  REQUIRE(y.is_contiguous());
  const std::vector<float> out = y.to_vector();
  size_t i = 0;
  for (int n = 0; n < 2; ++n)
    for (int h = 0; h < 2; ++h)
      for (int w = 0; w < 4; ++w)
        for (int c = 0; c < 3; ++c, ++i) CHECK(out[i] == 1000.f * n + 100.f * c + 10.f * h + w);
  CHECK(p.name() == "Permute(2, 3, 1)");
  CHECK(p.output_shape({5, 30, 7, 7}) == Shape{5, 7, 7, 30});
  CHECK_THROWS_WITH(Permute({1, 1, 2}),
                    Catch::Contains("Permute(1, 1, 2)") && Catch::Contains("permutation of 1..3"));
  CHECK_THROWS_WITH(Permute({0, 1}), Catch::Contains("batch"));
  CHECK_THROWS_WITH(p(R({2, 3}, 16)),
                    Catch::Contains("Permute(2, 3, 1)") && Catch::Contains("(2, 3)"));
  CHECK_GRADS([&](const Ins& in) { return p(in[0]); }, {R({2, 3, 2, 2}, 17)});
}
