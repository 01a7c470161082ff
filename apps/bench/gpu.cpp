// minidl_bench_gpu: the GPU benchmark of the CUDA issue, medians after warm-up with the device
// synchronised around each run: the training step (forward + YOLOv1 loss + backward + SGD) of
// "humble" (batch 64) and "tiny" (batch 32, 448x448), and conv2d forward + backward of each of
// their convolutions beside cuBLAS sgemm of the same shape. --json rows are what
// torch_gpu_reference.py writes, and compare_gpu.py puts the two side by side. Without a GPU it
// says so and exits 0.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <sstream>
#include <vector>

#include "networks.h"

using namespace minidl;

namespace {

// Median milliseconds of fn, synchronised before and after each run: 3 warm-ups, then at least
// `runs` runs and 0.3 s (at most 200 runs).
double median_ms(const std::function<void()>& fn, int runs) {
  for (int i = 0; i < 3; ++i) fn();
  cuda_synchronize();
  std::vector<double> ms;
  double total = 0;
  while (static_cast<int>(ms.size()) < runs || (total < 300 && ms.size() < 200 && runs > 2)) {
    auto t0 = std::chrono::steady_clock::now();
    fn();
    cuda_synchronize();
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    total += ms.back();
  }
  std::sort(ms.begin(), ms.end());
  const size_t n = ms.size();
  return n % 2 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]);
}

struct ConvShape {
  std::string net;
  int64_t N, C, H, F, k, pad;
};

// The convolutions of the two networks at the benchmark batches (humble 64, tiny 32).
std::vector<ConvShape> conv_shapes(int64_t humble_batch, int64_t tiny_batch) {
  std::vector<ConvShape> s = {{"humble", humble_batch, 3, 64, 16, 1, 0},
                              {"humble", humble_batch, 16, 64, 32, 3, 0},
                              {"humble", humble_batch, 32, 31, 16, 3, 0},
                              {"humble", humble_batch, 16, 29, 32, 3, 0}};
  int64_t c = 3, hw = 448;
  for (int64_t f : {16, 32, 64, 128, 256, 512, 1024, 256}) {
    s.push_back({"tiny", tiny_batch, c, hw, f, 3, 1});
    c = f;
    if (hw > 7) hw /= 2;
  }
  return s;
}

std::string conv_row(const ConvShape& s, int runs) {
  const Device cuda = Device::CUDA;
  const int64_t OH = s.H + 2 * s.pad - s.k + 1, K = s.C * s.k * s.k, P = OH * OH;
  Generator g(2);
  Tensor x = rand({s.N, s.C, s.H, s.H}, g).to(cuda).requires_grad_();
  Tensor W = rand({s.F, s.C, s.k, s.k}, g, -0.1f, 0.1f).to(cuda).requires_grad_();
  Tensor b = zeros({s.F}, cuda).requires_grad_();
  Tensor gy = rand({s.N, s.F, OH, OH}, g).to(cuda);
  double fwd;
  {
    NoGradGuard ng;
    fwd = median_ms([&] { conv2d(x, W, b, 1, s.pad); }, runs);
  }
  const double fwd_bwd = median_ms(
      [&] {
        x.zero_grad(), W.zero_grad(), b.zero_grad();
        conv2d(x, W, b, 1, s.pad).backward(gy);
      },
      runs);
  // the forward's gemm alone: one cuBLAS sgemm (F, K) x (K, P) per image, as conv2d issues it
  Tensor A = rand({s.F, K}, g).to(cuda), B = rand({K, P}, g).to(cuda);
  double sgemm;
  {
    NoGradGuard ng;
    sgemm = median_ms(
        [&] {
          for (int64_t n = 0; n < s.N; ++n) matmul(A, B);
        },
        runs);
  }
  const double flop = 2.0 * s.N * s.F * P * K;  // one pass; backward (dx + dW) is two
  std::printf("| %s | %lld | %lld | %lldx%lld | %lld | %lld | %.3f | %.0f | %.3f | %.0f | %.0f |\n",
              s.net.c_str(), (long long)s.N, (long long)s.C, (long long)s.H, (long long)s.H,
              (long long)s.F, (long long)s.k, fwd, flop / fwd / 1e6, fwd_bwd,
              3 * flop / fwd_bwd / 1e6, flop / sgemm / 1e6);
  std::fflush(stdout);
  std::ostringstream j;
  j << "{\"kind\": \"conv\", \"net\": \"" << s.net << "\", \"N\": " << s.N << ", \"C\": " << s.C
    << ", \"H\": " << s.H << ", \"F\": " << s.F << ", \"k\": " << s.k << ", \"fwd_ms\": " << fwd
    << ", \"fwd_bwd_ms\": " << fwd_bwd << ", \"sgemm_ms\": " << sgemm
    << ", \"gflop\": " << flop / 1e9 << "}";
  return j.str();
}

std::string network_row(const std::string& name, int64_t batch, int runs) {
  BenchNetwork net = make_network(name);
  net.model->to(Device::CUDA);
  Generator g(0);
  Shape xs = {batch};
  xs.insert(xs.end(), net.input.begin(), net.input.end());
  Tensor x = rand(xs, g).to(Device::CUDA);
  const int S = net.loss.S, C = net.loss.C;
  std::vector<float> tv;  // as apps/bench/main.cpp: boxes in [0.1, 0.9), ~30% objects, class 0
  for (int64_t i = 0; i < batch * S * S; ++i) {
    for (int k = 0; k < 4; ++k) tv.push_back(g.uniform() * 0.8f + 0.1f);
    tv.push_back(g.uniform() < 0.3f ? 1.f : 0.f);
    for (int k = 0; k < C; ++k) tv.push_back(k == 0 ? 1.f : 0.f);
  }
  Tensor target = from_vector(tv, {batch, S, S, 5 + C}, Device::CUDA);
  double fwd;
  {
    NoGradGuard ng;
    fwd = median_ms([&] { (*net.model)(x); }, runs);
  }
  SGD opt(net.model->parameters(), 1e-4f);
  const double step = median_ms(
      [&] {
        opt.zero_grad();
        yolo_v1_loss((*net.model)(x), target, net.loss).total.backward();
        opt.step();
      },
      runs);
  std::printf("| %s | %lld | %.2f | %.2f |\n", name.c_str(), (long long)batch, fwd, step);
  std::fflush(stdout);
  std::ostringstream j;
  j << "{\"kind\": \"network\", \"network\": \"" << name << "\", \"batch\": " << batch
    << ", \"forward_ms\": " << fwd << ", \"train_step_ms\": " << step << "}";
  return j.str();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "minidl_bench_gpu: training step and conv2d timings on the GPU (medians, synchronised)"};
  bool quick = false;
  std::string json;
  int64_t humble_batch = 64, tiny_batch = 32;
  app.add_option("--json", json, "write one row per measurement to this file");
  app.add_option("--humble-batch", humble_batch, "batch of the humble network")
      ->capture_default_str();
  app.add_option("--tiny-batch", tiny_batch, "batch of the tiny network")->capture_default_str();
  app.add_flag("--quick", quick, "two runs each at batch 2 (a smoke test, not a measurement)");
  CLI11_PARSE(app, argc, argv);
  try {
    if (!cuda_available()) {
      std::printf("MINIDL_SKIP: minidl_bench_gpu needs a GPU (%s)\n", cuda_device_info().c_str());
      return 0;
    }
    std::printf("%s\n", runtime_summary(Device::CUDA).c_str());
    const int runs = quick ? 2 : 10;
    if (quick) humble_batch = tiny_batch = 2;
    std::vector<std::string> rows;
    std::printf(
        "\ntraining step (zero_grad + forward + YOLOv1 loss + backward + SGD) and forward, ms\n");
    std::printf("| network | batch | forward ms | train step ms |\n|---|---|---|---|\n");
    rows.push_back(network_row("humble", humble_batch, runs));
    rows.push_back(network_row("tiny", tiny_batch, runs));
    std::printf(
        "\nconv2d (bias included): forward, forward + backward (dx, dW, db), and cuBLAS sgemm of\n"
        "the forward's shape (M=F, N=OH*OW, K=C*k*k, once per image); GFLOP/s\n");
    std::printf(
        "| net | N | C | HxW | F | k | fwd ms | fwd GFLOP/s | fwd+bwd ms | fwd+bwd GFLOP/s | "
        "sgemm GFLOP/s |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (const ConvShape& s : conv_shapes(humble_batch, tiny_batch))
      rows.push_back(conv_row(s, runs));
    if (!json.empty()) {
      std::ostringstream f;
      f << "[\n";
      for (size_t i = 0; i < rows.size(); ++i)
        f << " " << rows[i] << (i + 1 < rows.size() ? ",\n" : "\n");
      f << "]\n";
      write_file_atomic(json, f.str());
      std::printf("wrote %s\n", json.c_str());
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "minidl_bench_gpu: %s\n", e.what());
    return 1;
  }
}
