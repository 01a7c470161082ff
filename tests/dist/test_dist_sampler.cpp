// DistributedSampler and plan_buckets (core/dist.h): pure functions of their arguments, tested
// without MPI. Expected values are worked out by hand in the comments.
#include <catch2/catch.hpp>
#include <set>

#include "core/minidl.h"

using namespace minidl;
using dist::DistributedSampler;
using dist::Tail;

TEST_CASE("dist: sampler without shuffle deals positions round-robin, padding by wrapping",
          "[dist]") {
  // 10 examples, 3 ranks, Pad: ceil(10/3) = 4 each, 12 positions; positions 10 and 11 wrap to
  // examples 0 and 1. Rank r takes positions r, r+3, r+6, r+9.
  const std::vector<std::vector<int64_t>> expected = {{0, 3, 6, 9}, {1, 4, 7, 0}, {2, 5, 8, 1}};
  for (int r = 0; r < 3; ++r) {
    DistributedSampler s(10, r, 3, false, 0, Tail::Pad);
    CHECK(s.per_rank() == 4);
    CHECK(s.indices(0) == expected[r]);
  }
}

TEST_CASE("dist: sampler with Tail::Drop leaves out the remainder", "[dist]") {
  // floor(10/3) = 3 each: positions 0..8; example 9 is not visited this epoch.
  const std::vector<std::vector<int64_t>> expected = {{0, 3, 6}, {1, 4, 7}, {2, 5, 8}};
  for (int r = 0; r < 3; ++r) {
    DistributedSampler s(10, r, 3, false, 0, Tail::Drop);
    CHECK(s.per_rank() == 3);
    CHECK(s.indices(0) == expected[r]);
  }
}

TEST_CASE("dist: shuffled shards are disjoint, cover the data and share one permutation",
          "[dist]") {
  const int64_t n = 24;
  for (int world : {1, 2, 3, 4}) {
    for (int64_t epoch : {0, 1, 5}) {
      std::multiset<int64_t> all;
      for (int r = 0; r < world; ++r) {
        DistributedSampler s(n, r, world, true, 42);
        // Every rank sees the same permutation for (seed, epoch): a single-process DataLoader's.
        auto ds = std::make_shared<TensorDataset>(zeros({n, 1}), zeros({n}));
        CHECK(s.order(epoch) == DataLoader(ds, 1, true, 42).order(epoch));
        for (int64_t i : s.indices(epoch)) all.insert(i);
      }
      // 24 is a multiple of every world size here: each example exactly once.
      std::multiset<int64_t> once;
      for (int64_t i = 0; i < n; ++i) once.insert(i);
      CHECK(all == once);
    }
  }
  DistributedSampler s(n, 0, 2, true, 42);
  CHECK(s.order(0) != s.order(1));  // a new shuffle every epoch
  CHECK(s.order(3) == DistributedSampler(n, 1, 2, true, 42).order(3));
  CHECK(s.order(3) != DistributedSampler(n, 0, 2, true, 43).order(3));  // another seed
}

TEST_CASE("dist: batch k of all ranks is the single-process global batch k", "[dist]") {
  // 20 examples, 2 ranks, per-rank batch 3: global batch 6, ceil(20/6) = 4 steps; per rank 10
  // examples in batches of 3, 3, 3, 1. Global batch 3 holds positions 18 and 19 only.
  const int64_t n = 20, b = 3;
  DistributedSampler r0(n, 0, 2, true, 9), r1(n, 1, 2, true, 9);
  const std::vector<int64_t> order = r0.order(2);
  const auto b0 = r0.batches(2, b), b1 = r1.batches(2, b);
  REQUIRE(b0.size() == 4);
  REQUIRE(b1.size() == 4);
  CHECK(r0.num_batches(b) == 4);
  for (size_t k = 0; k < 4; ++k) {
    std::set<int64_t> got(b0[k].begin(), b0[k].end());
    got.insert(b1[k].begin(), b1[k].end());
    std::set<int64_t> want;
    for (size_t p = 6 * k; p < std::min<size_t>(6 * k + 6, n); ++p) want.insert(order[p]);
    CHECK(got == want);
    CHECK(b0[k].size() == b1[k].size());  // the ranks' batches weigh the same
  }
  CHECK(b0[3].size() == 1);
}

TEST_CASE("dist: with Pad the number of steps is the single process's", "[dist]") {
  // ceil(ceil(n / w) / b) == ceil(n / (w b)) for every n, w, b (nested ceilings).
  for (int64_t n = 1; n <= 40; ++n)
    for (int w = 1; w <= 5; ++w)
      for (int64_t b = 1; b <= 4; ++b)
        CHECK(DistributedSampler(n, 0, w, true, 1).num_batches(b) == (n + w * b - 1) / (w * b));
}

TEST_CASE("dist: sampler errors name the problem", "[dist]") {
  CHECK_THROWS_WITH(DistributedSampler(10, 3, 3), Catch::Contains("rank 3 is outside"));
  CHECK_THROWS_WITH(DistributedSampler(10, 0, 0), Catch::Contains("world size must be >= 1"));
  CHECK_THROWS_WITH(DistributedSampler(2, 0, 3, true, 0, Tail::Drop),
                    Catch::Contains("2 examples cannot be shared by 3 ranks"));
  CHECK_THROWS_WITH(DistributedSampler(10, 0, 2).batches(0, 0), Catch::Contains("batch must be"));
}

TEST_CASE("dist: buckets fill from the last parameter, closing at the size limit", "[dist]") {
  // Sizes 10, 20, 30, 40 floats, limit 200 bytes (50 floats). From the last: 40 (160 bytes,
  // open), + 30 = 70 floats = 280 bytes >= 200: closed {3, 2}. Then 20 + 10 = 30 floats = 120
  // bytes: the last bucket {1, 0}.
  const auto b = dist::plan_buckets({10, 20, 30, 40}, 200);
  REQUIRE(b.size() == 2);
  CHECK(b[0].params == std::vector<size_t>{3, 2});
  CHECK(b[0].offsets == std::vector<int64_t>{0, 40});
  CHECK(b[0].numel == 70);
  CHECK(b[1].params == std::vector<size_t>{1, 0});
  CHECK(b[1].offsets == std::vector<int64_t>{0, 20});
  CHECK(b[1].numel == 30);
  // {5, 100, 50} floats, same limit: 50 floats = 200 bytes closes a bucket at once; 100 floats
  // (400 bytes) over the limit gets one of its own; the 5 left form the last bucket.
  const auto big = dist::plan_buckets({5, 100, 50}, 200);
  REQUIRE(big.size() == 3);
  CHECK(big[0].params == std::vector<size_t>{2});
  CHECK(big[1].params == std::vector<size_t>{1});
  CHECK(big[2].params == std::vector<size_t>{0});
  // A limit above the total: one bucket, in reverse order, offsets the running sums 0, 30, 50.
  const auto one = dist::plan_buckets({10, 20, 30}, 25ll << 20);
  REQUIRE(one.size() == 1);
  CHECK(one[0].params == std::vector<size_t>{2, 1, 0});
  CHECK(one[0].offsets == std::vector<int64_t>{0, 30, 50});
  CHECK_THROWS_WITH(dist::plan_buckets({1}, 0), Catch::Contains("bucket_bytes must be >= 1"));
}
