// Softmax cross-entropy from public ops: log_softmax along the classes, a one-hot mask built with
// eq() for index targets, optional class weights, and PyTorch's weighted mean.
#include "losses/cross_entropy_loss.h"

#include <cmath>
#include <vector>

#include "core/error.h"
#include "core/ops/activation.h"
#include "core/ops/creation.h"
#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"

namespace minidl {

namespace {

// logits must be (N, C) with C >= 1; class_weights, when given, (C) on the logits' device.
void check_logits_and_weights(const char* loss, const Tensor& logits, const Tensor& class_weights) {
  MINIDL_CHECK(logits.defined(), loss, ": logits are undefined");
  MINIDL_CHECK(logits.dim() == 2 && logits.size(1) >= 1, loss, ": logits must be (N, C), got ",
               shape_str(logits.shape()));
  if (!class_weights.defined()) return;
  MINIDL_CHECK(class_weights.dim() == 1 && class_weights.size(0) == logits.size(1), loss,
               ": class_weights must be (C) = (", logits.size(1), ") for logits ",
               shape_str(logits.shape()), ", got ", shape_str(class_weights.shape()));
  MINIDL_CHECK(class_weights.device() == logits.device(), loss, ": class_weights ",
               shape_str(class_weights.shape()), " is on ", device_name(class_weights.device()),
               " but logits ", shape_str(logits.shape()), " is on ", device_name(logits.device()));
}

// Each target must be an integer class index in [0, C). Reads the values on the host.
void check_class_indices(const Tensor& target, const Tensor& logits) {
  const char* loss = "cross_entropy_loss";
  MINIDL_CHECK(target.defined(), loss, ": target_classes are undefined");
  MINIDL_CHECK(target.dim() == 1 && target.size(0) == logits.size(0), loss,
               ": target_classes must be (N) = (", logits.size(0), ") for logits ",
               shape_str(logits.shape()), ", got ", shape_str(target.shape()));
  MINIDL_CHECK(target.device() == logits.device(), loss, ": target_classes ",
               shape_str(target.shape()), " is on ", device_name(target.device()), " but logits ",
               shape_str(logits.shape()), " is on ", device_name(logits.device()));
  const int64_t C = logits.size(1);
  std::vector<float> y = target.to_vector();
  for (size_t n = 0; n < y.size(); ++n) {
    const float c = y[n];
    MINIDL_CHECK(std::isfinite(c) && c == std::floor(c) && c >= 0.f && c < static_cast<float>(C),
                 loss, ": target_classes[", n, "] = ", c, " is not a class index in [0, ", C,
                 ") for logits ", shape_str(logits.shape()));
  }
}

}  // namespace

Tensor cross_entropy_loss(const Tensor& logits, const Tensor& target_classes, Reduction reduction,
                          const Tensor& class_weights) {
  check_logits_and_weights("cross_entropy_loss", logits, class_weights);
  check_class_indices(target_classes, logits);
  const int64_t C = logits.size(1);
  // one_hot[n, c] = (y_n == c): (N, 1) against (1, C)
  Tensor classes = arange(0.f, static_cast<float>(C), 1.f, logits.device()).reshape({1, C});
  Tensor one_hot = eq(unsqueeze(target_classes.detach(), 1), classes);  // (N, C)
  Tensor nll = -sum(one_hot * log_softmax(logits, 1), {1});             // (N)
  if (!class_weights.defined()) return reduce_loss(nll, reduction, "cross_entropy_loss");
  Tensor w = sum(one_hot * class_weights, {1});  // (N): w[y_n]
  Tensor per_sample = w * nll;
  if (reduction == Reduction::Mean) return sum(per_sample) / sum(w);
  return reduce_loss(per_sample, reduction, "cross_entropy_loss");
}

Tensor soft_cross_entropy_loss(const Tensor& logits, const Tensor& target_probs,
                               Reduction reduction, const Tensor& class_weights) {
  check_logits_and_weights("soft_cross_entropy_loss", logits, class_weights);
  detail::check_same_shape("soft_cross_entropy_loss", logits, "logits", target_probs,
                           "target_probs");
  // (N, C): w[c] t[n, c]
  Tensor weighted = class_weights.defined() ? target_probs * class_weights : target_probs;
  Tensor per_sample = -sum(weighted * log_softmax(logits, 1), {1});  // (N)
  return reduce_loss(per_sample, reduction,
                     "soft_cross_entropy_loss");  // Mean: sum_n l_n / N, as PyTorch
}

}  // namespace minidl
