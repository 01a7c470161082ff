// Tests for BatchNorm2d (layers/batch_norm2d.h): training and eval forwards worked out by hand in
// both styles (PyTorch's and darknet's), the running statistics, train()/eval() through a parent,
// gradient checks, a constant channel under darknet's formula, folding into a Conv2D, buffers
// (named, moved, never counted as parameters) and errors.
#include <cmath>
#include <limits>
#include <memory>

#include "layers/layers.h"
#include "support/helpers.h"

using namespace minidl;
using namespace minidl::test;

namespace {

using Ins = std::vector<Tensor>;

// x (N=2, C=2, H=1, W=2): channel 0 holds 1, 2 (image 0) and 3, 4 (image 1); channel 1 holds
// 0, 0 and 2, 2. Per channel, m = N*H*W = 4 values:
//   channel 0: mean 2.5, squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5,
//              var_b = 5/4 = 1.25, var_u = 5/3;
//   channel 1: mean 1, squared deviations 1 + 1 + 1 + 1 = 4, var_b = 1, var_u = 4/3.
Tensor two_channels() { return T({1, 2, 0, 0, 3, 4, 2, 2}, {2, 2, 1, 2}, true); }

// The expected output for x above: (x - mean_c) / sd_c * gamma_c + beta_c, element by element.
std::vector<float> by_hand(const double sd[2], const double gamma[2], const double beta[2]) {
  const double x[8] = {1, 2, 0, 0, 3, 4, 2, 2}, mean[2] = {2.5, 1};
  std::vector<float> y(8);
  for (int i = 0; i < 8; ++i) {
    const int c = (i / 2) % 2;  // layout (n, c, w): index = n*4 + c*2 + w
    y[i] = static_cast<float>((x[i] - mean[c]) / sd[c] * gamma[c] + beta[c]);
  }
  return y;
}

}  // namespace

TEST_CASE("BatchNorm2d: training forward by hand in both styles, and the running statistics",
          "[layers][batch_norm]") {
  const double gamma[2] = {2, 0.5}, beta[2] = {1, -1};
  SECTION("standard: (x - mean) / sqrt(var_b + eps); running = 0.9 running + 0.1 batch") {
    BatchNorm2d bn(2);
    bn.weight().copy_(T({2.f, 0.5f}, {2}));
    bn.bias().copy_(T({1.f, -1.f}, {2}));
    const double sd[2] = {std::sqrt(1.25 + 1e-5), std::sqrt(1.0 + 1e-5)};
    CHECK_CLOSE(bn(two_channels()), by_hand(sd, gamma, beta), {2, 2, 1, 2}, 1e-5, 1e-5);
    // running_mean = 0.9 * 0 + 0.1 * mean; running_var = 0.9 * 1 + 0.1 * var_u (unbiased).
    CHECK_CLOSE(bn.running_mean(), {0.25f, 0.1f}, {2}, 1e-7, 1e-6);
    CHECK_CLOSE(bn.running_var(), {float(0.9 + 0.1 * 5 / 3.0), float(0.9 + 0.1 * 4 / 3.0)}, {2},
                1e-7, 1e-6);
  }
  SECTION("darknet: (x - mean) / (sqrt(var_u) + 1e-6); running = 0.99 running + 0.01 batch") {
    BatchNorm2d bn(2, BatchNormOptions::darknet());
    bn.weight().copy_(T({2.f, 0.5f}, {2}));
    bn.bias().copy_(T({1.f, -1.f}, {2}));
    const double sd[2] = {std::sqrt(5 / 3.0) + 1e-6, std::sqrt(4 / 3.0) + 1e-6};
    CHECK_CLOSE(bn(two_channels()), by_hand(sd, gamma, beta), {2, 2, 1, 2}, 1e-5, 1e-5);
    CHECK_CLOSE(bn.running_mean(), {0.025f, 0.01f}, {2}, 1e-8, 1e-6);
    CHECK_CLOSE(bn.running_var(), {float(0.99 + 0.01 * 5 / 3.0), float(0.99 + 0.01 * 4 / 3.0)}, {2},
                1e-7, 1e-6);
    // A second batch moves them again: running_mean_0 = 0.99 * 0.025 + 0.01 * 2.5 = 0.04975.
    bn(two_channels());
    CHECK_CLOSE(bn.running_mean(), {0.04975f, 0.0199f}, {2}, 1e-8, 1e-6);
  }
  SECTION("no affine: x_hat itself, and no parameters") {
    BatchNormOptions o;
    o.affine = false;
    BatchNorm2d bn(2, o);
    CHECK(bn.num_parameters() == 0);
    CHECK_FALSE(bn.weight().defined());
    const double sd[2] = {std::sqrt(1.25 + 1e-5), std::sqrt(1.0 + 1e-5)}, one[2] = {1, 1},
                 zero[2] = {0, 0};
    CHECK_CLOSE(bn(two_channels()), by_hand(sd, one, zero), {2, 2, 1, 2}, 1e-5, 1e-5);
    CHECK(bn.name() == "BatchNorm2d(2, no affine)");
  }
}

TEST_CASE("BatchNorm2d: eval uses the running statistics, and train()/eval() of a parent reach it",
          "[layers][batch_norm]") {
  Sequential model;
  model.emplace<ReLU>();
  auto bn = model.emplace<BatchNorm2d>(2, BatchNormOptions::darknet());
  bn->weight().copy_(T({2.f, 0.5f}, {2}));
  bn->bias().copy_(T({1.f, -1.f}, {2}));
  bn->running_mean().copy_(T({1.f, -2.f}, {2}));
  bn->running_var().copy_(T({4.f, 0.25f}, {2}));
  model.eval();
  CHECK_FALSE(bn->is_training());
  // Channel 0: (x - 1) / (2 + 1e-6) * 2 + 1; channel 1: (x + 2) / (0.5 + 1e-6) * 0.5 - 1.
  // x = relu(two_channels()) = the same values (none is negative).
  const double sd[2] = {2 + 1e-6, 0.5 + 1e-6}, gamma[2] = {2, 0.5}, beta[2] = {1, -1};
  const double x[8] = {1, 2, 0, 0, 3, 4, 2, 2}, mean[2] = {1, -2};
  std::vector<float> want(8);
  for (int i = 0; i < 8; ++i) {
    const int c = (i / 2) % 2;
    want[i] = static_cast<float>((x[i] - mean[c]) / sd[c] * gamma[c] + beta[c]);
  }
  CHECK_CLOSE(model(two_channels()), want, {2, 2, 1, 2}, 1e-5, 1e-5);
  // Eval changes no running statistic.
  CHECK_CLOSE(bn->running_mean(), {1.f, -2.f}, {2}, 0, 0);
  CHECK_CLOSE(bn->running_var(), {4.f, 0.25f}, {2}, 0, 0);
  // Back in training, the batch statistics normalise: channel 0's outputs sum to 4 * beta.
  model.train();
  CHECK(bn->is_training());
  Tensor y = model(two_channels());
  CHECK(sum(y.select(1, 0)).item() == Approx(4.0).margin(1e-5));
  CHECK_FALSE(bn->running_mean().to_vector()[0] == 1.f);
}

TEST_CASE("BatchNorm2d: gradients w.r.t. input, gamma and beta in training and eval",
          "[layers][batch_norm]") {
  for (BatchNormStyle style : {BatchNormStyle::Standard, BatchNormStyle::Darknet}) {
    BatchNormOptions o =
        style == BatchNormStyle::Darknet ? BatchNormOptions::darknet() : BatchNormOptions{};
    BatchNorm2d bn(3, o);
    bn.weight().copy_(T({1.5f, -0.5f, 1.f}, {3}));
    bn.bias().copy_(T({0.2f, 0.f, -0.3f}, {3}));
    INFO(bn.name());
    GradcheckOptions g;
    g.eps = 1e-3;  // the normalised outputs are O(1): a small step keeps the curvature error low
    CHECK_GRADS([&](const Ins& in) { return bn(in[0]); },
                {R({2, 3, 2, 3}, 21), bn.weight(), bn.bias()}, g);
    bn.eval();
    bn.running_var().copy_(T({0.5f, 2.f, 1.f}, {3}));
    CHECK_GRADS([&](const Ins& in) { return bn(in[0]); },
                {R({2, 3, 2, 3}, 22), bn.weight(), bn.bias()}, g);
  }
}

TEST_CASE("BatchNorm2d: a constant channel under darknet's formula has finite gradients",
          "[layers][batch_norm]") {
  // var_u = 0: darknet divides by sqrt(0) + 1e-6, and every x - mean is 0, so y = beta. With
  // upstream gradient g, dy/dx keeps only the path through x - mean (the path through the
  // standard deviation is multiplied by x - mean = 0): dx = gamma * (g - mean(g)) / 1e-6.
  // g = 0, 1, ..., 7 has mean 3.5, so dx_i = (i - 3.5) * 1e6; dgamma = sum g * x_hat = 0 and
  // dbeta = sum g = 28. sqrt(var) alone would give 0 * inf = NaN here.
  BatchNorm2d bn(1, BatchNormOptions::darknet());
  bn.bias().copy_(T({0.5f}, {1}));
  Tensor x = full({2, 1, 2, 2}, 3.f).requires_grad_();
  Tensor y = bn(x);
  CHECK_CLOSE(y, std::vector<float>(8, 0.5f), {2, 1, 2, 2}, 0, 0);
  (y * arange(0.f, 8.f).reshape({2, 1, 2, 2})).sum().backward();
  std::vector<float> want(8);
  for (int i = 0; i < 8; ++i) want[i] = static_cast<float>((i - 3.5) / 1e-6);
  CHECK_CLOSE(x.grad(), want, {2, 1, 2, 2}, 0, 1e-5);
  CHECK_CLOSE(bn.weight().grad(), {0.f}, {1}, 0, 0);
  CHECK_CLOSE(bn.bias().grad(), {28.f}, {1}, 0, 0);
}

TEST_CASE("BatchNorm2d: fold_batch_norm gives a Conv2D with the same eval output",
          "[layers][batch_norm]") {
  for (BatchNormStyle style : {BatchNormStyle::Standard, BatchNormStyle::Darknet}) {
    for (bool conv_bias : {true, false}) {
      Generator gen(31);
      Conv2D conv(3, 4, 3, 2, 1, conv_bias, Init::Glorot, gen);
      if (conv_bias) conv.bias().copy_(T({0.1f, -0.2f, 0.3f, 0.f}, {4}));
      BatchNorm2d bn(
          4, style == BatchNormStyle::Darknet ? BatchNormOptions::darknet() : BatchNormOptions{});
      bn.weight().copy_(T({1.5f, -0.5f, 2.f, 1.f}, {4}));
      bn.bias().copy_(T({0.2f, 0.f, -0.3f, 1.f}, {4}));
      bn.running_mean().copy_(T({0.1f, -0.3f, 0.f, 0.5f}, {4}));
      bn.running_var().copy_(T({0.5f, 2.f, 1.f, 0.04f}, {4}));
      bn.eval();
      INFO(bn.name() << (conv_bias ? " after a conv with bias" : " after a conv without bias"));
      auto folded = fold_batch_norm(conv, bn);
      CHECK(folded->bias().defined());
      CHECK(folded->stride() == 2);
      CHECK(folded->padding() == 1);
      CHECK_FALSE(folded->weight().is_same(conv.weight()));
      Tensor x = R({2, 3, 7, 7}, 32, false);
      CHECK_CLOSE((*folded)(x), bn(conv(x)), 1e-5, 1e-5);
    }
  }
  Conv2D conv(1, 2, 1);
  BatchNorm2d bn(3);
  CHECK_THROWS_WITH(fold_batch_norm(conv, bn),
                    Catch::Contains("has 3 channels") && Catch::Contains("gives 2"));
}

TEST_CASE("BatchNorm2d: fold_for_inference flattens, folds and keeps the eval output",
          "[layers][batch_norm]") {
  // Darknet's block layout: [conv, bn, leaky] blocks with the pool outside them, a conv without
  // batch norm, and a head; running statistics made non-trivial by training-mode passes.
  Generator gen(41);
  auto block = [&](int64_t in, int64_t out, bool bn) {
    auto seq = std::make_shared<Sequential>();
    seq->emplace<Conv2D>(in, out, 3, 1, 1, !bn, Init::Auto, gen);
    if (bn) seq->emplace<BatchNorm2d>(out, BatchNormOptions::darknet());
    seq->emplace<LeakyReLU>(0.1f);
    return seq;
  };
  Sequential model;
  model.add(block(3, 4, true));
  model.emplace<MaxPool2D>(2);
  model.add(block(4, 6, true));
  model.emplace<MaxPool2D>(2);
  model.add(block(6, 5, false));
  auto head = std::make_shared<Sequential>();
  head->emplace<Flatten>();
  head->emplace<Dense>(5 * 2 * 2, 3, true, Init::Auto, gen);
  model.add(head);
  for (int i = 0; i < 3; ++i) model(R({4, 3, 8, 8}, 50 + i, false));  // train mode: statistics
  model.eval();
  const Tensor x = R({2, 3, 8, 8}, 60, false);
  const Tensor want = model(x);
  const auto conv0 =
      std::dynamic_pointer_cast<Conv2D>(std::dynamic_pointer_cast<Sequential>(model[0])->at(0));
  REQUIRE(conv0 != nullptr);
  const std::vector<float> w0 = conv0->weight().to_vector();

  auto fast = fold_for_inference(model);
  // conv0 (folded), leaky, pool, conv1 (folded), leaky, pool, conv2, leaky, flatten, dense.
  REQUIRE(fast->size() == 10);
  for (size_t i = 0; i < fast->size(); ++i) {
    INFO("layer " << i << ": " << fast->at(i)->name());
    CHECK(dynamic_cast<BatchNorm2d*>(fast->at(i).get()) == nullptr);
    CHECK(dynamic_cast<Sequential*>(fast->at(i).get()) == nullptr);
  }
  CHECK(fast->at(0)->name() == "Conv2D(3->4, k3, p1)");  // a bias now, where there was none
  CHECK(fast->at(6).get() == std::dynamic_pointer_cast<Sequential>(model[4])->at(0).get());
  CHECK_CLOSE((*fast)(x), want, 1e-5, 1e-5);
  // The original is untouched: its layers are shared or read, never re-initialised or moved.
  CHECK(model.size() == 6);
  CHECK(conv0->weight().to_vector() == w0);
  CHECK_CLOSE(model(x), want, 0, 0);
}

TEST_CASE("BatchNorm2d: running statistics are buffers, named like parameters and never counted",
          "[layers][batch_norm]") {
  Sequential model;
  model.emplace<Conv2D>(1, 2, 3, 1, 1, false);
  model.emplace<BatchNorm2d>(2);
  CHECK(model.num_parameters() == 2 * 9 + 2 + 2);  // conv weights, gamma, beta
  const auto buffers = model.buffers();
  REQUIRE(buffers.size() == 2);
  CHECK(buffers[0].first == "1.running_mean");
  CHECK(buffers[1].first == "1.running_var");
  CHECK_FALSE(buffers[0].second.requires_grad());
  for (const auto& [name, p] : model.parameters()) CHECK(name.find("running") == std::string::npos);
  // Module::to on the CPU keeps every handle and value.
  Tensor rv = buffers[1].second;
  model.to(Device::CPU);
  CHECK(rv.is_same(model.buffers()[1].second));
  CHECK_CLOSE(rv, {1.f, 1.f}, {2}, 0, 0);
}

TEST_CASE("BatchNorm2d: bad arguments and inputs are errors that name the layer",
          "[layers][batch_norm]") {
  CHECK_THROWS_WITH(BatchNorm2d(0), Catch::Contains("channels must be >= 1"));
  BatchNormOptions o;
  o.momentum = 1.5f;
  CHECK_THROWS_WITH(BatchNorm2d(2, o), Catch::Contains("momentum must be in [0, 1]"));
  o = {};
  o.eps = 0.f;
  CHECK_THROWS_WITH(BatchNorm2d(2, o), Catch::Contains("needs eps > 0"));
  BatchNorm2d bn(2, BatchNormOptions::darknet());
  CHECK(bn.name() == "BatchNorm2d(2, darknet)");
  CHECK_THROWS_WITH(bn(zeros({1, 3, 2, 2})),
                    Catch::StartsWith("BatchNorm2d(2, darknet): expects input (N, 2, H, W)"));
  CHECK_THROWS_WITH(bn(zeros({1, 2, 1, 1})), Catch::Contains("more than one value per channel"));
  bn.eval();
  CHECK(bn(zeros({1, 2, 1, 1})).shape() == Shape{1, 2, 1, 1});  // eval needs no batch
}
