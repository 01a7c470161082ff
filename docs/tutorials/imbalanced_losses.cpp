// Tutorial 5 (docs/tutorials/5-imbalanced-losses.md): the three losses of the article "How do I
// implement a custom loss function in Keras?" (imbalanced_losses.h) on worked examples, then on
// data where they matter (ours): a line fitted through outliers (MSE against Huber) and a
// classifier with one positive in twenty (MSE, weighted MSE, the article's focal loss with two
// alphas, and Lin et al.'s focal loss with alpha_t). Exits non-zero unless each loss does what the
// page says it does.
#include "imbalanced_losses.h"

#include <minidl/minidl.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <vector>

using namespace minidl;
using namespace minidl::tutorial;

namespace {

using LossFn = std::function<Tensor(const Tensor& y_true, const Tensor& y_pred)>;

// Keras' mean squared error: the mean over the last axis of (y_pred - y_true)^2.
Tensor mse(const Tensor& y_true, const Tensor& y_pred) {
  return mean(square(y_pred - y_true), {-1});
}

void show(const char* name, const Tensor& per_sample) {
  std::printf("%s: per sample", name);
  for (float v : per_sample.to_vector()) std::printf(" %.6f", v);
  std::printf("; Keras' loss %.6f\n", keras_reduce(per_sample).item());
}

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

// Full-batch Adam on y = w x + b, the loss reduced as Keras reduces it.
Line fit_line(const Tensor& x, const Tensor& y, const LossFn& loss_fn) {
  Tensor w = zeros({1}).requires_grad_(), b = zeros({1}).requires_grad_();
  Adam opt({w, b}, 0.05f);
  for (int step = 0; step < 1000; ++step) {
    Tensor loss = keras_reduce(loss_fn(y, x * w + b));
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
  std::vector<float> params() const {
    std::vector<float> p = W.to_vector();
    p.push_back(b.item());
    return p;
  }
};

// Full-batch training from zero weights, with Adam (or plain SGD when sgd_lr > 0).
Classifier train_classifier(const Split& train, const LossFn& loss_fn, float sgd_lr = 0.f) {
  Classifier m{zeros({1, 2}).requires_grad_(), zeros({1}).requires_grad_()};
  std::unique_ptr<Optimizer> opt;
  if (sgd_lr > 0)
    opt = std::make_unique<SGD>(ParamList{m.W, m.b}, sgd_lr);
  else
    opt = std::make_unique<Adam>(ParamList{m.W, m.b}, 0.05f);
  for (int step = 0; step < 500; ++step) {
    Tensor loss = keras_reduce(loss_fn(train.t, m(train.x)));
    opt->zero_grad();
    loss.backward();
    opt->step();
  }
  return m;
}

float largest_difference(const Classifier& a, const Classifier& b) {
  std::vector<float> pa = a.params(), pb = b.params();
  float d = 0;
  for (size_t i = 0; i < pa.size(); ++i) d = std::max(d, std::fabs(pa[i] - pb[i]));
  return d;
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

int main(int argc, char** argv) {
  CLI::App app{
      "imbalanced_losses: the weighted MSE, Huber and focal losses of \"How do I implement "
      "a custom loss function in Keras?\" on worked examples, on a line through outliers "
      "and on a classifier with one positive in twenty"};
  uint64_t seed = 5;
  bool examples_only = false;
  app.add_flag("--examples", examples_only, "print the worked examples only, and exit");
  app.add_option("--seed", seed, "random seed of the line and classifier data")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  set_num_threads(1);  // tiny tensors: threads would only add overhead
  bool ok = true;

  // ---- the worked examples ----
  show("weighted MSE, weights (1, 2, 3)",
       weighted_mse(from_vector({1.5f, 1, 3.5f, 1, 1, 1}, {2, 3}),
                    from_vector({1, 2, 3, 0, 0, 0}, {2, 3}), from_vector({1, 2, 3}, {3})));
  Tensor errors = from_vector({0.5f, -2, 3, -0.2f}, {2, 2});
  show("Huber, delta 1", huber(zeros({2, 2}), errors));
  std::printf("  minidl::huber_loss: %.6f\n", huber_loss(errors, zeros({2, 2})).item());
  Tensor y_true = from_vector({1, 1, 0, 0}, {2, 2});
  Tensor y_pred = from_vector({0.9f, 0.3f, 0.2f, 0.6f}, {2, 2});
  show("focal (the article's), gamma 2, alpha 0.25", focal(y_true, y_pred));
  std::printf("  alpha 0.95: Keras' loss %.6f\n",
              keras_reduce(focal(y_true, y_pred, 2.f, 0.95f)).item());
  show("focal (Lin et al.'s alpha_t), gamma 2, alpha 0.25", focal_alpha_t(y_true, y_pred));
  std::printf("  minidl::focal_loss: %.6f\n", focal_loss(y_pred, y_true).item());
  std::printf("focal (the article's), p = 0 for a positive: %.4f\n",
              keras_reduce(focal(from_vector({1}, {1, 1}), zeros({1, 1}))).item());
  if (examples_only) return 0;

  // ---- a line through outliers ----
  Generator gen(seed);
  Tensor x, y;
  make_line_data(gen, x, y);
  Line by_mse = fit_line(x, y, mse);
  Line by_huber = fit_line(x, y, [](const Tensor& t, const Tensor& p) { return huber(t, p); });
  std::printf("line y = 2x + 1, 1 point in 10 lifted by 8:\n");
  std::printf("  MSE   fits y = %.2fx + %.2f\n", by_mse.w, by_mse.b);
  std::printf("  Huber fits y = %.2fx + %.2f\n", by_huber.w, by_huber.b);
  ok = ok && std::fabs(by_huber.b - 1.f) < 0.25f && std::fabs(by_mse.b - 1.f) > 0.5f;

  // ---- one positive in twenty ----
  Split train = make_imbalanced(2000, gen), test = make_imbalanced(2000, gen);
  // Ours: one weight per sample, 19 for a positive (the negatives per positive) and 1 for a
  // negative, a (N, 1) tensor where the article's weights are one per output column.
  Tensor class_weight = 1.f + 18.f * train.t;
  auto article_focal = [](float alpha) {
    return [alpha](const Tensor& t, const Tensor& p) { return focal(t, p, 2.f, alpha); };
  };
  auto lin_focal = [](float alpha) {
    return [alpha](const Tensor& t, const Tensor& p) { return focal_alpha_t(t, p, 2.f, alpha); };
  };
  Classifier plain = train_classifier(train, mse);
  Classifier weighted = train_classifier(
      train, [&](const Tensor& t, const Tensor& p) { return weighted_mse(t, p, class_weight); });
  Classifier focal25 = train_classifier(train, article_focal(0.25f));
  Classifier focal95 = train_classifier(train, article_focal(0.95f));
  Classifier lin25 = train_classifier(train, lin_focal(0.25f));
  Classifier lin95 = train_classifier(train, lin_focal(0.95f));
  std::printf("one positive in 20; held-out recall / precision of the positives at p > 0.5:\n");
  const std::pair<const char*, const Classifier*> rows[] = {
      {"MSE                            ", &plain},     //
      {"weighted MSE, 19 : 1 per sample", &weighted},  //
      {"focal (article), alpha 0.25    ", &focal25},   //
      {"focal (article), alpha 0.95    ", &focal95},   //
      {"focal (Lin), alpha_t 0.25      ", &lin25},     //
      {"focal (Lin), alpha_t 0.95      ", &lin95}};
  Scores s[6];
  for (int i = 0; i < 6; ++i) {
    s[i] = score(*rows[i].second, test);
    std::printf("  %s  %.2f / %.2f\n", rows[i].first, s[i].recall, s[i].precision);
  }
  const float adam_gap = largest_difference(focal25, focal95);
  std::printf("  Adam, the article's focal loss: the two alphas' parameters differ by %.4f\n",
              adam_gap);
  ok = ok && s[1].recall > s[0].recall + 0.2f;  // per-sample weights raise the recall
  ok = ok && adam_gap < 0.01f;                  // one alpha for both classes: a scale Adam ignores
  ok = ok && s[5].recall > s[0].recall + 0.2f && s[4].precision > s[0].precision;

  // With plain SGD the article's alpha scales every step: alpha 0.95 at a learning rate of 0.1
  // takes the same steps as alpha 0.25 at 0.1 x 0.95 / 0.25 = 0.38.
  Classifier sgd25 = train_classifier(train, article_focal(0.25f), 0.1f);
  Classifier sgd95 = train_classifier(train, article_focal(0.95f), 0.1f);
  Classifier sgd25_faster = train_classifier(train, article_focal(0.25f), 0.38f);
  Scores s25 = score(sgd25, test), s95 = score(sgd95, test);
  std::printf("  SGD lr 0.1, focal (article), alpha 0.25  %.2f / %.2f\n", s25.recall,
              s25.precision);
  std::printf("  SGD lr 0.1, focal (article), alpha 0.95  %.2f / %.2f\n", s95.recall,
              s95.precision);
  const float sgd_gap = largest_difference(sgd95, sgd25_faster);
  std::printf("  SGD: alpha 0.95 at lr 0.1 and alpha 0.25 at lr 0.38 differ by %.4f\n", sgd_gap);
  ok = ok && sgd_gap < 1e-3f;

  // What gamma does: on the MSE model's predictions, the share of the loss that comes from the
  // easy examples (p_t > 0.9), under cross-entropy (gamma 0) and under the focal term (gamma 2).
  // The article's single alpha cancels out of this share.
  {
    NoGradGuard no_grad;
    Tensor p_train = plain(train.x);
    Tensor p_t = where(eq(train.t, 1.f), p_train, 1.f - p_train);
    Tensor easy = p_t > 0.9f;
    for (float gamma : {0.f, 2.f}) {
      Tensor per_point = focal(train.t, p_train, gamma, 0.25f);  // (N,): one value per point
      float share = (sum(easy.reshape({-1}) * per_point) / sum(per_point)).item();
      std::printf("  gamma %.0f: the %.0f%% easy points carry %.1f%% of the loss\n", gamma,
                  100.f * mean(easy).item(), 100.f * share);
      if (gamma == 0.f) ok = ok && share > 0.2f;
      if (gamma == 2.f) ok = ok && share < 0.05f;
    }
  }

  std::printf("%s\n", ok ? "OK" : "FAILED");
  return ok ? 0 : 1;
}
