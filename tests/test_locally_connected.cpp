// Tests for LocallyConnected2d (layers/locally_connected2d.h): a forward worked out by hand, a
// strided padded forward against plain loops over its defining sum, the shared-weights case
// against conv2d, gradient checks w.r.t. input, weights and bias, and errors.
#include <vector>

#include "layers/layers.h"
#include "support/helpers.h"

using namespace minidl;
using namespace minidl::test;

namespace {

using Ins = std::vector<Tensor>;

// The layer's defining sum with plain loops (no minidl op): x (N, C, H, W), w (L, F, C, k, k),
// b (F, OH, OW), all row-major.
std::vector<float> by_loops(const std::vector<float>& x, const std::vector<float>& w,
                            const std::vector<float>& b, int N, int C, int H, int W, int F, int k,
                            int s, int p) {
  const int OH = (H + 2 * p - k) / s + 1, OW = (W + 2 * p - k) / s + 1;
  std::vector<float> y(static_cast<size_t>(N * F * OH * OW));
  for (int n = 0; n < N; ++n)
    for (int f = 0; f < F; ++f)
      for (int oh = 0; oh < OH; ++oh)
        for (int ow = 0; ow < OW; ++ow) {
          const int pos = oh * OW + ow;
          double acc = b[(f * OH + oh) * OW + ow];
          for (int c = 0; c < C; ++c)
            for (int i = 0; i < k; ++i)
              for (int j = 0; j < k; ++j) {
                const int r = oh * s + i - p, q = ow * s + j - p;
                if (r < 0 || r >= H || q < 0 || q >= W) continue;  // zero padding
                acc += double(w[(((pos * F + f) * C + c) * k + i) * k + j]) *
                       x[((n * C + c) * H + r) * W + q];
              }
          y[((n * F + f) * OH + oh) * OW + ow] = static_cast<float>(acc);
        }
  return y;
}

}  // namespace

TEST_CASE("LocallyConnected2d: a forward by hand, each position with its own filter",
          "[layers][local]") {
  // x = 1..9 in a 3x3 image, 2x2 filters, stride 1, no padding: 2x2 positions.
  //   position 0 sees [1 2; 4 5], filter [1 0; 0 0] -> 1, bias  0.5 -> 1.5
  //   position 1 sees [2 3; 5 6], filter [0 1; 0 0] -> 3, bias  0   -> 3
  //   position 2 sees [4 5; 7 8], filter [0 0; 1 0] -> 7, bias  0   -> 7
  //   position 3 sees [5 6; 8 9], filter [1 1; 1 1] -> 28, bias -1  -> 27
  LocallyConnected2d lc(1, 1, 3, 3, 2);
  CHECK(lc.weight().shape() == Shape{4, 1, 1, 2, 2});
  CHECK(lc.bias().shape() == Shape{1, 2, 2});
  lc.weight().copy_(T({1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1}, {4, 1, 1, 2, 2}));
  lc.bias().copy_(T({0.5f, 0, 0, -1}, {1, 2, 2}));
  Tensor x = arange(1.f, 10.f).reshape({1, 1, 3, 3});
  CHECK_CLOSE(lc(x), {1.5f, 3.f, 7.f, 27.f}, {1, 1, 2, 2}, 0, 0);
  CHECK(lc.num_parameters() == 4 * 4 + 4);
  CHECK(lc.name() == "LocallyConnected2d(1->1, 3x3, k2)");
}

TEST_CASE("LocallyConnected2d: strided and padded, against loops over its defining sum",
          "[layers][local]") {
  // N=2, C=2, 5x4 input, F=3, 3x3 filters, stride 2, padding 1: OH = (5+2-3)/2+1 = 3,
  // OW = (4+2-3)/2+1 = 2, 6 positions.
  Generator gen(41);
  LocallyConnected2d lc(2, 3, 5, 4, 3, 2, 1, true, Init::Glorot, gen);
  CHECK(lc.output_shape({2, 2, 5, 4}) == Shape{2, 3, 3, 2});
  lc.bias().copy_(R({3, 3, 2}, 42, false));
  Tensor x = R({2, 2, 5, 4}, 43, false);
  const auto want = by_loops(x.to_vector(), lc.weight().to_vector(), lc.bias().to_vector(), 2, 2, 5,
                             4, 3, 3, 2, 1);
  CHECK_CLOSE(lc(x), want, {2, 3, 3, 2}, 1e-5, 1e-5);
  CHECK(lc.name() == "LocallyConnected2d(2->3, 5x4, k3, s2, p1)");
}

TEST_CASE("LocallyConnected2d: the same filters at every position are a convolution",
          "[layers][local]") {
  Generator gen(44);
  LocallyConnected2d lc(3, 4, 6, 6, 3, 1, 1, true, Init::Glorot, gen);
  const int64_t L = lc.out_height() * lc.out_width();
  CHECK(L == 36);
  Tensor Wc = R({4, 3, 3, 3}, 45, false), bc = R({4}, 46, false);
  lc.weight().copy_(expand(Wc.reshape({1, 4, 3, 3, 3}), {L, 4, 3, 3, 3}));
  lc.bias().copy_(expand(bc.reshape({4, 1, 1}), {4, 6, 6}));
  Tensor x = R({2, 3, 6, 6}, 47, false);
  CHECK_CLOSE(lc(x), conv2d(x, Wc, bc, 1, 1), 1e-5, 1e-5);
}

TEST_CASE("LocallyConnected2d: gradients w.r.t. input, weights and bias", "[layers][local]") {
  Generator gen(48);
  LocallyConnected2d lc(2, 2, 4, 4, 3, 1, 1, true, Init::Glorot, gen);
  lc.bias().copy_(R({2, 4, 4}, 49, false));
  CHECK_GRADS([&](const Ins& in) { return lc(in[0]); },
              {R({2, 2, 4, 4}, 50), lc.weight(), lc.bias()});
  LocallyConnected2d strided(2, 3, 5, 5, 2, 2, 0, false, Init::He, gen);
  CHECK_FALSE(strided.bias().defined());
  CHECK_GRADS([&](const Ins& in) { return strided(in[0]); },
              {R({1, 2, 5, 5}, 51), strided.weight()});
}

TEST_CASE("LocallyConnected2d: bad arguments and inputs of another size are errors",
          "[layers][local]") {
  CHECK_THROWS_WITH(LocallyConnected2d(1, 1, 2, 2, 5), Catch::Contains("kernel is larger than"));
  CHECK_THROWS_WITH(LocallyConnected2d(1, 1, 3, 3, 3, 0), Catch::Contains("stride must be >= 1"));
  CHECK_THROWS_WITH(LocallyConnected2d(0, 1, 3, 3, 3), Catch::Contains("in must be >= 1"));
  LocallyConnected2d lc(2, 1, 4, 4, 3);
  // Its weights are per position, so the input size is part of the layer.
  CHECK_THROWS_WITH(
      lc(zeros({1, 2, 5, 4})),
      Catch::StartsWith("LocallyConnected2d(2->1, 4x4, k3): expects input (N, 2, 4, 4)"));
  CHECK_THROWS_WITH(lc(zeros({1, 3, 4, 4})), Catch::Contains("got (1, 3, 4, 4)"));
}
