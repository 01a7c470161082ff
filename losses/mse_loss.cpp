// Mean squared error from public ops: square(pred - target), reduced.
// Gradient (by autograd): d/dpred = 2 (pred - target) / n for the mean.
#include "losses/mse_loss.h"

#include "core/ops/elementwise.h"

namespace minidl {

Tensor mse_loss(const Tensor& pred, const Tensor& target, Reduction reduction) {
  detail::check_same_shape("mse_loss", pred, "pred", target, "target");
  return reduce_loss(square(pred - target), reduction, "mse_loss");
}

}  // namespace minidl
