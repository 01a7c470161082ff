// Permute layer: validates the axis order and calls Tensor::permute. See permute.h.
#include "layers/permute.h"

#include <algorithm>

namespace minidl {

Permute::Permute(Shape dims) : dims_(std::move(dims)) {
  Shape sorted = dims_;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i)
    MINIDL_CHECK(sorted[i] == static_cast<int64_t>(i + 1), "Permute", shape_str(dims_),
                 ": the axes must be a permutation of 1..", dims_.size(),
                 " (axis 0, the batch, stays first)");
}

Tensor Permute::forward(const Tensor& x) {
  MINIDL_CHECK(x.defined(), "input is undefined");
  output_shape(x.shape());  // checks the rank
  Shape all{0};
  all.insert(all.end(), dims_.begin(), dims_.end());
  return x.permute(all).contiguous();
}

std::string Permute::name() const { return "Permute" + shape_str(dims_); }

Shape Permute::output_shape(const Shape& s) {
  MINIDL_CHECK(s.size() == dims_.size() + 1, "Permute", shape_str(dims_), " expects input (N, ",
               dims_.size(), " axes), got ", shape_str(s));
  Shape out{s[0]};
  for (int64_t d : dims_) out.push_back(s[static_cast<size_t>(d)]);
  return out;
}

}  // namespace minidl
