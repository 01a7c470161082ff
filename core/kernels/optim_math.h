// The per-element update rules of the optimizers (SGD, Adam / AdamW), inline and
// __host__ __device__, shared by core/cpu/optim_update.cpp and its CUDA twin cuda/optim_update.cu,
// so that both devices apply one formula. The rules are stated in core/optim.h. Internal.
#pragma once

#include <cmath>

#include "core/kernel_types.h"
#include "core/kernels/host_device.h"

namespace minidl {

/// One SGD step of one element: w and (when momentum > 0) *buf are updated in place; buf is
/// only read when momentum > 0 (it may be null otherwise).
MINIDL_HD inline void sgd_element(const SgdStep& s, float& w, float g, float* buf) {
  float d = s.weight_decay != 0.f ? g + w * s.weight_decay : g;
  if (s.momentum != 0.f) {
    *buf = *buf * s.momentum + d;  // buf starts at 0, so the first step stores d
    d = s.nesterov ? d + *buf * s.momentum : *buf;
  }
  w = w - d * s.lr;
}

/// One Adam / AdamW step of one element: w, m and v are updated in place.
MINIDL_HD inline void adam_element(const AdamStep& s, float& w, float g, float& m, float& v) {
  float d = g;
  if (s.weight_decay != 0.f) {
    if (s.decoupled)
      w = w * (1.f - s.lr * s.weight_decay);  // AdamW: shrink w, leave g alone
    else
      d = d + w * s.weight_decay;  // Adam: L2 term in the gradient
  }
  m = m * s.beta1 + d * (1.f - s.beta1);
  v = v * s.beta2 + d * d * (1.f - s.beta2);
  const float denom = sqrtf(v) * s.inv_sqrt_bc2 + s.eps;
  w = w - m / denom * s.step_size;
}

}  // namespace minidl
