// Tutorial 2 (docs/tutorials/2-custom-loss.md): the SimpleYoloLoss of the article "Keras custom
// loss function for YOLO", rebuilt from minidl's ops (keras_simple_yolo_loss.h). On the article's
// two-row example it prints the four terms and the loss, a batch of two (the loss is a sum over the
// batch), the gradient autograd gives and a finite-difference check of it; exits non-zero when the
// check fails. With --train it trains the article's toy model instead (Input 32 -> Dense 64 relu ->
// Dense 14 sigmoid -> Reshape (2, 7), Adam) with the loss on synthetic data of ours, prints the
// loss epoch by epoch, and exits non-zero when the loss does not fall to half its first value.
#include <minidl/minidl.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "keras_simple_yolo_loss.h"

using namespace minidl;
using namespace minidl::tutorial;

namespace {

void print_terms(const SimpleYoloLossTerms& L) {
  std::printf("box_loss   %.6f  x lambda_box 5     = %.6f\n", L.box.item(), 5.f * L.box.item());
  std::printf("obj_loss   %.6f                     = %.6f\n", L.obj.item(), L.obj.item());
  std::printf("noobj_loss %.6f  x lambda_noobj 0.5 = %.6f\n", L.noobj.item(),
              0.5f * L.noobj.item());
  std::printf("cls_loss   %.6f                     = %.6f\n", L.cls.item(), L.cls.item());
  std::printf("loss = %.6f\n", L.total.item());
}

// The article's example, a batch of two, the gradient and its check.
int article_example() {
  // The article's example: one sample, two rows [x, y, w, h, objectness, class_0, class_1].
  Tensor y_true = from_vector({0.5f, 0.5f, 0.2f, 0.2f, 1, 1, 0,  //
                               0, 0, 0, 0, 0, 0, 1},
                              {1, 2, 7});
  Tensor y_pred = from_vector({0.45f, 0.55f, 0.25f, 0.18f, 0.9f, 0.8f, 0.2f,  //
                               0.1f, 0.1f, 0.1f, 0.1f, 0.3f, 0.4f, 0.6f},
                              {1, 2, 7});
  y_pred.requires_grad_();
  SimpleYoloLossTerms L = keras_simple_yolo_loss(y_true, y_pred);
  print_terms(L);

  // A second sample of ours, and both in one batch: every reduce_sum runs over the batch axis
  // too, so the batch's loss is the sum of the two, not their mean.
  Tensor ours_true = from_vector({0.3f, 0.6f, 0.1f, 0.4f, 1, 0, 1,  //
                                  0, 0, 0, 0, 0, 1, 0},
                                 {1, 2, 7});
  Tensor ours_pred = from_vector({0.3f, 0.5f, 0.1f, 0.4f, 0.5f, 0.5f, 0.5f,  //
                                  0.2f, 0.2f, 0.2f, 0.2f, 0.2f, 0.9f, 0.1f},
                                 {1, 2, 7});
  const float second = keras_simple_yolo_loss(ours_true, ours_pred).total.item();
  const float both = keras_simple_yolo_loss(concat({y_true, ours_true}, 0),
                                            concat({y_pred.detach(), ours_pred}, 0))
                         .total.item();
  std::printf("batch of 2: %.6f = %.6f + %.6f (the mean would be %.6f)\n", both, L.total.item(),
              second, both / 2.f);

  // Autograd differentiates the composed ops: no backward code was written for this loss.
  L.total.backward();
  std::vector<float> g = y_pred.grad().to_vector();
  for (int row = 0; row < 2; ++row) {
    std::printf("dloss/dy_pred row %d:", row);
    for (int k = 0; k < 7; ++k) std::printf(" %7.4f", g[row * 7 + k] + 0.f);  // + 0.f: no "-0"
    std::printf("\n");
  }
  // The same gradient by central differences.
  auto f = [&](const std::vector<Tensor>& in) {
    return keras_simple_yolo_loss(y_true, in[0]).total;
  };
  GradcheckResult check = gradcheck(f, {y_pred});
  std::printf("gradcheck: %s\n", check.ok ? "ok" : check.message.c_str());
  return check.ok ? 0 : 1;
}

// Our synthetic data set (the article only compiles its model): x is 32 standard normal numbers;
// y_true has two rows [x, y, w, h, objectness, class_0, class_1]. Row r holds an object when
// x[r] > 0; its box is 0.5 + 0.4 tanh of four other inputs (so it lies in (0.1, 0.9), reachable by
// a sigmoid); its class is 0 when x[12 + r] > 0, else 1. A row without an object is all zeros.
// So the targets are functions of the inputs that a small network can learn.
void make_data(int n, Generator& gen, Tensor& x, Tensor& y) {
  std::vector<float> xs(static_cast<size_t>(n) * 32), ys(static_cast<size_t>(n) * 14, 0.f);
  for (int i = 0; i < n; ++i) {
    float* xi = &xs[static_cast<size_t>(i) * 32];
    for (int k = 0; k < 32; ++k) xi[k] = gen.normal();
    for (int r = 0; r < 2; ++r) {
      float* row = &ys[static_cast<size_t>(i) * 14 + r * 7];
      if (xi[r] <= 0.f) continue;
      for (int k = 0; k < 4; ++k) row[k] = 0.5f + 0.4f * std::tanh(xi[2 + 4 * r + k]);
      row[4] = 1.f;
      row[xi[12 + r] > 0.f ? 5 : 6] = 1.f;
    }
  }
  x = from_vector(xs, {n, 32});
  y = from_vector(ys, {n, 2, 7});
}

// The article's toy model, trained with the loss on our data.
int train_toy_model(int epochs, int samples, int batch, float lr, uint64_t seed) {
  Generator gen(seed);
  // Keras' Dense starts from Glorot-uniform weights and zero biases, before a relu too; minidl's
  // Sequential would pick He for a Dense followed by a ReLU, so the init is named.
  Sequential model;
  model.emplace<Dense>(32, 64, true, Init::Glorot, gen);
  model.emplace<ReLU>();
  model.emplace<Dense>(64, 14, true, Init::Glorot, gen);
  model.emplace<Sigmoid>();
  model.emplace<Reshape>(Shape{2, 7});
  std::printf("%s", summary(model, {1, 32}).c_str());
  // optimizer="adam": Keras' defaults, learning rate 1e-3, betas 0.9 and 0.999, epsilon 1e-7.
  Adam opt(model.parameters(), lr, 0.9f, 0.999f, 1e-7f);

  Tensor x, y;
  make_data(samples, gen, x, y);
  std::printf("training on %d synthetic samples (ours), batches of %d\n", samples, batch);
  std::vector<int64_t> order(samples);
  for (int i = 0; i < samples; ++i) order[i] = i;
  float first = 0.f, last = 0.f;
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    for (int64_t i = samples - 1; i > 0; --i) std::swap(order[i], order[gen.below(i + 1)]);
    double loss_sum = 0;
    int batches = 0;
    for (int start = 0; start < samples; start += batch) {
      const int n = std::min(batch, samples - start);
      std::vector<Tensor> xs, ys;
      for (int j = start; j < start + n; ++j) {
        xs.push_back(x.select(0, order[j]));
        ys.push_back(y.select(0, order[j]));
      }
      Tensor loss = keras_simple_yolo_loss(stack(ys), model(stack(xs))).total;
      opt.zero_grad();
      loss.backward();
      opt.step();
      loss_sum += loss.item();
      ++batches;
    }
    // The mean of the epoch's batch losses; each batch's loss is a sum over its samples.
    last = static_cast<float>(loss_sum / batches);
    if (epoch == 1) first = last;
    std::printf("epoch %2d/%d  loss %.2f  (per sample %.3f)\n", epoch, epochs, last,
                last / static_cast<float>(batch));
  }
  const bool ok = last < 0.5f * first;
  std::printf("%s\n", ok ? "OK: the loss fell" : "FAILED: the loss did not fall to half");
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "custom_loss: the Keras SimpleYoloLoss in minidl, on the article's example (default) or "
      "training the article's toy model (--train)"};
  bool train = false;
  int epochs = 10, samples = 512, batch = 32, threads = 0;
  float lr = 1e-3f;
  uint64_t seed = 1;
  app.add_flag("--train", train, "train the article's toy model on synthetic data instead");
  app.add_option("--epochs", epochs, "with --train: passes over the training set")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--samples", samples, "with --train: synthetic training samples")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--batch", batch, "with --train: mini-batch size")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--lr", lr, "with --train: Adam's learning rate (Keras' default)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--seed", seed, "with --train: random seed (data, weights, shuffling)")
      ->capture_default_str();
  app.add_option("--threads", threads, "CPU threads (0: MINIDL_NUM_THREADS or all cores)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);

  try {
    if (threads > 0) set_num_threads(threads);
    return train ? train_toy_model(epochs, samples, batch, lr, seed) : article_example();
  } catch (const Error& e) {
    std::fprintf(stderr, "custom_loss: %s\n", e.what());
    return 2;
  }
}
