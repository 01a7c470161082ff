// conv2d_max_pool2d (core/ops/conv.h): a convolution and the max pool after it in one pass, whose
// kernels never write the convolution's output. It must give the same bits as max_pool2d(conv2d())
// (values, argmax ties and NaN included, and every gradient), on a hand-worked example, on shapes
// whose bands end inside and outside a pooling window, at 1 and 2 threads; gradcheck passes; shapes
// the kernels do not take run the two ops; and Sequential runs Conv2D + MaxPool2D through it only
// when it fuses, with the time under the Conv2D's profiler row.
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "core/cpu/conv_pool.h"
#include "core/cpu/simd.h"
#include "core/profile.h"
#include "layers/layers.h"
#include "ops/conv_mode.h"
#include "support/helpers.h"
#include "support/kernels.h"

using namespace minidl;
using namespace minidl::test;

namespace {

// Empty when a and b hold the same bits, else the first difference.
std::string bit_mismatch(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return shape_str(a.shape()) + " vs " + shape_str(b.shape());
  const auto va = a.to_vector(), vb = b.to_vector();
  for (size_t i = 0; i < va.size(); ++i)
    if (std::memcmp(&va[i], &vb[i], sizeof(float)) != 0)
      return "element " + std::to_string(i) + ": " + std::to_string(va[i]) + " vs " +
             std::to_string(vb[i]);
  return "";
}

// The fused op against the two ops (three with a leaky ReLU after the pool), forward and backward
// from the same random gradient.
void check_one(const Tensor& x0, const Tensor& W0, const Tensor& b0, int64_t pad, int64_t k,
               std::optional<float> leaky) {
  INFO("leaky ReLU " << (leaky ? std::to_string(*leaky) : "none"));
  Tensor outs[2];
  std::vector<Tensor> grads[2];
  for (int fused = 0; fused < 2; ++fused) {
    Tensor x = x0.detach().clone().requires_grad_(), W = W0.detach().clone().requires_grad_();
    Tensor b = b0.defined() ? b0.detach().clone().requires_grad_() : Tensor();
    if (fused) {
      outs[fused] = conv2d_max_pool2d(x, W, b, 1, pad, k, leaky);
    } else {
      outs[fused] = max_pool2d(conv2d(x, W, b, 1, pad), k);
      if (leaky) outs[fused] = leaky_relu(outs[fused], *leaky);
    }
    outs[fused].backward(R(outs[fused].shape(), 99, false));
    grads[fused] = {x.grad(), W.grad()};
    if (b.defined()) grads[fused].push_back(b.grad());
  }
  CHECK(bit_mismatch(outs[0], outs[1]) == "");
  for (size_t i = 0; i < grads[0].size(); ++i) {
    INFO("gradient " << i << " (x, W, b)");
    CHECK(bit_mismatch(grads[0][i], grads[1][i]) == "");
  }
}

// check_one without an activation and with leaky ReLUs: slope 0.1 and 0 run in the fused pass, a
// negative slope (which does not keep the sign) runs as its own op after it.
void check_fused(const Tensor& x0, const Tensor& W0, const Tensor& b0, int64_t pad, int64_t k) {
  REQUIRE(conv2d_max_pool2d_fuses(x0, W0, b0, 1, pad, k));
  for (std::optional<float> leaky : {std::optional<float>(), std::optional<float>(0.1f),
                                     std::optional<float>(0.f), std::optional<float>(-0.5f)})
    check_one(x0, W0, b0, pad, k, leaky);
}

}  // namespace

TEST_CASE("conv pool: a worked example, ties to the first window element",
          "[conv][kernels][conv_pool]") {
  const ConvModeGuard fast(cpu::ConvMode::Fast);  // the kernels these cases test
  // 3 channels of 2x2, a 3x3 kernel of ones with padding 1: every output sees the whole image,
  // so the four outputs tie at sum(x) + b = 1 + ... + 12 + 0.5 = 78.5, and the 2x2 pool takes
  // the first. Its gradient reaches every pixel through that output's window: gp * 1.
  std::vector<float> xv(12);
  for (int i = 0; i < 12; ++i) xv[static_cast<size_t>(i)] = static_cast<float>(i + 1);
  Tensor x = T(xv, {1, 3, 2, 2}, true), W = T(std::vector<float>(27, 1.f), {1, 3, 3, 3}, true);
  Tensor b = T({0.5f}, {1}, true);
  REQUIRE(conv2d_max_pool2d_fuses(x, W, b, 1, 1, 2));
  Tensor y = conv2d_max_pool2d(x, W, b, 1, 1, 2);
  REQUIRE(y.shape() == Shape{1, 1, 1, 1});
  CHECK(y.item() == 78.5f);
  y.backward(T({2.f}, {1, 1, 1, 1}));
  CHECK(x.grad().to_vector() == std::vector<float>(12, 2.f));
  CHECK(b.grad().item() == 2.f);
  // dW[c, kh, kw] = 2 * x at (kh - 1, kw - 1) from output (0, 0): the bottom-right 2x2 of each
  // channel's 3x3 taps, zero where the window hangs over the padding
  const auto dW = W.grad().to_vector();
  for (int c = 0; c < 3; ++c)
    for (int kh = 0; kh < 3; ++kh)
      for (int kw = 0; kw < 3; ++kw) {
        const float want =
            kh == 0 || kw == 0 ? 0.f : 2.f * xv[static_cast<size_t>(c * 4 + (kh - 1) * 2 + kw - 1)];
        CHECK(dW[static_cast<size_t>((c * 3 + kh) * 3 + kw)] == want);
      }
  // With a leaky ReLU of slope 0.25 in the pass and a bias of -99.5, the window's max is 78 - 99.5
  // = -21.5, the output 0.25 * -21.5 = -5.375, and every gradient is scaled by 0.25: gp 2 reaches
  // x and b as 0.5.
  x.zero_grad(), W.zero_grad();
  Tensor b2 = T({-99.5f}, {1}, true);
  Tensor y2 = conv2d_max_pool2d(x, W, b2, 1, 1, 2, 0.25f);
  CHECK(y2.item() == -5.375f);
  y2.backward(T({2.f}, {1, 1, 1, 1}));
  CHECK(x.grad().to_vector() == std::vector<float>(12, 0.5f));
  CHECK(b2.grad().item() == 0.5f);
  CHECK(W.grad().to_vector()[4] == 0.5f * xv[0]);  // tap (c 0, kh 1, kw 1) sees x[0, 0, 0]
}

TEST_CASE("conv pool: the same bits as conv2d then max_pool2d", "[conv][kernels][conv_pool]") {
  const ConvModeGuard fast(cpu::ConvMode::Fast);  // the kernels these cases test
  ThreadsGuard restore;
  struct Shape4 {
    int64_t N, C, H, W, F, pad, k;
    bool bias;
  };
  // 130x130 with 3 channels: several bands, cut at multiples of k; 11x13 with k = 3: rows and
  // columns the pool leaves out; 16 channels as in tiny's second layer; no bias; a 2x2 output.
  const Shape4 shapes[] = {{2, 3, 130, 130, 5, 1, 2, true}, {2, 3, 130, 130, 5, 1, 3, true},
                           {3, 4, 11, 13, 6, 1, 3, true},   {1, 16, 40, 36, 24, 1, 2, true},
                           {2, 3, 9, 10, 4, 0, 2, false},   {1, 3, 2, 2, 2, 1, 2, true}};
  // Each vector variant of the tap loops (which the 3- and 4-channel shapes run) too: the rows of
  // the fused pass's bands are cut at multiples of k, so the loops meet other column counts.
  struct SimdGuard {
    ~SimdGuard() { cpu::set_simd_limit(cpu::Simd::AVX512); }
  } simd;
  uint64_t seed = 40;
  for (const Shape4& s : shapes)
    for (int variant = 0; variant < 4; ++variant) {
      const int threads = variant == 0 ? 1 : 2;
      const auto limit = variant < 2    ? cpu::Simd::AVX512
                         : variant == 2 ? cpu::Simd::AVX2
                                        : cpu::Simd::Base;
      INFO("N " << s.N << " C " << s.C << " " << s.H << "x" << s.W << " F " << s.F << " pad "
                << s.pad << " pool " << s.k << ", " << threads << " threads, vector variant "
                << static_cast<int>(limit) << " (0 baseline, 1 AVX2, 2 AVX-512)");
      set_num_threads(threads);
      cpu::set_simd_limit(limit);
      seed += 3;
      check_fused(R({s.N, s.C, s.H, s.W}, seed, false), R({s.F, s.C, 3, 3}, seed + 1, false),
                  s.bias ? R({s.F}, seed + 2, false) : Tensor(), s.pad, s.k);
    }
}

TEST_CASE("conv pool: ties, NaN and infinities pool as max_pool2d does",
          "[conv][kernels][conv_pool]") {
  const ConvModeGuard fast(cpu::ConvMode::Fast);  // the kernels these cases test
  // Zero weights make every output its bias (all tie); a NaN pixel makes the outputs that see it
  // NaN, which win their windows; +-inf pixels give +-inf or NaN outputs.
  const float nan = std::numeric_limits<float>::quiet_NaN(),
              inf = std::numeric_limits<float>::infinity();
  Tensor x = R({2, 3, 12, 12}, 5, false);
  std::vector<float> v = x.to_vector();
  v[3] = nan;
  v[200] = inf;
  v[300] = -inf;
  check_fused(T(v, x.shape()), R({4, 3, 3, 3}, 6, false), R({4}, 7, false), 1, 2);
  check_fused(R({2, 3, 12, 12}, 8, false), T(std::vector<float>(108, 0.f), {4, 3, 3, 3}),
              R({4}, 9, false), 1, 2);
}

TEST_CASE("conv pool: gradcheck", "[conv][kernels][conv_pool]") {
  const ConvModeGuard fast(cpu::ConvMode::Fast);  // the kernels these cases test
  // Inputs spread so that no two conv outputs of a window are within the perturbation.
  std::vector<float> v(3 * 36);
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.02f * (static_cast<float>(41 * i % 108) - 54.f);
  std::vector<Tensor> in{T(v, {1, 3, 6, 6}, true), R({2, 3, 3, 3}, 3, true, -0.5f, 0.5f),
                         R({2}, 4, true)};
  REQUIRE(conv2d_max_pool2d_fuses(in[0], in[1], in[2], 1, 1, 2));
  CHECK_GRADS(
      [](const std::vector<Tensor>& t) { return conv2d_max_pool2d(t[0], t[1], t[2], 1, 1, 2); },
      in);
  // With the leaky ReLU in the same pass (no pooled output lies within the step of 0).
  CHECK_GRADS(
      [](const std::vector<Tensor>& t) {
        return conv2d_max_pool2d(t[0], t[1], t[2], 1, 1, 2, 0.1f);
      },
      in);
}

TEST_CASE("conv pool: other shapes run the two ops; errors name conv2d_max_pool2d",
          "[conv][kernels][conv_pool]") {
  const ConvModeGuard fast(cpu::ConvMode::Fast);  // the kernels these cases test
  // one input channel (im2col), stride 2, a pool larger than the output: not fused
  CHECK_FALSE(conv2d_max_pool2d_fuses(R({1, 1, 8, 8}, 1), R({2, 1, 3, 3}, 2), Tensor(), 1, 1, 2));
  CHECK_FALSE(conv2d_max_pool2d_fuses(R({1, 3, 8, 8}, 1), R({2, 3, 3, 3}, 2), Tensor(), 2, 1, 2));
  CHECK_FALSE(conv2d_max_pool2d_fuses(R({1, 3, 4, 4}, 1), R({2, 3, 3, 3}, 2), Tensor(), 1, 0, 3));
  CHECK_FALSE(conv2d_max_pool2d_fuses(R({1, 3, 8, 8}, 1), R({2, 4, 3, 3}, 2), Tensor(), 1, 1, 2));
  // up to 96 input plus output channels (kShiftMaxFC: tiny's 32->64 fuses), not 97 (im2col)
  CHECK(conv2d_max_pool2d_fuses(R({1, 32, 8, 8}, 1), R({64, 32, 3, 3}, 2), Tensor(), 1, 1, 2));
  CHECK_FALSE(
      conv2d_max_pool2d_fuses(R({1, 32, 8, 8}, 1), R({65, 32, 3, 3}, 2), Tensor(), 1, 1, 2));
  // a winner's place in its window is kept in 7 bits of a byte (the 8th says where the leaky took
  // its slope): windows up to 11 x 11, the largest at places up to 120 with and without the leaky
  const Tensor x12 = R({2, 3, 12, 12}, 5, false), W12 = R({2, 3, 3, 3}, 6, false),
               b12 = R({2}, 7, false);
  check_fused(x12, W12, b12, 1, 11);
  // 12 x 12 runs the two ops, backward included. Its places reach 143, where the slope's bit
  // lies: a spike at the bottom-right pixel under positive weights puts every winner at a place
  // of 130 or more, which a fused pass would misread.
  std::vector<float> spiked = x12.to_vector();
  for (int64_t nc = 0; nc < 2 * 3; ++nc) spiked[static_cast<size_t>(nc * 144 + 143)] += 50.f;
  const Tensor x12s = T(spiked, {2, 3, 12, 12}),
               W12p = T(std::vector<float>(54, 0.5f), {2, 3, 3, 3});
  CHECK_FALSE(conv2d_max_pool2d_fuses(x12s, W12p, b12, 1, 1, 12));
  check_one(x12s, W12p, b12, 1, 12, 0.1f);
  Tensor x = R({2, 1, 8, 8}, 3, false), W = R({2, 1, 3, 3}, 4, false);
  CHECK(bit_mismatch(conv2d_max_pool2d(x, W, Tensor(), 1, 1, 2),
                     max_pool2d(conv2d(x, W, Tensor(), 1, 1), 2)) == "");
  CHECK_THROWS_WITH(conv2d_max_pool2d(R({1, 3, 8, 8}, 1), R({2, 4, 3, 3}, 2), Tensor(), 1, 1, 2),
                    Catch::Contains("conv2d_max_pool2d: input (1, 3, 8, 8) has 3 channels"));
  CHECK_THROWS_WITH(conv2d_max_pool2d(x, W, Tensor(), 1, 1, 0),
                    Catch::Contains("pool must be >= 1"));
}

TEST_CASE("conv pool: Sequential fuses Conv2D with the pool after it, the same bits",
          "[conv][kernels][conv_pool][layers]") {
  const ConvModeGuard fast(cpu::ConvMode::Fast);  // the kernels these cases test
  Generator gen(21);
  Sequential net;
  net.emplace<Conv2D>(3, 8, 3, 1, 1, true, Init::Auto, gen);
  net.emplace<LeakyReLU>(0.1f);
  net.emplace<MaxPool2D>(2);
  net.emplace<Conv2D>(8, 8, 3, 1, 1, true, Init::Auto, gen);
  net.emplace<MaxPool2D>(2);
  Tensor x0 = R({2, 3, 16, 16}, 22, false);
  Tensor outs[2];
  std::vector<Tensor> grads[2];
  const bool saved = Sequential::fuse_conv_pool();
  for (int fuse = 0; fuse < 2; ++fuse) {
    Sequential::set_fuse_conv_pool(fuse == 1);
    net.zero_grad();
    Tensor x = x0.detach().clone().requires_grad_();
    outs[fuse] = net(x);
    outs[fuse].backward(R(outs[fuse].shape(), 23, false));
    grads[fuse].push_back(x.grad());
    for (auto& [name, p] : net.parameters()) grads[fuse].push_back(p.grad().clone());
  }
  Sequential::set_fuse_conv_pool(saved);
  CHECK(outs[1].grad_fn()->name == "conv2d_max_pool2d");  // the last pair, fused
  // The first three layers, Conv2D, LeakyReLU and MaxPool2D, are one op (the activation pools
  // first and runs in the same pass).
  Sequential::set_fuse_conv_pool(true);
  Tensor first = net[2]->forward(net[1]->forward(net[0]->forward(x0)));
  Sequential head;
  for (int i = 0; i < 3; ++i) head.add_as_is(net[i]);
  Tensor fused_head = head(x0);
  Sequential::set_fuse_conv_pool(saved);
  CHECK(fused_head.grad_fn()->name == "conv2d_max_pool2d");
  CHECK(bit_mismatch(fused_head, first) == "");
  CHECK(outs[0].grad_fn()->name == "max_pool2d");
  CHECK(bit_mismatch(outs[0], outs[1]) == "");
  for (size_t i = 0; i < grads[0].size(); ++i) {
    INFO("gradient " << i << " (0: the input)");
    CHECK(bit_mismatch(grads[0][i], grads[1][i]) == "");
  }
}

TEST_CASE("conv pool: the fused pair's time is the Conv2D's, the pool's row stays empty",
          "[conv][kernels][conv_pool][profile]") {
  const ConvModeGuard fast(cpu::ConvMode::Fast);  // the kernels these cases test
  // A ReLU between them pools first and runs as its own layer; a leaky ReLU runs in the pass.
  for (bool leaky : {false, true}) {
    INFO((leaky ? "LeakyReLU" : "ReLU"));
    Generator gen(31);
    Sequential net;
    net.emplace<Conv2D>(3, 4, 3, 1, 1, true, Init::Auto, gen);
    if (leaky)
      net.emplace<LeakyReLU>(0.1f);
    else
      net.emplace<ReLU>();
    net.emplace<MaxPool2D>(2);
    Tensor x = R({1, 3, 8, 8}, 32, true);
    profile::reset();
    profile::enable(true);
    sum(net(x)).backward();
    profile::enable(false);
    const std::string conv = profile::layer_label(0, net[0]->name()),
                      act = profile::layer_label(1, net[1]->name()),
                      pool = profile::layer_label(2, net[2]->name());
    int64_t conv_fwd = 0, conv_dw = 0, act_calls = 0, pool_calls = 0;
    for (const auto& row : profile::report()) {
      if (row.scope == conv && row.category == profile::Category::Forward) conv_fwd += row.calls;
      if (row.scope == conv && row.category == profile::Category::DW) conv_dw += row.calls;
      if (row.scope == act && row.category == profile::Category::Elementwise)
        act_calls += row.calls;
      if (row.scope == pool) pool_calls += row.calls;
    }
    profile::reset();
    CHECK(conv_fwd == 1);
    CHECK(conv_dw == 1);
    CHECK(act_calls == (leaky ? 0 : 2));  // a separate ReLU: its forward and its node's backward
    CHECK(pool_calls == 0);
  }
}
