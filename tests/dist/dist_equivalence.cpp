// Run by ctest under `mpirun -np N` (tests/dist/CMakeLists.txt): N ranks training the humble
// network (apps/yolo_v1/model.h) with a per-rank batch b must end with the parameters of one
// process training it with batch N x b, after the same number of Adam steps.
//
// The ranks train through minidl::dist (DistributedSampler, GradSync: buckets, overlap); then rank
// 0 trains a fresh copy alone with a plain DataLoader and loss.backward(), which knows nothing of
// dist, and compares every parameter: ||distributed - single|| / ||single|| <= --rtol per tensor.
// Rounding alone can grow past --rtol in 20 Adam steps (a bias whose gradient nearly cancels), so
// rank 0 also trains with each global batch cut as the ranks cut it and the parts' gradients
// accumulated: the distributed runs must match that within --rtol (for N = 2 it is the same
// arithmetic), the whole batch within --rtol after the first step, and after the last within
// --rtol or twice the accumulated run's own distance to it, whichever is larger.
// It does so with overlapping all-reduces and without (--overlap both), and with small buckets so
// that there are several. With overlap it also trains with gradient_as_bucket_view off (means
// copied out of the buckets): for a power-of-two N that must give the same bits (x / N is exact).
// Prints MINIDL_SKIP and exits 0 when not started by an MPI launcher.
#include <minidl/minidl.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "apps/yolo_v1/model.h"
#include "tests/dist/compare.h"

using namespace minidl;

namespace {

struct Options {
  int steps = 20;
  int64_t batch = 4;  // per rank
  int64_t images = 40;
  int64_t bucket_kb = 256;
  double rtol = 1e-5;
  uint64_t seed = 7;
};

// The same random images and regression targets on every rank.
std::shared_ptr<TensorDataset> make_data(const Options& o, const yolo::ModelConfig& cfg) {
  Generator gen(o.seed);
  Tensor x = rand({o.images, 3, cfg.input, cfg.input}, gen);
  Tensor y = rand({o.images, cfg.S, cfg.S, 5 * cfg.B + cfg.C}, gen);
  return std::make_shared<TensorDataset>(x, y);
}

// `steps` Adam steps of the humble network over `data`, the way a training loop is written.
// distributed: this rank's share of each global batch and GradSync. Else in one process: the
// whole global batch from a DataLoader and loss.backward(), or (accumulate) each global batch cut
// as the ranks cut it, each part's loss / N backward in turn into the same gradients.
std::vector<NamedTensor> copies(const std::vector<NamedTensor>& params) {
  std::vector<NamedTensor> out;
  for (const auto& [name, p] : params) out.emplace_back(name, p.detach().clone());
  return out;
}

// first: the parameters after the first step, when not null.
std::vector<NamedTensor> train(const Options& o, const std::shared_ptr<TensorDataset>& data,
                               bool distributed, bool overlap, bool views,
                               dist::GradSyncStats* stats, bool accumulate = false,
                               std::vector<NamedTensor>* first = nullptr) {
  const yolo::ModelConfig cfg = yolo::reference_config("humble", 3);
  Generator init(o.seed + 1);
  auto model = yolo::make_model(cfg, init);
  Adam adam(model->parameters(), 1e-3f);
  const int64_t global = o.batch * dist::world_size();
  int step = 0;
  if (distributed) {
    dist::replicate_from_rank0(model->parameters(), model->buffers(), &adam);
    dist::GradSync sync(model->parameters(), {o.bucket_kb * 1024, overlap, views});
    dist::DistributedSampler sampler(data->size(), dist::rank(), dist::world_size(), true, o.seed);
    for (int64_t epoch = 0; step < o.steps; ++epoch)
      for (const auto& idx : sampler.batches(epoch, o.batch)) {
        if (step++ == o.steps) break;
        const Example b = data->get_batch(idx);
        adam.zero_grad();
        sync.backward(mse_loss((*model)(b.input), b.target));
        adam.step();
        if (step == 1 && first) *first = copies(model->parameters());
      }
    *stats = sync.stats();
    if (dist::is_main())
      std::printf("  %zu buckets of at least %lld KB\n", sync.buckets().size(),
                  static_cast<long long>(o.bucket_kb));
  } else if (!accumulate) {
    DataLoader loader(data, global, true, o.seed);
    while (step < o.steps)
      for (const Example& b : loader) {
        if (step++ == o.steps) break;
        adam.zero_grad();
        mse_loss((*model)(b.input), b.target).backward();
        adam.step();
        if (step == 1 && first) *first = copies(model->parameters());
      }
  } else {  // each global batch as the ranks split it, their mean loss's gradients accumulated
    const int n = dist::world_size();
    std::vector<dist::DistributedSampler> parts;
    for (int r = 0; r < n; ++r) parts.emplace_back(data->size(), r, n, true, o.seed);
    for (int64_t epoch = 0; step < o.steps; ++epoch) {
      std::vector<std::vector<std::vector<int64_t>>> batches;
      for (const auto& part : parts) batches.push_back(part.batches(epoch, o.batch));
      for (size_t k = 0; k < batches[0].size(); ++k) {
        if (step++ == o.steps) break;
        adam.zero_grad();
        for (int r = 0; r < n; ++r) {
          const Example b = data->get_batch(batches[r][k]);
          (mse_loss((*model)(b.input), b.target) * (1.f / static_cast<float>(n))).backward();
        }
        adam.step();
        if (step == 1 && first) *first = copies(model->parameters());
      }
    }
  }
  return model->parameters();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "dist_equivalence: N ranks with batch b give the parameters of 1 process with "
      "batch N x b (run under mpirun)"};
  Options o;
  std::string overlap = "both";
  app.add_option("--steps", o.steps, "Adam steps")->capture_default_str();
  app.add_option("--batch", o.batch, "per-rank batch")->capture_default_str();
  app.add_option("--images", o.images, "dataset size")->capture_default_str();
  app.add_option("--bucket-kb", o.bucket_kb, "GradSync bucket size")->capture_default_str();
  app.add_option("--rtol", o.rtol, "largest relative difference per tensor")->capture_default_str();
  app.add_option("--overlap", overlap, "on, off or both")
      ->capture_default_str()
      ->check(CLI::IsMember({"on", "off", "both"}));
  CLI11_PARSE(app, argc, argv);
  if (!dist::launched_by_mpi()) {
    std::printf("MINIDL_SKIP: not started by mpirun\n");
    return 0;
  }
  try {
    dist::init();
    set_num_threads(1);
    const auto data = make_data(o, yolo::reference_config("humble", 3));
    struct Run {
      bool overlap, views;
      std::vector<NamedTensor> params, first;  // after all steps, after the first
    };
    std::vector<Run> runs;
    for (auto [ov, views] : {std::pair{true, true}, {false, true}, {true, false}}) {
      if ((ov && overlap == "off") || (!ov && overlap == "on")) continue;
      dist::GradSyncStats st;
      Run run{ov, views, {}, {}};
      run.params = train(o, data, true, ov, views, &st, false, &run.first);
      runs.push_back(std::move(run));
      if (dist::is_main())
        std::printf(
            "  overlap %s, gradients %s: %lld steps, backward %.3fs, all-reduce wait after "
            "backward %.3fs, unpack %.3fs, %lld bytes per rank\n",
            ov ? "on" : "off", views ? "as bucket views" : "copied out",
            static_cast<long long>(st.steps), st.backward_seconds, st.wait_seconds,
            st.unpack_seconds, static_cast<long long>(st.bytes));
    }
    int failed = 0;
    if (dist::is_main()) {
      dist::GradSyncStats unused;
      std::vector<NamedTensor> single_first;
      const auto single = train(o, data, false, false, false, &unused, false, &single_first);
      const auto accumulated = train(o, data, false, false, false, &unused, true);
      // float32's own noise on this trajectory: the same steps, the gradients summed in another
      // order. Adam divides each gradient by its running size, so where a gradient nearly cancels
      // over the batch its rounding shows in the update; 20 steps can grow that past 1e-5.
      const auto [noise, noise_name] = dist_test::worst(accumulated, single);
      const double tol = std::max(o.rtol, 2 * noise);
      std::printf(
          "1 process, batch %lld in %d parts accumulated vs whole: largest relative difference "
          "%.3g (%s), so the bound against the whole batch is max(%.3g, 2 x that) = %.3g\n",
          static_cast<long long>(o.batch * dist::world_size()), dist::world_size(), noise,
          noise_name.c_str(), o.rtol, tol);
      for (const Run& r : runs) {
        const auto [rel, name] = dist_test::worst(r.params, single);
        const auto [rel_acc, name_acc] = dist_test::worst(r.params, accumulated);
        // After one step Adam has had no time to grow rounding: the whole batch within --rtol
        // (this catches what the ranks and the accumulated run would share, e.g. the batches).
        const auto [rel_1, name_1] = dist_test::worst(r.first, single_first);
        const bool ok = rel <= tol && rel_acc <= o.rtol && rel_1 <= o.rtol;
        failed += !ok;
        std::printf(
            "%d ranks x batch %lld vs 1 process x batch %lld after %d Adam steps "
            "(overlap %s, gradients %s): largest relative difference %.3g (%s) %s %.3g, against "
            "the parts accumulated %.3g (%s) %s %.3g: %s\n",
            dist::world_size(), static_cast<long long>(o.batch),
            static_cast<long long>(o.batch * dist::world_size()), o.steps, r.overlap ? "on" : "off",
            r.views ? "as bucket views" : "copied out", rel, name.c_str(), rel <= tol ? "<=" : ">",
            tol, rel_acc, name_acc.c_str(), rel_acc <= o.rtol ? "<=" : ">", o.rtol,
            ok ? "PASS" : "FAIL");
        std::printf("  after the first step: largest relative difference %.3g (%s) %s %.3g\n",
                    rel_1, name_1.c_str(), rel_1 <= o.rtol ? "<=" : ">", o.rtol);
      }
      // Bucket views against copied-out means, both with overlap: the same bits for N = 2^k.
      const int n = dist::world_size();
      const Run* views = nullptr;
      const Run* copied = nullptr;
      for (const Run& r : runs)
        if (r.overlap) (r.views ? views : copied) = &r;
      if (views && copied && (n & (n - 1)) == 0) {
        const auto [rel, name] = dist_test::worst(views->params, copied->params);
        const bool ok = rel == 0;
        failed += !ok;
        std::printf(
            "gradients as bucket views vs copied out (%d ranks, a power of two): largest "
            "relative difference %.3g (%s), must be 0: %s\n",
            n, rel, name.c_str(), ok ? "PASS" : "FAIL");
      }
    }
    std::vector<float> f = {static_cast<float>(failed)};
    dist::allreduce_sum(f);  // every rank exits with the verdict
    dist::finalize();
    return f[0] > 0 ? 1 : 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dist_equivalence: %s\n", e.what());
    return 2;
  }
}
