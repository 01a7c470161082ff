// LocallyConnected2d from ops: zero padding by concat, the k x k patches as strided slices
// stacked into columns (darknet's im2col order: channel, then kernel row, then kernel column), and
// one batched matmul over the output positions. See locally_connected2d.h.
#include "layers/locally_connected2d.h"

#include <vector>

namespace minidl {

namespace {

// x (N, C, H, W) with `p` zeros added on every side: (N, C, H + 2p, W + 2p).
Tensor zero_pad(const Tensor& x, int64_t p) {
  if (p == 0) return x;
  const Shape& s = x.shape();
  Tensor rows = zeros({s[0], s[1], p, s[3]}, x.device());
  Tensor tall = concat({rows, x, rows}, 2);
  Tensor cols = zeros({s[0], s[1], s[2] + 2 * p, p}, x.device());
  return concat({cols, tall, cols}, 3);
}

}  // namespace

LocallyConnected2d::LocallyConnected2d(int64_t in, int64_t out, int64_t height, int64_t width,
                                       int64_t kernel, int64_t stride, int64_t padding, bool bias,
                                       Init init, Generator& gen)
    : WeightedModule(init, gen),
      in_(in),
      out_(out),
      H_(height),
      W_in_(width),
      k_(kernel),
      stride_(stride),
      padding_(padding) {
  auto what = [&] {
    return detail::cat("LocallyConnected2d(in=", in, ", out=", out, ", height=", height,
                       ", width=", width, ", kernel=", kernel, ", stride=", stride,
                       ", padding=", padding, ")");
  };
  MINIDL_CHECK(in >= 1, what(), ": in must be >= 1, got ", in);
  MINIDL_CHECK(out >= 1, what(), ": out must be >= 1, got ", out);
  MINIDL_CHECK(height >= 1 && width >= 1, what(), ": height and width must be >= 1");
  MINIDL_CHECK(kernel >= 1, what(), ": kernel must be >= 1, got ", kernel);
  MINIDL_CHECK(stride >= 1, what(), ": stride must be >= 1, got ", stride);
  MINIDL_CHECK(padding >= 0, what(), ": padding must be >= 0, got ", padding);
  MINIDL_CHECK(height + 2 * padding >= kernel && width + 2 * padding >= kernel, what(), ": the ",
               kernel, "x", kernel, " kernel is larger than the padded input ",
               height + 2 * padding, "x", width + 2 * padding);
  OH_ = (height + 2 * padding - kernel) / stride + 1;
  OW_ = (width + 2 * padding - kernel) / stride + 1;
  const int64_t L = OH_ * OW_;
  W_ = register_parameter("weight", zeros({L, out, in, kernel, kernel}));  // (L, F, C, k, k)
  if (bias) b_ = register_parameter("bias", zeros({out, OH_, OW_}));       // (F, OH, OW)
  reset_parameters(init);
}

void LocallyConnected2d::init_parameters(Init init, float slope, Generator& gen) {
  const int64_t area = k_ * k_;
  if (init == Init::He)
    he_normal_(W_, in_ * area, slope, gen);
  else
    glorot_uniform_(W_, in_ * area, out_ * area, gen);
  if (b_.defined()) b_.fill_(0.f);
}

// With K = C k k and L = OH OW:
//   cols (N, K, L): cols[n, (c, i, j), (oh, ow)] = x_pad[n, c, oh s + i, ow s + j]
//   Y (L, F, N) = W (L, F, K) @ cols^T (L, K, N)     (one (F, K) @ (K, N) product per position)
//   y (N, F, OH, OW) = Y permuted, plus b.
Tensor LocallyConnected2d::forward(const Tensor& x) {
  MINIDL_CHECK(x.defined(), "input is undefined");
  output_shape(x.shape());
  const int64_t N = x.shape()[0], K = in_ * k_ * k_, L = OH_ * OW_;
  Tensor xp = zero_pad(x, padding_);
  std::vector<Tensor> taps;  // taps[i * k + j] (N, C, OH, OW): the pixel under kernel cell (i, j)
  taps.reserve(static_cast<size_t>(k_ * k_));
  for (int64_t i = 0; i < k_; ++i)
    for (int64_t j = 0; j < k_; ++j)
      taps.push_back(xp.slice(2, i, i + (OH_ - 1) * stride_ + 1, stride_)
                         .slice(3, j, j + (OW_ - 1) * stride_ + 1, stride_));
  Tensor cols = stack(taps, 2).reshape({N, K, L});  // (N, C, k*k, OH, OW) -> (N, K, L)
  Tensor Y = matmul(W_.reshape({L, out_, K}), cols.permute({2, 1, 0}));  // (L, F, N)
  Tensor y = Y.permute({2, 1, 0}).reshape({N, out_, OH_, OW_});          // (N, F, OH, OW)
  return b_.defined() ? y + b_ : y;
}

std::string LocallyConnected2d::name() const {
  std::string s =
      detail::cat("LocallyConnected2d(", in_, "->", out_, ", ", H_, "x", W_in_, ", k", k_);
  if (stride_ != 1) s += detail::cat(", s", stride_);
  if (padding_ != 0) s += detail::cat(", p", padding_);
  if (!b_.defined()) s += ", no bias";
  return s + ")";
}

Shape LocallyConnected2d::output_shape(const Shape& s) {
  // The weights are per output position, so the input size is part of the layer.
  MINIDL_CHECK(s.size() == 4 && s[1] == in_ && s[2] == H_ && s[3] == W_in_, "expects input (N, ",
               in_, ", ", H_, ", ", W_in_, "), got ", shape_str(s));
  return {s[0], out_, OH_, OW_};
}

}  // namespace minidl
