// Dataset's default batching, TensorDataset (row views and row gathers) and DataLoader (epoch
// orders from a seeded Fisher-Yates shuffle, batches gathered on demand).
#include "core/data.h"

#include <algorithm>
#include <cstring>

#include "core/autograd.h"
#include "core/error.h"
#include "core/ops/shape.h"
#include "core/random.h"

namespace minidl {

// ---- Dataset ----------------------------------------------------------------------------------

Example Dataset::get_batch(const std::vector<int64_t>& indices) const {
  MINIDL_CHECK(!indices.empty(), "Dataset::get_batch: no indices given");
  std::vector<Tensor> inputs, targets;
  for (int64_t i : indices) {
    Example e = get(i);
    inputs.push_back(e.input);
    targets.push_back(e.target);
  }
  NoGradGuard no_grad;
  return {stack(inputs, 0), stack(targets, 0)};
}

// ---- TensorDataset ----------------------------------------------------------------------------

TensorDataset::TensorDataset(const Tensor& inputs, const Tensor& targets) {
  MINIDL_CHECK(inputs.defined() && targets.defined(),
               "TensorDataset: inputs and targets must be "
               "defined tensors");
  MINIDL_CHECK(inputs.dim() >= 1 && targets.dim() >= 1 && inputs.size(0) == targets.size(0),
               "TensorDataset: inputs ", shape_str(inputs.shape()), " and targets ",
               shape_str(targets.shape()), " must share their first axis (one row per example)");
  MINIDL_CHECK(inputs.device() == targets.device(), "TensorDataset: inputs on ",
               device_name(inputs.device()), " but targets on ", device_name(targets.device()));
  NoGradGuard no_grad;
  inputs_ = inputs.detach().contiguous();
  targets_ = targets.detach().contiguous();
}

Example TensorDataset::get(int64_t i) const {
  MINIDL_CHECK(i >= 0 && i < size(), "TensorDataset: index ", i, " is out of range for ", size(),
               " examples");
  return {inputs_.select(0, i), targets_.select(0, i)};
}

namespace {

// Rows `indices` of a contiguous CPU tensor x (N, ...) -> (B, ...).
Tensor gather_rows(const Tensor& x, const std::vector<int64_t>& indices) {
  Shape shape = x.shape();
  shape[0] = static_cast<int64_t>(indices.size());
  Tensor y = Tensor::empty(shape);
  const int64_t row = x.size(0) ? x.numel() / x.size(0) : 0;
  for (size_t b = 0; b < indices.size(); ++b)
    if (row) std::memcpy(y.data() + b * row, x.data() + indices[b] * row, row * sizeof(float));
  return y;
}

}  // namespace

Example TensorDataset::get_batch(const std::vector<int64_t>& indices) const {
  MINIDL_CHECK(!indices.empty(), "TensorDataset::get_batch: no indices given");
  for (int64_t i : indices)
    MINIDL_CHECK(i >= 0 && i < size(), "TensorDataset: index ", i, " is out of range for ", size(),
                 " examples");
  if (inputs_.device() != Device::CPU) return Dataset::get_batch(indices);
  return {gather_rows(inputs_, indices), gather_rows(targets_, indices)};
}

// ---- DataLoader -------------------------------------------------------------------------------

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, int64_t batch_size, bool shuffle,
                       uint64_t seed, bool drop_last)
    : dataset_(std::move(dataset)),
      batch_size_(batch_size),
      shuffle_(shuffle),
      seed_(seed),
      drop_last_(drop_last) {
  MINIDL_CHECK(dataset_, "DataLoader: the dataset is null");
  MINIDL_CHECK(batch_size >= 1, "DataLoader: batch_size must be >= 1, got ", batch_size);
}

int64_t DataLoader::size() const {
  const int64_t n = dataset_->size();
  return drop_last_ ? n / batch_size_ : (n + batch_size_ - 1) / batch_size_;
}

void DataLoader::set_epoch(int64_t e) {
  MINIDL_CHECK(e >= 0, "DataLoader::set_epoch: epoch must be >= 0, got ", e);
  epoch_ = e;
}

std::vector<int64_t> DataLoader::order(int64_t e) const {
  const int64_t n = dataset_->size();
  std::vector<int64_t> idx(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) idx[i] = i;
  if (!shuffle_) return idx;
  // One generator per (seed, epoch); the odd golden-ratio multiple keeps the epochs apart.
  Generator gen(seed_ ^ (0x9e3779b97f4a7c15ull * static_cast<uint64_t>(e + 1)));
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(idx[i], idx[gen.below(static_cast<uint64_t>(i) + 1)]);  // Fisher-Yates
  return idx;
}

DataLoader::Iterator DataLoader::begin() {
  auto ord = std::make_shared<const std::vector<int64_t>>(order(epoch_));
  ++epoch_;
  return Iterator(this, std::move(ord), 0);
}

const Example& DataLoader::Iterator::operator*() const {
  MINIDL_CHECK(order_ && batch_ < loader_->size(), "DataLoader: dereferencing the end iterator");
  if (!loaded_) {
    const int64_t B = loader_->batch_size_;
    const int64_t start = batch_ * B;
    const int64_t stop = std::min<int64_t>(start + B, static_cast<int64_t>(order_->size()));
    std::vector<int64_t> idx(order_->begin() + start, order_->begin() + stop);
    current_ = loader_->dataset_->get_batch(idx);
    loaded_ = true;
  }
  return current_;
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  ++batch_;
  loaded_ = false;
  current_ = Example{};
  return *this;
}

}  // namespace minidl
