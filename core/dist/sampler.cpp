// DistributedSampler (core/dist.h): each rank's share of an epoch, from DataLoader's own
// permutation so that a world of one visits the examples exactly as a DataLoader does.
#include "core/data.h"
#include "core/dist.h"
#include "core/error.h"

namespace minidl::dist {

namespace {

// A dataset of `n` examples that are never read: DataLoader::order() needs only its size.
class IndexOnly : public Dataset {
 public:
  explicit IndexOnly(int64_t n) : n_(n) {}
  int64_t size() const override { return n_; }
  Example get(int64_t) const override {
    throw Error("DistributedSampler: internal dataset of indices only");
  }

 private:
  int64_t n_;
};

}  // namespace

DistributedSampler::DistributedSampler(int64_t size, int rank, int world, bool shuffle,
                                       uint64_t seed, Tail tail)
    : size_(size), rank_(rank), world_(world), shuffle_(shuffle), seed_(seed), tail_(tail) {
  MINIDL_CHECK(world >= 1, "DistributedSampler: the world size must be >= 1, got ", world);
  MINIDL_CHECK(rank >= 0 && rank < world, "DistributedSampler: rank ", rank,
               " is outside the world of ", world);
  MINIDL_CHECK(size >= 1, "DistributedSampler: the dataset is empty");
  MINIDL_CHECK(per_rank() >= 1, "DistributedSampler: ", size, " examples cannot be shared by ",
               world, " ranks when the remainder is dropped (each would get none)");
}

int64_t DistributedSampler::per_rank() const {
  return tail_ == Tail::Pad ? (size_ + world_ - 1) / world_ : size_ / world_;
}

std::vector<int64_t> DistributedSampler::order(int64_t epoch) const {
  MINIDL_CHECK(epoch >= 0, "DistributedSampler: epoch must be >= 0, got ", epoch);
  return DataLoader(std::make_shared<IndexOnly>(size_), 1, shuffle_, seed_).order(epoch);
}

std::vector<int64_t> DistributedSampler::indices(int64_t epoch) const {
  const std::vector<int64_t> ord = order(epoch);
  const int64_t total = per_rank() * world_;  // padded up or cut down to a multiple of world
  std::vector<int64_t> mine;
  mine.reserve(static_cast<size_t>(per_rank()));
  for (int64_t pos = rank_; pos < total; pos += world_)
    mine.push_back(ord[static_cast<size_t>(pos % size_)]);  // pos >= size: wrapped to the start
  return mine;
}

std::vector<std::vector<int64_t>> DistributedSampler::batches(int64_t epoch, int64_t batch) const {
  MINIDL_CHECK(batch >= 1, "DistributedSampler: batch must be >= 1, got ", batch);
  const std::vector<int64_t> mine = indices(epoch);
  std::vector<std::vector<int64_t>> out;
  for (size_t start = 0; start < mine.size(); start += static_cast<size_t>(batch)) {
    const size_t stop = std::min(mine.size(), start + static_cast<size_t>(batch));
    out.emplace_back(mine.begin() + static_cast<std::ptrdiff_t>(start),
                     mine.begin() + static_cast<std::ptrdiff_t>(stop));
  }
  return out;
}

int64_t DistributedSampler::num_batches(int64_t batch) const {
  MINIDL_CHECK(batch >= 1, "DistributedSampler: batch must be >= 1, got ", batch);
  return (per_rank() + batch - 1) / batch;
}

}  // namespace minidl::dist
