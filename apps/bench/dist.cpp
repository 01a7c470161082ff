// minidl_bench_dist: data-parallel training speed of "humble" and "tiny" (networks.h). Run alone
// (one process) or under `mpirun -np N` (dist_bench.sh runs the configurations side by side).
// Every process trains on its share of the same global batch (rank r takes images r*b..r*b+b-1 of
// it), so any N takes the same steps, and the printed parameter checksum agrees to rounding.
//
// Per network it prints images/s over the timed steps, the step time, and where the time goes:
// backward, the all-reduce wait left after backward (what overlapping did not hide), and the
// unpacking of the averaged gradients (only views with gradient_as_bucket_view). It also
// times the all-reduce alone (the same buckets, no training going on) to give its cost per step
// and its share of the step. --no-overlap starts the buckets only after backward ends;
// --copy-grads copies the averages out of the buckets (gradient_as_bucket_view off).
#include <minidl/minidl.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <sstream>
#include <string>
#include <vector>

#include "networks.h"

using namespace minidl;

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

struct Options {
  std::vector<std::string> networks = {"humble", "tiny"};
  int64_t humble_batch = 32, tiny_batch = 8;  // global: all processes together
  int steps = 20, warmup = 3, threads = 0;
  int64_t split = 1;  // --split N: one of N independent processes, global / N images each
  double bucket_mb = 25;
  bool overlap = true;
  bool views = true;  // GradSyncOptions::gradient_as_bucket_view
  std::string json;   // --json file
};

// The global batch, the same on every rank: images in [0, 1); YOLO targets with boxes in
// [0.1, 0.9), an object in about 30% of the cells, class 0 (the bench's usual random target).
Example global_batch(const BenchNetwork& net, int64_t batch) {
  Generator g(11);
  Shape xs = {batch};
  xs.insert(xs.end(), net.input.begin(), net.input.end());
  Tensor x = rand(xs, g);
  const int S = net.loss.S, C = net.loss.C, D = 5 + C;
  std::vector<float> t(static_cast<size_t>(batch * S * S * D), 0.f);
  for (size_t cell = 0; cell * D < t.size(); ++cell) {
    float* c = &t[cell * D];
    for (int k = 0; k < 4; ++k) c[k] = 0.1f + 0.8f * g.uniform();
    c[4] = g.uniform() < 0.3f ? 1.f : 0.f;
    c[5] = 1.f;
  }
  return {x, from_vector(t, {batch, S, S, D})};
}

struct Result {
  double step_s = 0, backward_s = 0, pack_s = 0, progress_s = 0, wait_s = 0, unpack_s = 0,
         allreduce_s = 0, checksum = 0;
  int64_t grad_bytes = 0;
  size_t buckets = 0;
};

Result run(const std::string& name, int64_t global, const Options& o) {
  BenchNetwork net = make_network(name);
  SGD opt(net.model->parameters(), 1e-4f);
  dist::replicate_from_rank0(net.model->parameters(), net.model->buffers(), &opt);
  int64_t b = dist::per_rank_batch(global, "the " + name + " batch");
  if (o.split > 1) {
    MINIDL_CHECK(global % o.split == 0, "--split ", o.split, " does not divide the ", name,
                 " batch ", global);
    b = global / o.split;
  }
  const Example all = global_batch(net, global);
  const int64_t r = dist::rank();
  const Tensor x = all.input.slice(0, r * b, r * b + b).contiguous();
  const Tensor target = all.target.slice(0, r * b, r * b + b).contiguous();
  dist::GradSync sync(net.model->parameters(),
                      {static_cast<int64_t>(o.bucket_mb * 1024 * 1024), o.overlap, o.views});
  auto step = [&] {
    opt.zero_grad();
    sync.backward(yolo_v1_loss((*net.model)(x), target, net.loss).total);
    opt.step();
  };
  for (int i = 0; i < o.warmup; ++i) step();
  dist::barrier();
  sync.reset_stats();
  const auto t0 = Clock::now();
  for (int i = 0; i < o.steps; ++i) step();
  dist::barrier();
  Result res;
  res.step_s = since(t0) / o.steps;
  const dist::GradSyncStats& st = sync.stats();
  res.backward_s = st.backward_seconds / o.steps;
  res.pack_s = st.pack_seconds / o.steps;
  res.progress_s = st.progress_seconds / o.steps;
  res.wait_s = st.wait_seconds / o.steps;
  res.unpack_s = st.unpack_seconds / o.steps;
  res.buckets = sync.buckets().size();
  for (const auto& [n, p] : net.model->parameters()) {
    res.grad_bytes += p.numel() * static_cast<int64_t>(sizeof(float));
    for (float v : p.to_vector()) res.checksum += std::fabs(v);
  }
  // The all-reduce alone: the same buckets, summed while nothing else runs (median of 5), the way
  // GradSync sums them: started all at once without waiting (overlap on: as backward starts them),
  // or one blocking all-reduce after the other (overlap off: what GradSync::finish does).
  if (dist::world_size() > 1) {
    // A tensor, not a std::vector: its memory comes from minidl's allocator, as the buckets' does
    // (2 MB pages where the system has them). In 4 KB pages, tiny's 108 MB in 1 MB pieces took
    // 1.3-1.5x as long (a plain MPI program, 2 ranks on a 2-core AMD EPYC): it overstated
    // GradSync's cost.
    const Tensor flat = full({res.grad_bytes / 4}, 1.f);
    float* buf = flat.data();
    std::vector<double> times;
    dist::Communicator& comm = dist::communicator();
    for (int i = 0; i < 5; ++i) {
      dist::barrier();
      const auto t1 = Clock::now();
      std::vector<dist::Communicator::Request> reqs;
      int64_t off = 0;  // the buckets one after the other in buf
      for (const dist::Bucket& bk : sync.buckets()) {
        if (o.overlap)
          reqs.push_back(comm.allreduce_sum_async(buf + off, bk.numel));
        else
          comm.allreduce_sum(buf + off, bk.numel);
        off += bk.numel;
      }
      for (auto q : reqs) comm.wait(q);
      times.push_back(since(t1));
    }
    std::sort(times.begin(), times.end());
    res.allreduce_s = times[2];
  }
  return res;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "minidl_bench_dist: images/s of humble and tiny training, alone or under mpirun "
      "(-np N: data-parallel, the same global batch)"};
  Options o;
  app.add_option("--networks", o.networks, "humble and/or tiny")->capture_default_str();
  app.add_option("--humble-batch", o.humble_batch, "humble's global batch")->capture_default_str();
  app.add_option("--tiny-batch", o.tiny_batch, "tiny's global batch")->capture_default_str();
  app.add_option("--steps", o.steps, "timed steps")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_option("--warmup", o.warmup, "untimed steps first")->capture_default_str();
  app.add_option("--threads", o.threads, "CPU threads per process (0: MINIDL_NUM_THREADS or all)")
      ->capture_default_str();
  app.add_option("--bucket-mb", o.bucket_mb, "gradient bucket size, MB")->capture_default_str();
  app.add_flag("!--no-overlap", o.overlap, "start the all-reduces only after backward ends");
  app.add_flag("!--copy-grads", o.views,
               "copy the averaged gradients out of the buckets (gradient_as_bucket_view off)");
  app.add_option("--split", o.split,
                 "run as one of N independent processes (no mpirun, no communication), each on "
                 "global / N images: started N at a time, the machine's ceiling for N x 1")
      ->check(CLI::PositiveNumber);
  app.add_option("--json", o.json, "write one JSON row per network to this file (a list)");
  CLI11_PARSE(app, argc, argv);
  try {
    const dist::World& w = dist::init();
    MINIDL_CHECK(o.split == 1 || w.size == 1, "--split is for processes started without mpirun");
    std::vector<std::string> rows;  // --json
    if (o.threads > 0) set_num_threads(o.threads);
    for (const std::string& name : o.networks) {
      const int64_t global = name == "tiny" ? o.tiny_batch : o.humble_batch;
      const Result r = run(name, global, o);
      if (!dist::is_main()) continue;
      const double ips = global / o.split / r.step_s;  // this process's share when split
      char line[512];
      std::snprintf(
          line, sizeof line,
          "%-6s %d proc x %d thr  batch %lld (%lld/proc)%s  %.1f img/s  step %.1f ms  backward "
          "%.1f ms (pack %.1f, progress %.1f)  all-reduce %.1f ms alone (%.0f%% of a step), %.1f "
          "ms wait after backward "
          "(%.0f%%), %.1f ms unpack (%s), overlap %s, %zu buckets of %.3g MB  checksum %.10g\n",
          name.c_str(), w.size, num_threads(), static_cast<long long>(global),
          static_cast<long long>(global / w.size / o.split),
          o.split > 1 ? "  one of independent processes" : "", ips, 1e3 * r.step_s,
          1e3 * r.backward_s, 1e3 * r.pack_s, 1e3 * r.progress_s, 1e3 * r.allreduce_s,
          100 * r.allreduce_s / r.step_s, 1e3 * r.wait_s, 100 * r.wait_s / r.step_s,
          1e3 * r.unpack_s, o.views ? "views" : "copies", o.overlap ? "on" : "off", r.buckets,
          o.bucket_mb, r.checksum);
      std::fputs(line, stdout);
      std::fflush(stdout);
      if (!o.json.empty()) {
        std::ostringstream row;
        row << "{\"network\": \"" << name << "\", \"processes\": " << w.size
            << ", \"threads\": " << num_threads() << ", \"batch\": " << global
            << ", \"split\": " << o.split << ", \"overlap\": " << (o.overlap ? "true" : "false")
            << ", \"bucket_views\": " << (o.views ? "true" : "false")
            << ", \"images_per_s\": " << ips << ", \"step_ms\": " << 1e3 * r.step_s
            << ", \"backward_ms\": " << 1e3 * r.backward_s << ", \"pack_ms\": " << 1e3 * r.pack_s
            << ", \"progress_ms\": " << 1e3 * r.progress_s
            << ", \"allreduce_alone_ms\": " << 1e3 * r.allreduce_s
            << ", \"wait_after_backward_ms\": " << 1e3 * r.wait_s
            << ", \"unpack_ms\": " << 1e3 * r.unpack_s << ", \"grad_bytes\": " << r.grad_bytes
            << ", \"checksum\": " << r.checksum << "}";
        rows.push_back(row.str());
      }
    }
    if (!o.json.empty() && dist::is_main()) {  // one JSON list, written whole
      std::string text = "[\n";
      for (size_t i = 0; i < rows.size(); ++i)
        text += " " + rows[i] + (i + 1 < rows.size() ? ",\n" : "\n");
      write_file_atomic(o.json, text + "]\n");
    }
    dist::finalize();
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "minidl_bench_dist: %s\n", e.what());
    return 1;
  }
}
