// Finite-difference gradient checking, public so that users can check their own ops and losses.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace minidl {

struct GradcheckOptions {
  double eps = 1e-2;   // central-difference step (float32 data: larger than float64 checks use)
  double atol = 1e-3;  // pass when |numeric - analytic| <= atol + rtol * |numeric|
  double rtol = 1e-2;
  uint64_t seed = 1234;  // for the random projection of non-scalar outputs
};

struct GradcheckResult {
  bool ok = true;
  double max_abs_error = 0;
  std::string message;  // names the input, the element, both values; empty when ok
  explicit operator bool() const { return ok; }
};

/// Checks the gradients that backward() gives for f at `inputs` against central differences.
/// f must be deterministic. Its output y may have any shape: the check differentiates the scalar
/// sum(y * r) for a fixed random r (accumulated in double), so every output element counts.
/// Only CPU inputs with requires_grad are checked; they must be leaves (an input that is the result
/// of an op is an error) and are perturbed in place and restored, with their gradients.
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& options = {});

}  // namespace minidl
