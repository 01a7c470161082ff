// Learning-rate schedules: each gives lr(step) for step = 0, 1, 2, ...; the training loop applies
// it with set_lr() (or apply()) before each optimizer step. StepLR, CosineLR and a linear warm-up.
#pragma once

#include <cstdint>
#include <memory>

#include "core/optim.h"

namespace minidl {

class LRSchedule {
 public:
  virtual ~LRSchedule() = default;
  /// The learning rate for (0-based) step `step`; requires step >= 0.
  virtual float lr(int64_t step) const = 0;
  /// opt.set_lr(lr(step)).
  void apply(Optimizer& opt, int64_t step) const { opt.set_lr(lr(step)); }
};

/// base_lr * gamma^floor(step / step_size). Requires base_lr >= 0, step_size >= 1, gamma >= 0.
class StepLR : public LRSchedule {
 public:
  StepLR(float base_lr, int64_t step_size, float gamma = 0.1f);
  float lr(int64_t step) const override;

 private:
  float base_lr_;
  int64_t step_size_;
  float gamma_;
};

/// Cosine annealing from base_lr at step 0 to min_lr at step total_steps, constant after:
///   min_lr + (base_lr - min_lr) * (1 + cos(pi * min(step, total_steps) / total_steps)) / 2.
/// Requires total_steps >= 1 and 0 <= min_lr <= base_lr.
class CosineLR : public LRSchedule {
 public:
  CosineLR(float base_lr, int64_t total_steps, float min_lr = 0.f);
  float lr(int64_t step) const override;

 private:
  float base_lr_;
  int64_t total_steps_;
  float min_lr_;
};

/// A linear warm-up in front of another schedule:
///   step < warmup_steps:  after.lr(0) * (step + 1) / warmup_steps   (never 0, reaches the full
///                         rate at step warmup_steps - 1)
///   otherwise:            after.lr(step - warmup_steps)   (the inner schedule starts after
///   warm-up)
/// Requires warmup_steps >= 0 and a non-null `after`.
class WarmupLR : public LRSchedule {
 public:
  WarmupLR(int64_t warmup_steps, std::shared_ptr<const LRSchedule> after);
  float lr(int64_t step) const override;

 private:
  int64_t warmup_steps_;
  std::shared_ptr<const LRSchedule> after_;
};

}  // namespace minidl
