// Tests for core/optim and core/schedule: one or two update steps of SGD (plain, momentum,
// Nesterov, weight decay), Adam and AdamW against hand arithmetic, the optimizer state round trip,
// argument errors, schedule values by hand, and short training runs that must drive a loss down.
#include <cmath>
#include <memory>

#include "core/optim.h"
#include "core/schedule.h"
#include "layers/layers.h"
#include "support/helpers.h"

using namespace minidl;
using namespace minidl::test;

namespace {

// A parameter holding `values` and a gradient set by hand.
Tensor param(const std::vector<float>& values) { return T(values, {int64_t(values.size())}, true); }
void set_grad(const Tensor& p, const std::vector<float>& g) {
  p.set_grad(from_vector(g, {int64_t(g.size())}));
}

const Tensor& entry(const std::vector<NamedTensor>& state, const std::string& name) {
  for (const auto& [n, t] : state)
    if (n == name) return t;
  FAIL("no state entry " << name);
  static Tensor none;
  return none;
}

}  // namespace

// ---- SGD ---------------------------------------------------------------------------------------

TEST_CASE("optim: SGD step by hand plain and with weight decay", "[optim]") {
  Tensor p = param({1, -2});
  SGD sgd({p}, 0.1f);
  set_grad(p, {0.5f, 1});
  sgd.step();
  // p = p - lr g = [1 - 0.05, -2 - 0.1] = [0.95, -2.1]
  CHECK_CLOSE(p, {0.95f, -2.1f}, {2});
  CHECK(p.requires_grad());
  CHECK(p.is_leaf());
  sgd.zero_grad();
  CHECK_FALSE(p.grad().defined());

  Tensor q = param({2});
  SGD wd({q}, 0.1f, 0.f, false, 0.1f);
  set_grad(q, {1});
  wd.step();
  // g = 1 + 0.1 * 2 = 1.2;  q = 2 - 0.1 * 1.2 = 1.88
  CHECK_CLOSE(q, {1.88f}, {1});
}

TEST_CASE("optim: SGD with momentum and with Nesterov momentum over two steps by hand", "[optim]") {
  Tensor p = param({1}), q = param({1});
  SGD heavy({p}, 0.1f, 0.9f), nesterov({q}, 0.1f, 0.9f, true);
  set_grad(p, {1});
  set_grad(q, {1});
  heavy.step();
  nesterov.step();
  // step 1, g = 1: buf = g = 1.
  //   momentum: p = 1 - 0.1 * 1 = 0.9
  //   Nesterov: d = g + 0.9 buf = 1.9;  q = 1 - 0.1 * 1.9 = 0.81
  CHECK_CLOSE(p, {0.9f}, {1});
  CHECK_CLOSE(q, {0.81f}, {1});
  CHECK_CLOSE(entry(heavy.state(), "param.0.momentum_buffer"), {1.f}, {1});
  set_grad(p, {0.5f});
  set_grad(q, {0.5f});
  heavy.step();
  nesterov.step();
  // step 2, g = 0.5: buf = 0.9 * 1 + 0.5 = 1.4.
  //   momentum: p = 0.9 - 0.1 * 1.4 = 0.76
  //   Nesterov: d = 0.5 + 0.9 * 1.4 = 1.76;  q = 0.81 - 0.176 = 0.634
  CHECK_CLOSE(p, {0.76f}, {1});
  CHECK_CLOSE(q, {0.634f}, {1});
}

TEST_CASE("optim: parameters without a gradient are skipped and get no state", "[optim]") {
  Tensor a = param({1, 1}), b = param({3});
  SGD sgd({a, b}, 0.5f, 0.9f);
  set_grad(a, {1, 2});
  sgd.step();
  CHECK_CLOSE(a, {0.5f, 0.f}, {2});  // [1 - 0.5 * 1, 1 - 0.5 * 2]
  CHECK_CLOSE(b, {3.f}, {1});
  // state: lr, param.0.step, param.0.momentum_buffer; nothing for parameter 1
  auto st = sgd.state();
  CHECK(st.size() == 3);
  CHECK(entry(st, "lr").item() == 0.5f);
  CHECK(entry(st, "param.0.step").item() == 1.f);
}

// ---- Adam, AdamW -------------------------------------------------------------------------------

TEST_CASE("optim: Adam over two steps by hand", "[optim]") {
  Tensor p = param({1});
  Adam adam({p}, 0.1f);
  set_grad(p, {0.5f});
  adam.step();
  // t = 1: m = 0.1 * 0.5 = 0.05, v = 0.001 * 0.25 = 0.00025
  //   bias corrections 1 - 0.9 = 0.1 and 1 - 0.999 = 0.001: m^ = 0.5, sqrt(v^) = 0.5
  //   p = 1 - 0.1 * 0.5 / (0.5 + 1e-8) = 0.9
  CHECK_CLOSE(p, {0.9f}, {1});
  CHECK_CLOSE(entry(adam.state(), "param.0.exp_avg"), {0.05f}, {1});
  CHECK_CLOSE(entry(adam.state(), "param.0.exp_avg_sq"), {0.00025f}, {1}, 1e-9,
              1e-4);  // (1 - 0.999f) is 1e-3 to 1e-5
  set_grad(p, {-1});
  adam.step();
  // t = 2: m = 0.9 * 0.05 - 0.1 = -0.055, v = 0.999 * 0.00025 + 0.001 = 0.00124975
  //   m^ = -0.055 / (1 - 0.81) = -0.2894737, v^ = 0.00124975 / (1 - 0.998001) = 0.6251876,
  //   sqrt(v^) = 0.7906881;  p = 0.9 + 0.1 * 0.2894737 / 0.7906881 = 0.9366104
  CHECK_CLOSE(p, {0.9366104f}, {1});
  CHECK(entry(adam.state(), "param.0.step").item() == 2.f);
}

TEST_CASE("optim: Adam weight decay is L2 in the gradient while AdamW decouples it", "[optim]") {
  Tensor p = param({1}), q = param({1});
  Adam adam({p}, 0.1f, 0.9f, 0.999f, 1e-8f, 0.1f);
  AdamW adamw({q}, 0.1f, 0.9f, 0.999f, 1e-8f, 0.1f);
  set_grad(p, {0.5f});
  set_grad(q, {0.5f});
  adam.step();
  adamw.step();
  // Adam: g = 0.5 + 0.1 * 1 = 0.6; m = 0.06, v = 0.001 * 0.36 = 0.00036; the first step is still
  //   lr * m^ / sqrt(v^) = 0.1 * 0.6 / 0.6:  p = 0.9
  CHECK_CLOSE(p, {0.9f}, {1});
  CHECK_CLOSE(entry(adam.state(), "param.0.exp_avg"), {0.06f}, {1});
  CHECK_CLOSE(entry(adam.state(), "param.0.exp_avg_sq"), {0.00036f}, {1}, 1e-9, 1e-4);
  // AdamW: q = 1 * (1 - 0.1 * 0.1) = 0.99, then the plain Adam step (m = 0.05): q = 0.99 - 0.1 =
  // 0.89
  CHECK_CLOSE(q, {0.89f}, {1});
  CHECK_CLOSE(entry(adamw.state(), "param.0.exp_avg"), {0.05f}, {1});
  set_grad(q, {-1});
  adamw.step();
  // q = 0.89 * 0.99 = 0.8811, then + 0.0366104 as in the Adam test's second step: 0.9177104
  CHECK_CLOSE(q, {0.9177104f}, {1});
  CHECK(adamw.name() == "AdamW");
}

// ---- state, arguments --------------------------------------------------------------------------

TEST_CASE("optim: state() and load_state() resume exactly and bad state is rejected", "[optim]") {
  Tensor p = param({1, 2}), q = param({1, 2});
  Adam a({p}, 0.1f), b({q}, 0.5f);
  set_grad(p, {0.5f, -1});
  a.step();
  q.detach().copy_(p);
  b.load_state(a.state());
  CHECK(b.lr() == 0.1f);
  // The same gradient from the same state gives the same parameters.
  set_grad(p, {0.25f, 0.75f});
  set_grad(q, {0.25f, 0.75f});
  a.step();
  b.step();
  CHECK_CLOSE(q, p);
  CHECK(entry(b.state(), "param.0.step").item() == 2.f);

  // Nothing changes when the state is bad.
  CHECK_THROWS_WITH(b.load_state({{"param.0.momentum_buffer", zeros({2})}}),
                    Catch::Contains("Adam: load_state: unknown entry 'param.0.momentum_buffer'"));
  CHECK_THROWS_WITH(b.load_state({{"param.1.exp_avg", zeros({2})}}),
                    Catch::Contains("refers to parameter 1"));
  CHECK_THROWS_WITH(b.load_state({{"param.0.exp_avg", zeros({3})}}),
                    Catch::Contains("shape (3)") && Catch::Contains("shape (2)"));
  CHECK_THROWS_WITH(b.load_state({{"param.0.step", scalar(-1)}}), Catch::Contains("whole number"));
  CHECK_THROWS_WITH(b.load_state({{"momentum", scalar(1)}}), Catch::Contains("unknown entry"));
  CHECK(entry(b.state(), "param.0.step").item() == 2.f);

  // An SGD state does not load into Adam.
  SGD sgd({p}, 0.1f, 0.9f);
  sgd.step();
  CHECK_THROWS_WITH(b.load_state(sgd.state()), Catch::Contains("momentum_buffer"));
}

TEST_CASE("optim: bad hyperparameters and parameter lists are errors naming the optimizer",
          "[optim]") {
  Tensor p = param({1});
  CHECK_THROWS_WITH(SGD({p}, -0.1f), Catch::Contains("SGD: lr must be >= 0 and finite, got -0.1"));
  CHECK_THROWS_WITH(SGD({p}, 0.1f, 0.f, true),
                    Catch::Contains("SGD") && Catch::Contains("nesterov"));
  CHECK_THROWS_WITH(SGD({p}, 0.1f, -1.f), Catch::Contains("momentum must be >= 0"));
  CHECK_THROWS_WITH(Adam({p}, 0.1f, 1.f), Catch::Contains("Adam: beta1 must be in [0, 1)"));
  CHECK_THROWS_WITH(Adam({p}, 0.1f, 0.9f, -0.5f), Catch::Contains("beta2"));
  CHECK_THROWS_WITH(AdamW({p}, 0.1f, 0.9f, 0.999f, 1e-8f, -1.f),
                    Catch::Contains("AdamW: weight_decay must be >= 0"));
  CHECK_THROWS_WITH(SGD(std::vector<Tensor>{}, 0.1f), Catch::Contains("empty parameter list"));
  CHECK_THROWS_WITH(SGD({p, p}, 0.1f), Catch::Contains("same tensor"));
  CHECK_THROWS_WITH(SGD({p * 2.f}, 0.1f), Catch::Contains("not a leaf"));
  SGD sgd({p}, 0.1f);
  CHECK_THROWS_WITH(sgd.set_lr(-1.f), Catch::Contains("lr must be >= 0"));
  sgd.set_lr(0.25f);
  CHECK(sgd.lr() == 0.25f);
}

// ---- schedules ---------------------------------------------------------------------------------

TEST_CASE("optim: StepLR and CosineLR and WarmupLR values by hand", "[optim]") {
  StepLR step(0.1f, 10, 0.5f);
  CHECK(step.lr(0) == Approx(0.1f));
  CHECK(step.lr(9) == Approx(0.1f));
  CHECK(step.lr(10) == Approx(0.05f));   // 0.1 * 0.5
  CHECK(step.lr(25) == Approx(0.025f));  // 0.1 * 0.5^2

  CosineLR cos(1.f, 100, 0.1f);
  CHECK(cos.lr(0) == Approx(1.f));
  CHECK(cos.lr(25) == Approx(0.8681981f));  // 0.1 + 0.9 * (1 + cos(pi / 4)) / 2
  CHECK(cos.lr(50) == Approx(0.55f));       // 0.1 + 0.9 * (1 + 0) / 2
  CHECK(cos.lr(100) == Approx(0.1f));
  CHECK(cos.lr(200) == Approx(0.1f));  // constant after the end

  // Warm-up over 4 steps, then the cosine schedule from its step 0.
  WarmupLR warm(4, std::make_shared<CosineLR>(1.f, 100, 0.1f));
  CHECK(warm.lr(0) == Approx(0.25f));   // 1 * 1/4
  CHECK(warm.lr(1) == Approx(0.5f));    // 1 * 2/4
  CHECK(warm.lr(3) == Approx(1.f));     // 1 * 4/4
  CHECK(warm.lr(4) == Approx(1.f));     // cosine step 0
  CHECK(warm.lr(54) == Approx(0.55f));  // cosine step 50

  Tensor p = param({1});
  SGD sgd({p}, 1.f);
  step.apply(sgd, 10);
  CHECK(sgd.lr() == Approx(0.05f));

  CHECK_THROWS_WITH(StepLR(0.1f, 0), Catch::Contains("StepLR: step_size must be >= 1"));
  CHECK_THROWS_WITH(CosineLR(0.1f, 10, 0.2f), Catch::Contains("min_lr"));
  CHECK_THROWS_WITH(WarmupLR(3, nullptr), Catch::Contains("null"));
  CHECK_THROWS_WITH(cos.lr(-1), Catch::Contains("step must be >= 0"));
}

// ---- training ----------------------------------------------------------------------------------

namespace {

// 256 points in [-1, 1]^2 with targets y = x0 * x1 + 0.5 * x0^2 - 0.3 * x1 (a smooth surface).
struct Problem {
  Tensor x, y;
};
Problem make_problem() {
  Generator gen(77);
  Tensor x = rand({256, 2}, gen, -1.f, 1.f);
  auto v = x.to_vector();
  std::vector<float> y;
  for (size_t i = 0; i < v.size(); i += 2)
    y.push_back(v[i] * v[i + 1] + 0.5f * v[i] * v[i] - 0.3f * v[i + 1]);
  return {x, from_vector(y, {256, 1})};
}

// Trains a 2-32-32-1 ReLU network for `steps` full-batch steps; returns {first loss, last loss}.
template <class MakeOpt>
std::pair<float, float> train(int steps, MakeOpt make_opt) {
  Problem pr = make_problem();
  Generator gen(5);
  Sequential model;
  model.emplace<Dense>(2, 32, true, Init::Auto, gen);
  model.emplace<ReLU>();
  model.emplace<Dense>(32, 32, true, Init::Auto, gen);
  model.emplace<ReLU>();
  model.emplace<Dense>(32, 1, true, Init::Auto, gen);
  auto opt = make_opt(model.parameters());
  float first = 0, last = 0;
  for (int s = 0; s < steps; ++s) {
    opt->zero_grad();
    Tensor loss = mean(square(model(pr.x) - pr.y));  // MSE
    loss.backward();
    opt->step();
    (s == 0 ? first : last) = loss.item();
  }
  return {first, last};
}

}  // namespace

TEST_CASE("optim: Adam and SGD with momentum train a small MLP to a much lower loss", "[optim]") {
  auto [a0, a1] = train(
      300, [](const std::vector<NamedTensor>& ps) { return std::make_unique<Adam>(ps, 0.01f); });
  INFO("Adam: loss " << a0 << " -> " << a1);
  CHECK(a1 < a0 / 100);  // observed: 0.56 -> 0.0003

  auto [s0, s1] = train(300, [](const std::vector<NamedTensor>& ps) {
    return std::make_unique<SGD>(ps, 0.05f, 0.9f);
  });
  INFO("SGD: loss " << s0 << " -> " << s1);
  CHECK(s1 < s0 / 100);  // observed: 0.56 -> 0.0005
}
