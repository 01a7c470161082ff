// Tests for layers/: each layer's output shape, hand-computed forwards, gradient checks through the
// layer (w.r.t. the input and the parameters), Dropout, parameter naming, summary() and errors.
// Also: initialisation statistics (He, Glorot, the Auto rule) and moving a module between devices.
#include <algorithm>
#include <cmath>
#include <memory>

#include "layers/layers.h"
#include "support/helpers.h"
#include "support/op_cases.h"

using namespace minidl;
using namespace minidl::test;

namespace {

using Ins = std::vector<Tensor>;

// Random values in +-[0.1, 1): safely away from the kink of (leaky) ReLU at 0 for gradcheck.
Tensor away_from_zero(const Shape& s, uint64_t seed) {
  Generator g(seed);
  std::vector<float> v(shape_numel(s));
  for (auto& e : v) e = (g.uniform() < 0.5f ? -1.f : 1.f) * g.uniform(0.1f, 1.f);
  return T(v, s, true);
}

// The values 0.05 * k for k = 0..n-1 in a shuffled order: no two within 2 * eps of each other,
// so max pooling's argmax does not move under gradcheck's perturbation.
Tensor distinct_values(const Shape& s, uint64_t seed) {
  Generator g(seed);
  std::vector<float> v(shape_numel(s));
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.05f * static_cast<float>(i);
  for (size_t i = v.size(); i-- > 1;) std::swap(v[i], v[g.below(i + 1)]);
  return T(v, s, true);
}

struct Stats {
  double mean, std, max_abs;
};

Stats stats(const Tensor& t) {
  const auto v = t.to_vector();
  double s = 0, s2 = 0, m = 0;
  for (float x : v) {
    s += x;
    s2 += double(x) * x;
    m = std::max(m, double(std::fabs(x)));
  }
  const double n = static_cast<double>(v.size()), mean = s / n;
  return {mean, std::sqrt(s2 / n - mean * mean), m};
}

bool all_zero(const Tensor& t) {
  for (float x : t.to_vector())
    if (x != 0.f) return false;
  return true;
}

}  // namespace

// ---- Dense -------------------------------------------------------------------------------------

TEST_CASE("layers: Dense forward by hand and its gradients w.r.t. input and parameters",
          "[layers]") {
  Generator gen(1);
  Dense d(3, 2, true, Init::Glorot, gen);
  REQUIRE(d.weight().shape() == Shape{2, 3});
  REQUIRE(d.bias().shape() == Shape{2});
  d.weight().detach().copy_(T({1, 2, 3, 4, 5, 6}, {2, 3}));
  d.bias().detach().copy_(T({0.5f, -1}, {2}));
  // x = [[1, 0, -1], [2, 1, 0]]:  y = x W^T + b
  //   y[0] = [1 - 3 + 0.5, 4 - 6 - 1] = [-1.5, -3];  y[1] = [2 + 2 + 0.5, 8 + 5 - 1] = [4.5, 12]
  CHECK_CLOSE(d(T({1, 0, -1, 2, 1, 0}, {2, 3})), {-1.5f, -3, 4.5f, 12}, {2, 2});
  // Leading axes are kept: (2, 5, 3) -> (2, 5, 2).
  CHECK(d(R({2, 5, 3}, 2, false)).shape() == Shape{2, 5, 2});
  CHECK(d.output_shape({7, 3}) == Shape{7, 2});

  Dense g2(4, 3, true, Init::Glorot, gen);
  CHECK_GRADS([&](const Ins& in) { return g2(in[0]); }, {R({5, 4}, 3), g2.weight(), g2.bias()});
  Dense nob(4, 3, false, Init::He, gen);
  CHECK_FALSE(nob.bias().defined());
  CHECK(nob.parameters().size() == 1);
  CHECK_GRADS([&](const Ins& in) { return nob(in[0]); }, {R({2, 3, 4}, 4), nob.weight()});
}

// ---- Conv2D ------------------------------------------------------------------------------------

TEST_CASE("layers: Conv2D output shapes and gradients w.r.t. input and parameters", "[layers]") {
  Generator gen(2);
  Conv2D c(3, 4, 3, 2, 1, true, Init::He, gen);
  CHECK(c.weight().shape() == Shape{4, 3, 3, 3});
  // (8 + 2 - 3) / 2 + 1 = 4
  CHECK(c(R({2, 3, 8, 8}, 5, false)).shape() == Shape{2, 4, 4, 4});
  CHECK(c.output_shape({2, 3, 8, 8}) == Shape{2, 4, 4, 4});
  CHECK(c.output_shape({1, 3, 7, 5}) == Shape{1, 4, 4, 3});  // (7+2-3)/2+1 = 4, (5+2-3)/2+1 = 3

  // A 1x1 convolution with one input channel by hand: y = 2 x + 1.
  Conv2D one(1, 1, 1, 1, 0, true, Init::Glorot, gen);
  one.weight().detach().fill_(2.f);
  one.bias().detach().fill_(1.f);
  CHECK_CLOSE(one(T({1, 2, 3, 4}, {1, 1, 2, 2})), {3, 5, 7, 9}, {1, 1, 2, 2});

  // The layer is the op with its own parameters.
  Tensor x = R({2, 3, 6, 6}, 6, false);
  CHECK_CLOSE(c(x), conv2d(x, c.weight(), c.bias(), 2, 1));

  Conv2D g(2, 3, 3, 1, 1, true, Init::Glorot, gen);
  CHECK_GRADS([&](const Ins& in) { return g(in[0]); }, {R({2, 2, 5, 5}, 7), g.weight(), g.bias()});
  Conv2D nob(2, 2, 2, 2, 0, false, Init::He, gen);
  CHECK_GRADS([&](const Ins& in) { return nob(in[0]); }, {R({1, 2, 4, 4}, 8), nob.weight()});
}

// ---- MaxPool2D ---------------------------------------------------------------------------------

TEST_CASE("layers: MaxPool2D forward by hand and output shapes and gradient", "[layers]") {
  MaxPool2D pool(2);
  CHECK(pool.stride() == 2);
  // 0..15 in a 4x4 image: the 2x2 windows' maxima are 5, 7, 13, 15.
  std::vector<float> v(16);
  for (int i = 0; i < 16; ++i) v[i] = static_cast<float>(i);
  CHECK_CLOSE(pool(T(v, {1, 1, 4, 4})), {5, 7, 13, 15}, {1, 1, 2, 2});
  CHECK(pool.output_shape({2, 3, 9, 8}) == Shape{2, 3, 4, 4});
  MaxPool2D overlap(3, 2, 1);  // (8 + 2 - 3) / 2 + 1 = 4
  CHECK(overlap(R({1, 2, 8, 8}, 9, false)).shape() == Shape{1, 2, 4, 4});
  CHECK(overlap.output_shape({1, 2, 8, 8}) == Shape{1, 2, 4, 4});
  CHECK_GRADS([&](const Ins& in) { return overlap(in[0]); }, {distinct_values({2, 2, 5, 5}, 10)});
}

// ---- activations -------------------------------------------------------------------------------

TEST_CASE("layers: activations keep the shape and compute the right values", "[layers]") {
  Tensor x = T({-1, 2, 0, -3}, {2, 2});
  CHECK_CLOSE(ReLU()(x), {0, 2, 0, 0}, {2, 2});
  CHECK_CLOSE(LeakyReLU(0.1f)(x), {-0.1f, 2, 0, -0.3f}, {2, 2});
  CHECK_CLOSE(LeakyReLU()(x), {-0.01f, 2, 0, -0.03f}, {2, 2});  // default slope 0.01
  // sigmoid(0) = 0.5, sigmoid(2) = 1 / (1 + e^-2) = 0.880797; tanh(2) = 0.964028
  CHECK_CLOSE(Sigmoid()(T({0, 2}, {2})), {0.5f, 0.880797f}, {2});
  CHECK_CLOSE(Tanh()(T({0, 2}, {2})), {0.f, 0.964028f}, {2});
  // softmax([0, ln 3]) = [1, 3] / 4; along axis 0 of [[0, 0], [ln 3, 0]]: columns [1/4, 3/4], [1/2,
  // 1/2]
  const float ln3 = std::log(3.f);
  CHECK_CLOSE(Softmax()(T({0, ln3}, {1, 2})), {0.25f, 0.75f}, {1, 2});
  CHECK_CLOSE(Softmax(0)(T({0, 0, ln3, 0}, {2, 2})), {0.25f, 0.5f, 0.75f, 0.5f}, {2, 2});
  CHECK(Softmax(1).output_shape({4, 7}) == Shape{4, 7});
  CHECK_THROWS_WITH(Softmax(2).output_shape({4, 7}), Catch::Contains("axis 2"));
  CHECK(ReLU().name() == "ReLU");
  CHECK(LeakyReLU(0.1f).name() == "LeakyReLU(0.1)");
  CHECK(Softmax().name() == "Softmax(axis=-1)");
}

TEST_CASE("layers: gradients through the activation layers", "[layers]") {
  ReLU relu;
  LeakyReLU leaky(0.1f);
  CHECK_GRADS([&](const Ins& in) { return relu(in[0]); }, {away_from_zero({3, 4}, 11)});
  CHECK_GRADS([&](const Ins& in) { return leaky(in[0]); }, {away_from_zero({3, 4}, 12)});
  auto sigmoid_l = std::make_shared<Sigmoid>();
  auto tanh_l = std::make_shared<Tanh>();
  auto softmax_l = std::make_shared<Softmax>(1);
  run_gradcheck_table({
      {"Sigmoid (3,4)", {{3, 4}}, [=](const Ins& in) { return (*sigmoid_l)(in[0]); }, -2.f, 2.f},
      {"Tanh (3,4)", {{3, 4}}, [=](const Ins& in) { return (*tanh_l)(in[0]); }, -2.f, 2.f},
      {"Softmax axis 1 (2,5,3)", {{2, 5, 3}}, [=](const Ins& in) { return (*softmax_l)(in[0]); }},
  });
}

// ---- Dropout -----------------------------------------------------------------------------------

TEST_CASE("layers: Dropout is the identity in eval mode and inverted dropout in training",
          "[layers]") {
  Generator gen(21);
  Dropout drop(0.3f, gen);
  Tensor x = ones({100, 100}).requires_grad_();

  drop.eval();
  CHECK(drop(x).is_same(x));

  drop.train();
  Tensor y = drop(x);
  CHECK(y.shape() == x.shape());
  int zeros_count = 0, scaled = 0;
  for (float v : y.to_vector()) {
    zeros_count += v == 0.f;
    scaled += std::fabs(v - 1.f / 0.7f) < 1e-6f;  // kept elements are scaled by 1 / (1 - p)
  }
  CHECK(zeros_count + scaled == 10000);
  // About p = 30% dropped: the binomial std of the fraction is sqrt(0.3 * 0.7 / 10000) = 0.0046.
  CHECK(std::fabs(zeros_count / 10000.0 - 0.3) < 0.02);
  // dy/dx is the scaled mask: the gradient of sum(y) equals y when x = 1.
  y.sum().backward();
  CHECK_CLOSE(x.grad(), y);
  // A new mask on every call.
  CHECK(drop(x).to_vector() != y.to_vector());

  // Deterministic: the same seed gives the same masks; seed() restarts the sequence.
  Generator g1(5), g2(5);
  Dropout a(0.5f, g1), b(0.5f, g2);
  Tensor ya = a(x);
  CHECK(ya.to_vector() == b(x).to_vector());
  a.seed(99);
  b.seed(99);
  CHECK(a(x).to_vector() == b(x).to_vector());

  Dropout none(0.f, gen);
  CHECK(none(x).is_same(x));
  CHECK_THROWS_WITH(Dropout(1.f), Catch::Contains("Dropout(p=1)") && Catch::Contains("[0, 1)"));
  CHECK_THROWS_WITH(Dropout(-0.1f), Catch::Contains("Dropout"));
}

// ---- Module, Sequential ------------------------------------------------------------------------

TEST_CASE("layers: parameters() names them recursively with dotted paths", "[layers]") {
  Generator gen(3);
  auto inner = std::make_shared<Sequential>();
  inner->emplace<Dense>(8, 4, true, Init::Auto, gen);
  inner->emplace<ReLU>();
  Sequential model;
  model.emplace<Conv2D>(1, 2, 3, 1, 0, true, Init::Auto, gen);
  model.emplace<LeakyReLU>(0.1f);
  model.emplace<Flatten>();
  model.add(inner);
  model.emplace<Dense>(4, 2, false, Init::Auto, gen);

  auto params = model.parameters();
  std::vector<std::string> names;
  for (const auto& [name, t] : params) {
    names.push_back(name);
    CHECK(t.requires_grad());
  }
  CHECK(names ==
        std::vector<std::string>{"0.weight", "0.bias", "3.0.weight", "3.0.bias", "4.weight"});
  CHECK(params[0].second.is_same(std::dynamic_pointer_cast<Conv2D>(model[0])->weight()));
  CHECK(params[2].second.shape() == Shape{4, 8});
  // 2*1*3*3 + 2 + 4*8 + 4 + 2*4 = 18 + 2 + 32 + 4 + 8 = 64
  CHECK(model.num_parameters() == 64);
  CHECK(model.size() == 5);
  // (1, 1, 4, 4) -> conv 3x3 (1, 2, 2, 2) -> flatten (1, 8) -> (1, 4) -> (1, 2)
  Tensor y = model(R({1, 1, 4, 4}, 16, false));
  CHECK(y.shape() == Shape{1, 2});
  CHECK(model.output_shape({1, 1, 4, 4}) == Shape{1, 2});
  CHECK_THROWS_WITH(model[5], Catch::Contains("out of range"));
  // A layer used twice (tied weights) is listed once, under its first name.
  Sequential tied;
  auto shared = std::make_shared<Dense>(3, 3, true, Init::Glorot, gen);
  tied.add(shared).add(std::make_shared<Tanh>()).add(shared);
  CHECK(tied.parameters().size() == 2);
  CHECK(tied.parameters()[1].first == "0.bias");
  CHECK_THROWS_WITH(model.add(nullptr), Catch::Contains("null"));
}

TEST_CASE("layers: train and eval reach every child and zero_grad clears every gradient",
          "[layers]") {
  Generator gen(4);
  auto inner = std::make_shared<Sequential>();
  auto drop = inner->emplace<Dropout>(0.5f, gen);
  Sequential model;
  auto dense = model.emplace<Dense>(3, 3, true, Init::Glorot, gen);
  model.add(inner);
  CHECK(drop->is_training());
  model.eval();
  CHECK_FALSE(model.is_training());
  CHECK_FALSE(inner->is_training());
  CHECK_FALSE(drop->is_training());
  model.train();
  CHECK(drop->is_training());

  model(R({2, 3}, 17, false)).sum().backward();
  CHECK(dense->weight().grad().defined());
  CHECK(dense->bias().grad().defined());
  model.zero_grad();
  CHECK_FALSE(dense->weight().grad().defined());
  CHECK_FALSE(dense->bias().grad().defined());
}

TEST_CASE("layers: gradcheck through a small Sequential w.r.t. input and all parameters",
          "[layers]") {
  Generator gen(5);
  Sequential model;
  // Pooling first, on well-separated inputs: perturbing a weight then never moves an argmax.
  model.emplace<MaxPool2D>(2);
  model.emplace<Conv2D>(2, 3, 3, 1, 1, true, Init::Auto, gen);
  model.emplace<Tanh>();
  model.emplace<Flatten>();
  model.emplace<Dense>(12, 3, true, Init::Auto, gen);
  model.emplace<Softmax>();
  Ins inputs{distinct_values({2, 2, 4, 4}, 18)};
  for (auto& [name, p] : model.parameters()) inputs.push_back(p);
  REQUIRE(inputs.size() == 5);
  CHECK_GRADS([&](const Ins& in) { return model(in[0]); }, inputs);
}

// ---- summary -----------------------------------------------------------------------------------

TEST_CASE("layers: summary() lists each layer's output shape and counts the parameters",
          "[layers]") {
  Generator gen(6);
  Sequential model;
  model.emplace<Conv2D>(3, 8, 3, 1, 1, true, Init::Auto, gen);
  model.emplace<LeakyReLU>(0.1f);
  model.emplace<MaxPool2D>(2);
  model.emplace<Flatten>();
  auto head = model.emplace<Dense>(128, 10, true, Init::Auto, gen);
  model.emplace<Softmax>();
  const std::string s = summary(model, {1, 3, 8, 8});
  INFO(s);
  CHECK_THAT(s, Catch::Contains("Conv2D(3->8, k3, p1)") && Catch::Contains("(1, 8, 8, 8)"));
  CHECK_THAT(s, Catch::Contains("MaxPool2D(k2, s2)") && Catch::Contains("(1, 8, 4, 4)"));
  CHECK_THAT(s, Catch::Contains("Dense(128->10)") && Catch::Contains("(1, 128)") &&
                    Catch::Contains("(1, 10)"));
  // conv: 8*3*3*3 + 8 = 224;  dense: 128*10 + 10 = 1290;  total 1514
  CHECK_THAT(s, Catch::Contains("224") && Catch::Contains("1,290"));
  CHECK_THAT(s, Catch::Contains("Total params: 1,514"));
  CHECK_THAT(s, Catch::Contains("Trainable params: 1,514"));
  CHECK_THAT(s, Catch::Contains("Non-trainable params: 0"));
  CHECK(model(zeros({1, 3, 8, 8})).shape() == Shape{1, 10});

  // A frozen parameter counts as non-trainable.
  Tensor b = head->bias();
  b.requires_grad_(false);
  const std::string frozen = summary(model, {1, 3, 8, 8});
  CHECK_THAT(frozen, Catch::Contains("Trainable params: 1,504") &&
                         Catch::Contains("Non-trainable params: 10"));

  CHECK_THROWS_WITH(summary(model, {1, 4, 8, 8}),
                    Catch::Contains("summary: layer 0: Conv2D(3->8, k3, p1)"));
  CHECK_THROWS_WITH(summary(model, {1, 3, 10, 10}),  // flatten gives 200 features, Dense wants 128
                    Catch::Contains("layer 4: Dense(128->10)") && Catch::Contains("(1, 200)"));
}

// ---- errors ------------------------------------------------------------------------------------

TEST_CASE("layers: bad constructor arguments and bad inputs are errors that name the layer",
          "[layers]") {
  CHECK_THROWS_WITH(Conv2D(3, 16, 0), Catch::Contains("Conv2D(") && Catch::Contains("kernel=0"));
  CHECK_THROWS_WITH(Conv2D(3, 16, 3, 0), Catch::Contains("stride must be >= 1, got 0"));
  CHECK_THROWS_WITH(Conv2D(3, 16, 3, 1, -1), Catch::Contains("padding must be >= 0, got -1"));
  CHECK_THROWS_WITH(Conv2D(0, 16, 3), Catch::Contains("in must be >= 1, got 0"));
  CHECK_THROWS_WITH(Dense(0, 4), Catch::Contains("Dense(in=0, out=4)"));
  CHECK_THROWS_WITH(Dense(4, -2), Catch::Contains("out must be >= 1, got -2"));
  CHECK_THROWS_WITH(MaxPool2D(0), Catch::Contains("MaxPool2D(kernel=0"));
  CHECK_THROWS_WITH(MaxPool2D(2, 2, 2), Catch::Contains("padding must be in [0, 1]"));
  CHECK_THROWS_WITH(LeakyReLU(std::nanf("")), Catch::Contains("LeakyReLU"));

  // The op's message, prefixed with the layer's name (and, in a Sequential, its index).
  Conv2D conv(3, 16, 3);
  CHECK_THROWS_WITH(conv(zeros({1, 4, 8, 8})), Catch::StartsWith("Conv2D(3->16, k3): conv2d:"));
  Dense dense(4, 2);
  CHECK_THROWS_WITH(dense(zeros({2, 3})), Catch::StartsWith("Dense(4->2): expects input (N, 4)"));
  Sequential model;
  model.emplace<ReLU>();
  model.emplace<Conv2D>(3, 16, 3);
  CHECK_THROWS_WITH(model(zeros({1, 4, 8, 8})),
                    Catch::StartsWith("Sequential: layer 1: Conv2D(3->16, k3): conv2d:"));
  CHECK_THROWS_WITH(MaxPool2D(2)(zeros({4, 4})), Catch::StartsWith("MaxPool2D(k2, s2): "));
}

// ---- initialisation, devices -------------------------------------------------------------------

TEST_CASE("layers: He and Glorot initialisation have the standard deviations of their formulas",
          "[layers]") {
  Generator gen(31);
  // He: std = sqrt(2 / fan_in). 500k samples: the std estimate is good to ~0.1%, so 3% is loose.
  Dense he(1000, 500, true, Init::He, gen);
  Stats s = stats(he.weight());
  CHECK(s.std == Approx(std::sqrt(2.0 / 1000)).epsilon(0.03));  // 0.04472
  CHECK(std::fabs(s.mean) < 1e-3);
  CHECK(all_zero(he.bias()));
  CHECK(he.init() == Init::He);

  // Glorot uniform: U(-a, a), a = sqrt(6 / (fan_in + fan_out)), std = a / sqrt(3) = sqrt(2 / 1500).
  Dense gl(1000, 500, true, Init::Glorot, gen);
  s = stats(gl.weight());
  CHECK(s.std == Approx(std::sqrt(2.0 / 1500)).epsilon(0.03));  // 0.03651
  CHECK(s.max_abs <= std::sqrt(6.0 / 1500) + 1e-7);             // 0.06325
  CHECK(s.max_abs > 0.95 * std::sqrt(6.0 / 1500));
  CHECK(all_zero(gl.bias()));

  // Conv2D: fan_in = in * k * k = 64 * 9 = 576, fan_out = out * k * k = 32 * 9 = 288.
  Conv2D che(64, 32, 3, 1, 1, true, Init::He, gen);
  CHECK(stats(che.weight()).std == Approx(std::sqrt(2.0 / 576)).epsilon(0.03));  // 0.05893
  Conv2D cgl(64, 32, 3, 1, 1, true, Init::Glorot, gen);
  CHECK(stats(cgl.weight()).std == Approx(std::sqrt(2.0 / 864)).epsilon(0.03));  // 0.04811
  CHECK(all_zero(cgl.bias()));
}

TEST_CASE(
    "layers: Init::Auto becomes He before a (leaky) ReLU in a Sequential and Glorot otherwise",
    "[layers]") {
  Generator gen(32);
  Sequential model;
  auto d1 = model.emplace<Dense>(1000, 400, true, Init::Auto, gen);
  CHECK(d1->init() == Init::Auto);
  CHECK(stats(d1->weight()).std == Approx(std::sqrt(2.0 / 1400)).epsilon(0.03));  // Glorot so far
  model.emplace<ReLU>();
  CHECK(d1->init() == Init::He);
  CHECK(stats(d1->weight()).std == Approx(std::sqrt(2.0 / 1000)).epsilon(0.03));
  // LeakyReLU(a): std = sqrt(2 / ((1 + a^2) fan_in)) = sqrt(2 / (1.25 * 400)) for a = 0.5.
  auto d2 = model.emplace<Dense>(400, 600, true, Init::Auto, gen);
  model.emplace<LeakyReLU>(0.5f);
  CHECK(stats(d2->weight()).std == Approx(std::sqrt(2.0 / 500)).epsilon(0.03));
  // Not followed by a rectifier: stays Glorot.
  auto d3 = model.emplace<Dense>(600, 400, true, Init::Auto, gen);
  model.emplace<Softmax>();
  CHECK(d3->init() == Init::Auto);
  CHECK(stats(d3->weight()).std == Approx(std::sqrt(2.0 / 1000)).epsilon(0.03));
  // An explicit choice is kept.
  auto d4 = model.emplace<Dense>(400, 400, true, Init::Glorot, gen);
  model.emplace<ReLU>();
  CHECK(d4->init() == Init::Glorot);
  CHECK(stats(d4->weight()).std == Approx(std::sqrt(2.0 / 800)).epsilon(0.03));
}

TEST_CASE("layers: initialisation is deterministic for a seed and reset_parameters redraws it",
          "[layers]") {
  Generator g1(7), g2(7);
  Conv2D a(3, 4, 3, 1, 0, true, Init::He, g1), b(3, 4, 3, 1, 0, true, Init::He, g2);
  CHECK(a.weight().to_vector() == b.weight().to_vector());
  Conv2D c(3, 4, 3, 1, 0, true, Init::He, g1);  // the next seed from g1: different weights
  CHECK(c.weight().to_vector() != a.weight().to_vector());

  const auto before = a.weight().to_vector();
  a.weight().detach().fill_(5.f);
  a.bias().detach().fill_(5.f);
  a.reset_parameters(Init::He);
  CHECK(a.weight().to_vector() == before);  // same seed, same draw
  CHECK(all_zero(a.bias()));
  CHECK(init_name(Init::Glorot) == std::string("glorot"));
}

TEST_CASE("layers: Module::to moves parameters in place so existing handles see the move",
          "[layers]") {
  Generator gen(33);
  Sequential model;
  auto dense = model.emplace<Dense>(3, 2, true, Init::Glorot, gen);
  Tensor w = dense->weight();  // a handle held elsewhere (as an optimizer would)
  const auto values = w.to_vector();

  model.to(Device::CPU);  // already there: nothing changes
  CHECK(w.device() == Device::CPU);
  CHECK(w.to_vector() == values);

  if (!cuda_available()) {
    // The move fails before any parameter changes.
    CHECK_THROWS_AS(model.to(Device::CUDA), Error);
    CHECK(w.device() == Device::CPU);
    CHECK(w.to_vector() == values);
    CHECK(w.requires_grad());
  } else {
    model(R({4, 3}, 1, false)).sum().backward();
    model.to(Device::CUDA);
    CHECK(w.device() == Device::CUDA);
    CHECK(w.is_same(dense->weight()));
    CHECK(w.grad().device() == Device::CUDA);
    CHECK(w.to_vector() == values);
    model.to(Device::CPU);
    CHECK(w.device() == Device::CPU);
    CHECK(w.to_vector() == values);
  }
}
