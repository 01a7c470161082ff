// Tests of the everyday losses (losses/*.h): forward values worked out by hand for every loss and
// every reduction, finite-difference gradient checks kept away from kinks, stability at extreme
// logits, PyTorch's weighted mean for class weights, and error messages that name loss and shapes.
#include <cmath>

#include "losses/losses.h"
#include "support/op_cases.h"

using namespace minidl;
using namespace minidl::test;
using Catch::Contains;

namespace {
bool all_finite(const Tensor& t) {
  for (float v : t.to_vector())
    if (!std::isfinite(v)) return false;
  return true;
}
}  // namespace

// ---- mse_loss -----------------------------------------------------------------------------------

TEST_CASE("losses: mse_loss forward for every reduction", "[losses]") {
  // d = pred - target = [-0.5, 0, 2, -1]; d^2 = [0.25, 0, 4, 1]; sum 5.25; mean 5.25 / 4 = 1.3125
  Tensor pred = T({1, 2, 3, 4}, {2, 2}), target = T({1.5f, 2, 1, 5}, {2, 2});
  CHECK_CLOSE(mse_loss(pred, target, Reduction::None), {0.25f, 0, 4, 1}, {2, 2});
  CHECK_CLOSE(mse_loss(pred, target, Reduction::Sum), {5.25f}, {});
  CHECK_CLOSE(mse_loss(pred, target), {1.3125f}, {});
}

TEST_CASE("losses: mse_loss gradients", "[losses]") {
  // by hand: d/dpred mean(d^2) = 2 d / 4 = [-0.25, 0, 1, -0.5]
  Tensor pred = T({1, 2, 3, 4}, {2, 2}, true), target = T({1.5f, 2, 1, 5}, {2, 2});
  mse_loss(pred, target).backward();
  CHECK_CLOSE(pred.grad(), {-0.25f, 0, 1, -0.5f}, {2, 2});
  auto f = [](const std::vector<Tensor>& v) { return mse_loss(v[0], v[1]); };
  CHECK_GRADS(f, {R({3, 4}, 1), R({3, 4}, 2)});  // both pred and target
}

TEST_CASE("losses: mse_loss rejects mismatched shapes, broadcastable ones included", "[losses]") {
  CHECK_THROWS_AS(mse_loss(zeros({2, 3}), zeros({3})), Error);
  CHECK_THROWS_WITH(mse_loss(zeros({2, 3}), zeros({3})),
                    Contains("mse_loss") && Contains("(2, 3)") && Contains("(3)"));
  CHECK_THROWS_WITH(mse_loss(zeros({4, 1}), zeros({4})),
                    Contains("mse_loss") && Contains("(4, 1)") && Contains("(4)"));
  CHECK_THROWS_WITH(mse_loss(Tensor(), zeros({4})), Contains("mse_loss"));
}

// ---- bce_loss and bce_with_logits_loss ----------------------------------------------------------

TEST_CASE("losses: bce_loss forward for every reduction", "[losses]") {
  // p = [0.9, 0.2, 0.6, 0.5], t = [1, 0, 0, 1]:
  // -ln 0.9 = 0.1053605157, -ln 0.8 = 0.2231435513, -ln 0.4 = 0.9162907319, -ln 0.5 = 0.6931471806
  // sum = 1.9379419794; mean = 0.4844854949
  Tensor p = T({0.9f, 0.2f, 0.6f, 0.5f}, {4}), t = T({1, 0, 0, 1}, {4});
  CHECK_CLOSE(bce_loss(p, t, Reduction::None),
              {0.1053605157f, 0.2231435513f, 0.9162907319f, 0.6931471806f}, {4});
  CHECK_CLOSE(bce_loss(p, t, Reduction::Sum), {1.9379419794f}, {});
  CHECK_CLOSE(bce_loss(p, t), {0.4844854949f}, {});
  // a soft target: p = 0.25, t = 0.5:
  // -(0.5 ln 0.25 + 0.5 ln 0.75) = 0.5 (1.3862943611 + 0.2876820725) = 0.8369882168
  CHECK_CLOSE(bce_loss(T({0.25f}, {1}), T({0.5f}, {1}), Reduction::None), {0.8369882168f}, {1});
}

TEST_CASE("losses: bce_loss clips probabilities 0 and 1 to [eps, 1 - eps]", "[losses]") {
  // p = 0 with t = 1: -ln(1e-7) = 16.1180956510.
  // p = 1 with t = 0: p becomes float(1 - 1e-7) = 1 - 2^-23, so
  // -ln(1 - p) = -ln(2^-23) = 23 ln 2 = 15.9423851529.
  Tensor p = T({0, 1}, {2}, true), t = T({1, 0}, {2});
  Tensor loss = bce_loss(p, t, Reduction::None);
  CHECK_CLOSE(loss, {16.1180956510f, 15.9423851529f}, {2}, 1e-4, 1e-5);
  sum(loss).backward();
  CHECK_CLOSE(p.grad(), {0, 0}, {2});  // clipped away: no gradient, and no NaN
}

TEST_CASE("losses: bce_with_logits_loss forward for every reduction", "[losses]") {
  // max(z,0) - z t + ln(1 + e^-|z|):
  //   z = 0,  t = 1:   0 - 0 + ln 2                        = 0.6931471806
  //   z = 2,  t = 0:   2 - 0 + ln(1 + e^-2) = 2 + 0.1269280110 = 2.1269280110
  //   z = -1, t = 1:   0 + 1 + ln(1 + e^-1) = 1 + 0.3132616875 = 1.3132616875
  //   z = 3,  t = 0.5: 3 - 1.5 + ln(1 + e^-3) = 1.5 + 0.0485873516 = 1.5485873516
  // sum = 5.6819242307; mean = 1.4204810577
  Tensor z = T({0, 2, -1, 3}, {2, 2}), t = T({1, 0, 1, 0.5f}, {2, 2});
  CHECK_CLOSE(bce_with_logits_loss(z, t, Reduction::None),
              {0.6931471806f, 2.1269280110f, 1.3132616875f, 1.5485873516f}, {2, 2});
  CHECK_CLOSE(bce_with_logits_loss(z, t, Reduction::Sum), {5.6819242307f}, {});
  CHECK_CLOSE(bce_with_logits_loss(z, t), {1.4204810577f}, {});
}

TEST_CASE("losses: bce_with_logits_loss is finite and exact at logits of +-100", "[losses]") {
  // right answers cost ln(1 + e^-100) ~ 4e-44 -> 0; wrong ones cost |z| = 100.
  // gradient of the sum: sigmoid(z) - t = [1 - 1, 0 - 0, 1 - 0, 0 - 1] = [0, 0, 1, -1]
  Tensor z = T({100, -100, 100, -100}, {4}, true), t = T({1, 0, 0, 1}, {4});
  Tensor loss = bce_with_logits_loss(z, t, Reduction::None);
  CHECK(all_finite(loss));
  CHECK_CLOSE(loss, {0, 0, 100, 100}, {4});
  sum(loss).backward();
  CHECK(all_finite(z.grad()));
  CHECK_CLOSE(z.grad(), {0, 0, 1, -1}, {4});
  // the naive -t ln(sigmoid z) - (1 - t) ln(1 - sigmoid z) would give inf here
}

TEST_CASE("losses: bce_with_logits_loss gradient is sigmoid(z) - t, at z = 0 too", "[losses]") {
  // z = 0 is where max(z, 0) and |z| both have kinks; the true derivative is sigmoid(0) - t.
  // z = [0, 0, 1], t = [1, 0, 0.5]: [0.5 - 1, 0.5 - 0, 0.7310585786 - 0.5] (sum reduction)
  Tensor z = T({0, 0, 1}, {3}, true), t = T({1, 0, 0.5f}, {3});
  bce_with_logits_loss(z, t, Reduction::Sum).backward();
  CHECK_CLOSE(z.grad(), {-0.5f, 0.5f, 0.2310585786f}, {3});
}

TEST_CASE("losses: bce gradients", "[losses]") {
  Tensor t01 = T({1, 0, 0, 1, 1, 0}, {2, 3});
  run_gradcheck_table({
      {"bce_loss wrt prob (mean)",
       {{2, 3}},
       [t01](const std::vector<Tensor>& v) { return bce_loss(v[0], t01); },
       0.1f,
       0.9f},
      {"bce_loss wrt prob and soft target (sum)",
       {{2, 3}, {2, 3}},
       [](const std::vector<Tensor>& v) { return bce_loss(v[0], v[1], Reduction::Sum); },
       0.1f,
       0.9f},
      {"bce_with_logits_loss wrt logits (mean)",
       {{2, 3}},
       [t01](const std::vector<Tensor>& v) { return bce_with_logits_loss(v[0], t01); },
       -4.f,
       4.f},
      {"bce_with_logits_loss wrt logits and target (none)",
       {{2, 3}, {2, 3}},
       [](const std::vector<Tensor>& v) {
         return bce_with_logits_loss(v[0], v[1], Reduction::None);
       },
       -1.f,
       1.f},
  });
}

TEST_CASE("losses: bce losses reject mismatched shapes and bad eps", "[losses]") {
  CHECK_THROWS_WITH(bce_loss(zeros({2, 3}), zeros({3, 2})),
                    Contains("bce_loss") && Contains("(2, 3)") && Contains("(3, 2)"));
  CHECK_THROWS_WITH(bce_with_logits_loss(zeros({5}), zeros({5, 1})),
                    Contains("bce_with_logits_loss") && Contains("(5)") && Contains("(5, 1)"));
  CHECK_THROWS_WITH(bce_loss(zeros({2}), zeros({2}), Reduction::Mean, 0.f), Contains("eps"));
}

// ---- cross_entropy_loss and soft_cross_entropy_loss ---------------------------------------------

// logits [[1, 2, 3], [1, 1, 1]]:
//   row 0: logsumexp = 3 + ln(1 + e^-1 + e^-2) = 3 + ln 1.5032147244 = 3.4076059644,
//          so -log softmax = [2.4076059644, 1.4076059644, 0.4076059644]
//   row 1: -log softmax = ln 3 = 1.0986122887 for every class
TEST_CASE("losses: cross_entropy_loss with class indices, every reduction", "[losses]") {
  Tensor logits = T({1, 2, 3, 1, 1, 1}, {2, 3}), y = T({2, 0}, {2});
  CHECK_CLOSE(cross_entropy_loss(logits, y, Reduction::None), {0.4076059644f, 1.0986122887f}, {2});
  CHECK_CLOSE(cross_entropy_loss(logits, y, Reduction::Sum), {1.5062182531f}, {});
  CHECK_CLOSE(cross_entropy_loss(logits, y), {0.7531091266f}, {});  // 1.5062182531 / 2
}

TEST_CASE("losses: cross_entropy_loss with class weights uses PyTorch's weighted mean",
          "[losses]") {
  // w = [0.2, 1, 3]; w[y] = [w[2], w[0]] = [3, 0.2]
  // l = [3 * 0.4076059644, 0.2 * 1.0986122887] = [1.2228178933, 0.2197224577]; sum = 1.4425403511
  // mean = sum / (3 + 0.2) = 1.4425403511 / 3.2 = 0.4507938597 (not sum / N = 0.7212701755)
  Tensor logits = T({1, 2, 3, 1, 1, 1}, {2, 3}), y = T({2, 0}, {2}), w = T({0.2f, 1, 3}, {3});
  CHECK_CLOSE(cross_entropy_loss(logits, y, Reduction::None, w), {1.2228178933f, 0.2197224577f},
              {2});
  CHECK_CLOSE(cross_entropy_loss(logits, y, Reduction::Sum, w), {1.4425403511f}, {});
  CHECK_CLOSE(cross_entropy_loss(logits, y, Reduction::Mean, w), {0.4507938597f}, {});
}

TEST_CASE("losses: soft_cross_entropy_loss with probability targets", "[losses]") {
  Tensor logits = T({1, 2, 3, 1, 1, 1}, {2, 3});
  // one-hot targets give the index form's values
  Tensor one_hot = T({0, 0, 1, 1, 0, 0}, {2, 3});
  CHECK_CLOSE(soft_cross_entropy_loss(logits, one_hot, Reduction::None),
              {0.4076059644f, 1.0986122887f}, {2});
  // label smoothing on row 0, t = [0.1, 0.1, 0.8]:
  //   0.1 * 2.4076059644 + 0.1 * 1.4076059644 + 0.8 * 0.4076059644 = 0.7076059644
  // row 1, t = [0.5, 0.25, 0.25]: ln 3 (every class costs ln 3) = 1.0986122887
  Tensor smooth = T({0.1f, 0.1f, 0.8f, 0.5f, 0.25f, 0.25f}, {2, 3});
  CHECK_CLOSE(soft_cross_entropy_loss(logits, smooth, Reduction::None),
              {0.7076059644f, 1.0986122887f}, {2});
  CHECK_CLOSE(soft_cross_entropy_loss(logits, smooth, Reduction::Sum), {1.8062182531f}, {});
  CHECK_CLOSE(soft_cross_entropy_loss(logits, smooth), {0.9031091266f}, {});
  // with weights [0.2, 1, 3], one-hot rows: [1.2228178933, 0.2197224577] and, for probability
  // targets, PyTorch's mean divides by N: 1.4425403511 / 2 = 0.7212701755
  Tensor w = T({0.2f, 1, 3}, {3});
  CHECK_CLOSE(soft_cross_entropy_loss(logits, one_hot, Reduction::None, w),
              {1.2228178933f, 0.2197224577f}, {2});
  CHECK_CLOSE(soft_cross_entropy_loss(logits, one_hot, Reduction::Mean, w), {0.7212701755f}, {});
}

TEST_CASE("losses: cross_entropy_loss is stable for logits of +-1000", "[losses]") {
  // logits [1000, 0, -1000]: log softmax = [0, -1000, -2000] (exp(-1000) underflows to 0)
  Tensor logits = T({1000, 0, -1000, 1000, 0, -1000}, {2, 3});
  Tensor loss = cross_entropy_loss(logits, T({0, 2}, {2}), Reduction::None);
  CHECK(all_finite(loss));
  CHECK_CLOSE(loss, {0, 2000}, {2});
}

TEST_CASE("losses: cross-entropy gradients", "[losses]") {
  // by hand, mean over N = 2: (softmax - one_hot) / 2; row 1 has softmax [1/3, 1/3, 1/3], target 0
  // -> [(1/3 - 1) / 2, (1/3) / 2, (1/3) / 2] = [-1/3, 1/6, 1/6]
  Tensor logits = T({1, 2, 3, 1, 1, 1}, {2, 3}, true);
  cross_entropy_loss(logits, T({2, 0}, {2})).backward();
  auto g = logits.grad().to_vector();
  CHECK(g[3] == Approx(-1.0 / 3).margin(1e-6));
  CHECK(g[4] == Approx(1.0 / 6).margin(1e-6));
  CHECK(g[5] == Approx(1.0 / 6).margin(1e-6));

  Tensor y = T({3, 0, 1}, {3}), w = T({0.5f, 2, 1, 3}, {4});
  run_gradcheck_table({
      {"cross_entropy_loss (3,4) mean",
       {{3, 4}},
       [y](const std::vector<Tensor>& v) { return cross_entropy_loss(v[0], y); },
       -2.f,
       2.f},
      {"cross_entropy_loss weighted mean",
       {{3, 4}},
       [y, w](const std::vector<Tensor>& v) {
         return cross_entropy_loss(v[0], y, Reduction::Mean, w);
       },
       -2.f,
       2.f},
      {"cross_entropy_loss weighted none",
       {{3, 4}},
       [y, w](const std::vector<Tensor>& v) {
         return cross_entropy_loss(v[0], y, Reduction::None, w);
       },
       -2.f,
       2.f},
      {"soft_cross_entropy_loss wrt logits and probs, weighted",
       {{3, 4}, {3, 4}},
       [w](const std::vector<Tensor>& v) {
         return soft_cross_entropy_loss(v[0], v[1], Reduction::Sum, w);
       },
       0.f,
       1.f},
  });
}

TEST_CASE("losses: cross_entropy_loss rejects bad targets, weights and shapes", "[losses]") {
  Tensor logits = zeros({2, 3});
  CHECK_THROWS_WITH(
      cross_entropy_loss(logits, T({0, 3}, {2})),
      Contains("cross_entropy_loss") && Contains("target_classes[1] = 3") && Contains("(2, 3)"));
  CHECK_THROWS_WITH(cross_entropy_loss(logits, T({0.5f, 1}, {2})),
                    Contains("target_classes[0] = 0.5"));
  CHECK_THROWS_WITH(cross_entropy_loss(logits, T({-1, 1}, {2})),
                    Contains("target_classes[0] = -1"));
  CHECK_THROWS_WITH(cross_entropy_loss(logits, T({0, 1, 2}, {3})),
                    Contains("cross_entropy_loss") && Contains("(2, 3)") && Contains("(3)"));
  CHECK_THROWS_WITH(cross_entropy_loss(zeros({6}), T({0}, {1})),
                    Contains("cross_entropy_loss") && Contains("(N, C)") && Contains("(6)"));
  CHECK_THROWS_WITH(cross_entropy_loss(logits, T({0, 1}, {2}), Reduction::Mean, ones({2})),
                    Contains("class_weights") && Contains("(2)") && Contains("(2, 3)"));
  CHECK_THROWS_WITH(
      soft_cross_entropy_loss(logits, zeros({2, 4})),
      Contains("soft_cross_entropy_loss") && Contains("(2, 3)") && Contains("(2, 4)"));
}

// ---- huber_loss and smooth_l1_loss --------------------------------------------------------------

// d = pred - target = [0.5, -2, 3, -0.2] (target 0)
TEST_CASE("losses: huber_loss forward for every reduction and two deltas", "[losses]") {
  Tensor pred = T({0.5f, -2, 3, -0.2f}, {4}), target = zeros({4});
  // delta 1: [0.5 * 0.25, 1 * (2 - 0.5), 1 * (3 - 0.5), 0.5 * 0.04] = [0.125, 1.5, 2.5, 0.02]
  CHECK_CLOSE(huber_loss(pred, target, 1.f, Reduction::None), {0.125f, 1.5f, 2.5f, 0.02f}, {4});
  CHECK_CLOSE(huber_loss(pred, target, 1.f, Reduction::Sum), {4.145f}, {});
  CHECK_CLOSE(huber_loss(pred, target), {1.03625f}, {});  // 4.145 / 4
  // delta 2: [0.125, 2 * (2 - 1) = 2 (= 0.5 * 4: continuous at |d| = delta), 2 * (3 - 1) = 4, 0.02]
  CHECK_CLOSE(huber_loss(pred, target, 2.f, Reduction::None), {0.125f, 2, 4, 0.02f}, {4});
  CHECK_CLOSE(huber_loss(pred, target, 2.f, Reduction::Sum), {6.145f}, {});
}

TEST_CASE("losses: smooth_l1_loss forward for every reduction and three betas", "[losses]") {
  Tensor pred = T({0.5f, -2, 3, -0.2f}, {4}), target = zeros({4});
  // beta 1 equals Huber with delta 1: [0.125, 1.5, 2.5, 0.02]
  CHECK_CLOSE(smooth_l1_loss(pred, target, 1.f, Reduction::None), {0.125f, 1.5f, 2.5f, 0.02f}, {4});
  CHECK_CLOSE(smooth_l1_loss(pred, target), {1.03625f}, {});
  // beta 0.5: [0.5 - 0.25, 2 - 0.25, 3 - 0.25, 0.5 * 0.04 / 0.5] = [0.25, 1.75, 2.75, 0.04]
  CHECK_CLOSE(smooth_l1_loss(pred, target, 0.5f, Reduction::None), {0.25f, 1.75f, 2.75f, 0.04f},
              {4});
  CHECK_CLOSE(smooth_l1_loss(pred, target, 0.5f, Reduction::Sum), {4.79f}, {});
  CHECK_CLOSE(smooth_l1_loss(pred, target, 0.5f, Reduction::Mean), {1.1975f}, {});
  // beta 0: the L1 loss |d|
  CHECK_CLOSE(smooth_l1_loss(pred, target, 0.f, Reduction::None), {0.5f, 2, 3, 0.2f}, {4});
  CHECK_CLOSE(smooth_l1_loss(pred, target, 0.f, Reduction::Sum), {5.7f}, {});
}

TEST_CASE("losses: huber and smooth L1 gradients, away from the kinks", "[losses]") {
  // by hand, Huber delta 1, sum: d inside, sign(d) outside -> [0.5, -1, 1, -0.2]
  Tensor pred = T({0.5f, -2, 3, -0.2f}, {4}, true);
  huber_loss(pred, zeros({4}), 1.f, Reduction::Sum).backward();
  CHECK_CLOSE(pred.grad(), {0.5f, -1, 1, -0.2f}, {4});

  // d = pred - target keeps |d| at least 0.1 from delta = beta = 1 (and 0.5), and from 0 for L1
  Tensor p = T({-2.5f, -0.6f, -0.15f, 0.3f, 0.75f, 1.6f}, {2, 3}, true);
  Tensor target = T({0, 0, 0, 0, 0, 0.2f}, {2, 3});
  auto huber = [target](const std::vector<Tensor>& v) { return huber_loss(v[0], target); };
  auto huber2 = [target](const std::vector<Tensor>& v) {
    return huber_loss(v[0], target, 2.f, Reduction::None);
  };
  auto sl1 = [target](const std::vector<Tensor>& v) { return smooth_l1_loss(v[0], target, 1.f); };
  auto sl1_half = [target](const std::vector<Tensor>& v) {
    return smooth_l1_loss(v[0], target, 0.5f, Reduction::Sum);
  };
  auto l1 = [target](const std::vector<Tensor>& v) { return smooth_l1_loss(v[0], target, 0.f); };
  CHECK_GRADS(huber, {p});
  CHECK_GRADS(huber2, {p});
  CHECK_GRADS(sl1, {p});
  CHECK_GRADS(sl1_half, {p});
  CHECK_GRADS(l1, {p});
}

TEST_CASE("losses: huber and smooth L1 reject bad arguments", "[losses]") {
  CHECK_THROWS_WITH(huber_loss(zeros({3}), zeros({1, 3})),
                    Contains("huber_loss") && Contains("(3)") && Contains("(1, 3)"));
  CHECK_THROWS_WITH(huber_loss(zeros({3}), zeros({3}), 0.f),
                    Contains("huber_loss") && Contains("delta"));
  CHECK_THROWS_WITH(smooth_l1_loss(zeros({2, 2}), zeros({4})),
                    Contains("smooth_l1_loss") && Contains("(2, 2)") && Contains("(4)"));
  CHECK_THROWS_WITH(smooth_l1_loss(zeros({3}), zeros({3}), -1.f), Contains("beta"));
}

// ---- focal_loss and focal_loss_with_logits ------------------------------------------------------

// p = [0.9, 0.3, 0.2, 0.6], t = [1, 1, 0, 0], gamma 2, alpha 0.25:
//   p_t = [0.9, 0.3, 0.8, 0.4]; alpha_t = [0.25, 0.25, 0.75, 0.75]
//   0.25 * 0.1^2 * 0.1053605157 = 0.0002634013
//   0.25 * 0.7^2 * 1.2039728043 = 0.1474866685
//   0.75 * 0.2^2 * 0.2231435513 = 0.0066943065
//   0.75 * 0.6^2 * 0.9162907319 = 0.2473984976
//   sum = 0.4018428740; mean = 0.1004607185
TEST_CASE("losses: focal_loss forward for every reduction", "[losses]") {
  Tensor p = T({0.9f, 0.3f, 0.2f, 0.6f}, {4}), t = T({1, 1, 0, 0}, {4});
  CHECK_CLOSE(focal_loss(p, t, 2.f, 0.25f, Reduction::None),
              {0.0002634013f, 0.1474866685f, 0.0066943065f, 0.2473984976f}, {4});
  CHECK_CLOSE(focal_loss(p, t, 2.f, 0.25f, Reduction::Sum), {0.4018428740f}, {});
  CHECK_CLOSE(focal_loss(p, t), {0.1004607185f}, {});
  // gamma 0 and alpha off: plain BCE, [-ln 0.9, -ln 0.3, -ln 0.8, -ln 0.4]
  CHECK_CLOSE(focal_loss(p, t, 0.f, -1.f, Reduction::None),
              {0.1053605157f, 1.2039728043f, 0.2231435513f, 0.9162907319f}, {4});
  // clipped: p = 1 with t = 0 gives 1 - p_t = float(1 - 1e-7) = 1 - 2^-23 and -ln p_t = 23 ln 2,
  // 0.75 * (1 - 2^-23)^2 * 15.9423851529 = 11.9567860139; p = 0 with t = 0 costs 0.
  CHECK_CLOSE(focal_loss(T({1, 0}, {2}), T({0, 0}, {2}), 2.f, 0.25f, Reduction::None),
              {11.9567860139f, 0}, {2}, 1e-4, 1e-5);
}

TEST_CASE("losses: focal_loss_with_logits matches the probability form and is stable", "[losses]") {
  // z = logit(p) for the p above: ln 9, ln(3/7), ln(1/4), ln(3/2) -> the same four values
  Tensor z = T({2.1972245773f, -0.8472978604f, -1.3862943611f, 0.4054651081f}, {4});
  Tensor t = T({1, 1, 0, 0}, {4});
  CHECK_CLOSE(focal_loss_with_logits(z, t, 2.f, 0.25f, Reduction::None),
              {0.0002634013f, 0.1474866685f, 0.0066943065f, 0.2473984976f}, {4});
  CHECK_CLOSE(focal_loss_with_logits(z, t, 2.f, 0.25f, Reduction::Sum), {0.4018428740f}, {});
  CHECK_CLOSE(focal_loss_with_logits(z, t), {0.1004607185f}, {});
  // logits +-100: wrong answers have p_t = 0, (1 - p_t)^2 = 1, CE = 100: alpha_t * 100 = [75, 25];
  // right answers cost 0. All finite, gradients too.
  Tensor zz = T({100, -100, 100, -100}, {4}, true), tt = T({0, 1, 1, 0}, {4});
  Tensor loss = focal_loss_with_logits(zz, tt, 2.f, 0.25f, Reduction::None);
  CHECK_CLOSE(loss, {75, 25, 0, 0}, {4});
  sum(loss).backward();
  CHECK(all_finite(zz.grad()));
}

TEST_CASE("losses: focal_loss_with_logits with 0 < gamma < 1 has finite gradients at saturation",
          "[losses]") {
  // z = [17, -110], t = [1, 0]: sigmoid rounds to 1 and to 0, so 1 - p_t is exactly 0 and the
  // derivative of (1 - p_t)^0.5 there is 0.5 * 0^-0.5 = inf (it was inf * 0 = NaN). The exact
  // gradient is -alpha q^gamma (gamma p CE + q) with q = 1 - p_t (d/dz of alpha q^gamma CE, as
  // dq/dz = -p q and dCE/dz = -q for t = 1): at z = 17, q = CE = sigmoid(-17) = 4.14e-8, about
  // -3e-12; at z = -110 about e^-165: 0 within 1e-6. Third element z = 0, t = 1: p = q = 0.5,
  // CE = ln 2: loss 0.25 * 0.5^0.5 * ln 2 = 0.1225322679, gradient
  // -0.25 * 0.5^0.5 * (0.5 * 0.5 * ln 2 + 0.5) = -0.1190214146. Saturated terms cost 0.
  Tensor z = T({17, -110, 0}, {3}, true), t = T({1, 0, 1}, {3});
  Tensor loss = focal_loss_with_logits(z, t, 0.5f, 0.25f, Reduction::Sum);
  CHECK_CLOSE(loss, {0.1225322679f}, {});
  loss.backward();
  CHECK_CLOSE(z.grad(), {0, 0, -0.1190214146f}, {3}, 1e-6);
}

TEST_CASE("losses: focal gradients", "[losses]") {
  Tensor t = T({1, 0, 0, 1, 0, 1}, {2, 3});
  run_gradcheck_table({
      {"focal_loss gamma 2 alpha 0.25 (mean)",
       {{2, 3}},
       [t](const std::vector<Tensor>& v) { return focal_loss(v[0], t); },
       0.1f,
       0.9f},
      {"focal_loss gamma 1.5 no alpha (none)",
       {{2, 3}},
       [t](const std::vector<Tensor>& v) {
         return focal_loss(v[0], t, 1.5f, -1.f, Reduction::None);
       },
       0.1f,
       0.9f},
      {"focal_loss_with_logits (sum)",
       {{2, 3}},
       [t](const std::vector<Tensor>& v) {
         return focal_loss_with_logits(v[0], t, 2.f, 0.25f, Reduction::Sum);
       },
       -3.f,
       3.f},
      {"focal_loss_with_logits gamma 0.5 (sum)",
       {{2, 3}},
       [t](const std::vector<Tensor>& v) {
         return focal_loss_with_logits(v[0], t, 0.5f, 0.25f, Reduction::Sum);
       },
       -3.f,
       3.f},
  });
}

TEST_CASE("losses: focal losses reject bad arguments", "[losses]") {
  CHECK_THROWS_WITH(focal_loss(zeros({2, 3}), zeros({2})),
                    Contains("focal_loss") && Contains("(2, 3)") && Contains("(2)"));
  CHECK_THROWS_WITH(focal_loss_with_logits(zeros({4}), zeros({2, 2})),
                    Contains("focal_loss_with_logits") && Contains("(4)") && Contains("(2, 2)"));
  CHECK_THROWS_WITH(focal_loss(zeros({2}), zeros({2}), -1.f), Contains("gamma"));
  CHECK_THROWS_WITH(focal_loss_with_logits(zeros({2}), zeros({2}), 2.f, 1.5f), Contains("alpha"));
}

TEST_CASE("losses: reduce_loss and reduction names", "[losses]") {
  Tensor x = T({1, 2, 3, 6}, {2, 2});
  CHECK_CLOSE(reduce_loss(x, Reduction::None), {1, 2, 3, 6}, {2, 2});
  CHECK_CLOSE(reduce_loss(x, Reduction::Sum), {12}, {});
  CHECK_CLOSE(reduce_loss(x, Reduction::Mean), {3}, {});
  CHECK(std::string(reduction_name(Reduction::Mean)) == "mean");
  CHECK(std::string(reduction_name(Reduction::None)) == "none");
  CHECK(std::string(reduction_name(Reduction::Sum)) == "sum");
  // An empty batch: Mean has nothing to average, and the error names the loss (it used to say
  // "mean: cannot average over an empty axis"); Sum is 0.
  const Tensor e = zeros({0, 3});
  CHECK_THROWS_WITH(mse_loss(e, e),
                    Contains("mse_loss: reduction mean over an empty batch") && Contains("(0, 3)"));
  CHECK_THROWS_WITH(bce_with_logits_loss(e, e), Contains("bce_with_logits_loss: reduction mean"));
  CHECK_THROWS_WITH(cross_entropy_loss(zeros({0, 3}), zeros({0})),
                    Contains("cross_entropy_loss: reduction mean over an empty batch"));
  CHECK_CLOSE(mse_loss(e, e, Reduction::Sum), {0.f}, {});
}
