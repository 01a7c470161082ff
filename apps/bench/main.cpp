// minidl_bench: warm-up, then medians over repeated runs, of GEMM (beside a plain cblas_sgemm),
// each convolution of the YOLO networks (forward and backward, beside sgemm of the same shape),
// and the training step and forward pass of "humble" and "tiny"; each (network, batch) runs in a
// fresh child process so that its peak RSS is its own. --json writes the rows that
// torch_reference.py (the same table in PyTorch) writes, and compare.py puts the two side by side.
#include <cblas.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <sstream>
#include <vector>

#include "networks.h"
#include "step_profile.h"
#include "timing.h"

using namespace minidl;

namespace {

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

// ---- GEMM ------------------------------------------------------------------------------------
void bench_gemm(const Timing& t) {
  std::printf(
      "\nGEMM, GFLOP/s (minidl::matmul allocates its output; cblas_sgemm writes into a buffer)\n");
  std::printf("| M | N | K | minidl matmul | cblas_sgemm | ratio |\n|---|---|---|---|---|---|\n");
  const int64_t shapes[][3] = {{256, 256, 256},  {512, 512, 512},   {1024, 1024, 1024},
                               {32, 50176, 144}, {1024, 196, 4608}, {8, 1470, 12544}};
  for (const auto& s : shapes) {
    const int64_t M = s[0], N = s[1], K = s[2];
    Generator g(1);
    Tensor a = rand({M, K}, g), b = rand({K, N}, g), c = zeros({M, N});
    NoGradGuard ng;
    double flop = 2.0 * M * N * K;
    double ours = median_ms([&] { matmul(a, b); }, t);
    OpenBlasThreads blas_threads;
    double ref = median_ms(
        [&] {
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.f, a.data(), K,
                      b.data(), N, 0.f, c.data(), N);
        },
        t);
    std::printf("| %lld | %lld | %lld | %.1f | %.1f | %.2f |\n", (long long)M, (long long)N,
                (long long)K, flop / ours / 1e6, flop / ref / 1e6, ref / ours);
  }
}

// ---- convolutions ------------------------------------------------------------------------------
struct ConvShape {
  const char* net;
  int64_t N, C, H, F, k, pad;
};

void bench_conv(const Timing& t) {
  std::printf(
      "\nconv2d, GFLOP/s (forward; backward = dx + dW, twice the forward's flops; sgemm = one\n"
      "cblas_sgemm per image of the same M=F, N=OH*OW, K=C*k*k; fwd %% and bwd %% = the conv's\n"
      "rate as a share of the sgemm rate)\n");
  std::printf(
      "| net | N | C | HxW | F | k | fwd ms | fwd GFLOP/s | bwd GFLOP/s | sgemm GFLOP/s | fwd %% | "
      "bwd %% |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  std::vector<ConvShape> shapes = {{"humble", 8, 3, 64, 16, 1, 0},
                                   {"humble", 8, 16, 64, 32, 3, 0},
                                   {"humble", 8, 32, 31, 16, 3, 0},
                                   {"humble", 8, 16, 29, 32, 3, 0}};
  int64_t c = 3, hw = 448;
  for (int64_t f : {16, 32, 64, 128, 256, 512, 1024, 256}) {
    shapes.push_back({"tiny", 1, c, hw, f, 3, 1});
    c = f;
    if (hw > 7) hw /= 2;
  }
  for (const ConvShape& s : shapes) {
    const int64_t OH = s.H + 2 * s.pad - s.k + 1, Kd = s.C * s.k * s.k, P = OH * OH;
    Generator g(2);
    Tensor x = rand({s.N, s.C, s.H, s.H}, g), W = rand({s.F, s.C, s.k, s.k}, g, -0.1f, 0.1f),
           b = zeros({s.F});
    double flop = 2.0 * s.N * s.F * P * Kd;
    double fwd;
    {
      NoGradGuard ng;
      fwd = median_ms([&] { conv2d(x, W, b, 1, s.pad); }, t);
    }
    Tensor xg = x.detach().requires_grad_(), Wg = W.detach().requires_grad_(),
           bg = b.detach().requires_grad_();
    Tensor gy = rand({s.N, s.F, OH, OH}, g);
    double bwd = median_of(
        [&] {  // backward alone: the forward that records the graph is not timed
          xg.zero_grad(), Wg.zero_grad(), bg.zero_grad();
          Tensor y = conv2d(xg, Wg, bg, 1, s.pad);
          auto t0 = std::chrono::steady_clock::now();
          y.backward(gy);
          return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
              .count();
        },
        t);
    Tensor A = rand({s.F, Kd}, g), B = rand({Kd, P}, g), Cm = zeros({s.F, P});
    OpenBlasThreads blas_threads;
    double gemm = median_ms(
        [&] {
          for (int64_t n = 0; n < s.N; ++n)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, s.F, P, Kd, 1.f, A.data(), Kd,
                        B.data(), P, 0.f, Cm.data(), P);
        },
        t);
    std::printf(
        "| %s | %lld | %lld | %lldx%lld | %lld | %lld | %.2f | %.1f | %.1f | %.1f | %.0f%% | "
        "%.0f%% |\n",
        s.net, (long long)s.N, (long long)s.C, (long long)s.H, (long long)s.H, (long long)s.F,
        (long long)s.k, fwd, flop / fwd / 1e6, 2 * flop / bwd / 1e6, flop / gemm / 1e6,
        100.0 * gemm / fwd, 100.0 * 2 * gemm / bwd);
  }
}

// ---- one network and batch (run in a child process) ------------------------------------------
Row run_one(const std::string& name, int64_t batch, const Timing& t, bool profile) {
  BenchNetwork net = make_network(name);
  Generator g(0);
  Shape xs = {batch};
  xs.insert(xs.end(), net.input.begin(), net.input.end());
  Tensor x = rand(xs, g);
  const int S = net.loss.S, C = net.loss.C;
  // target as the reference builds it: boxes in [0.1, 0.9), objects in ~30% of cells, class 0
  std::vector<float> tv;
  for (int64_t i = 0; i < batch * S * S; ++i) {
    for (int k = 0; k < 4; ++k) tv.push_back(g.uniform() * 0.8f + 0.1f);
    tv.push_back(g.uniform() < 0.3f ? 1.f : 0.f);
    for (int k = 0; k < C; ++k) tv.push_back(k == 0 ? 1.f : 0.f);
  }
  Tensor target = from_vector(tv, {batch, S, S, 5 + C});
  Row r;
  r.network = name;
  r.batch = batch;
  r.threads = num_threads();
  {
    NoGradGuard ng;
    r.forward_ms = median_ms([&] { (*net.model)(x); }, t);
  }
  SGD opt(net.model->parameters(), 1e-4f);
  auto step = [&] {
    opt.zero_grad();
    yolo_v1_loss((*net.model)(x), target, net.loss).total.backward();
    opt.step();
  };
  r.train_step_ms = median_ms(step, t);
  if (profile) {
    print_profile(step, t.min_runs < 10 ? 2 : 5, *net.model, xs, sgemm_rate_gflops(t), r);
    paired_share(step, t.min_runs < 10 ? 2 : 9, r);
  }
  r.peak_rss_mb = peak_rss_mb();
  return r;
}

std::string json_row(const Row& r) {
  std::ostringstream s;
  s << "{\"network\": \"" << r.network << "\", \"batch\": " << r.batch
    << ", \"threads\": " << r.threads << ", \"forward_ms\": " << r.forward_ms
    << ", \"train_step_ms\": " << r.train_step_ms << ", \"peak_rss_mb\": " << r.peak_rss_mb;
  if (!r.profile_ms.empty()) {  // --profile: ms per step by category, and the sgemm rate
    s << ", \"sgemm_gflops\": " << r.sgemm_gflops << ", \"step_gflop\": " << r.step_gflop
      << ", \"sgemm_share\": [" << r.share[0] << ", " << r.share[1] << ", " << r.share[2] << "]"
      << ", \"first_layer\": \"" << r.first_layer << "\", \"first_layer_gflop\": " << r.first_gflop
      << ", \"first_layer_dW_sgemm_share\": [" << r.first_share[0] << ", " << r.first_share[1]
      << ", " << r.first_share[2] << "]"
      << ", \"profile_ms_per_step\": {";
    for (size_t i = 0; i < r.profile_ms.size(); ++i)
      s << (i ? ", " : "") << "\"" << r.profile_ms[i].first << "\": " << r.profile_ms[i].second;
    s << "}";
  }
  s << "}";
  return s.str();
}

// This executable's path (popen runs a shell, for which /proc/self/exe is the shell).
std::string self_path() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw Error("cannot read /proc/self/exe");
  return std::string(buf, static_cast<size_t>(n));
}

// Runs `self --one name batch` in a fresh process and parses its ROW line (and, with --profile,
// its PTOTAL and sgemm-rate lines); the child's other lines (the profile) go to `text`.
Row run_child(const std::string& self, const std::string& name, int64_t batch, int threads,
              bool quick, bool profile, std::string& text) {
  std::string cmd = "'" + self + "' --one " + name + " " + std::to_string(batch) + " --threads " +
                    std::to_string(threads) + (quick ? " --quick" : "") +
                    (profile ? " --profile" : "");
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) throw Error("cannot start " + cmd);
  char line[4096];
  Row r;
  bool got = false;
  while (std::fgets(line, sizeof line, p)) {
    char net[64], category[64];
    double v = 0;
    if (std::sscanf(line, "PTOTAL %63s %lf", category, &v) == 2) {
      r.profile_ms.push_back({category, v});
      continue;
    }
    if (std::sscanf(line, "sgemm-rate: %lf", &v) == 1) r.sgemm_gflops = v;
    if (std::strncmp(line, "FIRSTLAYER ", 11) == 0) {
      r.first_layer = std::string(line + 11, std::strcspn(line + 11, "\n"));
      continue;
    }
    if (std::sscanf(line, "SHARE %lf %lf %lf %lf", &r.share[0], &r.share[1], &r.share[2],
                    &r.step_gflop) == 4 ||
        std::sscanf(line, "FIRSTSHARE %lf %lf %lf %lf", &r.first_share[0], &r.first_share[1],
                    &r.first_share[2], &r.first_gflop) == 4)
      continue;
    if (std::strncmp(line, "ROW ", 4) != 0) text += line;
    if (std::sscanf(line, "ROW %63s %ld %d %lf %lf %lf", net, &r.batch, &r.threads, &r.forward_ms,
                    &r.train_step_ms, &r.peak_rss_mb) == 6) {
      r.network = net;
      got = true;
    }
  }
  int status = pclose(p);
  if (!got || status != 0)
    throw Error("the run of " + name + " batch " + std::to_string(batch) + " failed");
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"minidl_bench: GEMM, conv2d and YOLO training-step timings (medians after warm-up)"};
  int threads = 2;
  bool quick = false, skip_gemm = false, skip_conv = false, skip_nets = false, profile = false;
  std::string json, networks = "humble,tiny";
  std::vector<std::string> one;
  app.add_option("--threads", threads, "CPU threads")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--json", json, "write one row per network and batch to this file");
  app.add_option("--networks", networks, "comma-separated: humble, tiny")->capture_default_str();
  app.add_flag("--quick", quick, "few runs (a smoke test, not a measurement)");
  app.add_flag("--skip-gemm", skip_gemm, "skip the GEMM table");
  app.add_flag("--skip-conv", skip_conv, "skip the conv2d table");
  app.add_flag("--skip-networks", skip_nets, "skip the training-step table");
  app.add_flag("--profile", profile,
               "after each network's timings, a few training steps with the profiler on: time per "
               "layer and pass, GFLOP/s of conv and dense layers, the sgemm rate");
  app.add_option("--one", one, "internal: run one network and batch, print its row")->expected(2);
  CLI11_PARSE(app, argc, argv);
  try {
    set_num_threads(threads);
    Timing t;
    if (quick) t = {2, 0.0, 1};
    if (!one.empty()) {
      Row r = run_one(one[0], std::stoll(one[1]), t, profile);
      std::printf("ROW %s %lld %d %.4f %.4f %.2f\n", r.network.c_str(), (long long)r.batch,
                  r.threads, r.forward_ms, r.train_step_ms, r.peak_rss_mb);
      return 0;
    }
    std::printf("%s\n", runtime_summary(Device::CPU).c_str());
    if (!skip_gemm) bench_gemm(t);
    if (!skip_conv) bench_conv(t);
    if (skip_nets) return 0;
    std::vector<Row> rows;
    std::printf(
        "\nnetworks (forward under no-grad; train step = zero_grad + forward + YOLOv1 loss + "
        "backward + SGD)\n");
    std::printf(
        "| network | batch | forward ms | train step ms | peak RSS MB |\n|---|---|---|---|---|\n");
    std::stringstream names(networks);
    for (std::string name; std::getline(names, name, ',');) {
      make_network(name);  // rejects an unknown name before any child runs
      for (int64_t batch :
           name == "humble" ? std::vector<int64_t>{1, 8, 32} : std::vector<int64_t>{1, 8}) {
        std::string text;
        Row r = run_child(self_path(), name, batch, threads, quick, profile, text);
        std::printf("| %s | %lld | %.1f | %.1f | %.0f |\n", r.network.c_str(), (long long)r.batch,
                    r.forward_ms, r.train_step_ms, r.peak_rss_mb);
        if (profile) std::printf("%s\n", text.c_str());
        std::fflush(stdout);
        rows.push_back(r);
      }
    }
    if (!json.empty()) {
      std::ostringstream f;
      f << "[\n";
      for (size_t i = 0; i < rows.size(); ++i)
        f << " " << json_row(rows[i]) << (i + 1 < rows.size() ? ",\n" : "\n");
      f << "]\n";
      write_file_atomic(json, f.str());
      std::printf("wrote %s\n", json.c_str());
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "minidl_bench: %s\n", e.what());
    return 1;
  }
}
