// Conv2D layer: argument checks, initialisation, and a forward that calls minidl::conv2d.
// See conv2d.h.
#include "layers/conv2d.h"

namespace minidl {

Conv2D::Conv2D(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding, bool bias,
               Init init, Generator& gen)
    : WeightedModule(init, gen),
      in_(in),
      out_(out),
      k_(kernel),
      stride_(stride),
      padding_(padding) {
  auto what = [&] {
    return detail::cat("Conv2D(in=", in, ", out=", out, ", kernel=", kernel, ", stride=", stride,
                       ", padding=", padding, ")");
  };
  MINIDL_CHECK(in >= 1, what(), ": in must be >= 1, got ", in);
  MINIDL_CHECK(out >= 1, what(), ": out must be >= 1, got ", out);
  MINIDL_CHECK(kernel >= 1, what(), ": kernel must be >= 1, got ", kernel);
  MINIDL_CHECK(stride >= 1, what(), ": stride must be >= 1, got ", stride);
  MINIDL_CHECK(padding >= 0, what(), ": padding must be >= 0, got ", padding);
  W_ = register_parameter("weight", zeros({out, in, kernel, kernel}));  // (F, C, k, k)
  if (bias) b_ = register_parameter("bias", zeros({out}));              // (F)
  reset_parameters(init);
}

void Conv2D::init_parameters(Init init, float slope, Generator& gen) {
  const int64_t area = k_ * k_;
  if (init == Init::He)
    he_normal_(W_, in_ * area, slope, gen);
  else
    glorot_uniform_(W_, in_ * area, out_ * area, gen);
  if (b_.defined()) b_.fill_(0.f);
}

Tensor Conv2D::forward(const Tensor& x) { return conv2d(x, W_, b_, stride_, padding_); }

std::string Conv2D::name() const {
  std::string s = detail::cat("Conv2D(", in_, "->", out_, ", k", k_);
  if (stride_ != 1) s += detail::cat(", s", stride_);
  if (padding_ != 0) s += detail::cat(", p", padding_);
  if (!b_.defined()) s += ", no bias";
  return s + ")";
}

Shape Conv2D::output_shape(const Shape& s) {
  MINIDL_CHECK(s.size() == 4 && s[1] == in_, "expects input (N, ", in_, ", H, W), got ",
               shape_str(s));
  MINIDL_CHECK(s[2] + 2 * padding_ >= k_ && s[3] + 2 * padding_ >= k_, "input ", shape_str(s),
               " padded by ", padding_, " is smaller than the ", k_, "x", k_, " kernel");
  return {s[0], out_, (s[2] + 2 * padding_ - k_) / stride_ + 1,
          (s[3] + 2 * padding_ - k_) / stride_ + 1};
}

}  // namespace minidl
