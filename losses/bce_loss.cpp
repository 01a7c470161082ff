// Binary cross-entropy from public ops: on clipped probabilities, and on logits in the stable
// form max(z, 0) - z t + log(1 + exp(-|z|)).
#include "losses/bce_loss.h"

#include "core/error.h"
#include "core/ops/creation.h"
#include "core/ops/elementwise.h"

namespace minidl {

// d/dp = (p - t) / (p (1 - p)) inside [eps, 1 - eps]; 0 where clamp cut p off.
Tensor bce_loss(const Tensor& prob, const Tensor& target, Reduction reduction, float eps) {
  detail::check_same_shape("bce_loss", prob, "prob", target, "target");
  MINIDL_CHECK(eps > 0.f && eps < 0.5f, "bce_loss: eps must lie in (0, 0.5), got ", eps);
  Tensor p = clamp(prob, eps, 1.f - eps);
  Tensor per_element = -(target * log(p) + (1.f - target) * log(1.f - p));
  return reduce_loss(per_element, reduction, "bce_loss");
}

// softplus(z) - z t with softplus(z) = max(z, 0) + log(1 + exp(-|z|)): exp never overflows,
// and 1 + exp(-|z|) lies in (1, 2], so the log is accurate to float precision.
// d/dz = sigmoid(z) - t.
// At z = 0 the two kinks cancel only if max(z, 0) passes half the gradient there: maximum()
// shares the gradient equally on ties (d max = 1/2) while abs' gradient at 0 is 0, which gives
// 1/2 - t = sigmoid(0) - t. (relu, with gradient 0 at 0, would give -t: wrong.)
Tensor bce_with_logits_loss(const Tensor& logits, const Tensor& target, Reduction reduction) {
  detail::check_same_shape("bce_with_logits_loss", logits, "logits", target, "target");
  const Tensor& z = logits;
  Tensor per_element = maximum(z, zeros_like(z)) - z * target + log(1.f + exp(-abs(z)));
  return reduce_loss(per_element, reduction, "bce_with_logits_loss");
}

}  // namespace minidl
