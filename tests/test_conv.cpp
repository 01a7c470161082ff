// Tests for conv2d and max_pool2d by hand: forward and backward on inputs worked out in the
// comments, the 1x1 path against elementwise ops, max pooling's tie and NaN rules on wide rows,
// an empty batch, and the MINIDL_CONV variable. Each conv2d case runs twice: with the fast CPU
// kernels and with the reference that MINIDL_CONV=reference selects (core/cpu/conv_plan.h). The
// reference checks on random inputs, gradcheck, edge shapes and bad arguments are rows of the op
// table (tests/ops/rows_conv.cpp).
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "ops/conv_mode.h"
#include "support/helpers.h"

using namespace minidl;
using namespace minidl::test;

// Runs the rest of the test case twice: once with the fast kernels, once with the reference (a
// Catch2 generator); every failure says which.
#define WITH_EACH_CONV_MODE()                                                                 \
  const cpu::ConvMode conv_kernels = GENERATE(cpu::ConvMode::Fast, cpu::ConvMode::Reference); \
  const ConvModeGuard conv_kernels_guard(conv_kernels);                                       \
  INFO("CPU conv kernels: " << ConvModeGuard::name(conv_kernels))

namespace {

// The 3x3 image used by several hand-computed cases:  1 2 3 / 4 5 6 / 7 8 9.
Tensor x9(bool grad = false) { return T({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 1, 3, 3}, grad); }
// The 2x2 kernel  1 2 / 3 4.
Tensor w4(bool grad = false) { return T({1, 2, 3, 4}, {1, 1, 2, 2}, grad); }

}  // namespace

// ---- conv2d forward -----------------------------------------------------------------------------

TEST_CASE("conv: 1-channel 3x3 input, 2x2 kernel, stride 1 and 2, by hand", "[conv]") {
  WITH_EACH_CONV_MODE();
  // stride 1: y00 = 1*1 + 2*2 + 4*3 + 5*4 = 37, y01 = 2*1 + 3*2 + 5*3 + 6*4 = 47,
  //           y10 = 4*1 + 5*2 + 7*3 + 8*4 = 67, y11 = 5*1 + 6*2 + 8*3 + 9*4 = 77.
  CHECK_CLOSE(conv2d(x9(), w4()), {37, 47, 67, 77}, {1, 1, 2, 2});
  // stride 2: (3 - 2) / 2 + 1 = 1 window, the top-left one: 37.
  CHECK_CLOSE(conv2d(x9(), w4(), Tensor(), 2), {37}, {1, 1, 1, 1});
}

TEST_CASE("conv: padding 1 with stride 1 and stride 2, by hand", "[conv]") {
  WITH_EACH_CONV_MODE();
  // padded input is 5x5, output (5 - 2) / 1 + 1 = 4. Window (oh, ow) covers x rows oh-1..oh and
  // cols ow-1..ow; y = sum W[kh][kw] x[oh-1+kh][ow-1+kw] with zeros outside.
  //   row 0 (only kh = 1: 3 4 on x row 0): 4*1=4, 3*1+4*2=11, 3*2+4*3=18, 3*3=9
  //   row 1: 2*1+4*4=18, 37, 47, 1*3+3*6=21
  //   row 2: 2*4+4*7=36, 67, 77, 1*6+3*9=33
  //   row 3 (only kh = 0: 1 2 on x row 2): 2*7=14, 1*7+2*8=23, 1*8+2*9=26, 1*9=9
  CHECK_CLOSE(conv2d(x9(), w4(), Tensor(), 1, 1),
              {4, 11, 18, 9, 18, 37, 47, 21, 36, 67, 77, 33, 14, 23, 26, 9}, {1, 1, 4, 4});
  // stride 2: (5 - 2) / 2 + 1 = 2; the windows at rows/cols 0 and 2 of the table above.
  CHECK_CLOSE(conv2d(x9(), w4(), Tensor(), 2, 1), {4, 18, 36, 77}, {1, 1, 2, 2});
}

TEST_CASE("conv: two channels, two filters, a batch of two, with bias, by hand", "[conv]") {
  WITH_EACH_CONV_MODE();
  // image 0: c0 = 1 2 / 3 4, c1 = 5 6 / 7 8;   image 1: c0 = 0 1 / 0 1, c1 = 2 0 / 0 2
  Tensor x = T({1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 0, 1, 2, 0, 0, 2}, {2, 2, 2, 2}, true);
  // filter 0: c0 = 1 0 / 0 1, c1 = 0 1 / 1 0;   filter 1: c0 = all 1, c1 = all -1
  Tensor W = T({1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1, 1, -1, -1, -1, -1}, {2, 2, 2, 2}, true);
  Tensor b = T({0.5f, -1}, {2}, true);
  Tensor y = conv2d(x, W, b);
  // image 0: f0 = (1 + 4) + (6 + 7) + 0.5 = 18.5;  f1 = (1+2+3+4) - (5+6+7+8) - 1 = -17
  // image 1: f0 = (0 + 1) + (0 + 0) + 0.5 = 1.5;   f1 = (0+1+0+1) - (2+0+0+2) - 1 = -3
  CHECK_CLOSE(y, {18.5f, -17, 1.5f, -3}, {2, 2, 1, 1});

  sum(y).backward();  // gy = 1 everywhere, one output position per (n, f)
  // dW[f] = x_0 + x_1 for both filters: c0 = 1 3 / 3 5, c1 = 7 6 / 7 10 (accumulated over the
  // batch)
  CHECK_CLOSE(W.grad(), {1, 3, 3, 5, 7, 6, 7, 10, 1, 3, 3, 5, 7, 6, 7, 10}, {2, 2, 2, 2});
  // db[f] = number of outputs per filter = N * OH * OW = 2
  CHECK_CLOSE(b.grad(), {2, 2}, {2});
  // dx_n[c] = W[0, c] + W[1, c]: c0 = 2 1 / 1 2, c1 = -1 0 / 0 -1 (the same for both images)
  CHECK_CLOSE(x.grad(), {2, 1, 1, 2, -1, 0, 0, -1, 2, 1, 1, 2, -1, 0, 0, -1}, {2, 2, 2, 2});
}

TEST_CASE("conv: backward of the 3x3 / 2x2 case by hand, only the grads asked for", "[conv]") {
  WITH_EACH_CONV_MODE();
  SECTION("x, W and b") {
    Tensor x = x9(true), W = w4(true), b = T({0.25f}, {1}, true);
    sum(conv2d(x, W, b)).backward();
    // dW[kh][kw] = sum of x over the 4 windows shifted by (kh, kw):
    //   1+2+4+5 = 12, 2+3+5+6 = 16, 4+5+7+8 = 24, 5+6+8+9 = 28
    CHECK_CLOSE(W.grad(), {12, 16, 24, 28}, {1, 1, 2, 2});
    CHECK_CLOSE(b.grad(), {4}, {1});  // 4 outputs
    // dx[h][w] = sum of the W entries whose window covers (h, w):
    //   1 | 1+2 | 2  /  1+3 | 1+2+3+4 | 2+4  /  3 | 3+4 | 4
    CHECK_CLOSE(x.grad(), {1, 3, 2, 4, 10, 6, 3, 7, 4}, {1, 1, 3, 3});
  }
  SECTION("only W requires grad") {
    Tensor x = x9(), W = w4(true);
    sum(conv2d(x, W)).backward();
    CHECK_CLOSE(W.grad(), {12, 16, 24, 28}, {1, 1, 2, 2});
    CHECK_FALSE(x.grad().defined());
  }
  SECTION("no input requires grad: nothing is recorded") {
    Tensor y = conv2d(x9(), w4());
    CHECK_FALSE(y.requires_grad());
    CHECK(y.is_leaf());
  }
}

TEST_CASE("conv: the 1x1 path equals a channel mix computed with elementwise ops", "[conv]") {
  WITH_EACH_CONV_MODE();
  const int64_t N = 2, C = 3, H = 4, Wd = 5, F = 4;
  Tensor x = R({N, C, H, Wd}, 1, false), W = R({F, C, 1, 1}, 2, false), b = R({F}, 3, false);
  // y[n, f, h, w] = sum_c W[f, c] x[n, c, h, w] + b[f]: broadcast multiply, then sum over c.
  Tensor ref = sum(reshape(W, {1, F, C, 1, 1}) * reshape(x, {N, 1, C, H, Wd}), {2}) +
               reshape(b, {1, F, 1, 1});
  CHECK_CLOSE(conv2d(x, W, b), ref, 1e-5, 1e-4);
  // The general im2col path (padding 1) must agree inside; its border sees only zeros, so it is b.
  Tensor padded = conv2d(x, W, b, 1, 1);  // (N, F, H + 2, W + 2)
  CHECK_CLOSE(slice(slice(padded, 2, 1, H + 1), 3, 1, Wd + 1), ref, 1e-5, 1e-4);
  CHECK_CLOSE(select(select(padded, 3, 0), 2, 0), expand(reshape(b, {1, F}), {N, F}));
}

// ---- max_pool2d ---------------------------------------------------------------------------------

namespace {
//  1  3  2  4
//  5  0  7  6
//  9 11 10  8
// 12 14 13 15
Tensor x16(bool grad = false) {
  return T({1, 3, 2, 4, 5, 0, 7, 6, 9, 11, 10, 8, 12, 14, 13, 15}, {1, 1, 4, 4}, grad);
}
}  // namespace

TEST_CASE("pool: 2x2 stride 2 by hand, and the gradient goes to each winner", "[pool]") {
  Tensor x = x16(true);
  Tensor y = max_pool2d(x, 2);  // stride 0 means stride = kernel
  // windows: {1,3,5,0} -> 5, {2,4,7,6} -> 7, {9,11,12,14} -> 14, {10,8,13,15} -> 15
  CHECK_CLOSE(y, {5, 7, 14, 15}, {1, 1, 2, 2});
  sum(y * T({1, 2, 3, 4}, {1, 1, 2, 2})).backward();
  // winners at flat positions 4 (5), 6 (7), 13 (14), 15 (15) get gy = 1, 2, 3, 4
  CHECK_CLOSE(x.grad(), {0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 3, 0, 4}, {1, 1, 4, 4});
}

TEST_CASE("pool: overlapping windows (kernel 3, stride 1) add up at a shared winner", "[pool]") {
  Tensor x = x16(true);
  Tensor y = max_pool2d(x, 3, 1);
  // rows/cols 0-2: {1,3,2,5,0,7,9,11,10} -> 11;  rows 0-2, cols 1-3: {3,2,4,0,7,6,11,10,8} -> 11
  // rows 1-3, cols 0-2: {5,0,7,9,11,10,12,14,13} -> 14;  rows/cols 1-3: ... 15 -> 15
  CHECK_CLOSE(y, {11, 11, 14, 15}, {1, 1, 2, 2});
  sum(y).backward();
  // 11 (position 9) wins twice, 14 (position 13) and 15 (position 15) once
  CHECK_CLOSE(x.grad(), {0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 1, 0, 1}, {1, 1, 4, 4});
}

TEST_CASE("pool: padded positions never win, even over negative values", "[pool]") {
  // x = -1 -2 -3 / -4 -5 -6 / -7 -8 -9; a zero-valued padding would make every output 0.
  Tensor x = T({-1, -2, -3, -4, -5, -6, -7, -8, -9}, {1, 1, 3, 3}, true);
  SECTION("kernel 2, stride 1, padding 1") {
    // output (3 + 2 - 2) / 1 + 1 = 4; window (oh, ow) covers rows oh-1..oh, cols ow-1..ow
    //   row 0: {-1} {-1,-2} {-2,-3} {-3}          -> -1 -1 -2 -3
    //   row 1: {-1,-4} {-1,-2,-4,-5} ...          -> -1 -1 -2 -3
    //   row 2: {-4,-7} {-4,-5,-7,-8} ...          -> -4 -4 -5 -6
    //   row 3: {-7} {-7,-8} {-8,-9} {-9}          -> -7 -7 -8 -9
    Tensor y = max_pool2d(x, 2, 1, 1);
    CHECK_CLOSE(y, {-1, -1, -2, -3, -1, -1, -2, -3, -4, -4, -5, -6, -7, -7, -8, -9}, {1, 1, 4, 4});
    sum(y).backward();
    // count of windows each element wins: -1 wins 4, -2 wins 2, -3 wins 2, -4 wins 2, -5 once,
    // -6 once, -7 twice, -8 once, -9 once (16 windows in all)
    CHECK_CLOSE(x.grad(), {4, 2, 2, 2, 1, 1, 2, 1, 1}, {1, 1, 3, 3});
  }
  SECTION("kernel 3, stride 2 (not the kernel), padding 1") {
    // output (3 + 2 - 3) / 2 + 1 = 2; windows cover rows -1..1 / 1..3 clipped to 0..1 / 1..2:
    //   {-1,-2,-4,-5} -> -1, {-2,-3,-5,-6} -> -2, {-4,-5,-7,-8} -> -4, {-5,-6,-8,-9} -> -5
    Tensor y = max_pool2d(x, 3, 2, 1);
    CHECK_CLOSE(y, {-1, -2, -4, -5}, {1, 1, 2, 2});
    sum(y).backward();
    CHECK_CLOSE(x.grad(), {1, 1, 0, 1, 1, 0, 0, 0, 0}, {1, 1, 3, 3});
  }
}

TEST_CASE("pool: a tie routes the gradient to exactly one element (the first)", "[pool]") {
  // two planes: all four equal, and a tie between positions 1 and 3 (7 = 7 > 2, 5)
  Tensor x = T({3, 3, 3, 3, 2, 7, 5, 7}, {1, 2, 2, 2}, true);
  Tensor y = max_pool2d(x, 2);
  CHECK_CLOSE(y, {3, 7}, {1, 2, 1, 1});
  sum(y).backward();
  CHECK_CLOSE(x.grad(), {1, 0, 0, 0, 0, 1, 0, 0}, {1, 2, 2, 2});
}

TEST_CASE("pool: 2x2 stride 2 on wide rows (4 windows at a time) keeps the tie and NaN rules",
          "[pool]") {
  // 19 columns: 9 windows a row, two blocks of 4 and one more; 5 rows (the last one unused).
  // Few distinct values (many ties) and some NaNs: the winner is the first largest in row-major
  // order, or the first NaN; the gradient goes to exactly that element.
  const int64_t N = 2, C = 3, H = 5, Wd = 19, OH = 2, OW = 9;
  Generator gen(11);
  std::vector<float> xv(N * C * H * Wd);
  for (float& v : xv) {
    const float u = gen.uniform();
    v = u < 0.08f ? std::numeric_limits<float>::quiet_NaN() : std::round(gen.uniform() * 3.f);
  }
  std::vector<float> ref, ref_grad(xv.size(), 0.f);
  for (int64_t nc = 0; nc < N * C; ++nc)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        int64_t best = -1;
        for (int64_t h = 2 * oh; h < 2 * oh + 2; ++h)
          for (int64_t w = 2 * ow; w < 2 * ow + 2; ++w) {
            const int64_t i = (nc * H + h) * Wd + w;
            if (best < 0 || xv[i] > xv[best] || (std::isnan(xv[i]) && !std::isnan(xv[best])))
              best = i;
          }
        ref.push_back(xv[best]);
        ref_grad[best] += 1.f;
      }
  Tensor x = T(xv, {N, C, H, Wd}, true);
  Tensor y = max_pool2d(x, 2);
  REQUIRE(y.shape() == Shape{N, C, OH, OW});
  const auto yv = y.to_vector();
  for (size_t i = 0; i < ref.size(); ++i) {
    INFO("output " << i << ": " << yv[i] << " vs " << ref[i]);
    CHECK((std::isnan(ref[i]) ? std::isnan(yv[i]) : yv[i] == ref[i]));
  }
  sum(y).backward();  // a gradient of 1 for every window (NaN values or not)
  CHECK(x.grad().to_vector() == ref_grad);
}

TEST_CASE("conv: an empty batch gives an empty output and empty gradients", "[conv][pool]") {
  WITH_EACH_CONV_MODE();
  Tensor x = T({}, {0, 2, 5, 5}, true), W = R({3, 2, 3, 3}, 5), b = R({3}, 6);
  Tensor y = max_pool2d(conv2d(x, W, b, 1, 1), 2);  // (0, 3, 5, 5) -> (0, 3, 2, 2)
  CHECK(y.shape() == Shape{0, 3, 2, 2});
  sum(y).backward();
  CHECK(x.grad().shape() == Shape{0, 2, 5, 5});
  CHECK_CLOSE(W.grad(), std::vector<float>(3 * 2 * 3 * 3, 0.f), {3, 2, 3, 3});  // nothing to sum
  CHECK_CLOSE(b.grad(), {0, 0, 0}, {3});
}

// ---- choosing the kernels ----------------------------------------------------------------------

TEST_CASE("conv: MINIDL_CONV values: fast (or unset) and reference; anything else is an error",
          "[conv]") {
  using Mode = cpu::ConvMode;
  CHECK(cpu::conv_mode_from_env(nullptr) == Mode::Fast);
  CHECK(cpu::conv_mode_from_env("fast") == Mode::Fast);
  CHECK(cpu::conv_mode_from_env("reference") == Mode::Reference);
  CHECK_THROWS_WITH(cpu::conv_mode_from_env("Reference"),
                    "MINIDL_CONV='Reference' is not one of: fast, reference");
  CHECK_THROWS_WITH(cpu::conv_mode_from_env(""), "MINIDL_CONV='' is not one of: fast, reference");
}

// ctest runs this case with MINIDL_CONV unset (the mode is then Fast), with MINIDL_CONV=reference
// (conv.reference_kernels, with every other [conv] case) and with an invalid value
// (conv.rejects_a_bad_MINIDL_CONV, alone): see tests/conv_reference.cmake.
TEST_CASE("conv: MINIDL_CONV in the environment chooses the CPU kernels", "[conv]") {
  const char* env = std::getenv("MINIDL_CONV");
  const std::string value = env ? env : "";
  INFO("MINIDL_CONV " << (env ? "= '" + value + "'" : "unset"));
  if (!env || value == "fast") {
    CHECK(cpu::conv_mode() == cpu::ConvMode::Fast);
  } else if (value == "reference") {
    CHECK(cpu::conv_mode() == cpu::ConvMode::Reference);
  } else {  // the first convolution reports it, and so does every later one
    for (int call = 0; call < 2; ++call)
      CHECK_THROWS_WITH(conv2d(x9(), w4()),
                        "MINIDL_CONV='" + value + "' is not one of: fast, reference");
  }
  // Either way the result is the one worked out by hand in the first test case.
  if (!env || value == "fast" || value == "reference")
    CHECK_CLOSE(conv2d(x9(), w4()), {37, 47, 67, 77}, {1, 1, 2, 2});
}
