// Huber and smooth L1 losses from public ops: where(|d| < delta, quadratic, linear).
// Gradients (by autograd through where): d inside, delta sign(d) outside (Huber);
// d / beta inside, sign(d) outside (smooth L1).
#include "losses/huber_loss.h"

#include "core/error.h"
#include "core/ops/elementwise.h"

namespace minidl {

Tensor huber_loss(const Tensor& pred, const Tensor& target, float delta, Reduction reduction) {
  detail::check_same_shape("huber_loss", pred, "pred", target, "target");
  MINIDL_CHECK(delta > 0.f, "huber_loss: delta must be > 0, got ", delta, " (pred ",
               shape_str(pred.shape()), ")");
  Tensor d = pred - target;
  Tensor a = abs(d);
  Tensor per_element = where(a < delta, 0.5f * square(d), delta * (a - 0.5f * delta));
  return reduce_loss(per_element, reduction, "huber_loss");
}

Tensor smooth_l1_loss(const Tensor& pred, const Tensor& target, float beta, Reduction reduction) {
  detail::check_same_shape("smooth_l1_loss", pred, "pred", target, "target");
  MINIDL_CHECK(beta >= 0.f, "smooth_l1_loss: beta must be >= 0, got ", beta, " (pred ",
               shape_str(pred.shape()), ")");
  Tensor d = pred - target;
  Tensor a = abs(d);
  if (beta == 0.f)
    return reduce_loss(a, reduction, "smooth_l1_loss");  // the L1 loss (no division by beta)
  Tensor per_element = where(a < beta, (0.5f / beta) * square(d), a - 0.5f * beta);
  return reduce_loss(per_element, reduction, "smooth_l1_loss");
}

}  // namespace minidl
