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

using namespace minidl;

namespace {

struct Timing {
  int min_runs = 10;
  double min_time = 2.0;  // seconds
  int warmup = 3;
};

// Median of the milliseconds that fn reports (for timing one part of a run), same rules as below.
double median_of(const std::function<double()>& fn, const Timing& t) {
  for (int i = 0; i < t.warmup; ++i) fn();
  std::vector<double> ms;
  double total = 0;
  while (static_cast<int>(ms.size()) < t.min_runs ||
         (total < t.min_time * 1e3 && ms.size() < 200)) {
    ms.push_back(fn());
    total += ms.back();
  }
  std::sort(ms.begin(), ms.end());
  size_t n = ms.size();
  return n % 2 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]);
}

// Median milliseconds of fn after warm-up: at least min_runs runs and min_time seconds (at most
// 200).
double median_ms(const std::function<void()>& fn, const Timing& t) {
  return median_of(
      [&] {
        auto t0 = std::chrono::steady_clock::now();
        fn();
        return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
            .count();
      },
      t);
}

// The plain cblas_sgemm baselines run on OpenBLAS's own threads, as in a program that calls
// OpenBLAS directly (minidl keeps OpenBLAS on one thread and cuts its products itself).
class OpenBlasThreads {
 public:
  OpenBlasThreads() { openblas_set_num_threads(num_threads()); }
  ~OpenBlasThreads() { openblas_set_num_threads(1); }
};

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
struct Row {
  std::string network;
  int64_t batch = 0;
  int threads = 0;
  double forward_ms = 0, train_step_ms = 0, peak_rss_mb = 0;
  // With --profile: ms per step of each category (profile totals) and the sgemm rate.
  std::vector<std::pair<std::string, double>> profile_ms;
  double sgemm_gflops = 0;
};

// ---- where the time goes (--profile) -----------------------------------------------------------
// GFLOP/s of one cblas_sgemm at 1024^3 on this run's threads: the machine's practical limit.
double sgemm_rate_gflops(const Timing& t) {
  const int n = 1024;
  Generator g(3);
  Tensor a = rand({n, n}, g), b = rand({n, n}, g), c = zeros({n, n});
  OpenBlasThreads blas_threads;
  double ms = median_ms(
      [&] {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.f, a.data(), n, b.data(),
                    n, 0.f, c.data(), n);
      },
      t);
  return 2.0 * n * n * n / ms / 1e6;
}

// FLOPs of the forward of each Conv2D and Dense layer, by profile label. Each product reads
// 2 * (output positions) * (weight elements): 2*N*Cout*Hout*Wout*Cin*k*k for a convolution,
// 2*N*out*in for a dense layer; dx and dW take as many.
std::map<std::string, double> layer_flops(const Sequential& model, Shape in) {
  std::map<std::string, double> flops;
  for (size_t i = 0; i < model.size(); ++i) {
    Module& layer = *model.at(i);
    const Shape out = layer.output_shape(in);
    if (dynamic_cast<Conv2D*>(&layer) || dynamic_cast<Dense*>(&layer))
      for (const auto& [name, w] : layer.parameters())
        if (name == "weight")
          flops[profile::layer_label(i, layer.name())] =
              2.0 * static_cast<double>(shape_numel(out) / out[1]) * static_cast<double>(w.numel());
    in = out;
  }
  return flops;
}

// A rate and its share of the sgemm rate, or "-" when the pass did not run.
std::string rate(double flop, double ms, double sgemm) {
  if (ms <= 0) return "-";
  char buf[64];
  double gflops = flop / ms / 1e6;
  std::snprintf(buf, sizeof buf, "%.1f (%.0f%%)", gflops, 100.0 * gflops / sgemm);
  return buf;
}

// Runs `steps` timed training steps with the profiler on and prints where their time went: per
// layer and category (own time, ms per step), the rates of conv and dense layers, the totals.
void print_profile(const std::function<void()>& step, int steps, const Sequential& model,
                   const Shape& input, double sgemm, Row& r) {
  profile::reset();
  profile::enable(true);
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) step();
  const double step_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() /
      steps;
  profile::enable(false);

  constexpr int kCats = profile::kNumCategories;
  std::vector<std::pair<std::string, std::vector<double>>> layers;  // first entered first
  for (const profile::Row& row : profile::report()) {
    if (layers.empty() || layers.back().first != row.scope)
      layers.push_back({row.scope, std::vector<double>(kCats, 0.0)});
    layers.back().second[static_cast<int>(row.category)] = row.ms / steps;
  }
  std::printf(
      "\nprofile: %d training steps after warm-up, %.1f ms per step; own time in ms per "
      "step, share = of the step\n| layer |",
      steps, step_ms);
  for (int c = 0; c < kCats; ++c)
    std::printf(" %s |", profile::category_name(static_cast<profile::Category>(c)));
  std::printf(" total | share |\n|---|");
  for (int c = 0; c <= kCats + 1; ++c) std::printf("---|");
  std::printf("\n");
  double attributed = 0;
  for (const auto& [scope, ms] : layers) {
    double total = 0;
    std::printf("| %s |", scope.c_str());
    for (double v : ms) {
      std::printf(v > 0 ? " %.2f |" : " - |", v);
      total += v;
    }
    std::printf(" %.2f | %.1f%% |\n", total, 100.0 * total / step_ms);
    attributed += total;
  }
  std::printf("| all |");
  for (const profile::Row& t : profile::totals())
    r.profile_ms.push_back({profile::category_name(t.category), t.ms / steps});
  for (int c = 0; c < kCats; ++c) {
    double v = 0;
    for (const auto& [scope, ms] : layers) v += ms[c];
    std::printf(" %.2f (%.0f%%) |", v, 100.0 * v / step_ms);
  }
  std::printf(" %.2f | %.1f%% |\n", attributed, 100.0 * attributed / step_ms);
  std::printf("not timed (backward's graph walk, reductions outside a layer): %.2f ms per step\n",
              step_ms - attributed);

  std::printf(
      "\nGFLOP/s of conv and dense layers (%% = share of the sgemm rate)\n"
      "| layer | GFLOP | forward | dx | dW |\n|---|---|---|---|---|\n");
  const auto flops = layer_flops(model, input);
  for (const auto& layer : layers) {
    const std::string& scope = layer.first;
    auto it = flops.find(scope);
    if (it == flops.end()) continue;
    // A named reference, not a structured binding: clang 14 cannot capture those in a lambda.
    const auto& ms = layer.second;
    auto at = [&ms](profile::Category c) { return ms[static_cast<int>(c)]; };
    std::printf("| %s | %.3f | %s | %s | %s |\n", scope.c_str(), it->second / 1e9,
                rate(it->second, at(profile::Category::Forward), sgemm).c_str(),
                rate(it->second, at(profile::Category::Dx), sgemm).c_str(),
                rate(it->second, at(profile::Category::DW), sgemm).c_str());
  }
  std::printf("sgemm-rate: %.1f GFLOP/s (cblas_sgemm 1024^3, %d threads, median)\n", sgemm,
              num_threads());
  for (const auto& [category, ms] : r.profile_ms)
    std::printf("PTOTAL %s %.4f\n", category.c_str(), ms);
  r.sgemm_gflops = sgemm;
}

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
  if (profile)
    print_profile(step, t.min_runs < 10 ? 2 : 5, *net.model, xs, sgemm_rate_gflops(t), r);
  r.peak_rss_mb = peak_rss_mb();
  return r;
}

std::string json_row(const Row& r) {
  std::ostringstream s;
  s << "{\"network\": \"" << r.network << "\", \"batch\": " << r.batch
    << ", \"threads\": " << r.threads << ", \"forward_ms\": " << r.forward_ms
    << ", \"train_step_ms\": " << r.train_step_ms << ", \"peak_rss_mb\": " << r.peak_rss_mb;
  if (!r.profile_ms.empty()) {  // --profile: ms per step by category, and the sgemm rate
    s << ", \"sgemm_gflops\": " << r.sgemm_gflops << ", \"profile_ms_per_step\": {";
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
