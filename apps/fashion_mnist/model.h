// fashion_mnist's network, and the dropout it trains with: a mask drawn for the whole global batch
// of a step, so that an example is masked the same whichever process trains on it (and a resumed
// run draws the masks the uninterrupted one drew).
#pragma once

#include <minidl/minidl.h>

#include <cstdint>
#include <memory>
#include <string>

namespace fashion {

/// Inverted dropout, as minidl::Dropout (training: x * mask / (1 - p), mask ~ Bernoulli(1 - p);
/// eval: x), with one difference: the mask of step s is drawn for the global batch of that step
/// from a generator seeded with (seed, s), and this process keeps the rows it trains on. Under
/// dist::DistributedSampler, rank r of N holds the global batch's rows r, r + N, r + 2N, ...
/// So N processes with batch B / N drop exactly what one process with batch B drops, and the
/// masks depend on the step alone: nothing to save in a checkpoint.
class GlobalDropout : public minidl::Module {
 public:
  /// Requires 0 <= p < 1. The seed is one number drawn from `gen`, as Dropout does.
  GlobalDropout(float p, minidl::Generator& gen);
  /// The step whose mask the next forward() draws, and this process's rank of `world`.
  void set_step(int64_t step, int rank = 0, int world = 1);
  /// x: (rows, ...) with rows = the global batch / world; the same shape back.
  minidl::Tensor forward(const minidl::Tensor& x) override;
  /// "Dropout(0.4, per global batch)".
  std::string name() const override;
  minidl::Shape output_shape(const minidl::Shape& input_shape) override { return input_shape; }

 private:
  float p_;
  uint64_t seed_;
  int64_t step_ = 0;
  int rank_ = 0, world_ = 1;
};

/// The benchmark's "2 Conv+pooling" network and a handle to its dropout layer.
struct Network {
  std::shared_ptr<minidl::Sequential> model;
  std::shared_ptr<GlobalDropout> dropout;
};

/// conv 5x5 32 ReLU, pool 2, conv 5x5 64 ReLU, pool 2, dense 1024 ReLU, dropout 0.4, dense 10
/// (logits), the weights drawn from `gen`.
Network make_network(minidl::Generator& gen);

}  // namespace fashion
