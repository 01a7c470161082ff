// Tests for Sequential's pool-first reordering (layers/sequential.h): an activation followed by a
// MaxPool2D gives the same outputs and input gradients, bit for bit, whether the pool runs first
// or not, except in the cases sequential.h names, which are worked out by hand here; the cases
// where the reordering would not be exact are left in their order; errors and profiler rows still
// name each layer; gradcheck passes with the reordering on.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/profile.h"
#include "layers/layers.h"
#include "support/helpers.h"

using namespace minidl;
using namespace minidl::test;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();

// Sets the reordering for its lifetime, then puts back what was in force.
class Reorder {
 public:
  explicit Reorder(bool on) : saved_(Sequential::reorder_pooling()) {
    Sequential::set_reorder_pooling(on);
  }
  ~Reorder() { Sequential::set_reorder_pooling(saved_); }
  Reorder(const Reorder&) = delete;
  Reorder& operator=(const Reorder&) = delete;

 private:
  bool saved_;
};

// One forward and backward pass.
struct Pass {
  Tensor y;
  std::vector<Tensor> grads;  // the input's, then each parameter's
  std::string last_op;        // the op that made y: tells which of the pair ran last
};

// net(x) with the reordering on or off, backward from gy = R(y's shape, seed) (in [-1, 1)).
Pass run(Sequential& net, const Tensor& x_value, uint64_t seed, bool reorder) {
  Reorder setting(reorder);
  net.zero_grad();
  Tensor x = x_value.detach().clone();
  x.requires_grad_();
  Pass p;
  p.y = net(x);
  p.last_op = p.y.grad_fn() ? p.y.grad_fn()->name : "(leaf)";
  p.y.backward(R(p.y.shape(), seed, false));
  p.grads.push_back(x.grad());
  for (auto& [name, t] : net.parameters()) p.grads.push_back(t.grad());
  return p;
}

uint32_t bits(float v) {
  uint32_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

// Empty when a and b hold the same bits (NaN payloads included), else the first difference. With
// zeros_alike, +0 and -0 count as the same (ReLU's gradients, see sequential.h).
std::string bit_mismatch(const Tensor& a, const Tensor& b, bool zeros_alike = false) {
  if (a.shape() != b.shape()) return shape_str(a.shape()) + " vs " + shape_str(b.shape());
  const auto va = a.to_vector(), vb = b.to_vector();
  for (size_t i = 0; i < va.size(); ++i) {
    if (bits(va[i]) == bits(vb[i]) || (zeros_alike && va[i] == 0.f && vb[i] == 0.f)) continue;
    return "element " + std::to_string(i) + ": " + std::to_string(va[i]) + " vs " +
           std::to_string(vb[i]);
  }
  return "";
}

void check_same(const Pass& off, const Pass& on, bool zeros_alike_in_grads) {
  std::string why = bit_mismatch(off.y, on.y);
  INFO("output: " << why);
  CHECK(why.empty());
  REQUIRE(off.grads.size() == on.grads.size());
  for (size_t k = 0; k < off.grads.size(); ++k) {
    why = bit_mismatch(off.grads[k], on.grads[k], zeros_alike_in_grads);
    INFO("gradient " << k << " (0: the input): " << why);
    CHECK(why.empty());
  }
}

// Plants NaN, +inf and -inf into x (N, C, H, W), plane by plane from the top-left corner, so that
// a 2x2 or 3x3 window sees NaN after a larger number, +inf beside NaN, -inf alone, and so on.
Tensor with_specials(const Tensor& x) {
  std::vector<float> v = x.to_vector();
  const int64_t W = x.shape()[3], HW = x.shape()[2] * W;
  for (int64_t p = 0; p < x.shape()[0] * x.shape()[1]; ++p) {
    float* q = v.data() + p * HW;
    q[1] = kNaN;                       // after q[0]
    q[2] = kInf, q[3] = kNaN;          // +inf, then NaN, side by side
    q[W + 4] = -kInf;                  // one -inf among numbers
    q[2 * W] = q[2 * W + 1] = -kInf;   // two -inf side by side...
    q[3 * W] = q[3 * W + 1] = -kInf;   // ...and below them: a 2x2 window of -inf
    q[HW - 1] = p % 2 ? kInf : -kInf;  // the last pixel, in a clipped window when padded
  }
  return T(v, x.shape());
}

struct PoolArgs {
  int64_t kernel, stride, padding;
  bool reordered;  // whether the pair is reordered (only when the windows do not overlap)
};
const PoolArgs kPools[] = {{2, 2, 0, true}, {3, 3, 1, true}, {2, 3, 0, true}, {3, 2, 1, false}};

// net on one 2x2 window x (1, 1, 2, 2) with the reordering on or off, backward from gy.
struct Window {
  float y;
  std::vector<float> dx;
};
Window one_window(Sequential& net, const std::vector<float>& x, float gy, bool reorder) {
  Reorder setting(reorder);
  Tensor xg = T(x, {1, 1, 2, 2}, true);
  Tensor y = net(xg);
  y.backward(T({gy}, {1, 1, 1, 1}));
  return {y.item(), xg.grad().to_vector()};
}

// Runs net on x with the reordering off, then on. Checks that the activation (act_op) ran last
// only with it on and where pool.reordered, and that outputs and gradients hold the same bits.
void compare_orders(Sequential& net, const Tensor& x, const PoolArgs& pool, const char* act_op,
                    bool zeros_alike_in_grads) {
  std::string layers;
  for (size_t i = 0; i < net.size(); ++i) layers += net[i]->name() + " ";
  INFO(layers);
  const Pass off = run(net, x, 3, false), on = run(net, x, 3, true);
  CHECK(off.last_op == "max_pool2d");
  CHECK(on.last_op == (pool.reordered ? act_op : "max_pool2d"));
  check_same(off, on, zeros_alike_in_grads);
}

}  // namespace

TEST_CASE("sequential: MINIDL_REORDER_POOLING is on, off or an error", "[layers][reorder]") {
  CHECK(Sequential::reorder_pooling_from_env(nullptr));
  CHECK(Sequential::reorder_pooling_from_env("on"));
  CHECK_FALSE(Sequential::reorder_pooling_from_env("off"));
  CHECK_THROWS_WITH(Sequential::reorder_pooling_from_env("Off"),
                    "MINIDL_REORDER_POOLING='Off' is not one of: on, off");
  CHECK_THROWS_WITH(Sequential::reorder_pooling_from_env(""),
                    "MINIDL_REORDER_POOLING='' is not one of: on, off");
}

TEST_CASE("sequential: Conv2D, LeakyReLU, MaxPool2D give the same bits with the pool first",
          "[layers][reorder]") {
  for (const PoolArgs& pool : kPools) {
    for (bool specials : {false, true}) {
      INFO("NaN and inf planted: " << specials);
      Generator gen(7);
      Sequential net;
      net.emplace<Conv2D>(3, 4, 3, 1, 1, true, Init::Auto, gen);
      net.emplace<LeakyReLU>(0.1f);
      net.emplace<MaxPool2D>(pool.kernel, pool.stride, pool.padding);
      // 9x10: the padded 3x3 windows are clipped on the right, the stride-3 ones leave pixels out.
      Tensor x = R({2, 3, 9, 10}, 11, false);
      // With the pool first, a k x k pool at stride k runs with the convolution and the leaky
      // ReLU in one pass (conv2d_max_pool2d) where the kernels allow it: its output's op.
      const auto& conv = static_cast<const Conv2D&>(*net[0]);
      const bool fused = Sequential::fuse_conv_pool() && pool.stride == pool.kernel &&
                         pool.padding == 0 &&
                         conv2d_max_pool2d_fuses(x, conv.weight(), conv.bias(), 1, 1, pool.kernel);
      compare_orders(net, specials ? with_specials(x) : x, pool,
                     fused ? "conv2d_max_pool2d" : "leaky_relu", false);
    }
  }
}

TEST_CASE("sequential: LeakyReLU or ReLU, then MaxPool2D, give the same values with the pool first",
          "[layers][reorder]") {
  for (const PoolArgs& pool : kPools) {
    for (bool relu : {false, true}) {
      for (bool specials : {false, true}) {
        INFO("NaN and inf planted: " << specials);
        Sequential net;
        if (relu)
          net.emplace<ReLU>();
        else
          net.emplace<LeakyReLU>(0.1f);
        net.emplace<MaxPool2D>(pool.kernel, pool.stride, pool.padding);
        Tensor x = R({2, 3, 8, 9}, 12, false);
        // ReLU's gradient is gy * 0 at a winner <= 0: -0 for gy < 0 when ReLU runs last, but the
        // pool's backward adds it to +0 when the pool runs last: the sign of a zero may differ.
        compare_orders(net, specials ? with_specials(x) : x, pool, relu ? "relu" : "leaky_relu",
                       relu);
      }
    }
  }
}

TEST_CASE("sequential: a LeakyReLU tie routes the gradient to the window's largest input",
          "[layers][reorder]") {
  // In magnitude: 0.1f = 13421773 * 2^-27, xk = 1.5 + 2^-22 = 12582914 * 2^-23 and
  // xj = 1.5 + 2^-23 = 12582913 * 2^-23 (so -xk < -xj), and the exact products are
  //   13421773 * 12582914 * 2^-50 = 168885015386522 * 2^-50 = (10066331 + 0.35) * 2^-26,
  //   13421773 * 12582913 * 2^-50 = 168885001964749 * 2^-50 = (10066330 + 0.55) * 2^-26.
  // Floats in [0.125, 0.25) are steps of 2^-26, so both round to 10066331 * 2^-26.
  const float xk = -1.5f - 0x1p-22f, xj = -1.5f - 0x1p-23f, v = -10066331 * 0x1p-26f;
  REQUIRE(0.1f * xk == v);
  REQUIRE(0.1f * xj == v);
  Sequential net;
  net.emplace<LeakyReLU>(0.1f);
  net.emplace<MaxPool2D>(2);
  // gy = 1: the winner's gradient is 1 * 0.1f, the others' 0. The output is v either way.
  const Window off = one_window(net, {xk, xj, -2.f, -3.f}, 1.f, false);
  const Window on = one_window(net, {xk, xj, -2.f, -3.f}, 1.f, true);
  CHECK(bits(off.y) == bits(v));
  CHECK(bits(on.y) == bits(v));
  // Activation last: the first of the tied activations, xk, wins. Pool first: xj, the larger.
  CHECK(off.dx == std::vector<float>{0.1f, 0.f, 0.f, 0.f});
  CHECK(on.dx == std::vector<float>{0.f, 0.1f, 0.f, 0.f});
}

TEST_CASE("sequential: ReLU's zero gradient may change sign with the pool first",
          "[layers][reorder]") {
  Sequential net;
  net.emplace<ReLU>();
  net.emplace<MaxPool2D>(2);
  for (bool reorder : {false, true}) {
    INFO("reorder: " << reorder);
    const Window w = one_window(net, {-1.f, -2.f, -0.5f, -3.f}, -1.f, reorder);
    CHECK(bits(w.y) == bits(0.f));  // relu gives +0 for x <= 0, in either order
    // Activation last: all four activations are 0, the first wins and gets -1 * 0 = -0; the
    // rest get 0 * 0 = +0. Pool first: -0.5 wins, and its gradient -1 * 0 = -0 is added to the
    // +0 the pool's backward starts from: +0 everywhere.
    CHECK(w.dx == std::vector<float>{0.f, 0.f, 0.f, 0.f});  // as values: -0 == 0
    CHECK(std::signbit(w.dx[0]) == !reorder);
    CHECK_FALSE(std::signbit(w.dx[1]));
    CHECK_FALSE(std::signbit(w.dx[2]));
    CHECK_FALSE(std::signbit(w.dx[3]));
  }
}

TEST_CASE("sequential: pairs the pool cannot pass stay in their order", "[layers][reorder]") {
  Reorder on(true);
  // LeakyReLU(0): 0 * -inf is NaN, which wins its window when the activation runs first; pooled
  // first, 5 would win and give 5.
  Sequential zero_slope;
  zero_slope.emplace<LeakyReLU>(0.f);
  zero_slope.emplace<MaxPool2D>(2);
  Tensor y = zero_slope(T({-kInf, 5.f, 1.f, 2.f}, {1, 1, 2, 2}, true));
  CHECK(std::isnan(y.item()));
  CHECK(y.grad_fn()->name == "max_pool2d");
  // A negative slope is not monotone: |x| for slope -1, so -3 gives the window's 3.
  Sequential negative;
  negative.emplace<LeakyReLU>(-1.f);
  negative.emplace<MaxPool2D>(2);
  y = negative(T({-3.f, 1.f, 0.5f, -0.25f}, {1, 1, 2, 2}, true));
  CHECK(y.item() == 3.f);
  CHECK(y.grad_fn()->name == "max_pool2d");
  // A subclass may do anything in its forward: only the exact types are reordered.
  struct Doubled : ReLU {
    Tensor forward(const Tensor& x) override { return ReLU::forward(x) * 2.f; }
  };
  Sequential sub;
  sub.emplace<Doubled>();
  sub.emplace<MaxPool2D>(2);
  y = sub(T({1.f, 2.f, 3.f, 4.f}, {1, 1, 2, 2}, true));
  CHECK(y.item() == 8.f);
  CHECK(y.grad_fn()->name == "max_pool2d");
}

TEST_CASE("sequential: errors with the pool first name the same layer", "[layers][reorder]") {
  Sequential net;
  net.emplace<LeakyReLU>(0.1f);
  net.emplace<MaxPool2D>(2);
  for (const Tensor& x : {zeros({4, 4}), zeros({1, 1, 1, 1}), Tensor()}) {
    std::string message[2];
    for (bool reorder : {false, true}) {
      Reorder setting(reorder);
      try {
        net(x);
      } catch (const Error& e) {
        message[reorder] = e.what();
      }
    }
    INFO(message[0]);
    CHECK(message[0] == message[1]);
    CHECK_THAT(message[0], Catch::StartsWith(x.defined() ? "Sequential: layer 1: MaxPool2D(k2, s2)"
                                                         : "Sequential: layer 0: LeakyReLU(0.1)"));
  }
}

TEST_CASE("sequential: the profiler still counts each layer's time under its own row",
          "[layers][reorder][profile]") {
  profile::enable(false);
  profile::reset();
  Reorder on(true);
  Generator gen(9);
  Sequential net;
  net.emplace<Conv2D>(1, 2, 3, 1, 0, true, Init::Auto, gen);
  // Names no other test uses: the profiler keeps scope names for the whole process, and these
  // must be entered here for the first time to show the order they are entered in.
  net.emplace<LeakyReLU>(0.125f);
  net.emplace<MaxPool2D>(3, 3, 1);
  const Tensor x = R({2, 1, 6, 6}, 8, true);
  profile::enable(true);
  for (int step = 0; step < 2; ++step) net(x).sum().backward();
  profile::enable(false);

  const std::string conv = "0 Conv2D(1->2, k3)", act = "1 LeakyReLU(0.125)",
                    pool = "2 MaxPool2D(k3, s3, p1)";
  CHECK(profile::layer_label(0, net[0]->name()) == conv);
  CHECK(profile::layer_label(1, net[1]->name()) == act);
  CHECK(profile::layer_label(2, net[2]->name()) == pool);
  std::vector<std::string> order;  // the scopes of report(), in its order
  auto count = [](const std::string& scope, profile::Category c) {
    for (const profile::Row& r : profile::report())
      if (r.scope == scope && r.category == c) return r.calls;
    return int64_t{0};
  };
  for (const profile::Row& r : profile::report())
    if ((r.scope == conv || r.scope == act || r.scope == pool) &&
        (order.empty() || order.back() != r.scope))
      order.push_back(r.scope);
  // The layers in their order, although the pool's forward ran before the activation's.
  CHECK(order == std::vector<std::string>{conv, act, pool});
  using profile::Category;
  for (const std::string& l : {conv, act, pool}) CHECK(count(l, Category::Forward) == 2);
  // Per step: leaky_relu's forward and its node's backward in the activation's row, max_pool2d's
  // in the pool's, and nothing of either in the other's.
  CHECK(count(act, Category::Elementwise) == 4);
  CHECK(count(pool, Category::Pooling) == 4);
  CHECK(count(act, Category::Pooling) == 0);
  CHECK(count(pool, Category::Elementwise) == 0);
  profile::reset();
}

TEST_CASE("sequential: gradcheck through reordered pairs", "[layers][reorder]") {
  Reorder on(true);
  Generator gen(13);
  Sequential net;
  net.emplace<LeakyReLU>(0.1f);
  net.emplace<MaxPool2D>(2);
  net.emplace<Conv2D>(2, 3, 3, 1, 1, true, Init::Auto, gen);
  net.emplace<ReLU>();
  net.emplace<MaxPool2D>(2);
  net.emplace<Flatten>();
  net.emplace<Dense>(3, 2, true, Init::Auto, gen);  // 4x4 -> 2x2 -> 1x1, 3 channels
  // Inputs 0.05 * (k - 31.5) for k = 0..63 in the order k = 37 * i mod 64: no two within 2 * eps
  // of each other and none at leaky_relu's kink, so no argmax moves under the perturbation.
  std::vector<float> v(64);
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.05f * (static_cast<float>(37 * i % 64) - 31.5f);
  std::vector<Tensor> inputs{T(v, {2, 2, 4, 4}, true)};
  for (auto& [name, p] : net.parameters()) inputs.push_back(p);
  CHECK_GRADS([&](const std::vector<Tensor>& in) { return net(in[0]); }, inputs);
}
