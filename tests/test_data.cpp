// Tests for core/data: TensorDataset rows and errors, DataLoader batch shapes and contents, the
// last partial batch and drop_last, shuffles that repeat per seed and change across epochs, and the
// default batching of a custom Dataset.
#include <algorithm>
#include <functional>
#include <memory>

#include "core/data.h"
#include "support/files.h"
#include "support/helpers.h"

using namespace minidl;
using namespace minidl::test;
using Catch::Matchers::Contains;

namespace {

// N examples: input i is the (2, 3) block 10 i + [0, 1, 2, 3, 4, 5]; target i is i.
std::shared_ptr<TensorDataset> numbered(int64_t N) {
  std::vector<float> x, y;
  for (int64_t i = 0; i < N; ++i) {
    for (int k = 0; k < 6; ++k) x.push_back(10.f * i + k);
    y.push_back(static_cast<float>(i));
  }
  return std::make_shared<TensorDataset>(from_vector(x, {N, 2, 3}), from_vector(y, {N}));
}

// The example indices one epoch visits, read from the targets, checking each batch's input.
std::vector<int64_t> run_epoch(DataLoader& loader, std::vector<int64_t>* batch_sizes = nullptr) {
  std::vector<int64_t> seen;
  for (const Example& batch : loader) {
    const int64_t B = batch.target.size(0);
    if (batch_sizes) batch_sizes->push_back(B);
    REQUIRE(batch.input.shape() == Shape{B, 2, 3});
    const std::vector<float> x = batch.input.to_vector(), y = batch.target.to_vector();
    for (int64_t b = 0; b < B; ++b) {
      seen.push_back(static_cast<int64_t>(y[b]));
      for (int k = 0; k < 6; ++k) REQUIRE(x[b * 6 + k] == 10.f * y[b] + k);
    }
  }
  return seen;
}

bool is_permutation_of_range(std::vector<int64_t> v, int64_t N) {
  std::sort(v.begin(), v.end());
  for (int64_t i = 0; i < N; ++i)
    if (v.size() != size_t(N) || v[i] != i) return false;
  return true;
}

}  // namespace

TEST_CASE("data: TensorDataset rows and shape errors", "[data]") {
  auto ds = numbered(4);
  CHECK(ds->size() == 4);
  Example e = ds->get(2);
  CHECK_CLOSE(e.input, {20, 21, 22, 23, 24, 25}, {2, 3}, 0, 0);
  CHECK_CLOSE(e.target, {2}, {}, 0, 0);
  Example b = ds->get_batch({3, 0, 3});
  CHECK_CLOSE(b.target, {3, 0, 3}, {3}, 0, 0);
  CHECK(b.input.shape() == Shape{3, 2, 3});
  CHECK(b.input.to_vector()[6] == 0.f);
  CHECK_THAT(error_of([&] { ds->get(4); }), Contains("index 4 is out of range for 4 examples"));
  CHECK_THAT(error_of([&] { ds->get_batch({1, -1}); }), Contains("index -1 is out of range"));
  CHECK_THAT(error_of([&] {
               TensorDataset(zeros({3, 2}), zeros({4}));
             }),
             Contains("inputs (3, 2) and targets (4) must share their first axis"));
  CHECK_THAT(error_of([&] { TensorDataset(zeros({3}), scalar(1.f)); }),
             Contains("must share their first axis"));
}

TEST_CASE("data: DataLoader batches in order with a last partial batch", "[data]") {
  DataLoader loader(numbered(10), 4);
  CHECK(loader.size() == 3);
  std::vector<int64_t> sizes;
  std::vector<int64_t> seen = run_epoch(loader, &sizes);
  CHECK(sizes == std::vector<int64_t>{4, 4, 2});
  CHECK(seen == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK(run_epoch(loader) == seen);  // no shuffle: the same order every epoch
  CHECK(loader.epoch() == 2);

  DataLoader one(numbered(3), 5);  // fewer examples than a batch
  sizes.clear();
  run_epoch(one, &sizes);
  CHECK(sizes == std::vector<int64_t>{3});
}

TEST_CASE("data: drop_last skips the partial batch", "[data]") {
  DataLoader loader(numbered(10), 4, false, 0, true);
  CHECK(loader.size() == 2);
  std::vector<int64_t> sizes;
  CHECK(run_epoch(loader, &sizes) == std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7});
  CHECK(sizes == std::vector<int64_t>{4, 4});

  DataLoader none(numbered(3), 5, true, 1, true);
  CHECK(none.size() == 0);
  sizes.clear();
  CHECK(run_epoch(none, &sizes).empty());
  CHECK(sizes.empty());
}

TEST_CASE("data: shuffles repeat for a seed and change across epochs", "[data]") {
  const int64_t N = 50;
  DataLoader a(numbered(N), 8, true, 7), b(numbered(N), 8, true, 7), c(numbered(N), 8, true, 8);
  std::vector<int64_t> sizes;
  const std::vector<int64_t> a0 = run_epoch(a, &sizes), a1 = run_epoch(a), a2 = run_epoch(a);
  CHECK(sizes == std::vector<int64_t>{8, 8, 8, 8, 8, 8, 2});
  CHECK(is_permutation_of_range(a0, N));
  CHECK(is_permutation_of_range(a1, N));
  CHECK(a0 != a1);
  CHECK(a1 != a2);
  std::vector<int64_t> identity(N);
  for (int64_t i = 0; i < N; ++i) identity[i] = i;
  CHECK(a0 != identity);
  // The same seed gives the same sequence of orders; another seed another one.
  CHECK(run_epoch(b) == a0);
  CHECK(run_epoch(b) == a1);
  CHECK(run_epoch(c) != a0);
  // order(e) is what epoch e visits, and set_epoch replays an epoch.
  CHECK(a.order(1) == a1);
  a.set_epoch(1);
  CHECK(run_epoch(a) == a1);
  CHECK(a.epoch() == 2);
  CHECK_THAT(error_of([&] { a.set_epoch(-1); }), Contains("epoch must be >= 0"));
  CHECK_THAT(error_of([&] { DataLoader(numbered(2), 0); }), Contains("batch_size must be >= 1"));
}

TEST_CASE("data: a custom Dataset is batched by stacking its examples", "[data]") {
  // Example i: input [i, -i], target the scalar i * i.
  struct Squares : Dataset {
    int64_t size() const override { return 5; }
    Example get(int64_t i) const override {
      float f = static_cast<float>(i);
      return {from_vector({f, -f}, {2}), scalar(f * f)};
    }
  };
  DataLoader loader(std::make_shared<Squares>(), 2);
  std::vector<Example> batches;
  for (const Example& b : loader) batches.push_back(b);
  REQUIRE(batches.size() == 3);
  CHECK_CLOSE(batches[0].input, {0, 0, 1, -1}, {2, 2}, 0, 0);
  CHECK_CLOSE(batches[0].target, {0, 1}, {2}, 0, 0);
  CHECK_CLOSE(batches[1].input, {2, -2, 3, -3}, {2, 2}, 0, 0);
  CHECK_CLOSE(batches[2].target, {16}, {1}, 0, 0);
}
