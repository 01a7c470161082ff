// Softmax cross-entropy on logits (PyTorch's CrossEntropyLoss), in two clearly named forms:
// targets as class indices, and targets as probabilities. Optional per-class weights.
#pragma once

#include "core/tensor.h"
#include "losses/reduction.h"

namespace minidl {

/// logits (N, C) (raw scores, not probabilities); target_classes (N) holding class indices
/// 0 .. C-1 stored as floats; class_weights (C) or undefined (all 1).
/// Per sample: l_n = -w[y_n] log softmax(logits_n)[y_n], computed with log_softmax (stable).
/// Reduction::None gives (N); Sum gives sum_n l_n; Mean gives sum_n l_n / sum_n w[y_n] (PyTorch's
/// weighted mean: divided by the total weight of the targets, which is N without weights).
/// Requires the shapes above, all tensors on one device, and every target an integer in [0, C);
/// otherwise throws minidl::Error naming "cross_entropy_loss", the shapes or the bad index.
/// No gradient flows to target_classes.
Tensor cross_entropy_loss(const Tensor& logits, const Tensor& target_classes,
                          Reduction reduction = Reduction::Mean,
                          const Tensor& class_weights = Tensor());

/// logits (N, C); target_probs (N, C), each row a distribution over the classes (one-hot,
/// label-smoothed, or a teacher's softmax); class_weights (C) or undefined (all 1).
/// Per sample: l_n = -sum_c w[c] t[n, c] log softmax(logits_n)[c].
/// Reduction::None gives (N); Sum gives sum_n l_n; Mean gives sum_n l_n / N (PyTorch's rule for
/// probability targets, weights or not). Rows need not sum to 1; nothing checks that they do.
/// Requires the shapes above and one device; otherwise throws minidl::Error naming
/// "soft_cross_entropy_loss" and the shapes. target_probs may require grad.
Tensor soft_cross_entropy_loss(const Tensor& logits, const Tensor& target_probs,
                               Reduction reduction = Reduction::Mean,
                               const Tensor& class_weights = Tensor());

}  // namespace minidl
