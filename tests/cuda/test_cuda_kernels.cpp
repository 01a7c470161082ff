// Every CUDA kernel against its CPU twin on the same random inputs: strided and broadcast layouts,
// sizes around the block size, empty tensors. CUDA builds only (cmake/cuda.cmake defines
// MINIDL_TEST_CUDA_KERNELS); without a GPU each test prints MINIDL_SKIP and ctest skips it.
#include "support/gpu.h"
#include "support/helpers.h"

#if MINIDL_TEST_CUDA_KERNELS

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "core/cpu/kernels.h"
#include "cuda/kernels.h"
#include "cuda/runtime.h"
#include "ops/op_table.h"
#include "support/kernels.h"

using namespace minidl;
using namespace minidl::test;

namespace {

/// n copies of v.
std::vector<float> filled(int64_t n, float v = 0.f) {
  return std::vector<float>(static_cast<size_t>(n), v);
}

/// A device copy of host values; d.p is the device pointer (nullptr when empty).
struct Dev {
  Tensor t;
  float* p;
  explicit Dev(const std::vector<float>& v)
      : t(from_vector(v, {static_cast<int64_t>(v.size())}, Device::CUDA)), p(t.data()) {}
  std::vector<float> host() const { return t.to_vector(); }
};

/// The CUDA result `got` matches the CPU's `ref` within atol + rtol * |ref| (tests/ops/op_table.h:
/// NaN matches NaN, an infinity the same infinity).
#define CHECK_MATCH(ref, got, atol, rtol)                                      \
  do {                                                                         \
    const std::vector<float>& ref_ = ref;                                      \
    std::string why_ = differs({ref_.begin(), ref_.end()}, got, {atol, rtol}); \
    INFO(why_);                                                                \
    CHECK(why_.empty());                                                       \
  } while (0)

Layout make_layout(const Shape& shape, const Shape& stride) {
  Layout l;
  l.ndim = static_cast<int>(shape.size());
  for (size_t k = 0; k < shape.size(); ++k) l.shape[k] = shape[k], l.stride[k] = stride[k];
  return l;
}

int64_t numel(const Layout& l) {
  int64_t n = 1;
  for (int k = 0; k < l.ndim; ++k) n *= l.shape[k];
  return n;
}

/// Elements a buffer read through l needs (its largest offset + 1; 0 when l is empty).
int64_t extent(const Layout& l) {
  if (numel(l) == 0) return 0;
  int64_t last = 0;
  for (int k = 0; k < l.ndim; ++k) last += (l.shape[k] - 1) * l.stride[k];
  return last + 1;
}

// Layouts for the copy kernels: contiguous, transposed, permuted, stepped, broadcast, size-1 axes,
// 0-d, empty, and sizes on both sides of the block size.
std::vector<Layout> copy_layouts() {
  return {make_layout({257}, {1}),
          make_layout({3, 5}, {1, 3}),
          make_layout({4, 3, 5}, {5, 20, 1}),
          make_layout({6, 7}, {14, 2}),
          make_layout({5, 1, 9}, {9, 9, 1}),
          make_layout({}, {}),
          make_layout({3, 0, 2}, {2, 2, 1}),
          make_layout({33, 65, 3}, {1, 99, 33}),
          make_layout({1000, 300}, {301, 1})};
}

}  // namespace

TEST_CASE("cuda: fill matches the CPU for sizes around the block size", "[cuda][gpu]") {
  if (skip_without_gpu()) return;
  for (int64_t n : {0, 1, 255, 256, 257, 100003}) {
    INFO("n = " << n);
    std::vector<float> ref(static_cast<size_t>(n));
    cpu::fill(ref.data(), n, 2.5f);
    Dev d(random_vec(n, 1));
    cuda::fill(d.p, n, 2.5f);
    CHECK_MATCH(ref, d.host(), 0, 0);
  }
}

TEST_CASE("cuda: copy_strided and scatter_strided match the CPU for strided layouts",
          "[cuda][gpu]") {
  if (skip_without_gpu()) return;
  int seed = 10;
  for (const Layout& l : copy_layouts()) {
    INFO("layout " << l.ndim << "-d, " << numel(l) << " elements");
    std::vector<float> x = random_vec(extent(l), ++seed), ref(numel(l));
    cpu::copy_strided(x.data(), l, ref.data());
    Dev dx(x), dy(filled(numel(l), -7.f));
    cuda::copy_strided(dx.p, l, dy.p);
    CHECK_MATCH(ref, dy.host(), 0, 0);
  }
  // A broadcast read (stride 0), as linear() copies its bias into every row.
  const Layout b = make_layout({100, 37}, {0, 1});
  std::vector<float> x = random_vec(37, 3), ref(100 * 37);
  cpu::copy_strided(x.data(), b, ref.data());
  Dev dx(x), dy(filled(100 * 37, 0.f));
  cuda::copy_strided(dx.p, b, dy.p);
  CHECK_MATCH(ref, dy.host(), 0, 0);

  for (const Layout& l : copy_layouts()) {  // none maps two elements to one place
    INFO("scatter into a " << l.ndim << "-d layout of " << numel(l) << " elements");
    std::vector<float> src = random_vec(numel(l), ++seed), y = random_vec(extent(l), ++seed);
    Dev ds(src), dy2(y);
    cpu::scatter_strided(src.data(), y.data(), l);
    cuda::scatter_strided(ds.p, dy2.p, l);
    CHECK_MATCH(y, dy2.host(), 0, 0);
  }
}

TEST_CASE("cuda: unary and unary_backward match the CPU for every UnaryOp", "[cuda][gpu]") {
  if (skip_without_gpu()) return;
  // Each UnaryOp's row of the op table (tests/ops) gives its scalars and a range inside its domain;
  // the test "ops: the table has one row per ..." checks that every UnaryOp has one.
  for (const OpRow& row : op_rows()) {
    if (!row.unary) continue;
    const UnaryKernel& c = *row.unary;
    for (int64_t n : {0, 1, 257, 4099}) {
      INFO("UnaryOp " << static_cast<int>(c.op) << ", n = " << n);
      std::vector<float> x = random_vec(n, 20 + n, c.lo, c.hi), gy = random_vec(n, 21 + n);
      std::vector<float> y(n), dx(n);
      cpu::unary(c.op, n, x.data(), y.data(), c.a, c.b);
      cpu::unary_backward(c.op, n, x.data(), y.data(), gy.data(), dx.data(), c.a, c.b);
      Dev dxin(x), dgy(gy), dy(filled(n)), ddx(filled(n));
      cuda::unary(c.op, n, dxin.p, dy.p, c.a, c.b);
      cuda::unary_backward(c.op, n, dxin.p, dy.p, dgy.p, ddx.p, c.a, c.b);
      // device expf / powf / tanhf are within 2 ulp of the host's
      CHECK_MATCH(y, dy.host(), 1e-6, 2e-6);
      CHECK_MATCH(dx, ddx.host(), 1e-6, 2e-5);
    }
  }
}

TEST_CASE("cuda: binary and where match the CPU with broadcast and strided operands",
          "[cuda][gpu]") {
  if (skip_without_gpu()) return;
  struct Shapes {
    Layout out, a, b;
  };
  const Shapes shapes[] = {
      // contiguous (flat path), broadcast row, transposed operand, 0-d scalar, empty, long rows
      {make_layout({4, 5, 6}, {30, 6, 1}), make_layout({4, 5, 6}, {30, 6, 1}),
       make_layout({4, 5, 6}, {30, 6, 1})},
      {make_layout({4, 5, 6}, {30, 6, 1}), make_layout({4, 5, 6}, {30, 6, 1}),
       make_layout({4, 5, 6}, {0, 1, 0})},
      {make_layout({7, 9}, {9, 1}), make_layout({7, 9}, {1, 7}), make_layout({7, 9}, {0, 1})},
      {make_layout({}, {}), make_layout({}, {}), make_layout({}, {})},
      {make_layout({0, 3}, {3, 1}), make_layout({0, 3}, {3, 1}), make_layout({0, 3}, {0, 1})},
      {make_layout({3, 1000}, {1000, 1}), make_layout({3, 1000}, {1, 3}),
       make_layout({3, 1000}, {0, 1})},
      {make_layout({2, 1, 257}, {257, 257, 1}), make_layout({2, 1, 257}, {0, 0, 0}),
       make_layout({2, 1, 257}, {514, 257, 2})}};
  std::vector<BinaryOp> ops;  // every BinaryOp, one per row of the op table
  for (const OpRow& row : op_rows())
    if (row.binary) ops.push_back(*row.binary);
  int seed = 40;
  for (const Shapes& s : shapes) {
    // positive operands keep pow and div finite; rounding to quarters makes ties for Eq / Le / Ge
    auto quarters = [](std::vector<float> v) {
      for (auto& e : v) e = std::round(e * 4.f) / 4.f + 0.25f;
      return v;
    };
    std::vector<float> a = quarters(random_vec(extent(s.a), ++seed, 0.f, 2.f));
    std::vector<float> b = quarters(random_vec(extent(s.b), ++seed, 0.f, 2.f));
    Dev da(a), db(b);
    const int64_t n = numel(s.out);
    for (BinaryOp op : ops) {
      INFO("BinaryOp " << static_cast<int>(op) << ", " << s.out.ndim << "-d output of " << n);
      std::vector<float> y(n);
      cpu::binary(op, s.out, a.data(), s.a, b.data(), s.b, y.data());
      Dev dy(filled(n));
      cuda::binary(op, s.out, da.p, s.a, db.p, s.b, dy.p);
      CHECK_MATCH(y, dy.host(), 0, 2e-6);  // exact but for powf's last bits
    }
    // where(m, a, b) with the mask laid out like b
    std::vector<float> m = random_vec(extent(s.b), ++seed);
    for (auto& e : m) e = e > 0 ? 1.f : 0.f;
    std::vector<float> y(n);
    cpu::where(s.out, m.data(), s.b, a.data(), s.a, b.data(), s.b, y.data());
    Dev dm(m), dy(filled(n));
    cuda::where(s.out, dm.p, s.b, da.p, s.a, db.p, s.b, dy.p);
    CHECK_MATCH(y, dy.host(), 0, 0);
  }
}

TEST_CASE("cuda: gemm matches the CPU for every transpose and padded leading dims", "[cuda][gpu]") {
  if (skip_without_gpu()) return;
  struct Size {
    int64_t M, N, K;
  };
  const Size sizes[] = {{1, 1, 1}, {17, 33, 65}, {64, 1, 300}, {1, 70, 257}, {5, 7, 0}, {0, 4, 3}};
  int seed = 60;
  for (const Size& z : sizes)
    for (bool tA : {false, true})
      for (bool tB : {false, true})
        for (float beta : {0.f, 1.3f}) {
          INFO("M=" << z.M << " N=" << z.N << " K=" << z.K << " transA=" << tA << " transB=" << tB
                    << " beta=" << beta);
          // stored shapes: A is (M, K) or (K, M), B is (K, N) or (N, K); each row padded by 3
          const int64_t ar = tA ? z.K : z.M, ac = tA ? z.M : z.K;
          const int64_t br = tB ? z.N : z.K, bc = tB ? z.K : z.N;
          const int64_t lda = ac + 3, ldb = bc + 3, ldc = z.N + 3;
          std::vector<float> A = random_vec(ar * lda, ++seed), B = random_vec(br * ldb, ++seed);
          std::vector<float> C = random_vec(z.M * ldc, ++seed);
          Dev dA(A), dB(B), dC(C);
          cpu::gemm(tA, tB, z.M, z.N, z.K, 0.7f, A.data(), lda, B.data(), ldb, beta, C.data(), ldc);
          cuda::gemm(tA, tB, z.M, z.N, z.K, 0.7f, dA.p, lda, dB.p, ldb, beta, dC.p, ldc);
          // FP32 on both sides (no TF32); sums of K products in different orders
          const double atol = 1e-6 + 3e-7 * static_cast<double>(z.K);
          CHECK_MATCH(C, dC.host(), atol, 1e-5);
        }
}

TEST_CASE("cuda: reduce_rows and argmax_rows match the CPU", "[cuda][gpu]") {
  if (skip_without_gpu()) return;
  struct Size {
    int64_t M, K;
  };
  // warp per row, long rows split over blocks (K >= 8192 with few rows), many short rows, empty
  const Size sizes[] = {{1, 1},       {7, 31},     {100, 33}, {4000, 5}, {2, 100000},
                        {1, 1 << 20}, {300, 9000}, {3, 8191}, {0, 4},    {3, 0}};
  int seed = 80;
  for (const Size& z : sizes) {
    std::vector<float> x = random_vec(z.M * z.K, ++seed, -2.f, 3.f);
    // With two rows or more, a NaN in row 0 past lane 0 (deep in the split rows of K = 100000)
    if (z.M >= 2 && z.K >= 2) x[z.K * 3 / 4] = std::numeric_limits<float>::quiet_NaN();
    Dev dx(x);
    for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Max, ReduceOp::Min}) {
      if (op != ReduceOp::Sum && z.K == 0) continue;  // not allowed
      INFO("ReduceOp " << static_cast<int>(op) << " M=" << z.M << " K=" << z.K);
      std::vector<float> y(z.M);
      cpu::reduce_rows(op, z.M, z.K, x.data(), y.data());
      Dev dy(filled(z.M, -1.f));
      cuda::reduce_rows(op, z.M, z.K, dx.p, dy.p);
      // both sum in double and round once: at most the last bit differs
      CHECK_MATCH(y, dy.host(), 1e-6, op == ReduceOp::Sum ? 1e-6 : 0);
    }
    if (z.K == 0) continue;
    INFO("argmax M=" << z.M << " K=" << z.K);
    std::vector<float> y(z.M);
    cpu::argmax_rows(z.M, z.K, x.data(), y.data());
    Dev dy(filled(z.M, -1.f));
    cuda::argmax_rows(z.M, z.K, dx.p, dy.p);
    CHECK_MATCH(y, dy.host(), 0, 0);
  }
  // Ties go to the first; a NaN anywhere makes max / min NaN and is argmax's winner (the first
  // NaN), as PyTorch: rows [1 3 3 2], [nan 5 1 nan], [2 2 2 2], [-1 nan -1 -3].
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> x = {1, 3, 3, 2, nan, 5, 1, nan, 2, 2, 2, 2, -1, nan, -1, -3};
  const std::vector<float> want_max = {3, nan, 2, nan}, want_min = {1, nan, 2, nan};
  Dev dx(x);
  for (ReduceOp op : {ReduceOp::Max, ReduceOp::Min}) {
    std::vector<float> y(4);
    cpu::reduce_rows(op, 4, 4, x.data(), y.data());
    CHECK_MATCH(op == ReduceOp::Max ? want_max : want_min, y, 0, 0);
    Dev dy(filled(4));
    cuda::reduce_rows(op, 4, 4, dx.p, dy.p);
    CHECK_MATCH(y, dy.host(), 0, 0);
  }
  std::vector<float> y(4);
  cpu::argmax_rows(4, 4, x.data(), y.data());
  CHECK_MATCH(std::vector<float>({1, 0, 0, 1}), y, 0, 0);
  Dev dy(filled(4));
  cuda::argmax_rows(4, 4, dx.p, dy.p);
  CHECK_MATCH(y, dy.host(), 0, 0);
}

TEST_CASE("cuda: softmax and softmax_backward match the CPU along every axis", "[cuda][gpu]") {
  if (skip_without_gpu()) return;
  struct Size {
    int64_t outer, K, inner;
  };
  // last axis (a warp per row, a block per long row), a middle axis (strided), empty
  const Size sizes[] = {{1, 1, 1}, {7, 10, 1},  {33, 257, 1}, {3, 1500, 1},
                        {2, 5, 9}, {4, 300, 7}, {0, 4, 3},    {2, 0, 3}};
  int seed = 100;
  for (const Size& z : sizes)
    for (bool log : {false, true}) {
      INFO("outer=" << z.outer << " K=" << z.K << " inner=" << z.inner << " log=" << log);
      const int64_t n = z.outer * z.K * z.inner;
      std::vector<float> x = random_vec(n, ++seed, -6.f, 6.f), gy = random_vec(n, ++seed);
      std::vector<float> y(n), dx(n);
      cpu::softmax(z.outer, z.K, z.inner, x.data(), y.data(), log);
      cpu::softmax_backward(z.outer, z.K, z.inner, y.data(), gy.data(), dx.data(), log);
      Dev dxin(x), dgy(gy), dy(filled(n)), ddx(filled(n));
      cuda::softmax(z.outer, z.K, z.inner, dxin.p, dy.p, log);
      cuda::softmax_backward(z.outer, z.K, z.inner, dy.p, dgy.p, ddx.p, log);
      CHECK_MATCH(y, dy.host(), 1e-7, 1e-5);
      CHECK_MATCH(dx, ddx.host(), 1e-6, 1e-5);
    }
}

TEST_CASE("cuda: im2col and col2im match the CPU for strides and padding", "[cuda][gpu]") {
  if (skip_without_gpu()) return;
  struct Geom {
    int64_t C, H, W, KH, KW, stride, pad;
  };
  const Geom geoms[] = {{3, 7, 9, 3, 3, 1, 1},  {2, 8, 8, 3, 3, 2, 1},    {1, 5, 6, 1, 1, 1, 0},
                        {4, 10, 7, 5, 3, 3, 2}, {16, 33, 35, 3, 3, 2, 0}, {2, 4, 4, 4, 4, 1, 0}};
  int seed = 120;
  for (const Geom& g : geoms) {
    const int64_t OH = (g.H + 2 * g.pad - g.KH) / g.stride + 1;
    const int64_t OW = (g.W + 2 * g.pad - g.KW) / g.stride + 1;
    INFO("C=" << g.C << " H=" << g.H << " W=" << g.W << " kernel " << g.KH << "x" << g.KW
              << " stride " << g.stride << " pad " << g.pad);
    const int64_t ncol = g.C * g.KH * g.KW * OH * OW, nx = g.C * g.H * g.W;
    std::vector<float> x = random_vec(nx, ++seed), col(ncol);
    cpu::im2col(x.data(), g.C, g.H, g.W, g.KH, g.KW, g.stride, g.pad, OH, OW, col.data());
    Dev dx(x), dcol(filled(ncol, -9.f));
    cuda::im2col(dx.p, g.C, g.H, g.W, g.KH, g.KW, g.stride, g.pad, OH, OW, dcol.p);
    CHECK_MATCH(col, dcol.host(), 0, 0);

    std::vector<float> c2 = random_vec(ncol, ++seed), d = random_vec(nx, ++seed);  // dx += ...
    Dev dc2(c2), dd(d);
    cpu::col2im(c2.data(), g.C, g.H, g.W, g.KH, g.KW, g.stride, g.pad, OH, OW, d.data());
    cuda::col2im(dc2.p, g.C, g.H, g.W, g.KH, g.KW, g.stride, g.pad, OH, OW, dd.p);
    CHECK_MATCH(d, dd.host(), 0, 0);  // the same additions in the same order
  }
}

TEST_CASE("cuda: conv2d_forward and conv2d_backward match the CPU kernels", "[cuda][gpu]") {
  if (skip_without_gpu()) return;
  // 3x3 pad 1; 1x1 (no col matrix); stride 2 with a 3x2 kernel; one image big enough that the CPU
  // cuts it into column tiles; a 7x7 output (the CPU splits filters and dW rows).
  const ConvParams geoms[] = {{2, 3, 9, 8, 4, 3, 3, 9, 8, 1, 1},
                              {3, 5, 6, 7, 4, 1, 1, 6, 7, 1, 0},
                              {2, 4, 11, 9, 3, 3, 2, 6, 5, 2, 1},
                              {1, 16, 64, 64, 8, 3, 3, 64, 64, 1, 1},
                              {1, 32, 7, 7, 16, 3, 3, 7, 7, 1, 1}};
  int seed = 130;
  for (const ConvParams& g : geoms) {
    INFO("N=" << g.N << " C=" << g.C << " " << g.H << "x" << g.W << " F=" << g.F << " kernel "
              << g.KH << "x" << g.KW << " stride " << g.stride << " pad " << g.pad);
    const int64_t nx = g.N * g.C * g.H * g.W, nw = g.F * g.K(), ny = g.N * g.F * g.P();
    std::vector<float> x = random_vec(nx, ++seed), w = random_vec(nw, ++seed),
                       b = random_vec(g.F, ++seed), gy = random_vec(ny, ++seed);
    std::vector<float> y(ny), dx(nx), dW(nw), db(g.F);
    std::vector<float> ws(static_cast<size_t>(std::max<int64_t>(
        {cpu::conv2d_forward_workspace(g), cpu::conv2d_backward_workspace(g, true, true), 1})));
    cpu::conv2d_forward(g, x.data(), w.data(), b.data(), y.data(), ws.data());
    cpu::conv2d_backward(g, x.data(), w.data(), gy.data(), dx.data(), dW.data(), db.data(),
                         ws.data());

    Dev dxin(x), dw(w), dbias(b), dgy(gy), dy(filled(ny, 5.f)), ddx(filled(nx, 5.f)),
        ddW(filled(nw, 5.f)), ddb(filled(g.F, 5.f));
    Dev dws(filled(std::max<int64_t>(
        {cuda::conv2d_forward_workspace(g), cuda::conv2d_backward_workspace(g, true, true), 1})));
    cuda::conv2d_forward(g, dxin.p, dw.p, dbias.p, dy.p, dws.p);
    cuda::conv2d_backward(g, dxin.p, dw.p, dgy.p, ddx.p, ddW.p, ddb.p, dws.p);
    CHECK_MATCH(y, dy.host(), 1e-4, 1e-4);  // different summation orders (gemm blocking)
    CHECK_MATCH(dx, ddx.host(), 1e-4, 1e-4);
    CHECK_MATCH(dW, ddW.host(), 1e-3, 1e-4);  // sums over up to 4096 positions
    CHECK_MATCH(db, ddb.host(), 1e-3, 1e-4);

    // Only dW (no dx, no db): the other pointers are null and nothing else is written.
    Dev ddW2(filled(nw, 5.f));
    cuda::conv2d_backward(g, dxin.p, dw.p, dgy.p, nullptr, ddW2.p, nullptr, dws.p);
    CHECK_MATCH(dW, ddW2.host(), 1e-3, 1e-4);
  }
}

TEST_CASE("cuda: max_pool2d and its backward match the CPU with overlapping windows",
          "[cuda][gpu]") {
  if (skip_without_gpu()) return;
  struct Geom {
    int64_t N, C, H, W, kernel, stride, pad;
  };
  const Geom geoms[] = {{2, 3, 8, 8, 2, 2, 0}, {1, 4, 9, 7, 3, 2, 1},   {2, 2, 5, 5, 3, 1, 1},
                        {1, 1, 1, 1, 1, 1, 0}, {3, 5, 40, 37, 2, 2, 0}, {1, 2, 13, 11, 4, 1, 2}};
  int seed = 140;
  for (const Geom& g : geoms) {
    const int64_t OH = (g.H + 2 * g.pad - g.kernel) / g.stride + 1;
    const int64_t OW = (g.W + 2 * g.pad - g.kernel) / g.stride + 1;
    INFO("N=" << g.N << " C=" << g.C << " H=" << g.H << " W=" << g.W << " kernel " << g.kernel
              << " stride " << g.stride << " pad " << g.pad);
    const int64_t nx = g.N * g.C * g.H * g.W, ny = g.N * g.C * OH * OW;
    std::vector<float> x = random_vec(nx, ++seed);
    for (auto& e : x) e = std::round(e * 3.f);  // few distinct values: ties and shared winners
    std::vector<float> y(ny), gy = random_vec(ny, ++seed), dx(nx);
    std::vector<int32_t> am(ny);
    cpu::max_pool2d(x.data(), g.N, g.C, g.H, g.W, g.kernel, g.stride, g.pad, OH, OW, y.data(),
                    am.data());
    cpu::max_pool2d_backward(gy.data(), am.data(), g.N, g.C, g.H, g.W, OH, OW, dx.data());

    Dev dxin(x), dy(filled(ny)), dgy(gy), ddx(random_vec(nx, 7));
    Storage dam(static_cast<size_t>(ny) * sizeof(int32_t), Device::CUDA);
    auto* am_d = static_cast<int32_t*>(dam.data());
    cuda::max_pool2d(dxin.p, g.N, g.C, g.H, g.W, g.kernel, g.stride, g.pad, OH, OW, dy.p, am_d);
    cuda::max_pool2d_backward(dgy.p, am_d, g.N, g.C, g.H, g.W, OH, OW, ddx.p);
    std::vector<int32_t> am_got(ny);
    copy_bytes(am_got.data(), Device::CPU, am_d, Device::CUDA, am_got.size() * sizeof(int32_t));
    CHECK_MATCH(y, dy.host(), 0, 0);
    CHECK(am_got == am);
    CHECK_MATCH(dx, ddx.host(), 0, 0);  // the CPU's additions in the CPU's order
  }
}

TEST_CASE("cuda: yolo_v1_loss kernel matches the CPU for every option", "[cuda][gpu]") {
  if (skip_without_gpu()) return;
  int seed = 160;
  for (int N : {1, 3, 40})
    for (int variant = 0; variant < 4; ++variant) {
      YoloV1Params P{7, 2, 3, 5.f, 0.5f, 1.f, 1.f, variant % 2 == 0, variant < 2, variant == 3};
      if (N == 40) P.S = 13, P.B = 3, P.C = 20;
      INFO("N=" << N << " S=" << P.S << " B=" << P.B << " C=" << P.C << " variant " << variant);
      const int64_t cells = int64_t{N} * P.S * P.S, pd = 5 * P.B + P.C, td = 5 + P.C;
      std::vector<float> pred = random_vec(cells * pd, ++seed, 0.f, 1.f);
      std::vector<float> target = random_vec(cells * td, ++seed, 0.05f, 0.95f);
      Generator g(++seed);
      for (int64_t k = 0; k < cells; ++k) {  // about a third of the cells hold an object
        float* t = target.data() + k * td;
        t[4] = g.uniform() < 0.35f ? 1.f : 0.f;
        for (int c = 0; c < P.C; ++c) t[5 + c] = 0.f;
        t[5 + static_cast<int>(g.uniform() * 0.999f * P.C)] = 1.f;
      }
      std::vector<float> terms(5), dpred(cells * pd);
      cpu::yolo_v1_loss(P, N, pred.data(), target.data(), terms.data(), dpred.data());
      Dev dp(pred), dt(target), dterms(filled(5)), ddp(filled(cells * pd));
      cuda::yolo_v1_loss(P, N, dp.p, dt.p, dterms.p, ddp.p);
      CHECK_MATCH(terms, dterms.host(), 1e-6, 1e-5);
      CHECK_MATCH(dpred, ddp.host(), 1e-6, 1e-5);
    }
}

TEST_CASE("cuda: sgd_update and adam_update match the CPU for every option", "[cuda][gpu]") {
  if (skip_without_gpu()) return;
  for (int64_t n : {0, 1, 257, 100003}) {
    INFO("n = " << n);
    const std::vector<float> w0 = random_vec(n, 50), g = random_vec(n, 51);
    for (const SgdStep& s : {SgdStep{0.1f, 0.f, 0.f, false}, SgdStep{0.05f, 0.9f, 0.01f, false},
                             SgdStep{0.1f, 0.9f, 0.02f, true}}) {
      INFO("sgd momentum " << s.momentum << " nesterov " << s.nesterov);
      std::vector<float> w = w0, buf = random_vec(n, 52);
      Dev dw(w), dg(g), dbuf(buf);
      for (int step = 0; step < 3; ++step) {  // the buffer carries over between steps
        cpu::sgd_update(s, n, w.data(), g.data(), s.momentum != 0.f ? buf.data() : nullptr);
        cuda::sgd_update(s, n, dw.p, dg.p, s.momentum != 0.f ? dbuf.p : nullptr);
      }
      CHECK_MATCH(w, dw.host(), 1e-6, 1e-5);
      CHECK_MATCH(buf, dbuf.host(), 1e-6, 1e-5);
      CHECK_MATCH(g, dg.host(), 0, 0);  // read only
    }
    for (bool decoupled : {false, true}) {
      INFO("adam decoupled " << decoupled);
      const AdamStep s{0.01f, 0.9f, 0.999f, 1e-8f, 0.05f, decoupled, 0.01f / 0.271f, 1.f / 0.0545f};
      std::vector<float> w = w0, m = filled(n), v = filled(n);
      Dev dw(w), dg(g), dm(m), dv(v);
      for (int step = 0; step < 3; ++step) {
        cpu::adam_update(s, n, w.data(), g.data(), m.data(), v.data());
        cuda::adam_update(s, n, dw.p, dg.p, dm.p, dv.p);
      }
      CHECK_MATCH(w, dw.host(), 1e-6, 1e-5);
      CHECK_MATCH(m, dm.host(), 1e-6, 1e-5);
      CHECK_MATCH(v, dv.host(), 1e-7, 1e-5);
    }
  }
}

TEST_CASE("cuda: the caching allocator hands a freed block out again", "[cuda][gpu]") {
  if (skip_without_gpu()) return;
  void* a = cuda::malloc(1000);
  const size_t cached = cuda::cached_bytes();
  cuda::free(a);
  CHECK(cuda::cached_bytes() > cached);
  void* b = cuda::malloc(900);  // rounds to the same bucket
  CHECK(b == a);
  CHECK(cuda::cached_bytes() == cached);
  cuda::free(b);
  cuda::empty_cache();
  CHECK(cuda::cached_bytes() == 0);
  CHECK(cuda::malloc(0) == nullptr);
}

#endif  // MINIDL_TEST_CUDA_KERNELS
