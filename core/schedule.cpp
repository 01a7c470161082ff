// StepLR, CosineLR and WarmupLR: closed-form learning rates per step. See schedule.h.
#include "core/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.h"

namespace minidl {

namespace {
void check_step(const char* who, int64_t step) {
  MINIDL_CHECK(step >= 0, who, ": step must be >= 0, got ", step);
}
}  // namespace

StepLR::StepLR(float base_lr, int64_t step_size, float gamma)
    : base_lr_(base_lr), step_size_(step_size), gamma_(gamma) {
  MINIDL_CHECK(base_lr >= 0.f, "StepLR: base_lr must be >= 0, got ", base_lr);
  MINIDL_CHECK(step_size >= 1, "StepLR: step_size must be >= 1, got ", step_size);
  MINIDL_CHECK(gamma >= 0.f, "StepLR: gamma must be >= 0, got ", gamma);
}

float StepLR::lr(int64_t step) const {
  check_step("StepLR", step);
  return static_cast<float>(base_lr_ * std::pow(double(gamma_), double(step / step_size_)));
}

CosineLR::CosineLR(float base_lr, int64_t total_steps, float min_lr)
    : base_lr_(base_lr), total_steps_(total_steps), min_lr_(min_lr) {
  MINIDL_CHECK(total_steps >= 1, "CosineLR: total_steps must be >= 1, got ", total_steps);
  MINIDL_CHECK(min_lr >= 0.f && min_lr <= base_lr,
               "CosineLR: needs 0 <= min_lr <= base_lr, got "
               "min_lr ",
               min_lr, ", base_lr ", base_lr);
}

float CosineLR::lr(int64_t step) const {
  check_step("CosineLR", step);
  const double frac = double(std::min(step, total_steps_)) / double(total_steps_);
  return static_cast<float>(min_lr_ +
                            (base_lr_ - min_lr_) * 0.5 * (1.0 + std::cos(std::numbers::pi * frac)));
}

WarmupLR::WarmupLR(int64_t warmup_steps, std::shared_ptr<const LRSchedule> after)
    : warmup_steps_(warmup_steps), after_(std::move(after)) {
  MINIDL_CHECK(warmup_steps >= 0, "WarmupLR: warmup_steps must be >= 0, got ", warmup_steps);
  MINIDL_CHECK(after_ != nullptr, "WarmupLR: the schedule after warm-up is null");
}

float WarmupLR::lr(int64_t step) const {
  check_step("WarmupLR", step);
  if (step < warmup_steps_)
    return static_cast<float>(double(after_->lr(0)) * double(step + 1) / double(warmup_steps_));
  return after_->lr(step - warmup_steps_);
}

}  // namespace minidl
