// Tests for core/ops/activation: sigmoid, tanh, relu, leaky_relu, softmax, log_softmax.
// Forward and backward on hand-computed values (the arithmetic is in the comments) and numerical
// stability. Each op's reference check on random inputs, gradcheck, edge shapes, NaN and bad
// arguments are rows of the op table (tests/ops/rows_unary.cpp, rows_reduce.cpp).
#include <cmath>

#include "support/helpers.h"

using namespace minidl;
using namespace minidl::test;

namespace {
const float ln2 = std::log(2.f), ln3 = std::log(3.f), ln5 = std::log(5.f);
}

TEST_CASE("activation: sigmoid forward and backward by hand", "[activation]") {
  // σ(0) = 1/2; σ(ln 3) = 1 / (1 + 1/3) = 3/4; σ(-ln 3) = 1 / (1 + 3) = 1/4
  Tensor x = T({0.f, ln3, -ln3}, {3}, true);
  Tensor y = sigmoid(x);
  CHECK_CLOSE(y, {0.5f, 0.75f, 0.25f}, {3});
  // σ' = σ (1 - σ): 1/2 * 1/2 = 0.25; 3/4 * 1/4 = 0.1875; 1/4 * 3/4 = 0.1875
  sum(y).backward();
  CHECK_CLOSE(x.grad(), {0.25f, 0.1875f, 0.1875f}, {3});
}

TEST_CASE("activation: sigmoid saturates without overflow", "[activation]") {
  // σ(100) = 1 / (1 + e^-100) = 1 in float; σ(-100) = e^-100 / (1 + e^-100) ≈ 3.7e-44, i.e. 0
  auto v = sigmoid(T({100.f, -100.f}, {2})).to_vector();
  CHECK(v[0] == 1.f);
  CHECK(std::isfinite(v[1]));
  CHECK(v[1] >= 0.f);
  CHECK(v[1] < 1e-30f);
}

TEST_CASE("activation: tanh forward and backward by hand", "[activation]") {
  // tanh(ln 2) = (2 - 1/2) / (2 + 1/2) = 1.5 / 2.5 = 0.6; tanh is odd; tanh(0) = 0
  Tensor x = T({ln2, 0.f, -ln2}, {3}, true);
  Tensor y = tanh(x);
  CHECK_CLOSE(y, {0.6f, 0.f, -0.6f}, {3});
  // tanh' = 1 - tanh²: 1 - 0.36 = 0.64; 1 - 0 = 1; 0.64. Seeded with gy = (1, 2, 3).
  y.backward(T({1, 2, 3}, {3}));
  CHECK_CLOSE(x.grad(), {0.64f, 2.f, 1.92f}, {3});
}

TEST_CASE("activation: relu forward and backward by hand", "[activation]") {
  Tensor x = T({-2.f, -0.5f, 0.f, 1.5f, 3.f}, {5}, true);
  Tensor y = relu(x);
  CHECK_CLOSE(y, {0.f, 0.f, 0.f, 1.5f, 3.f}, {5});
  // the gradient is 1 where x > 0 and 0 elsewhere, including at x = 0
  y.backward(T({10, 20, 30, 40, 50}, {5}));
  CHECK_CLOSE(x.grad(), {0.f, 0.f, 0.f, 40.f, 50.f}, {5});
}

TEST_CASE("activation: leaky_relu forward and backward by hand", "[activation]") {
  Tensor x = T({-2.f, -0.5f, 1.5f, 3.f}, {4}, true);
  // slope 0.1: -2 * 0.1 = -0.2; -0.5 * 0.1 = -0.05; positives pass
  Tensor y = leaky_relu(x, 0.1f);
  CHECK_CLOSE(y, {-0.2f, -0.05f, 1.5f, 3.f}, {4});
  // the gradient is the slope for x < 0 and 1 for x > 0: gy * (0.1, 0.1, 1, 1)
  y.backward(T({10, 20, 30, 40}, {4}));
  CHECK_CLOSE(x.grad(), {1.f, 2.f, 30.f, 40.f}, {4});
  // the default slope is 0.01: -2 * 0.01 = -0.02
  CHECK_CLOSE(leaky_relu(T({-2.f, 5.f}, {2})), {-0.02f, 5.f}, {2});
}

TEST_CASE("activation: elementwise activations on a transposed input", "[activation]") {
  // x = [[-1, 2], [3, -4]] stored transposed: the view reads row-major as -1, 2, 3, -4
  Tensor x = T({-1, 3, 2, -4}, {2, 2}).transpose(0, 1);
  REQUIRE_FALSE(x.is_contiguous());
  CHECK_CLOSE(relu(x), {0, 2, 3, 0}, {2, 2});
  CHECK_CLOSE(leaky_relu(x, 0.5f), {-0.5f, 2, 3, -2}, {2, 2});
}

TEST_CASE("activation: softmax and log_softmax along the last axis by hand", "[activation]") {
  // exp(0, ln 2, ln 5) = (1, 2, 5), sum 8: softmax = (1/8, 2/8, 5/8) = (0.125, 0.25, 0.625)
  Tensor x = T({0.f, ln2, ln5}, {1, 3}, true);
  Tensor y = softmax(x);
  CHECK_CLOSE(y, {0.125f, 0.25f, 0.625f}, {1, 3});
  // log_softmax = log(1/8), log(2/8), log(5/8) = -2.0794415, -1.3862944, -0.4700036
  CHECK_CLOSE(log_softmax(x), {-2.0794415f, -1.3862944f, -0.4700036f}, {1, 3});

  // softmax backward with gy = (1, 0, 0): sum(gy * y) = 1/8, dx = y * (gy - 1/8)
  //   = (1/8 * 7/8, 2/8 * -1/8, 5/8 * -1/8) = (7/64, -2/64, -5/64)
  y.backward(T({1, 0, 0}, {1, 3}));
  CHECK_CLOSE(x.grad(), {7.f / 64, -2.f / 64, -5.f / 64}, {1, 3});

  // log_softmax backward with gy = (1, 0, 0): sum(gy) = 1, dx = gy - softmax = (7/8, -2/8, -5/8)
  x.zero_grad();
  log_softmax(x).backward(T({1, 0, 0}, {1, 3}));
  CHECK_CLOSE(x.grad(), {0.875f, -0.25f, -0.625f}, {1, 3});
}

TEST_CASE("activation: softmax along axis 0 and along a middle axis by hand", "[activation]") {
  // axis 0 of [[0, ln 3], [ln 3, 0]]: column (0, ln 3) -> exp (1, 3) / 4 = (1/4, 3/4);
  // column (ln 3, 0) -> (3/4, 1/4)
  Tensor x = T({0.f, ln3, ln3, 0.f}, {2, 2});
  CHECK_CLOSE(softmax(x, 0), {0.25f, 0.75f, 0.75f, 0.25f}, {2, 2});
  // the same along axis -2
  CHECK_CLOSE(softmax(x, -2), {0.25f, 0.75f, 0.75f, 0.25f}, {2, 2});
  // log: log(1/4) = -1.3862944, log(3/4) = -0.2876821
  CHECK_CLOSE(log_softmax(x, 0), {-1.3862944f, -0.2876821f, -0.2876821f, -1.3862944f}, {2, 2});

  // (2, 2, 2) along axis 1: the pairs are (x[o, 0, i], x[o, 1, i])
  //   o=0,i=0: (0, ln 3) -> (1/4, 3/4)    o=0,i=1: (0, 0) -> (1/2, 1/2)
  //   o=1,i=0: (ln 3, 0) -> (3/4, 1/4)    o=1,i=1: (5, 5) -> (1/2, 1/2)
  Tensor z = T({0.f, 0.f, ln3, 0.f, ln3, 5.f, 0.f, 5.f}, {2, 2, 2});
  CHECK_CLOSE(softmax(z, 1), {0.25f, 0.5f, 0.75f, 0.5f, 0.75f, 0.5f, 0.25f, 0.5f}, {2, 2, 2});
}

TEST_CASE("activation: softmax of a transposed input", "[activation]") {
  // stored [[0, ln 3], [0, 0]], viewed transposed: [[0, 0], [ln 3, 0]]; rows -> (1/2, 1/2) and
  // exp(ln 3, 0) = (3, 1) / 4 = (3/4, 1/4)
  Tensor x = T({0.f, ln3, 0.f, 0.f}, {2, 2}).transpose(0, 1);
  REQUIRE_FALSE(x.is_contiguous());
  CHECK_CLOSE(softmax(x, 1), {0.5f, 0.5f, 0.75f, 0.25f}, {2, 2});
}

TEST_CASE("activation: softmax is stable for large inputs", "[activation]") {
  // (1000, 1001) = 1000 + (0, 1): softmax = (1, e) / (1 + e) = (0.26894142, 0.73105858);
  // log_softmax = (-log(1 + e), 1 - log(1 + e)) = (-1.3132617, -0.3132617)
  Tensor x = T({1000.f, 1001.f, -1000.f, -1001.f}, {2, 2}, true);
  Tensor y = softmax(x);
  CHECK_CLOSE(y, {0.26894142f, 0.73105858f, 0.73105858f, 0.26894142f}, {2, 2});
  CHECK_CLOSE(log_softmax(x), {-1.3132617f, -0.3132617f, -0.3132617f, -1.3132617f}, {2, 2});
  // the gradient stays finite: with gy = (1, 0) per row, dx = y * (gy - y_0)
  //   row 0: (0.26894142 * 0.73105858, 0.73105858 * -0.26894142) = (0.19661193, -0.19661193)
  y.backward(T({1, 0, 1, 0}, {2, 2}));
  CHECK_CLOSE(x.grad(), {0.19661193f, -0.19661193f, 0.19661193f, -0.19661193f}, {2, 2});

  // a spread of 1000: exp(-1000) underflows to 0 in softmax, but log_softmax is exact:
  // (0, 1000) -> log_softmax = (-1000 - log(1 + e^-1000), -log(1 + e^-1000)) = (-1000, 0)
  Tensor w = T({0.f, 1000.f}, {2});
  CHECK_CLOSE(softmax(w), {0.f, 1.f}, {2});
  CHECK_CLOSE(log_softmax(w), {-1000.f, 0.f}, {2});
}

TEST_CASE("activation: softmax rows sum to one on random inputs", "[activation]") {
  // a property, not a value: every softmax along axis 1 of a (3, 5, 4) tensor sums to 1
  Tensor s = sum(softmax(R({3, 5, 4}, 7, false, -3.f, 3.f), 1), {1});
  CHECK_CLOSE(s, std::vector<float>(12, 1.f), {3, 4});
}
