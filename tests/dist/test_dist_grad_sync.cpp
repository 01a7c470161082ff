// The autograd hook that data-parallel training rests on (set_leaf_grad_hook), GradSync over a
// fake two-rank communicator (in one process, no MPI), and the world of one that init() makes
// without a launcher. Expected values are worked out by hand in the comments.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/minidl.h"

using namespace minidl;

namespace {

// loss = sum(x w1 w2) with x = ones(4, 3), w1 = [[1, 2], [3, 4], [5, 6]], w2 = [[1], [-1]]:
// every row of x w1 is [9, 12], so dL/dw2 = 4 [9, 12] = [36, 48]; dL/dw1[i][j] = 4 w2[j] =
// [4, -4] in each row.
struct Chain {
  Tensor x = ones({4, 3});
  Tensor w1 = from_vector({1, 2, 3, 4, 5, 6}, {3, 2}).requires_grad_();
  Tensor w2 = from_vector({1, -1}, {2, 1}).requires_grad_();
  Tensor loss() const { return matmul(matmul(x, w1), w2).sum(); }
};

}  // namespace

TEST_CASE("dist: the autograd leaf hook fires once per leaf, when its gradient is final",
          "[dist]") {
  Chain c;
  std::vector<std::pair<std::string, std::vector<float>>> seen;
  LeafGradHook previous = set_leaf_grad_hook([&](const Tensor& leaf) {
    seen.emplace_back(leaf.is_same(c.w1) ? "w1" : "w2", leaf.grad().to_vector());
  });
  CHECK(!previous);  // none was set
  c.loss().backward();
  // w2 is used last in forward, so backward finishes it first.
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == std::make_pair(std::string("w2"), std::vector<float>{36, 48}));
  CHECK(seen[1] == std::make_pair(std::string("w1"), std::vector<float>{4, -4, 4, -4, 4, -4}));

  // A leaf used twice fires once, after both uses: d/dw [sum(w x) + sum(w w)] = x + 2 w, with
  // w = [1, 2] and x = [3, 4] that is [5, 8].
  seen.clear();
  Tensor w = from_vector({1, 2}, {2}).requires_grad_();
  Tensor x = from_vector({3, 4}, {2});
  ((w * x).sum() + (w * w).sum()).backward();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].second == std::vector<float>{5, 8});

  // Restoring the previous (empty) hook turns it off.
  set_leaf_grad_hook(std::move(previous));
  Chain d;
  d.loss().backward();
  CHECK(seen.size() == 1);
}

namespace {

// Two ranks in one process: this one is rank 0; the other rank's gradient is 1 in every element,
// added when an all-reduce starts: as 1, or as 1 / 2 when `scaled` (gradient_as_bucket_view: each
// rank packs its gradient / N, so the sum is the mean). Records what it was asked, and whether w1's
// gradient existed when each all-reduce started (it does not while backward is still running).
class FakeTwoRanks : public dist::Communicator {
 public:
  explicit FakeTwoRanks(const Tensor& w1, bool scaled) : w1_(w1), other_(scaled ? 0.5f : 1.f) {}
  int rank() const override { return 0; }
  int size() const override { return 2; }
  std::string name() const override { return "fake"; }
  Request allreduce_sum_async(float* data, int64_t count) override {
    if (static_cast<int>(started.size()) == throw_at) throw Error("fake: the link is down");
    for (int64_t i = 0; i < count; ++i) data[i] += other_;
    started.push_back({count, w1_.grad().defined()});
    return static_cast<Request>(started.size() - 1);
  }
  void allreduce_sum(float* data, int64_t count) override {
    ++blocking;
    wait(allreduce_sum_async(data, count));
  }
  bool test(Request) override { return true; }
  void wait(Request r) override { waited.push_back(r); }
  void broadcast(void*, int64_t, int) override {}
  void barrier() override {}

  struct Start {
    int64_t count;
    bool w1_done;
  };
  std::vector<Start> started;
  std::vector<Request> waited;
  int blocking = 0;   // all-reduces asked for by the blocking call
  int throw_at = -1;  // the all-reduce (counted from 0) that throws instead

 private:
  Tensor w1_;
  float other_;
};

}  // namespace

TEST_CASE("dist: GradSync averages bucket by bucket, starting them during backward", "[dist]") {
  for (bool overlap : {true, false})
    for (bool views : {true, false}) {
      Chain c;
      Tensor unused = zeros({2}).requires_grad_();  // backward never reaches it
      FakeTwoRanks comm(c.w1, views);
      // bucket_bytes 1: every parameter closes its own bucket, from the last: unused, w2, w1.
      dist::GradSync sync({c.w1, c.w2, unused}, {1, overlap, views}, &comm);
      REQUIRE(sync.buckets().size() == 3);
      sync.backward(c.loss());
      // Means of this rank's gradient and the other's ones: (g + 1) / 2.
      CHECK(c.w2.grad().to_vector() == std::vector<float>{18.5f, 24.5f});
      CHECK(c.w1.grad().to_vector() == std::vector<float>{2.5f, -1.5f, 2.5f, -1.5f, 2.5f, -1.5f});
      CHECK(unused.grad().to_vector() == std::vector<float>{0.5f, 0.5f});  // (0 + 1) / 2
      // Started in bucket order: unused (2 floats), w2 (2), w1 (6); all waited for.
      REQUIRE(comm.started.size() == 3);
      CHECK(comm.started[0].count == 2);
      CHECK(comm.started[2].count == 6);
      CHECK(comm.waited == std::vector<dist::Communicator::Request>{0, 1, 2});
      // Buckets start in order (the same on every rank), and bucket 0 (`unused`) is only packed
      // when backward ends: so here even with overlap every bucket starts after backward.
      CHECK(comm.started[1].w1_done);
      CHECK(sync.stats().steps == 1);
      CHECK(sync.stats().bytes == (2 + 2 + 6) * 4);
      CHECK(sync.stats().pack_seconds > 0);  // three parameters were packed
      sync.reset_stats();
      CHECK(sync.stats().pack_seconds == 0);
    }
  for (bool overlap : {true, false}) {
    Chain c;
    FakeTwoRanks comm(c.w1, true);
    dist::GradSync sync({c.w1, c.w2}, {1, overlap}, &comm);
    sync.backward(c.loss());
    REQUIRE(comm.started.size() == 2);
    // With overlap, w2's all-reduce starts before backward has computed w1's gradient.
    CHECK(comm.started[0].w1_done == !overlap);
    CHECK(comm.started[1].w1_done);
    // The last bucket (w1's) takes the blocking call even with overlap: nothing is left to hide it.
    CHECK(comm.blocking == (overlap ? 1 : 2));
    CHECK(c.w2.grad().to_vector() == std::vector<float>{18.5f, 24.5f});
  }
}

TEST_CASE("dist: GradSync leaves the gradients as views of its buckets, or copies them out",
          "[dist]") {
  for (bool views : {true, false}) {
    CAPTURE(views);
    Chain c;
    Tensor unused = zeros({2}).requires_grad_();  // backward never reaches it
    FakeTwoRanks comm(c.w1, views);
    // One bucket of everything: unused (2 floats), w2 (2), w1 (6), in that order.
    dist::GradSyncOptions options;  // 25 MB buckets, overlap
    options.gradient_as_bucket_view = views;
    dist::GradSync sync({c.w1, c.w2, unused}, options, &comm);
    REQUIRE(sync.buckets().size() == 1);
    sync.backward(c.loss());
    const Tensor g1 = c.w1.grad(), g2 = c.w2.grad(), gu = unused.grad();
    // Views: three slices of one storage, at their offsets in the bucket; else each its own.
    CHECK((g1.storage() == g2.storage()) == views);
    CHECK((g2.storage() == gu.storage()) == views);
    if (views) {
      CHECK(gu.offset() == 0);
      CHECK(g2.offset() == 2);
      CHECK(g1.offset() == 4);
    }
    CHECK(g1.shape() == Shape{3, 2});
    CHECK(g2.shape() == Shape{2, 1});
    // Writing into one gradient (clipping in place) leaves the others alone.
    g2.fill_(0.f);
    CHECK(g1.to_vector() == std::vector<float>{2.5f, -1.5f, 2.5f, -1.5f, 2.5f, -1.5f});
    CHECK(gu.to_vector() == std::vector<float>{0.5f, 0.5f});
    // A second pass without zero_grad accumulates into what is there, as a plain backward does:
    // w2 = [0, 0] + [36, 48], w1 = [2.5, -1.5] + [4, -4]; `unused` keeps its 0.5; each then
    // averaged with the other rank's 1. That reads the views before the pass overwrites them.
    sync.backward(c.loss());
    CHECK(c.w2.grad().to_vector() == std::vector<float>{18.5f, 24.5f});
    CHECK(c.w1.grad().to_vector() ==
          std::vector<float>{3.75f, -2.25f, 3.75f, -2.25f, 3.75f, -2.25f});
    CHECK(unused.grad().to_vector() == std::vector<float>{0.75f, 0.75f});
    // zero_grad drops the views; the next pass fills the same buckets again.
    c.w1.zero_grad(), c.w2.zero_grad(), unused.zero_grad();
    sync.backward(c.loss());
    CHECK(c.w2.grad().to_vector() == std::vector<float>{18.5f, 24.5f});
    CHECK(unused.grad().to_vector() == std::vector<float>{0.5f, 0.5f});
    CHECK((c.w2.grad().storage() == g2.storage()) == views);
  }
}

TEST_CASE("dist: a GradSync backward that throws leaves no gradient viewing a bucket", "[dist]") {
  Chain c;
  Tensor unused = zeros({2}).requires_grad_();
  FakeTwoRanks comm(c.w1, true);
  dist::GradSync sync({c.w1, c.w2, unused}, {1, true}, &comm);  // a bucket each, views
  sync.backward(c.loss());
  const Tensor g1 = c.w1.grad(), g2 = c.w2.grad(), gu = unused.grad();
  // Without zero_grad, the second pass packs `unused`'s view (its last mean) in place when
  // backward ends, then its all-reduce throws.
  comm.throw_at = 3;
  CHECK_THROWS_WITH(sync.backward(c.loss()), Catch::Contains("the link is down"));
  // `unused` showed its bucket: dropped. w1 and w2 hold this pass's gradients (own memory).
  CHECK_FALSE(unused.grad().defined());
  REQUIRE(c.w1.grad().defined());
  CHECK(c.w1.grad().storage() != g1.storage());
  CHECK(c.w2.grad().storage() != g2.storage());
  // The next pass works again and gives the means of this one's gradients.
  comm.throw_at = -1;
  c.w1.zero_grad(), c.w2.zero_grad();
  sync.backward(c.loss());
  CHECK(c.w2.grad().to_vector() == std::vector<float>{18.5f, 24.5f});
  CHECK(unused.grad().to_vector() == std::vector<float>{0.5f, 0.5f});
  CHECK(unused.grad().storage() == gu.storage());
}

TEST_CASE("dist: without a launcher the world is one process", "[dist]") {
  REQUIRE_FALSE(dist::launched_by_mpi());  // ctest runs this test without mpirun
  const dist::World& w = dist::init();
  CHECK(w.rank == 0);
  CHECK(w.size == 1);
  CHECK(dist::is_main());
  CHECK(dist::communicator().name() == "local");
  CHECK(dist::per_rank_batch(10, "--batch") == 10);
  // GradSync is plain backward: the Chain's gradients, unscaled.
  Chain c;
  dist::GradSync sync({c.w1, c.w2});
  sync.backward(c.loss());
  CHECK(c.w2.grad().to_vector() == std::vector<float>{36, 48});
  std::vector<float> v = {1.5f, 2.f};
  dist::allreduce_sum(v);
  CHECK(v == std::vector<float>{1.5f, 2.f});
  dist::check_same_model({{"w1", c.w1}});  // nothing to compare with
  dist::finalize();
  CHECK_FALSE(dist::initialized());
  dist::init();  // a world of one may start again
  dist::finalize();
}

TEST_CASE("dist: srun's several tasks without an MPI plugin stop with an error", "[dist]") {
  REQUIRE_FALSE(dist::launched_by_mpi());
  REQUIRE_FALSE(dist::initialized());
  const char* before = std::getenv("SLURM_STEP_NUM_TASKS");
  const std::string saved = before ? before : "";
  // `srun -n 2` with MpiDefault=none: Slurm's variables, none of PMIx or PMI.
  ::setenv("SLURM_STEP_NUM_TASKS", "2", 1);
  CHECK_THROWS_WITH(dist::init(),
                    Catch::Contains("one of 2 tasks") && Catch::Contains("srun --mpi=pmix"));
  CHECK_FALSE(dist::initialized());
  // One task (`srun -n 1`, or a job step of one) is a world of one.
  ::setenv("SLURM_STEP_NUM_TASKS", "1", 1);
  CHECK(dist::init().size == 1);
  dist::finalize();
  if (before) {
    ::setenv("SLURM_STEP_NUM_TASKS", saved.c_str(), 1);
  } else {
    ::unsetenv("SLURM_STEP_NUM_TASKS");
  }
}
