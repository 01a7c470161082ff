// first_network: a two-hidden-layer perceptron learns to separate three interleaved spirals,
// written with nothing but minidl's tensor ops and autograd (no layers, no optimizer classes):
// the network, the cross-entropy loss and SGD with momentum are all spelled out here.
#include <minidl/minidl.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>

using namespace minidl;

namespace {

struct Data {
  Tensor x;       // (N, 2) points
  Tensor onehot;  // (N, K) one-hot labels
  std::vector<int> label;
};

// K spiral arms of n points each; arm k turns through 1.5 turns with Gaussian noise.
Data make_spirals(int n, int K, float noise, Generator& gen) {
  std::vector<float> xs, oh;
  Data d;
  for (int k = 0; k < K; ++k)
    for (int i = 0; i < n; ++i) {
      float r = static_cast<float>(i) / n;
      float t = 3.0f * 3.14159265f * r + 2.0f * 3.14159265f * k / K + noise * gen.normal();
      xs.push_back(r * std::cos(t));
      xs.push_back(r * std::sin(t));
      for (int j = 0; j < K; ++j) oh.push_back(j == k ? 1.f : 0.f);
      d.label.push_back(k);
    }
  int64_t N = static_cast<int64_t>(n) * K;
  d.x = from_vector(xs, {N, 2});
  d.onehot = from_vector(oh, {N, K});
  return d;
}

// He initialisation for layers followed by ReLU: N(0, 2 / fan_in).
Tensor he(int64_t out, int64_t in, Generator& gen) {
  return randn({out, in}, gen, 0.f, std::sqrt(2.f / in)).requires_grad_();
}

float accuracy(const Tensor& logits, const std::vector<int>& label) {
  std::vector<float> pred = argmax(logits, 1).to_vector();
  int hit = 0;
  for (size_t i = 0; i < pred.size(); ++i) hit += static_cast<int>(pred[i]) == label[i];
  return static_cast<float>(hit) / static_cast<float>(pred.size());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"first_network: a small MLP learns three spirals with minidl's ops and autograd"};
  int epochs = 300, hidden = 64, points = 300, threads = 0, batch = 96;
  float lr = 0.1f, momentum = 0.9f;
  float min_accuracy = 0.f;
  uint64_t seed = 1;
  app.add_option("--epochs", epochs, "passes over the training set")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--hidden", hidden, "units per hidden layer")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--points", points, "points per spiral arm")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--batch", batch, "mini-batch size")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--lr", lr, "SGD learning rate")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--momentum", momentum, "SGD momentum")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.999));
  app.add_option("--seed", seed, "random seed")->capture_default_str();
  app.add_option("--threads", threads, "CPU threads (0: MINIDL_NUM_THREADS or all cores)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--min-accuracy", min_accuracy,
                 "exit with status 1 when the final test accuracy is lower (for tests)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    if (threads > 0) set_num_threads(threads);
    std::printf("%s\n", runtime_summary(Device::CPU).c_str());
    Generator gen(seed);
    const int K = 3;
    Data train = make_spirals(points, K, 0.2f, gen);
    Data test = make_spirals(points / 3, K, 0.2f, gen);
    const int64_t N = train.x.size(0);

    // Parameters: 2 -> hidden -> hidden -> K.
    std::vector<Tensor> params = {he(hidden, 2, gen),      zeros({hidden}).requires_grad_(),
                                  he(hidden, hidden, gen), zeros({hidden}).requires_grad_(),
                                  he(K, hidden, gen),      zeros({K}).requires_grad_()};
    std::vector<Tensor> velocity;
    for (const auto& p : params) velocity.push_back(zeros_like(p));
    auto forward = [&](const Tensor& x) {
      Tensor h = relu(linear(x, params[0], params[1]));
      h = relu(linear(h, params[2], params[3]));
      return linear(h, params[4], params[5]);  // logits (N, K)
    };
    // Cross-entropy of logits against one-hot targets: -mean_i sum_k t_ik log softmax(z)_ik.
    auto cross_entropy = [](const Tensor& logits, const Tensor& onehot) {
      return -mean(sum(onehot * log_softmax(logits, 1), {1}));
    };

    auto t0 = std::chrono::steady_clock::now();
    std::vector<int64_t> order(N);
    for (int64_t i = 0; i < N; ++i) order[i] = i;
    for (int epoch = 1; epoch <= epochs; ++epoch) {
      for (int64_t i = N - 1; i > 0; --i) std::swap(order[i], order[gen.below(i + 1)]);  // shuffle
      std::vector<float> xs = train.x.to_vector(), ts = train.onehot.to_vector();
      double loss_sum = 0;
      int batches = 0;
      for (int64_t start = 0; start < N; start += batch) {
        int64_t B = std::min<int64_t>(batch, N - start);
        std::vector<float> bx, bt;
        for (int64_t j = start; j < start + B; ++j) {
          bx.insert(bx.end(), xs.begin() + order[j] * 2, xs.begin() + order[j] * 2 + 2);
          bt.insert(bt.end(), ts.begin() + order[j] * K, ts.begin() + order[j] * K + K);
        }
        Tensor loss = cross_entropy(forward(from_vector(bx, {B, 2})), from_vector(bt, {B, K}));
        for (auto& p : params) p.zero_grad();
        loss.backward();
        {
          NoGradGuard no_grad;  // SGD with momentum: v = m v + g; p -= lr v
          for (size_t k = 0; k < params.size(); ++k) {
            velocity[k] = velocity[k] * momentum + params[k].grad();
            params[k].copy_(params[k] - velocity[k] * lr);
          }
        }
        loss_sum += loss.item();
        ++batches;
      }
      if (epoch == 1 || epoch % 25 == 0 || epoch == epochs) {
        NoGradGuard no_grad;
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::printf("epoch %4d/%d  loss %.4f  train acc %.3f  test acc %.3f  %.1fs\n", epoch,
                    epochs, loss_sum / batches, accuracy(forward(train.x), train.label),
                    accuracy(forward(test.x), test.label), secs);
        std::fflush(stdout);
      }
    }
    NoGradGuard no_grad;
    float acc = accuracy(forward(test.x), test.label);
    std::printf("final test accuracy %.3f on %lld held-out points\n", acc,
                static_cast<long long>(test.x.size(0)));
    return acc >= min_accuracy ? 0 : 1;
  } catch (const Error& e) {
    std::fprintf(stderr, "first_network: %s\n", e.what());
    return 2;
  }
}
