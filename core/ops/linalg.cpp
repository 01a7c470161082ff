// Matrix products on cpu::gemm (cblas_sgemm): matmul (plain, batched, and batched times shared) and
// linear (x W^T + b). Transposed views are handed to gemm as a transpose flag and a leading
// dimension instead of being copied; only layouts BLAS cannot read (a step-2 slice, a broadcast
// axis) are made contiguous first.
#include "core/ops/linalg.h"

#include <optional>

#include "core/cpu/kernels.h"
#include "core/ops/op_util.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"
#include "core/profile.h"

namespace minidl {

namespace {

// A strided matrix as gemm sees it: element (r, c) at p[r * rs + c * cs]. A batch of them has
// matrix b at p + b * bs; bs = 0 means one matrix shared by every batch.
struct Mat {
  const float* p;
  int64_t rows, cols, rs, cs, bs;
  Mat t() const { return {p, cols, rows, cs, rs, bs}; }  // the transpose: swapped strides, no copy
  // An empty operand has no data (p is null): no offset may be applied to it.
  Mat at(int64_t b) const { return {p ? p + b * bs : p, rows, cols, rs, cs, bs}; }
};

// m = op(S) for a row-major S with leading dimension ld; op transposes when `trans`.
struct BlasForm {
  bool trans;
  int64_t ld;
};

// The BLAS form of m: row-major data (cs = 1, rs >= cols) or the transpose of row-major data
// (rs = 1, cs >= rows). Strides of size-1 axes do not matter. Nothing for other layouts.
std::optional<BlasForm> blas_form(const Mat& m) {
  const int64_t R = m.rows, C = m.cols;
  if (R == 0 || C == 0) return BlasForm{false, C > 0 ? C : 1};  // gemm reads no element
  if ((C == 1 || m.cs == 1) && (R == 1 || m.rs >= C)) return BlasForm{false, R == 1 ? C : m.rs};
  if ((R == 1 || m.rs == 1) && (C == 1 || m.cs >= R)) return BlasForm{true, C == 1 ? R : m.cs};
  return std::nullopt;
}

// The matrices of x's last two axes (x is 2-D or 3-D); a 2-D x is one matrix (bs = 0).
Mat mat_of(const Tensor& x) {
  const int64_t d = x.dim();
  const Shape &s = x.shape(), &st = x.strides();
  return {x.data(), s[d - 2], s[d - 1], st[d - 2], st[d - 1], d == 3 ? st[0] : 0};
}

// x detached, as is when gemm can read its matrices in place, else a contiguous copy.
Tensor gemm_ready(const Tensor& x) {
  Tensor d = x.detach();
  return blas_form(mat_of(d)) ? d : contiguous(d);
}

// For b < nb: C[b] = A[b] B[b] with C[b] at C + b * c_bs, or, when c_bs == 0, C = sum_b A[b] B[b].
// C is contiguous (M, N) per batch; with `accumulate` the products are added to what C holds.
// (When M * N == 0 the two readings of c_bs == 0 coincide: C has no element to write.)
// A and B must have a BLAS form (see gemm_ready). Batches merge into one gemm where strides allow.
void bmm(Device dev, int64_t nb, Mat A, Mat B, float* C, int64_t c_bs, bool accumulate = false) {
  const int64_t M = A.rows, K = A.cols, N = B.cols;
  // A shared B: C[b] = A[b] B for all b is one (nb*M, K) @ (K, N) when A's matrices follow one
  // another row after row (a contiguous (B, M, K) tensor).
  if (nb > 1 && B.bs == 0 && c_bs == M * N && (M == 1 || A.bs == M * A.rs)) {
    Mat S{A.p, nb * M, K, M == 1 ? A.bs : A.rs, A.cs, 0};
    if (blas_form(S)) {
      A = S;
      nb = 1;
    }
  }
  // A sum over batches: sum_b A[b] B[b] = [A[0] ... A[nb-1]] [B[0]; ...; B[nb-1]], one
  // (M, nb*K) @ (nb*K, N) when the matrices sit side by side in A and one under another in B.
  if (nb > 1 && c_bs == 0 && (K == 1 || (A.bs == K * A.cs && B.bs == K * B.rs))) {
    Mat SA{A.p, M, nb * K, A.rs, K == 1 ? A.bs : A.cs, 0};
    Mat SB{B.p, nb * K, N, K == 1 ? B.bs : B.rs, B.cs, 0};
    if (blas_form(SA) && blas_form(SB)) {
      A = SA;
      B = SB;
      nb = 1;
    }
  }
  if (nb == 0 && c_bs == 0 && !accumulate) MINIDL_DISPATCH(dev, fill, C, M * N, 0.f);  // empty sum
  for (int64_t b = 0; b < nb; ++b) {
    const Mat a = A.at(b), m = B.at(b);
    const BlasForm fa = *blas_form(a), fb = *blas_form(m);
    const float beta = accumulate || (c_bs == 0 && b > 0) ? 1.f : 0.f;
    MINIDL_DISPATCH(dev, gemm, fa.trans, fb.trans, a.rows, N, a.cols, 1.f, a.p, fa.ld, m.p, fb.ld,
                    beta, C + b * c_bs, N);
  }
}

}  // namespace

// Y = A B  =>  dA = gY B^T  and  dB = A^T gY, batch by batch. With a shared B (3-D @ 2-D),
// dB = sum_b A[b]^T gY[b]. The transposes are strides handed to gemm, never copies.
Tensor matmul(const Tensor& a, const Tensor& b) {
  const char* name = "matmul";
  detail::check_defined(name, a, "first input");
  detail::check_defined(name, b, "second input");
  detail::check_same_device(name, {a, b});
  const Shape &sa = a.shape(), &sb = b.shape();
  MINIDL_CHECK((a.dim() == 2 || a.dim() == 3) && (b.dim() == 2 || (b.dim() == 3 && a.dim() == 3)),
               name, ": shapes ", shape_str(sa), " and ", shape_str(sb),
               " are not supported: expects (M, K) @ (K, N), (B, M, K) @ (B, K, N) or "
               "(B, M, K) @ (K, N)");
  const int64_t M = sa[a.dim() - 2], K = sa[a.dim() - 1], N = sb[b.dim() - 1];
  MINIDL_CHECK(sb[b.dim() - 2] == K, name, ": shapes ", shape_str(sa), " and ", shape_str(sb),
               " do not match: inner sizes ", K, " vs ", sb[b.dim() - 2]);
  MINIDL_CHECK(b.dim() == 2 || sa[0] == sb[0], name, ": shapes ", shape_str(sa), " and ",
               shape_str(sb), " do not match: batch sizes ", sa[0], " vs ", sb[0]);
  const int64_t nb = a.dim() == 3 ? sa[0] : 1;
  const Shape out = a.dim() == 3 ? Shape{nb, M, N} : Shape{M, N};  // (B, M, N) or (M, N)

  Tensor A = gemm_ready(a), B = gemm_ready(b);
  Tensor y = Tensor::empty(out, a.device());
  bmm(a.device(), nb, mat_of(A), mat_of(B), y.data(), M * N);
  return record(name, y, {a, b}, [A, B, nb, M, K, N](const Tensor& gy, const Needs& n) {
    Tensor G = gemm_ready(gy);
    Tensor dA, dB;
    if (n[0]) {  // dA[b] = gY[b] B[b]^T: (M, N) @ (N, K)
      profile::Timer timer(profile::Category::Dx);
      dA = Tensor::empty(A.shape(), A.device());
      bmm(A.device(), nb, mat_of(G), mat_of(B).t(), dA.data(), M * K);
    }
    if (n[1]) {  // dB[b] = A[b]^T gY[b]: (K, M) @ (M, N), summed over b when B is shared
      profile::Timer timer(profile::Category::DW);
      dB = Tensor::empty(B.shape(), B.device());
      bmm(B.device(), nb, mat_of(A).t(), mat_of(G), dB.data(), B.dim() == 3 ? K * N : 0);
    }
    return Grads{dA, dB};
  });
}

// y = x W^T + b  =>  dx = gY W,  dW = gY^T x,  db = sum over rows of gY.
// W^T is W's transpose flag in gemm; b is written into y first and gemm adds x W^T (beta = 1).
Tensor linear(const Tensor& x, const Tensor& W, const Tensor& b) {
  const char* name = "linear";
  detail::check_defined(name, x, "input x");
  detail::check_defined(name, W, "weight W");
  std::vector<Tensor> all{x, W};
  if (b.defined()) all.push_back(b);
  detail::check_same_device(name, all);
  MINIDL_CHECK(x.dim() == 2 && W.dim() == 2, name, ": expects x (N, in) and W (out, in); got x ",
               shape_str(x.shape()), " and W ", shape_str(W.shape()));
  const int64_t N = x.shape()[0], in = x.shape()[1], out = W.shape()[0];
  MINIDL_CHECK(W.shape()[1] == in, name, ": x ", shape_str(x.shape()), " and W ",
               shape_str(W.shape()), " do not match: x has ", in, " features, W (out, in) expects ",
               W.shape()[1]);
  MINIDL_CHECK(!b.defined() || b.shape() == Shape{out}, name, ": bias b ", shape_str(b.shape()),
               " does not match W ", shape_str(W.shape()), ": expected (", out, ")");

  Tensor X = gemm_ready(x), Wd = gemm_ready(W);
  Tensor y = Tensor::empty({N, out}, x.device());  // (N, out)
  if (b.defined())
    MINIDL_DISPATCH(x.device(), copy_strided, b.data(), detail::broadcast_layout(b, {N, out}),
                    y.data());
  bmm(x.device(), 1, mat_of(X), mat_of(Wd).t(), y.data(), 0, b.defined());
  return record(name, y, {x, W, b}, [X, Wd](const Tensor& gy, const Needs& n) {
    Tensor G = gemm_ready(gy);
    Tensor dx, dW, db;
    if (n[0]) {  // dx = gY W: (N, out) @ (out, in)
      profile::Timer timer(profile::Category::Dx);
      dx = Tensor::empty(X.shape(), X.device());
      bmm(X.device(), 1, mat_of(G), mat_of(Wd), dx.data(), 0);
    }
    if (n[1]) {  // dW = gY^T x: (out, N) @ (N, in)
      profile::Timer timer(profile::Category::DW);
      dW = Tensor::empty(Wd.shape(), Wd.device());
      bmm(Wd.device(), 1, mat_of(G).t(), mat_of(X), dW.data(), 0);
    }
    if (n[2]) db = sum(gy, {0});  // (out)
    return Grads{dx, dW, db};
  });
}

}  // namespace minidl
