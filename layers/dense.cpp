// Dense layer: argument checks, initialisation (fan_in = in, fan_out = out), and a forward that
// calls minidl::linear. See dense.h.
#include "layers/dense.h"

namespace minidl {

Dense::Dense(int64_t in, int64_t out, bool bias, Init init, Generator& gen)
    : WeightedModule(init, gen), in_(in), out_(out) {
  MINIDL_CHECK(in >= 1, "Dense(in=", in, ", out=", out, "): in must be >= 1, got ", in);
  MINIDL_CHECK(out >= 1, "Dense(in=", in, ", out=", out, "): out must be >= 1, got ", out);
  W_ = register_parameter("weight", zeros({out, in}));      // (out, in)
  if (bias) b_ = register_parameter("bias", zeros({out}));  // (out)
  reset_parameters(init);
}

void Dense::init_parameters(Init init, float slope, Generator& gen) {
  if (init == Init::He)
    he_normal_(W_, in_, slope, gen);
  else
    glorot_uniform_(W_, in_, out_, gen);
  if (b_.defined()) b_.fill_(0.f);
}

Tensor Dense::forward(const Tensor& x) {
  MINIDL_CHECK(x.defined(), "input is undefined");
  MINIDL_CHECK(x.dim() >= 1 && x.size(-1) == in_, "expects input (N, ", in_, "), got ",
               shape_str(x.shape()));
  if (x.dim() == 2) return linear(x, W_, b_);
  Shape out_shape = x.shape();
  out_shape.back() = out_;
  return linear(x.reshape({-1, in_}), W_, b_).reshape(out_shape);  // (N*..., out) -> (..., out)
}

std::string Dense::name() const {
  return detail::cat("Dense(", in_, "->", out_, b_.defined() ? "" : ", no bias", ")");
}

Shape Dense::output_shape(const Shape& s) {
  MINIDL_CHECK(!s.empty() && s.back() == in_, "expects input (N, ", in_, "), got ", shape_str(s));
  Shape out = s;
  out.back() = out_;
  return out;
}

}  // namespace minidl
