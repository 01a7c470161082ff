// conv2d (im2col + gemm per image; a 1x1 stride-1 unpadded convolution is a plain gemm) and
// max_pool2d (the argmax is kept for backward), each with its backward beside the forward.
#include "core/ops/conv.h"

#include <limits>
#include <memory>

#include "core/cpu/kernels.h"
#include "core/ops/creation.h"
#include "core/ops/op_util.h"
#include "core/ops/shape.h"

namespace minidl {

using Grads = std::vector<Tensor>;
using Needs = std::vector<bool>;

namespace {

// The sizes of one convolution. In the gemm view an image's col matrix is (K, P) with
// K = C*KH*KW rows and P = OH*OW columns; W is viewed as (F, K) and y_n as (F, P).
struct ConvGeom {
  int64_t N, C, H, W, F, KH, KW, OH, OW, stride, pad;
  int64_t K() const { return C * KH * KW; }
  int64_t P() const { return OH * OW; }
  // A 1x1, stride-1, unpadded convolution: the image (C, H*W) is its own col matrix.
  bool is_1x1() const { return KH == 1 && KW == 1 && stride == 1 && pad == 0; }
};

ConvGeom conv_geometry(const Tensor& x, const Tensor& W, const Tensor& b, int64_t stride,
                       int64_t padding) {
  const char* op = "conv2d";
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
  const int64_t Hp = xs[2] + 2 * padding, Wp = xs[3] + 2 * padding;
  MINIDL_CHECK(ws[2] <= Hp && ws[3] <= Wp, op, ": kernel ", ws[2], "x", ws[3],
               " is larger than the padded input ", Hp, "x", Wp, " (input ", shape_str(xs),
               ", weight ", shape_str(ws), ", padding ", padding, ")");
  const int64_t OH = (Hp - ws[2]) / stride + 1, OW = (Wp - ws[3]) / stride + 1;
  return ConvGeom{xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3], OH, OW, stride, padding};
}

// The col matrix (K, P) of image x_n: im2col into `col`, or x_n itself in the 1x1 case.
const float* col_of(const ConvGeom& g, Device dev, const float* x_n, float* col) {
  if (g.is_1x1()) return x_n;
  MINIDL_DISPATCH(dev, im2col, x_n, g.C, g.H, g.W, g.KH, g.KW, g.stride, g.pad, g.OH, g.OW, col);
  return col;
}

float* data_or_null(const Tensor& t) { return t.defined() ? t.data() : nullptr; }

}  // namespace

// Forward, per image n (row-major gemm views):
//   y_n (F, P) = b 1^T + W (F, K) col_n (K, P),   col_n = im2col(x_n)
// Backward, given gy_n (F, P):
//   dW (F, K) = sum_n gy_n col_n^T       (gemm with beta = 1 over the batch)
//   db (F)    = sum_n gy_n 1             (the sum of gy over N, OH, OW)
//   dx_n      = col2im(W^T gy_n)         (1x1: dx_n = W^T gy_n directly)
Tensor conv2d(const Tensor& x, const Tensor& W, const Tensor& b, int64_t stride, int64_t padding) {
  const ConvGeom g = conv_geometry(x, W, b, stride, padding);
  const Device dev = x.device();
  const int64_t F = g.F, K = g.K(), P = g.P(), xsize = g.C * g.H * g.W;
  Tensor xc = contiguous(x.detach()), Wc = contiguous(W.detach());
  Tensor bc = b.defined() ? contiguous(b.detach()) : Tensor();
  Tensor y = Tensor::empty({g.N, F, g.OH, g.OW}, dev);              // (N, F, OH, OW)
  Tensor col = g.is_1x1() ? Tensor() : Tensor::empty({K, P}, dev);  // (K, P), reused
  Tensor ones = bc.defined() ? full({P}, 1.f, dev) : Tensor();      // (P)
  for (int64_t n = 0; n < g.N; ++n) {
    float* y_n = y.data() + n * F * P;
    float beta = 0.f;
    if (bc.defined()) {  // y_n = b 1^T: (F, 1) (1, P)
      MINIDL_DISPATCH(dev, gemm, false, false, F, P, 1, 1.f, bc.data(), 1, ones.data(), P, 0.f, y_n,
                      P);
      beta = 1.f;
    }
    const float* col_n = col_of(g, dev, xc.data() + n * xsize, data_or_null(col));
    MINIDL_DISPATCH(dev, gemm, false, false, F, P, K, 1.f, Wc.data(), K, col_n, P, beta, y_n, P);
  }

  return record(
      "conv2d", y, {x, W, b},
      [g, xc, Wc, wshape = W.shape()](const Tensor& gy_in, const Needs& needs) {
        const Device dev = xc.device();
        const int64_t F = g.F, K = g.K(), P = g.P(), xsize = g.C * g.H * g.W;
        Tensor gy = contiguous(gy_in);  // (N, F, OH, OW)
        Tensor dx, dW, db, ones;
        if (needs[0]) dx = g.is_1x1() ? Tensor::empty(xc.shape(), dev) : zeros(xc.shape(), dev);
        if (needs[1]) dW = zeros(wshape, dev);  // (F, C, KH, KW) viewed as (F, K)
        if (needs[2]) {
          db = zeros({F}, dev);
          ones = full({P}, 1.f, dev);
        }
        Tensor col;  // (K, P): col_n for dW, then W^T gy_n for dx
        if (!g.is_1x1() && (needs[0] || needs[1])) col = Tensor::empty({K, P}, dev);
        for (int64_t n = 0; n < g.N; ++n) {
          const float* gy_n = gy.data() + n * F * P;
          if (needs[1]) {  // dW += gy_n col_n^T: (F, P) (P, K)
            const float* col_n = col_of(g, dev, xc.data() + n * xsize, data_or_null(col));
            MINIDL_DISPATCH(dev, gemm, false, true, F, K, P, 1.f, gy_n, P, col_n, P, 1.f, dW.data(),
                            K);
          }
          if (needs[2])  // db += gy_n 1: (F, P) (P, 1)
            MINIDL_DISPATCH(dev, gemm, false, false, F, 1, P, 1.f, gy_n, P, ones.data(), 1, 1.f,
                            db.data(), 1);
          if (needs[0]) {  // dx_n = col2im(W^T gy_n): (K, F) (F, P) -> (K, P) -> (C, H, W)
            float* dx_n = dx.data() + n * xsize;
            float* target = g.is_1x1() ? dx_n : col.data();
            MINIDL_DISPATCH(dev, gemm, true, false, K, P, F, 1.f, Wc.data(), K, gy_n, P, 0.f,
                            target, P);
            if (!g.is_1x1())
              MINIDL_DISPATCH(dev, col2im, target, g.C, g.H, g.W, g.KH, g.KW, g.stride, g.pad, g.OH,
                              g.OW, dx_n);
          }
        }
        return Grads{dx, dW, db};
      });
}

// y[n, c, oh, ow] = max of x over the window at (oh * stride - padding, ow * stride - padding),
// padded positions excluded; argmax[n, c, oh, ow] = the winner's index h * W + w in its plane.
// Backward: dx[n, c, argmax] += gy[n, c, oh, ow] (only the winner of a window gets gradient).
Tensor max_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding) {
  const char* op = "max_pool2d";
  detail::check_defined(op, x, "input");
  const Shape& xs = x.shape();
  MINIDL_CHECK(x.dim() == 4, op, ": input must have rank 4 (N, C, H, W), got shape ",
               shape_str(xs));
  MINIDL_CHECK(kernel >= 1, op, ": kernel must be >= 1, got ", kernel, " (input ", shape_str(xs),
               ")");
  MINIDL_CHECK(stride >= 0, op, ": stride must be >= 1 (or 0, meaning stride = kernel), got ",
               stride, " (input ", shape_str(xs), ")");
  MINIDL_CHECK(padding >= 0 && padding <= kernel / 2, op,
               ": padding must be in [0, kernel / 2] = [0, ", kernel / 2, "], got ", padding,
               " (input ", shape_str(xs), ", kernel ", kernel, ")");
  if (stride == 0) stride = kernel;
  const int64_t N = xs[0], C = xs[1], H = xs[2], W = xs[3];
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
