// Tutorial 5 (docs/tutorials/5-imbalanced-losses.md): weighted MSE, Huber and focal losses
// (imbalanced_losses.h) on their worked examples, then on data where they matter: a line fitted
// through outliers (MSE against Huber) and a classifier with one positive in twenty (plain MSE
// against class-weighted MSE and the focal loss). Exits non-zero unless each loss does what the
// page says it does.
#include "imbalanced_losses.h"

#include <minidl/minidl.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <vector>

using namespace minidl;
using namespace minidl::tutorial;

namespace {

// ---- a line through outliers ----------------------------------------------------------------

struct Line {
  float w, b;
};

// y = 2x + 1 + noise on x in [-1, 1], and every tenth point lifted by 8 (a broken sensor).
void make_line_data(Generator& gen, Tensor& x, Tensor& y) {
  std::vector<float> xs, ys;
  for (int i = 0; i < 200; ++i) {
    float xi = gen.uniform(-1.f, 1.f);
    xs.push_back(xi);
    ys.push_back(2.f * xi + 1.f + 0.1f * gen.normal() + (i % 10 == 0 ? 8.f : 0.f));
  }
  x = from_vector(xs, {200, 1});
  y = from_vector(ys, {200, 1});
}

Line fit_line(const Tensor& x, const Tensor& y,
              const std::function<Tensor(const Tensor&, const Tensor&)>& loss_fn) {
  Tensor w = zeros({1}).requires_grad_(), b = zeros({1}).requires_grad_();
  Adam opt({w, b}, 0.05f);
  for (int step = 0; step < 1000; ++step) {
    Tensor loss = loss_fn(x * w + b, y);
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  return {w.item(), b.item()};
}

// ---- one positive in twenty ------------------------------------------------------------------

struct Split {
  Tensor x, t;  // (N, 2) points, (N, 1) labels 0 / 1
};

// n points, one in 20 positive: negatives around (0, 0), positives around (1.5, 1.5), both with
// standard deviation 0.75 in each coordinate.
Split make_imbalanced(int n, Generator& gen) {
  std::vector<float> xs, ts;
  for (int i = 0; i < n; ++i) {
    bool pos = i % 20 == 0;
    float c = pos ? 1.5f : 0.f;
    xs.push_back(c + 0.75f * gen.normal());
    xs.push_back(c + 0.75f * gen.normal());
    ts.push_back(pos ? 1.f : 0.f);
  }
  return {from_vector(xs, {n, 2}), from_vector(ts, {n, 1})};
}

struct Classifier {
  Tensor W, b;  // p = sigmoid(x W^T + b), a logistic regression
  Tensor operator()(const Tensor& x) const { return sigmoid(linear(x, W, b)); }
};

// Trains full-batch with Adam.
Classifier train_classifier(const Split& train,
                            const std::function<Tensor(const Tensor&, const Tensor&)>& loss_fn) {
  Classifier m{zeros({1, 2}).requires_grad_(), zeros({1}).requires_grad_()};
  Adam opt({m.W, m.b}, 0.05f);
  for (int step = 0; step < 500; ++step) {
    Tensor loss = loss_fn(m(train.x), train.t);
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  return m;
}

struct Scores {
  float recall, precision;  // of the positives, deciding "positive" at p > 0.5
};

Scores score(const Classifier& m, const Split& test) {
  NoGradGuard no_grad;
  std::vector<float> p = m(test.x).to_vector(), t = test.t.to_vector();
  int tp = 0, fp = 0, fn = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    bool said = p[i] > 0.5f, is = t[i] > 0.5f;
    tp += said && is, fp += said && !is, fn += !said && is;
  }
  return {tp + fn ? static_cast<float>(tp) / (tp + fn) : 0.f,
          tp + fp ? static_cast<float>(tp) / (tp + fp) : 0.f};
}

}  // namespace

int main() {
  set_num_threads(1);  // tiny tensors: threads would only add overhead
  bool ok = true;

  // ---- the worked examples ----
  Tensor pred = from_vector({1, 2, 3, 0, 0, 0}, {2, 3});
  Tensor target = from_vector({1.5f, 1, 3.5f, 1, 1, 1}, {2, 3});
  Tensor weights = from_vector({1, 2, 3}, {3});
  std::printf("weighted MSE, weights (1, 2, 3):  %.6f\n",
              weighted_mse_loss(pred, target, weights).item());
  Tensor e = from_vector({0.5f, -2, 3, -0.2f}, {4});
  std::printf("Huber, delta 1:                   %.6f  (minidl::huber_loss %.6f)\n",
              custom_huber_loss(e, zeros({4})).item(), huber_loss(e, zeros({4})).item());
  Tensor p = from_vector({0.9f, 0.3f, 0.2f, 0.6f}, {4}), t = from_vector({1, 1, 0, 0}, {4});
  std::printf("focal, gamma 2, alpha 0.25:       %.6f  (minidl::focal_loss %.6f)\n",
              custom_focal_loss(p, t).item(), focal_loss(p, t).item());

  // ---- a line through outliers ----
  Generator gen(5);
  Tensor x, y;
  make_line_data(gen, x, y);
  auto mse_loss_fn = [](const Tensor& a, const Tensor& b) { return mse_loss(a, b); };
  Line by_mse = fit_line(x, y, mse_loss_fn);
  Line by_huber =
      fit_line(x, y, [](const Tensor& a, const Tensor& b) { return custom_huber_loss(a, b); });
  std::printf("line y = 2x + 1, 1 point in 10 lifted by 8:\n");
  std::printf("  MSE   fits y = %.2fx + %.2f\n", by_mse.w, by_mse.b);
  std::printf("  Huber fits y = %.2fx + %.2f\n", by_huber.w, by_huber.b);
  ok = ok && std::fabs(by_huber.b - 1.f) < 0.25f && std::fabs(by_mse.b - 1.f) > 0.5f;

  // ---- one positive in twenty ----
  Split train = make_imbalanced(2000, gen), test = make_imbalanced(2000, gen);
  Tensor class_weight = 1.f + 18.f * train.t;  // 19 for a positive (negatives / positives), 1 else
  Classifier plain = train_classifier(train, mse_loss_fn);
  Classifier weighted = train_classifier(train, [&](const Tensor& a, const Tensor& b) {
    return weighted_mse_loss(a, b, class_weight);
  });
  Classifier focal = train_classifier(train, [](const Tensor& a, const Tensor& b) {
    return custom_focal_loss(a, b);  // gamma 2, alpha 0.25: RetinaNet's setting
  });
  Classifier focal95 = train_classifier(train, [](const Tensor& a, const Tensor& b) {
    return custom_focal_loss(a, b, 2.f, 0.95f);  // alpha at the classes' ratio, 19 : 1
  });
  Scores s_plain = score(plain, test), s_weighted = score(weighted, test),
         s_focal = score(focal, test), s_focal95 = score(focal95, test);
  std::printf("one positive in 20; held-out recall / precision of the positives at p > 0.5:\n");
  std::printf("  MSE                      %.2f / %.2f\n", s_plain.recall, s_plain.precision);
  std::printf("  weighted MSE (19 : 1)    %.2f / %.2f\n", s_weighted.recall, s_weighted.precision);
  std::printf("  focal, alpha 0.25        %.2f / %.2f\n", s_focal.recall, s_focal.precision);
  std::printf("  focal, alpha 0.95        %.2f / %.2f\n", s_focal95.recall, s_focal95.precision);
  ok = ok && s_weighted.recall > s_plain.recall + 0.2f &&
       s_focal95.recall > s_plain.recall + 0.2f && s_focal.precision > s_plain.precision;

  // What gamma does: on the plain model's predictions, the share of the loss that comes from the
  // easy examples (p_t > 0.9), under cross-entropy (gamma 0) and under the focal term (gamma 2).
  {
    NoGradGuard no_grad;
    Tensor p_train = plain(train.x);
    Tensor p_t = where(eq(train.t, 1.f), p_train, 1.f - p_train);
    Tensor easy = p_t > 0.9f;
    for (float gamma : {0.f, 2.f}) {
      Tensor per_point = focal_loss(p_train, train.t, gamma, -1.f, Reduction::None);
      float share = (sum(easy * per_point) / sum(per_point)).item();
      std::printf("  gamma %.0f: the %.0f%% easy points carry %.1f%% of the loss\n", gamma,
                  100.f * mean(easy).item(), 100.f * share);
      if (gamma == 0.f) ok = ok && share > 0.2f;
      if (gamma == 2.f) ok = ok && share < 0.05f;
    }
  }

  std::printf("%s\n", ok ? "OK" : "FAILED");
  return ok ? 0 : 1;
}
