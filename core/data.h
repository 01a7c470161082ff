// Datasets and batching: a Dataset interface (size, get), TensorDataset over an inputs tensor and a
// targets tensor that share their first axis, and a DataLoader that yields shuffled, stacked
// mini-batches in a range-for, reshuffling every epoch deterministically from its seed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace minidl {

/// One example, or a batch of them (then both tensors have the batch as their first axis).
struct Example {
  Tensor input;
  Tensor target;
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  /// Number of examples.
  virtual int64_t size() const = 0;
  /// Example i. Requires 0 <= i < size(); throws minidl::Error naming the index otherwise.
  virtual Example get(int64_t i) const = 0;
  /// The examples at `indices` (non-empty, each in range, repeats allowed) stacked along a new
  /// first axis: input (B, ...), target (B, ...). The default stacks get(i) for each index
  /// (minidl::stack: every example must have the same shapes); datasets override it when they can
  /// gather faster.
  virtual Example get_batch(const std::vector<int64_t>& indices) const;
};

/// Examples i = (inputs[i], targets[i]) from two tensors that share their first axis (images (N,
/// C, H, W) and labels (N), say). The tensors are held detached (no gradient flows to them).
class TensorDataset : public Dataset {
 public:
  /// Requires both tensors defined, with at least one axis, the same size along axis 0, and on
  /// the same device; throws minidl::Error with both shapes otherwise.
  TensorDataset(const Tensor& inputs, const Tensor& targets);
  int64_t size() const override { return inputs_.size(0); }
  /// Views of row i (no copy): inputs.select(0, i), targets.select(0, i).
  Example get(int64_t i) const override;
  /// Gathers the rows into new contiguous tensors (row copies on the CPU).
  Example get_batch(const std::vector<int64_t>& indices) const override;
  const Tensor& inputs() const { return inputs_; }
  const Tensor& targets() const { return targets_; }

 private:
  Tensor inputs_, targets_;  // contiguous, detached
};

/// Mini-batches over a dataset, for range-for:
///   DataLoader loader(std::make_shared<TensorDataset>(x, y), 64, true, seed);
///   for (int epoch = 0; epoch < E; ++epoch)
///     for (const Example& batch : loader) { ... batch.input (B, ...), batch.target (B, ...) ... }
/// Each begin() starts the next epoch (the first is epoch 0). With shuffle the order of epoch e
/// is a permutation drawn from a Generator seeded by (seed, e) alone: the same seed gives the same
/// sequence of orders on every run and platform, and successive epochs differ. Without shuffle
/// the order is 0, 1, ..., N-1 every epoch. Batches hold batch_size examples, except the last,
/// which holds the remainder unless drop_last (then the remainder is skipped).
class DataLoader {
 public:
  /// Requires a non-null dataset and batch_size >= 1.
  DataLoader(std::shared_ptr<const Dataset> dataset, int64_t batch_size, bool shuffle = false,
             uint64_t seed = 0, bool drop_last = false);

  class Iterator {
   public:
    using value_type = Example;
    using difference_type = std::ptrdiff_t;
    /// The current batch (gathered on first access, then kept until ++).
    const Example& operator*() const;
    const Example* operator->() const { return &**this; }
    Iterator& operator++();
    bool operator==(const Iterator& other) const { return batch_ == other.batch_; }

   private:
    friend class DataLoader;
    Iterator(const DataLoader* loader, std::shared_ptr<const std::vector<int64_t>> order,
             int64_t batch)
        : loader_(loader), order_(std::move(order)), batch_(batch) {}
    const DataLoader* loader_;
    std::shared_ptr<const std::vector<int64_t>> order_;
    int64_t batch_;
    mutable Example current_;
    mutable bool loaded_ = false;
  };

  /// Starts the next epoch: fixes its order and returns an iterator at its first batch.
  Iterator begin();
  Iterator end() const { return Iterator(this, nullptr, size()); }

  /// Batches per epoch: ceil(N / batch_size), or floor(N / batch_size) with drop_last.
  int64_t size() const;
  /// The epoch the next begin() starts.
  int64_t epoch() const { return epoch_; }
  /// Makes the next begin() start epoch e (e >= 0), to resume a run where it stopped.
  void set_epoch(int64_t e);
  /// The order in which epoch e visits the examples (what begin() uses).
  std::vector<int64_t> order(int64_t e) const;
  const Dataset& dataset() const { return *dataset_; }
  int64_t batch_size() const { return batch_size_; }

 private:
  std::shared_ptr<const Dataset> dataset_;
  int64_t batch_size_;
  bool shuffle_;
  uint64_t seed_;
  bool drop_last_;
  int64_t epoch_ = 0;
};

}  // namespace minidl
