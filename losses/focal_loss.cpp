// Binary focal loss from public ops: alpha_t (1 - p_t)^gamma times the binary cross-entropy,
// on clipped probabilities or on logits (sigmoid and the stable BCE-with-logits).
#include "losses/focal_loss.h"

#include "core/error.h"
#include "core/ops/activation.h"
#include "core/ops/elementwise.h"
#include "losses/bce_loss.h"

namespace minidl {

namespace {

void check_focal_args(const char* loss, const Tensor& x, float gamma, float alpha) {
  MINIDL_CHECK(gamma >= 0.f, loss, ": gamma must be >= 0, got ", gamma, " (input ",
               shape_str(x.shape()), ")");
  MINIDL_CHECK(alpha <= 1.f, loss, ": alpha must be <= 1 (or < 0 to turn it off), got ", alpha,
               " (input ", shape_str(x.shape()), ")");
}

// alpha_t (1 - p_t)^gamma ce, elementwise. 1 - p_t = p (1 - t) + t (1 - p) (>= 0 for t in [0, 1]).
// 1 - p_t is exactly 0 once the sigmoid saturates (p rounds to 1 for t = 1, to 0 for t = 0), where
// d x^gamma = gamma x^(gamma-1) is inf for gamma < 1 and inf * 0 = NaN in the chain rule: there
// the factor is the constant 0 (its value anyway) and pow sees 1, so no gradient (not NaN) flows.
Tensor focal_terms(const Tensor& p, const Tensor& t, const Tensor& ce, float gamma, float alpha) {
  Tensor loss = ce;
  if (gamma != 0.f) {
    Tensor one_minus_pt = p * (1.f - t) + t * (1.f - p);
    Tensor zero = eq(one_minus_pt, 0.f);
    loss = where(zero, 0.f, pow(where(zero, 1.f, one_minus_pt), gamma)) * loss;
  }
  if (alpha >= 0.f) loss = (alpha * t + (1.f - alpha) * (1.f - t)) * loss;
  return loss;
}

}  // namespace

Tensor focal_loss(const Tensor& prob, const Tensor& target, float gamma, float alpha,
                  Reduction reduction, float eps) {
  detail::check_same_shape("focal_loss", prob, "prob", target, "target");
  check_focal_args("focal_loss", prob, gamma, alpha);
  MINIDL_CHECK(eps > 0.f && eps < 0.5f, "focal_loss: eps must lie in (0, 0.5), got ", eps);
  Tensor p = clamp(prob, eps, 1.f - eps);
  Tensor ce = -(target * log(p) + (1.f - target) * log(1.f - p));
  return reduce_loss(focal_terms(p, target, ce, gamma, alpha), reduction, "focal_loss");
}

Tensor focal_loss_with_logits(const Tensor& logits, const Tensor& target, float gamma, float alpha,
                              Reduction reduction) {
  detail::check_same_shape("focal_loss_with_logits", logits, "logits", target, "target");
  check_focal_args("focal_loss_with_logits", logits, gamma, alpha);
  Tensor p = sigmoid(logits);
  Tensor ce = bce_with_logits_loss(logits, target, Reduction::None);
  return reduce_loss(focal_terms(p, target, ce, gamma, alpha), reduction, "focal_loss_with_logits");
}

}  // namespace minidl
