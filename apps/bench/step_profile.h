// minidl_bench's --profile: where a training step's time goes (per layer and pass), the rates of
// its conv and dense layers, and the step's rate as a share of the sgemm rate, measured in pairs.
#pragma once

#include <minidl/minidl.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "timing.h"

// One network and batch: its timings, and with --profile what the profile measured.
struct Row {
  std::string network;
  int64_t batch = 0;
  int threads = 0;
  double forward_ms = 0, train_step_ms = 0, peak_rss_mb = 0;
  // With --profile: ms per step of each category (profile totals) and the sgemm rate.
  std::vector<std::pair<std::string, double>> profile_ms;
  double sgemm_gflops = 0;
  double step_gflop = 0;  // the FLOPs of the passes the profile saw run (conv and dense layers)
  // The first layer whose dW ran (the few-channel first conv), and its FLOPs per pass.
  std::string first_layer;
  double first_gflop = 0;
  // Shares of the sgemm rate, in pairs (paired_share): {median, lowest, highest} of the step's rate
  // and of the first layer's dW pass (its dW and db).
  double share[3] = {}, first_share[3] = {};
};

/// GFLOP/s of one cblas_sgemm at 1024^3 on this run's threads (the machine's practical limit):
/// the median of a run under t's rules.
double sgemm_rate_gflops(const Timing& t);

/// Runs `steps` timed training steps with the profiler on and prints where their time went: per
/// layer and category (own time, ms per step), the rates of conv and dense layers (as shares of
/// `sgemm` GFLOP/s), the totals. Sets r's profile_ms, sgemm_gflops and step_gflop.
void print_profile(const std::function<void()>& step, int steps, const minidl::Sequential& model,
                   const minidl::Shape& input, double sgemm, Row& r);

/// The step's rate, and its first layer's dW pass's, as shares of the sgemm rate, measured so that
/// a change of load cannot land on one side only: `pairs` times one step (profiled, for the first
/// layer's time), then at once three sgemm calls (their median); each pair gives (GFLOP/s) /
/// (sgemm GFLOP/s). Sets r's share and first_share, and prints them (also as SHARE lines). Needs
/// what print_profile sets.
void paired_share(const std::function<void()>& step, int pairs, Row& r);
