// Reshape layer: validates the target per-sample shape and calls minidl::reshape. See reshape.h.
#include "layers/reshape.h"

namespace minidl {

Reshape::Reshape(Shape shape) : shape_(std::move(shape)) {
  int inferred = 0;
  for (int64_t d : shape_) {
    MINIDL_CHECK(d >= 1 || d == -1, "Reshape", shape_str(shape_),
                 ": sizes must be >= 1 (or one -1), got ", d);
    inferred += d == -1;
  }
  MINIDL_CHECK(inferred <= 1, "Reshape", shape_str(shape_), ": at most one size may be -1");
}

Tensor Reshape::forward(const Tensor& x) {
  MINIDL_CHECK(x.defined(), "input is undefined");
  return x.reshape(output_shape(x.shape()));
}

std::string Reshape::name() const { return "Reshape" + shape_str(shape_); }

Shape Reshape::output_shape(const Shape& s) {
  MINIDL_CHECK(!s.empty(), "expects input (N, ...), got a scalar");
  const int64_t per_sample = shape_numel(Shape(s.begin() + 1, s.end()));
  int64_t known = 1;
  for (int64_t d : shape_) known *= d == -1 ? 1 : d;
  Shape out{s[0]};
  for (int64_t d : shape_) out.push_back(d == -1 ? per_sample / known : d);
  // Per sample, so that an empty batch (s[0] == 0) is checked too.
  MINIDL_CHECK(shape_numel(Shape(out.begin() + 1, out.end())) == per_sample, "input ", shape_str(s),
               " has ", per_sample, " elements per sample, which cannot take the shape ",
               shape_str(shape_));
  return out;
}

}  // namespace minidl
