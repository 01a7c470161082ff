// conv2d (im2col + gemm, in the kernels of core/cpu/conv.cpp and cuda/conv.cu) and max_pool2d (the
// argmax is kept for backward), each with its backward beside the forward.
#include "core/ops/conv.h"

#include <limits>
#include <memory>

#include "core/cpu/conv_pool.h"
#include "core/cpu/kernels.h"
#include "core/ops/activation.h"
#include "core/ops/creation.h"
#include "core/ops/op_util.h"
#include "core/ops/shape.h"
#include "core/profile.h"

namespace minidl {

namespace {

// The largest kernel and padding accepted (2^31 - 1): padded sizes then stay far from overflow.
constexpr int64_t kMaxWindow = std::numeric_limits<int32_t>::max();

// op: the name errors give (conv2d, or conv2d_max_pool2d).
ConvParams conv_geometry(const Tensor& x, const Tensor& W, const Tensor& b, int64_t stride,
                         int64_t padding, const char* op = "conv2d") {
  detail::check_defined(op, x, "input");
  detail::check_defined(op, W, "weight");
  if (b.defined())
    detail::check_same_device(op, {x, W, b});
  else
    detail::check_same_device(op, {x, W});
  const Shape &xs = x.shape(), &ws = W.shape();
  MINIDL_CHECK(x.dim() == 4, op, ": input must have rank 4 (N, C, H, W), got shape ",
               shape_str(xs));
  MINIDL_CHECK(W.dim() == 4, op, ": weight must have rank 4 (F, C, KH, KW), got shape ",
               shape_str(ws));
  MINIDL_CHECK(xs[1] == ws[1], op, ": input ", shape_str(xs), " has ", xs[1],
               " channels but weight ", shape_str(ws), " expects ", ws[1]);
  MINIDL_CHECK(!b.defined() || b.shape() == Shape{ws[0]}, op, ": bias of shape ",
               shape_str(b.defined() ? b.shape() : Shape{}), " does not match weight ",
               shape_str(ws), ": expected (", ws[0], ")");
  MINIDL_CHECK(stride >= 1, op, ": stride must be >= 1, got ", stride, " (input ", shape_str(xs),
               ", weight ", shape_str(ws), ")");
  MINIDL_CHECK(padding >= 0, op, ": padding must be >= 0, got ", padding, " (input ", shape_str(xs),
               ", weight ", shape_str(ws), ")");
  MINIDL_CHECK(padding <= kMaxWindow, op, ": padding ", padding,
               " is too large (at most 2^31 - 1; ", "input ", shape_str(xs), ", weight ",
               shape_str(ws), ")");
  MINIDL_CHECK(ws[2] >= 1 && ws[3] >= 1, op, ": kernel must be at least 1x1, got ", ws[2], "x",
               ws[3], " (input ", shape_str(xs), ", weight ", shape_str(ws), ")");
  const int64_t Hp = xs[2] + 2 * padding, Wp = xs[3] + 2 * padding;
  MINIDL_CHECK(ws[2] <= Hp && ws[3] <= Wp, op, ": kernel ", ws[2], "x", ws[3],
               " is larger than the padded input ", Hp, "x", Wp, " (input ", shape_str(xs),
               ", weight ", shape_str(ws), ", padding ", padding, ")");
  const int64_t OH = (Hp - ws[2]) / stride + 1, OW = (Wp - ws[3]) / stride + 1;
  const ConvParams g{xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3], OH, OW, stride, padding};
  for (int64_t v : {g.F, g.K(), g.P()})  // gemm sizes are int in BLAS
    MINIDL_CHECK(v <= std::numeric_limits<int>::max(), op, ": input ", shape_str(xs),
                 " and weight ", shape_str(ws), " give a gemm size ", v,
                 " beyond what BLAS can address");
  return g;
}

float* data_or_null(const Tensor& t) { return t.defined() ? t.data() : nullptr; }

// Scratch memory of `floats` floats on dev (undefined when 0).
Tensor workspace(int64_t floats, Device dev) {
  return floats > 0 ? Tensor::empty({floats}, dev) : Tensor();
}

}  // namespace

// y[n, f] = b[f] + sum_c W[f, c] (*) x[n, c]  (cross-correlation), computed as, per image n,
//   y_n (F, P) = b 1^T + W (F, K) col_n (K, P),   col_n = im2col(x_n)
// Backward, given gy_n (F, P):
//   dW (F, K) = sum_n gy_n col_n^T,   db (F) = sum_n gy_n 1,   dx_n = col2im(W^T gy_n)
// The kernels (core/cpu/conv.cpp, cuda/conv.cu) cut these products into pieces; a 1x1 stride-1
// unpadded convolution is its own col matrix.
Tensor conv2d(const Tensor& x, const Tensor& W, const Tensor& b, int64_t stride, int64_t padding) {
  const ConvParams g = conv_geometry(x, W, b, stride, padding);
  const Device dev = x.device();
  Tensor xc = contiguous(x.detach()), Wc = contiguous(W.detach());
  Tensor bc = b.defined() ? contiguous(b.detach()) : Tensor();
  Tensor y = Tensor::empty({g.N, g.F, g.OH, g.OW}, dev);  // (N, F, OH, OW)
  {
    int64_t floats = 0;
    MINIDL_DISPATCH_RESULT(dev, floats, conv2d_forward_workspace, g);
    Tensor ws = workspace(floats, dev);
    MINIDL_DISPATCH(dev, conv2d_forward, g, xc.data(), Wc.data(), data_or_null(bc), y.data(),
                    data_or_null(ws));
  }

  return record(
      "conv2d", y, {x, W, b},
      [g, xc, Wc, wshape = W.shape()](const Tensor& gy_in, const Needs& needs) {
        const Device dev = xc.device();
        Tensor gy = contiguous(gy_in);  // (N, F, OH, OW)
        Tensor dx, dW, db;
        if (needs[0]) dx = Tensor::empty(xc.shape(), dev);  // (N, C, H, W)
        if (needs[1]) dW = Tensor::empty(wshape, dev);      // (F, C, KH, KW) viewed as (F, K)
        if (needs[2]) db = Tensor::empty({g.F}, dev);       // (F)
        int64_t floats = 0;
        MINIDL_DISPATCH_RESULT(dev, floats, conv2d_backward_workspace, g, needs[0], needs[1]);
        Tensor ws = workspace(floats, dev);
        if (!profile::enabled()) {
          MINIDL_DISPATCH(dev, conv2d_backward, g, xc.data(), Wc.data(), gy.data(),
                          data_or_null(dx), data_or_null(dW), data_or_null(db), data_or_null(ws));
          return Grads{dx, dW, db};
        }
        // Profiling: two kernel calls (each computes only what it is given), so that the profile
        // can tell the weight gradient (with the bias's) from the input gradient.
        if (needs[1] || needs[2]) {
          profile::Timer timer(profile::Category::DW);
          MINIDL_DISPATCH(dev, conv2d_backward, g, xc.data(), Wc.data(), gy.data(), nullptr,
                          data_or_null(dW), data_or_null(db), data_or_null(ws));
        }
        if (needs[0]) {
          profile::Timer timer(profile::Category::Dx);
          MINIDL_DISPATCH(dev, conv2d_backward, g, xc.data(), Wc.data(), gy.data(), dx.data(),
                          nullptr, nullptr, data_or_null(ws));
        }
        return Grads{dx, dW, db};
      });
}

bool conv2d_max_pool2d_fuses(const Tensor& x, const Tensor& W, const Tensor& b, int64_t stride,
                             int64_t padding, int64_t pool) {
  if (!x.defined() || x.device() != Device::CPU) return false;
  try {
    return cpu::conv2d_pool_fuses(conv_geometry(x, W, b, stride, padding), pool);
  } catch (const Error&) {
    return false;  // conv2d's error, which the two ops then give
  }
}

// The fused pass (core/cpu/conv_pool.h): the pooled output (through the leaky ReLU, if any) and
// each winner's place in its window; backward rebuilds the convolution's gradient from the
// pool's, band by band.
Tensor conv2d_max_pool2d(const Tensor& x, const Tensor& W, const Tensor& b, int64_t stride,
                         int64_t padding, int64_t pool, std::optional<float> leaky_slope) {
  const ConvParams g = conv_geometry(x, W, b, stride, padding, "conv2d_max_pool2d");
  MINIDL_CHECK(pool >= 1, "conv2d_max_pool2d: pool must be >= 1, got ", pool, " (input ",
               shape_str(x.shape()), ")");
  // A slope >= 0 keeps the sign, so the output tells where the input was positive.
  const cpu::PoolLeaky act{leaky_slope && *leaky_slope >= 0.f, leaky_slope.value_or(0.f)};
  if (x.device() != Device::CPU || !cpu::conv2d_pool_fuses(g, pool)) {
    Tensor y = max_pool2d(conv2d(x, W, b, stride, padding), pool);
    return leaky_slope ? leaky_relu(y, *leaky_slope) : y;
  }
  if (leaky_slope && !act.on)  // a negative slope: the activation as its own op
    return leaky_relu(conv2d_max_pool2d(x, W, b, stride, padding, pool), *leaky_slope);
  const int64_t OHp = g.OH / pool, OWp = g.OW / pool;
  Tensor xc = contiguous(x.detach()), Wc = contiguous(W.detach());
  Tensor bc = b.defined() ? contiguous(b.detach()) : Tensor();
  Tensor y = Tensor::empty({g.N, g.F, OHp, OWp}, Device::CPU);
  // The winners' places in their windows, a byte each (N, F, OHp, OWp).
  auto codes = std::make_shared<Storage>(static_cast<size_t>(y.numel()), Device::CPU);
  {
    Tensor ws = workspace(cpu::conv2d_pool_forward_workspace(g, pool), Device::CPU);
    cpu::conv2d_pool_forward(g, pool, xc.data(), Wc.data(), data_or_null(bc), y.data(),
                             static_cast<uint8_t*>(codes->data()), data_or_null(ws), act);
  }
  // With the activation, the codes also say where it took its slope: backward needs no output.
  return record(
      "conv2d_max_pool2d", y, {x, W, b},
      [g, pool, xc, Wc, codes, act, wshape = W.shape()](const Tensor& gy_in, const Needs& needs) {
        Tensor gp = contiguous(gy_in);  // (N, F, OHp, OWp)
        const auto* a = static_cast<const uint8_t*>(codes->data());
        Tensor dx, dW, db;
        if (needs[0]) dx = Tensor::empty(xc.shape(), Device::CPU);
        if (needs[1]) dW = Tensor::empty(wshape, Device::CPU);
        if (needs[2]) db = Tensor::empty({g.F}, Device::CPU);
        Tensor ws =
            workspace(cpu::conv2d_pool_backward_workspace(g, needs[0], needs[1]), Device::CPU);
        // As conv2d's: with the profiler on, dW (and db) and dx are timed apart.
        if (needs[1] || needs[2]) {
          profile::Timer timer(profile::Category::DW);
          cpu::conv2d_pool_backward(g, pool, xc.data(), Wc.data(), gp.data(), a, nullptr,
                                    data_or_null(dW), data_or_null(db), data_or_null(ws), act);
        }
        if (needs[0]) {
          profile::Timer timer(profile::Category::Dx);
          cpu::conv2d_pool_backward(g, pool, xc.data(), Wc.data(), gp.data(), a, dx.data(), nullptr,
                                    nullptr, data_or_null(ws), act);
        }
        return Grads{dx, dW, db};
      });
}

// y[n, c, oh, ow] = max of x over the window at (oh * stride - padding, ow * stride - padding),
// padded positions excluded; argmax[n, c, oh, ow] = the winner's index h * W + w in its plane.
// Backward: dx[n, c, argmax] += gy[n, c, oh, ow] (only the winner of a window gets gradient).
Tensor max_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding) {
  const char* op = "max_pool2d";
  profile::Timer timer(profile::Category::Pooling);  // its node's backward counts as pooling too
  detail::check_defined(op, x, "input");
  const Shape& xs = x.shape();
  MINIDL_CHECK(x.dim() == 4, op, ": input must have rank 4 (N, C, H, W), got shape ",
               shape_str(xs));
  MINIDL_CHECK(kernel >= 1, op, ": kernel must be >= 1, got ", kernel, " (input ", shape_str(xs),
               ")");
  MINIDL_CHECK(kernel <= kMaxWindow, op, ": kernel ", kernel, " is too large (at most 2^31 - 1; ",
               "input ", shape_str(xs), ")");
  MINIDL_CHECK(stride >= 0, op, ": stride must be >= 1 (or 0, meaning stride = kernel), got ",
               stride, " (input ", shape_str(xs), ")");
  MINIDL_CHECK(padding >= 0 && padding <= kernel / 2, op,
               ": padding must be in [0, kernel / 2] = [0, ", kernel / 2, "], got ", padding,
               " (input ", shape_str(xs), ", kernel ", kernel, ")");
  if (stride == 0) stride = kernel;
  const int64_t N = xs[0], C = xs[1], H = xs[2], W = xs[3];
  // An empty plane would give windows of padding alone, whose max is -inf (PyTorch rejects it).
  MINIDL_CHECK(H >= 1 && W >= 1, op, ": input ", shape_str(xs),
               " has an empty plane (H and W must be >= 1)");
  const int64_t Hp = H + 2 * padding, Wp = W + 2 * padding;
  MINIDL_CHECK(kernel <= Hp && kernel <= Wp, op, ": kernel ", kernel, "x", kernel,
               " is larger than the padded input ", Hp, "x", Wp, " (input ", shape_str(xs),
               ", padding ", padding, ")");
  MINIDL_CHECK(H * W <= std::numeric_limits<int32_t>::max(), op, ": input ", shape_str(xs),
               " has more than 2^31 - 1 elements per plane (the argmax is int32)");
  const int64_t OH = (Hp - kernel) / stride + 1, OW = (Wp - kernel) / stride + 1;

  const Device dev = x.device();
  Tensor xc = contiguous(x.detach());
  Tensor y = Tensor::empty({N, C, OH, OW}, dev);  // (N, C, OH, OW)
  auto argmax = std::make_shared<Storage>(static_cast<size_t>(N * C * OH * OW) * sizeof(int32_t),
                                          dev);  // int32 (N, C, OH, OW)
  MINIDL_DISPATCH(dev, max_pool2d, xc.data(), N, C, H, W, kernel, stride, padding, OH, OW, y.data(),
                  static_cast<int32_t*>(argmax->data()));

  return record(op, y, {x}, [argmax, xs, dev](const Tensor& gy_in, const Needs&) {
    Tensor gy = contiguous(gy_in);  // (N, C, OH, OW)
    Tensor dx = Tensor::empty(xs, dev);
    MINIDL_DISPATCH(dev, max_pool2d_backward, gy.data(),
                    static_cast<const int32_t*>(argmax->data()), xs[0], xs[1], xs[2], xs[3],
                    gy.shape()[2], gy.shape()[3], dx.data());
    return Grads{dx};
  });
}

}  // namespace minidl
