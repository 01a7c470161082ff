// minidl_bench's --profile (step_profile.h).
#include "step_profile.h"

#include <cstdio>
#include <map>

using namespace minidl;

namespace {

// One cblas_sgemm at 1024^3 on this run's threads: the machine's practical limit.
class Sgemm1024 {
 public:
  static constexpr int n = 1024;
  static constexpr double flop = 2.0 * n * n * n;
  Sgemm1024() : a_(rand({n, n}, g_)), b_(rand({n, n}, g_)), c_(zeros({n, n})) {}
  void operator()() {
    OpenBlasThreads blas_threads;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.f, a_.data(), n, b_.data(), n,
                0.f, c_.data(), n);
  }

 private:
  Generator g_{3};
  Tensor a_, b_, c_;
};

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

}  // namespace

double sgemm_rate_gflops(const Timing& t) {
  Sgemm1024 sgemm;
  return Sgemm1024::flop / median_ms(sgemm, t) / 1e6;
}

void paired_share(const std::function<void()>& step, int pairs, Row& r) {
  Sgemm1024 sgemm;
  sgemm();  // warm: OpenBLAS's threads and buffers
  std::vector<double> step_shares, first_shares;
  for (int i = 0; i < pairs; ++i) {
    profile::reset();
    profile::enable(true);
    const double step_ms = ms_of(step);
    profile::enable(false);
    double first_ms = 0;
    for (const profile::Row& row : profile::report())
      if (row.scope == r.first_layer && row.category == profile::Category::DW) first_ms = row.ms;
    double sg[3];
    for (double& v : sg) v = ms_of([&] { sgemm(); });
    std::sort(sg, sg + 3);
    const double sgemm_gflops = Sgemm1024::flop / 1e6 / sg[1];
    step_shares.push_back(r.step_gflop * 1e3 / step_ms / sgemm_gflops);
    if (first_ms > 0) first_shares.push_back(r.first_gflop * 1e3 / first_ms / sgemm_gflops);
  }
  const auto summary = [](std::vector<double>& v, double out[3]) {
    if (v.empty()) return;
    std::sort(v.begin(), v.end());
    out[0] = median_of_sorted(v);
    out[1] = v.front();
    out[2] = v.back();
  };
  summary(step_shares, r.share);
  summary(first_shares, r.first_share);
  std::printf(
      "\nshares of the sgemm rate, in %d pairs (one profiled step, then three cblas_sgemm 1024^3 "
      "calls, their median), median (range):\n"
      "- the step (%.2f GFLOP in its conv and dense layers): %.0f%% (%.0f-%.0f%%)\n"
      "- %s, dW and db (%.3f GFLOP): %.0f%% (%.0f-%.0f%%)\n",
      pairs, r.step_gflop, 100 * r.share[0], 100 * r.share[1], 100 * r.share[2],
      r.first_layer.c_str(), r.first_gflop, 100 * r.first_share[0], 100 * r.first_share[1],
      100 * r.first_share[2]);
  std::printf("SHARE %.4f %.4f %.4f %.4f\n", r.share[0], r.share[1], r.share[2], r.step_gflop);
  std::printf("FIRSTLAYER %s\n", r.first_layer.c_str());
  std::printf("FIRSTSHARE %.4f %.4f %.4f %.4f\n", r.first_share[0], r.first_share[1],
              r.first_share[2], r.first_gflop);
}

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
    for (const auto c : {profile::Category::Forward, profile::Category::Dx, profile::Category::DW})
      if (at(c) > 0) r.step_gflop += it->second / 1e9;
    if (r.first_layer.empty() && at(profile::Category::DW) > 0) {
      r.first_layer = scope;
      r.first_gflop = it->second / 1e9;
    }
  }
  std::printf("sgemm-rate: %.1f GFLOP/s (cblas_sgemm 1024^3, %d threads, median)\n", sgemm,
              num_threads());
  for (const auto& [category, ms] : r.profile_ms)
    std::printf("PTOTAL %s %.4f\n", category.c_str(), ms);
  r.sgemm_gflops = sgemm;
}
