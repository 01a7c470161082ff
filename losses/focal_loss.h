// Binary focal loss (Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017), on
// probabilities (clipped) or on logits. Composed from public ops, so autograd differentiates it.
#pragma once

#include "core/tensor.h"
#include "losses/reduction.h"

namespace minidl {

/// Per element, with p the predicted probability of the positive class and t the target:
///   p_t     = p t + (1 - p)(1 - t)          (= p where t = 1, 1 - p where t = 0)
///   alpha_t = alpha t + (1 - alpha)(1 - t)
///   loss    = alpha_t (1 - p_t)^gamma CE,   CE = -(t log p + (1 - t) log(1 - p))
/// which for 0/1 targets is Lin et al.'s -alpha_t (1 - p_t)^gamma log(p_t); then `reduction`.
/// p = clamp(prob, eps, 1 - eps) (no gradient where prob is cut off). alpha < 0 turns the alpha
/// weighting off (alpha_t = 1, as torchvision); gamma = 0 and alpha < 0 give plain BCE.
/// Requires prob and target of exactly the same shape and device, gamma >= 0, alpha <= 1 and
/// 0 < eps < 0.5; otherwise throws minidl::Error naming "focal_loss" (and both shapes).
Tensor focal_loss(const Tensor& prob, const Tensor& target, float gamma = 2.f, float alpha = 0.25f,
                  Reduction reduction = Reduction::Mean, float eps = 1e-7f);

/// The same loss on logits: p = sigmoid(logits) and CE = bce_with_logits_loss (stable for any
/// finite logit, no clipping needed), as torchvision's sigmoid_focal_loss.
/// Requires logits and target of exactly the same shape and device, gamma >= 0 and alpha <= 1;
/// otherwise throws minidl::Error naming "focal_loss_with_logits" (and both shapes).
Tensor focal_loss_with_logits(const Tensor& logits, const Tensor& target, float gamma = 2.f,
                              float alpha = 0.25f, Reduction reduction = Reduction::Mean);

}  // namespace minidl
