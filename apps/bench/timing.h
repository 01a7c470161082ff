// The timing rules of minidl_bench: medians after warm-up, and OpenBLAS's own threads for the
// plain cblas_sgemm baselines.
#pragma once

#include <cblas.h>
#include <minidl/minidl.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

struct Timing {
  int min_runs = 10;
  double min_time = 2.0;  // seconds
  int warmup = 3;
};

// The median of values sorted in ascending order (not empty).
inline double median_of_sorted(const std::vector<double>& v) {
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Milliseconds of one run of fn.
inline double ms_of(const std::function<void()>& fn) {
  auto t0 = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// Median of the milliseconds that fn reports (for timing one part of a run), same rules as below.
inline double median_of(const std::function<double()>& fn, const Timing& t) {
  for (int i = 0; i < t.warmup; ++i) fn();
  std::vector<double> ms;
  double total = 0;
  while (static_cast<int>(ms.size()) < t.min_runs ||
         (total < t.min_time * 1e3 && ms.size() < 200)) {
    ms.push_back(fn());
    total += ms.back();
  }
  std::sort(ms.begin(), ms.end());
  return median_of_sorted(ms);
}

// Median milliseconds of fn after warm-up: at least min_runs runs and min_time seconds (at most
// 200).
inline double median_ms(const std::function<void()>& fn, const Timing& t) {
  return median_of([&] { return ms_of(fn); }, t);
}

// The plain cblas_sgemm baselines run on OpenBLAS's own threads, as in a program that calls
// OpenBLAS directly (minidl keeps OpenBLAS on one thread and cuts its products itself).
class OpenBlasThreads {
 public:
  OpenBlasThreads() { openblas_set_num_threads(minidl::num_threads()); }
  ~OpenBlasThreads() { openblas_set_num_threads(1); }
};
