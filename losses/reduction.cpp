// Reduction of per-element losses (none / mean / sum) and the shape check shared by the losses.
#include "losses/reduction.h"

#include "core/error.h"
#include "core/ops/reduce.h"

namespace minidl {

const char* reduction_name(Reduction reduction) {
  switch (reduction) {
    case Reduction::None:
      return "none";
    case Reduction::Mean:
      return "mean";
    case Reduction::Sum:
      return "sum";
  }
  return "unknown";
}

Tensor reduce_loss(const Tensor& per_element, Reduction reduction, const char* loss) {
  MINIDL_CHECK(per_element.defined(), loss, ": the per-element losses are undefined");
  switch (reduction) {
    case Reduction::None:
      return per_element;
    case Reduction::Mean:
      MINIDL_CHECK(per_element.numel() > 0, loss, ": reduction mean over an empty batch (",
                   "per-element losses of shape ", shape_str(per_element.shape()),
                   ") has nothing to average; use Reduction::Sum (0) or None");
      return mean(per_element);
    case Reduction::Sum:
      return sum(per_element);
  }
  throw Error(detail::cat(loss, ": unknown reduction ", static_cast<int>(reduction)));
}

namespace detail {
void check_same_shape(const char* loss, const Tensor& a, const char* a_name, const Tensor& b,
                      const char* b_name) {
  MINIDL_CHECK(a.defined(), loss, ": ", a_name, " is undefined");
  MINIDL_CHECK(b.defined(), loss, ": ", b_name, " is undefined");
  MINIDL_CHECK(a.shape() == b.shape(), loss, ": ", a_name, " ", shape_str(a.shape()), " and ",
               b_name, " ", shape_str(b.shape()), " must have the same shape");
  MINIDL_CHECK(a.device() == b.device(), loss, ": ", a_name, " ", shape_str(a.shape()), " is on ",
               device_name(a.device()), " but ", b_name, " ", shape_str(b.shape()), " is on ",
               device_name(b.device()));
}
}  // namespace detail

}  // namespace minidl
