// Tests of the elementwise ops by hand: forward values on small inputs worked out in the comments
// (broadcasting, non-contiguous operands, scalar forms and operators), gradients at kinks and
// domain edges, comparisons and where. Every op's reference check, gradcheck, edge shapes, NaN and
// bad arguments are rows of the op table (tests/ops/rows_unary.cpp, rows_binary.cpp).
#include "support/helpers.h"

using namespace minidl;
using namespace minidl::test;
using Catch::Contains;

// ---- binary ops, forward ------------------------------------------------------------------------

TEST_CASE("elementwise: add broadcasts (2,3)+(3)", "[elementwise]") {
  // [[1,2,3],[4,5,6]] + [10,20,30] = [[11,22,33],[14,25,36]]
  Tensor a = T({1, 2, 3, 4, 5, 6}, {2, 3}), b = T({10, 20, 30}, {3});
  CHECK_CLOSE(add(a, b), {11, 22, 33, 14, 25, 36}, {2, 3});
  CHECK_CLOSE(b + a, {11, 22, 33, 14, 25, 36}, {2, 3});
}

TEST_CASE("elementwise: mul broadcasts (2,1)*(1,3)", "[elementwise]") {
  // [[1],[2]] * [[3,4,5]] = [[3,4,5],[6,8,10]]
  Tensor a = T({1, 2}, {2, 1}), b = T({3, 4, 5}, {1, 3});
  CHECK_CLOSE(mul(a, b), {3, 4, 5, 6, 8, 10}, {2, 3});
  // (2,1) - (1,3): [[1-3, 1-4, 1-5], [2-3, 2-4, 2-5]]
  CHECK_CLOSE(a - b, {-2, -3, -4, -1, -2, -3}, {2, 3});
}

TEST_CASE("elementwise: a scalar () broadcasts with (2,2)", "[elementwise]") {
  Tensor s = scalar(12.f), b = T({1, 2, 3, 4}, {2, 2});
  CHECK_CLOSE(div(s, b), {12, 6, 4, 3}, {2, 2});       // 12/1, 12/2, 12/3, 12/4
  CHECK_CLOSE(sub(b, s), {-11, -10, -9, -8}, {2, 2});  // b - 12
  CHECK_CLOSE(s * b, {12, 24, 36, 48}, {2, 2});
  CHECK_CLOSE(s + scalar(1.f), {13}, {});
}

TEST_CASE("elementwise: add broadcasts (4,1,3) with (2,1) to (4,2,3)", "[elementwise]") {
  // a[i,0,k] = 3i + k; b[j,0] = 100 (j+1) => y[i,j,k] = 3i + k + 100 (j+1)
  Tensor a = arange(0, 12).reshape({4, 1, 3}), b = T({100, 200}, {2, 1});
  CHECK_CLOSE(a + b, {100, 101, 102, 200, 201, 202, 103, 104, 105, 203, 204, 205,
                      106, 107, 108, 206, 207, 208, 109, 110, 111, 209, 210, 211},
              {4, 2, 3});
}

TEST_CASE("elementwise: sub, div, pow, minimum, maximum", "[elementwise]") {
  CHECK_CLOSE(sub(T({5, 7}, {2}), T({2, 10}, {2})), {3, -3}, {2});
  CHECK_CLOSE(div(T({1, -6, 9}, {3}), T({2, 3, -4.5f}, {3})), {0.5f, -2, -2}, {3});
  // 2^3 = 8, 3^2 = 9, 4^0.5 = 2, 9^-0.5 = 1/3
  CHECK_CLOSE(pow(T({2, 3, 4, 9}, {4}), T({3, 2, 0.5f, -0.5f}, {4})), {8, 9, 2, 1.f / 3}, {4});
  Tensor a = T({1, 5, 3, -2}, {4}), b = T({4, 2, 3, -1}, {4});
  CHECK_CLOSE(minimum(a, b), {1, 2, 3, -2}, {4});
  CHECK_CLOSE(maximum(a, b), {4, 5, 3, -1}, {4});
  // (2,1) with (3): min([[0],[10]], [5,-1,20]) = [[0,-1,0],[5,-1,10]]
  Tensor c = T({0, 10}, {2, 1}), d = T({5, -1, 20}, {3});
  CHECK_CLOSE(minimum(c, d), {0, -1, 0, 5, -1, 10}, {2, 3});
  CHECK_CLOSE(maximum(c, d), {5, 0, 20, 10, 10, 20}, {2, 3});
}

TEST_CASE("elementwise: binary ops read non-contiguous operands", "[elementwise]") {
  Tensor at = arange(0, 6).reshape({3, 2}).transpose(0, 1);     // [[0,2,4],[1,3,5]]
  Tensor bs = arange(0, 12).reshape({2, 6}).slice(1, 0, 6, 2);  // [[0,2,4],[6,8,10]]
  Tensor e = expand(T({1, 2, 3}, {3}), {2, 3});                 // [[1,2,3],[1,2,3]]
  REQUIRE_FALSE(at.is_contiguous());
  REQUIRE_FALSE(bs.is_contiguous());
  CHECK_CLOSE(at + bs, {0, 4, 8, 7, 11, 15}, {2, 3});
  CHECK_CLOSE(at * bs, {0, 4, 16, 6, 24, 50}, {2, 3});
  CHECK_CLOSE(e * at, {0, 4, 12, 1, 6, 15}, {2, 3});
  CHECK_CLOSE(bs - e, {-1, 0, 1, 5, 6, 7}, {2, 3});
  // permuted (2,3,4) -> (4,2,3): p[i,j,k] = x[j,k,i] = 12j + 4k + i; plus 1
  Tensor p = arange(0, 24).reshape({2, 3, 4}).permute({2, 0, 1});
  CHECK_CLOSE(p + scalar(1.f), {1, 5, 9,  13, 17, 21, 2, 6, 10, 14, 18, 22,
                                3, 7, 11, 15, 19, 23, 4, 8, 12, 16, 20, 24},
              {4, 2, 3});
  // unary ops on views: (at)^2 and sqrt of the even columns of [[0..5],[6..11]] squared
  CHECK_CLOSE(square(at), {0, 4, 16, 1, 9, 25}, {2, 3});
  CHECK_CLOSE(sqrt(square(bs)), {0, 2, 4, 6, 8, 10}, {2, 3});
}

// ---- scalar forms, operators and unary ops ------------------------------------------------------

TEST_CASE("elementwise: scalar forms and operators", "[elementwise]") {
  Tensor x = T({1, 2, 4}, {3});
  CHECK_CLOSE(add(x, 2.f), {3, 4, 6}, {3});
  CHECK_CLOSE(sub(x, 2.f), {-1, 0, 2}, {3});
  CHECK_CLOSE(mul(x, 2.f), {2, 4, 8}, {3});
  CHECK_CLOSE(div(x, 2.f), {0.5f, 1, 2}, {3});
  CHECK_CLOSE(x + 2.f, {3, 4, 6}, {3});
  CHECK_CLOSE(x - 2.f, {-1, 0, 2}, {3});
  CHECK_CLOSE(x * 2.f, {2, 4, 8}, {3});
  CHECK_CLOSE(x / 2.f, {0.5f, 1, 2}, {3});
  CHECK_CLOSE(2.f + x, {3, 4, 6}, {3});
  CHECK_CLOSE(2.f - x, {1, 0, -2}, {3});
  CHECK_CLOSE(2.f * x, {2, 4, 8}, {3});
  CHECK_CLOSE(2.f / x, {2, 1, 0.5f}, {3});
  CHECK_CLOSE(-x, {-1, -2, -4}, {3});
  Tensor y = T({2, 2, 8}, {3});
  CHECK_CLOSE(x + y, {3, 4, 12}, {3});
  CHECK_CLOSE(x - y, {-1, 0, -4}, {3});
  CHECK_CLOSE(x * y, {2, 4, 32}, {3});
  CHECK_CLOSE(x / y, {0.5f, 1, 0.5f}, {3});
  // 1/3 as a divisor: 3/3, 6/3, 9/3
  CHECK_CLOSE(T({3, 6, 9}, {3}) / 3.f, {1, 2, 3}, {3});
  CHECK_THROWS_WITH(x / 0.f, Contains("div") && Contains("(3)"));
}

TEST_CASE("elementwise: unary ops", "[elementwise]") {
  CHECK_CLOSE(neg(T({1, -2, 0}, {3})), {-1, 2, 0}, {3});
  CHECK_CLOSE(exp(T({0, 1, -1}, {3})), {1, 2.7182818f, 0.36787944f}, {3});
  CHECK_CLOSE(log(T({1, 2.7182818f, 0.5f}, {3})), {0, 1, -0.69314718f}, {3});
  CHECK_CLOSE(sqrt(T({4, 9, 0.25f}, {3})), {2, 3, 0.5f}, {3});
  CHECK_CLOSE(square(T({-3, 0.5f, 2}, {3})), {9, 0.25f, 4}, {3});
  CHECK_CLOSE(abs(T({-2, 0, 3}, {3})), {2, 0, 3}, {3});
  CHECK_CLOSE(clamp(T({-2, 0.5f, 3, -1}, {4}), -1, 1), {-1, 0.5f, 1, -1}, {4});
  CHECK_CLOSE(pow(T({1, 2, 3}, {3}), 2.f), {1, 4, 9}, {3});
  CHECK_CLOSE(pow(T({4, 0.25f}, {2}), 0.5f), {2, 0.5f}, {2});
  CHECK_CLOSE(pow(T({2, 4}, {2}), -1.f), {0.5f, 0.25f}, {2});
  CHECK_THROWS_WITH(clamp(T({1}, {1}), 1, -1), Contains("clamp"));
}

TEST_CASE("elementwise: hand-computed gradients at kinks and domain edges", "[elementwise]") {
  // abs'(0) = 0 by convention; clamp passes the gradient at its bounds (lo <= x <= hi)
  Tensor x = T({-2, 0, 3}, {3}, true);
  sum(abs(x)).backward();
  CHECK_CLOSE(x.grad(), {-1, 0, 1}, {3});
  Tensor c = T({-2, -1, 0.5f, 1, 3}, {5}, true);
  sum(clamp(c, -1, 1)).backward();
  CHECK_CLOSE(c.grad(), {0, 1, 1, 1, 0}, {5});
  // minimum/maximum share a tie equally: max([1,3],[2,3]) => da = [0, .5], db = [1, .5]
  Tensor a = T({1, 3}, {2}, true), b = T({2, 3}, {2}, true);
  sum(maximum(a, b)).backward();
  CHECK_CLOSE(a.grad(), {0, 0.5f}, {2});
  CHECK_CLOSE(b.grad(), {1, 0.5f}, {2});
  // pow(a, b) at a = [-2, 2], b = [3, 3]: y = [-8, 8]; da = b a^(b-1) = [12, 12];
  // db = y ln(a) only where a > 0 = [0, 8 ln 2 = 5.5451774]
  Tensor pa = T({-2, 2}, {2}, true), pb = T({3, 3}, {2}, true);
  Tensor py = pow(pa, pb);
  CHECK_CLOSE(py, {-8, 8}, {2});
  sum(py).backward();
  CHECK_CLOSE(pa.grad(), {12, 12}, {2});
  CHECK_CLOSE(pb.grad(), {0, 5.5451774f}, {2});
}

TEST_CASE("elementwise: minimum and maximum give NaN when either side is NaN", "[elementwise]") {
  // torch.maximum / minimum: NaN if either operand is NaN, whichever side (maximum(NaN, 1) was
  // 1 and maximum(1, NaN) NaN). The gradient goes to the side the result came from: a where a
  // is NaN, b where only b is; ties share it; elsewhere the larger (smaller) side.
  const float nan = NAN;
  const std::vector<float> av = {nan, 1, nan, 2, 3}, bv = {1, nan, nan, 3, 3};
  Tensor a = T(av, {5}, true), b = T(bv, {5}, true);
  Tensor hi = maximum(a, b);
  CHECK_CLOSE_NAN(hi, {nan, nan, nan, 3, 3}, {5});
  sum(hi).backward();
  CHECK_CLOSE(a.grad(), {1, 0, 1, 0, 0.5f}, {5});
  CHECK_CLOSE(b.grad(), {0, 1, 0, 1, 0.5f}, {5});
  Tensor c = T(av, {5}, true), d = T(bv, {5}, true);
  Tensor lo = minimum(c, d);
  CHECK_CLOSE_NAN(lo, {nan, nan, nan, 2, 3}, {5});
  sum(lo).backward();
  CHECK_CLOSE(c.grad(), {1, 0, 1, 1, 0.5f}, {5});
  CHECK_CLOSE(d.grad(), {0, 1, 0, 0, 0.5f}, {5});
  // broadcast: a NaN scalar on either side makes every element NaN
  CHECK_CLOSE_NAN(maximum(T({0, 5}, {2}), T({nan}, {})), {nan, nan}, {2});
  CHECK_CLOSE_NAN(minimum(T({nan}, {}), T({0, 5}, {2})), {nan, nan}, {2});
}

TEST_CASE("elementwise: pow's gradient in a is 0 where the exponent is 0, even at a = 0",
          "[elementwise]") {
  // d a^b / da = b a^(b-1): at a = 0, b = 0 that is 0 * 0^-1 = 0 * inf = NaN, but a^0 = 1 is flat
  // in a, so 0 (PyTorch's pow_backward_self, and minidl's pow(a, 0.f)). a = [0, 0, 2, 3],
  // b = [0, 2, 0, 2]: y = [1, 0, 1, 9]; da = [0, 2 * 0 = 0, 0, 2 * 3 = 6];
  // db = y ln a where a > 0 = [0, 0, ln 2 = 0.6931472, 9 ln 3 = 9.8875106]
  Tensor a = T({0, 0, 2, 3}, {4}, true), b = T({0, 2, 0, 2}, {4}, true);
  Tensor y = pow(a, b);
  CHECK_CLOSE(y, {1, 0, 1, 9}, {4});
  sum(y).backward();
  CHECK_CLOSE(a.grad(), {0, 0, 0, 6}, {4});
  CHECK_CLOSE(b.grad(), {0, 0, 0.6931472f, 9.8875106f}, {4});
  // the scalar-exponent form agrees at a = 0 (and elsewhere: x^0 is flat)
  Tensor s = T({0, 2}, {2}, true);
  sum(pow(s, 0.f)).backward();
  CHECK_CLOSE(s.grad(), {0, 0}, {2});
}

// ---- where and comparisons ----------------------------------------------------------------------

TEST_CASE("elementwise: where in all three forms", "[elementwise]") {
  Tensor m = T({1, 0, 1}, {3}), a = T({1, 2, 3}, {3}), b = T({10, 20, 30}, {3});
  CHECK_CLOSE(where(m, a, b), {1, 20, 3}, {3});
  CHECK_CLOSE(where(m, a, 0.f), {1, 0, 3}, {3});
  CHECK_CLOSE(where(m, 5.f, b), {5, 20, 5}, {3});
  // mask (2,1), a (3), b (): [[1,2,3],[-1,-1,-1]]
  CHECK_CLOSE(where(T({1, 0}, {2, 1}), a, scalar(-1.f)), {1, 2, 3, -1, -1, -1}, {2, 3});
  CHECK_THROWS_WITH(where(T({1, 0}, {2}), a, b),
                    Contains("where") && Contains("(2)") && Contains("(3)"));
}

TEST_CASE("elementwise: where sends the gradient to the chosen side, none to the mask",
          "[elementwise]") {
  // y = sum(where(m, a, b) * w), w = [1, 2, 3]: da = m w = [1, 0, 3], db = (1 - m) w = [0, 2, 0]
  Tensor m = T({1, 0, 1}, {3}, true), a = T({1, 2, 3}, {3}, true), b = T({4, 5, 6}, {3}, true);
  Tensor w = T({1, 2, 3}, {3});
  sum(where(m, a, b) * w).backward();
  CHECK_CLOSE(a.grad(), {1, 0, 3}, {3});
  CHECK_CLOSE(b.grad(), {0, 2, 0}, {3});
  CHECK_FALSE(m.grad().defined());
  // broadcast: mask (2,1) = [[1],[0]], a (3), b (): a gets 1 per true row => [1,1,1]; b gets 3
  Tensor a2 = T({1, 2, 3}, {3}, true), b2 = T({7}, {}, true);
  sum(where(T({1, 0}, {2, 1}), a2, b2)).backward();
  CHECK_CLOSE(a2.grad(), {1, 1, 1}, {3});
  CHECK_CLOSE(b2.grad(), {3}, {});
  // the float forms: where(m, a, 0) => da = m; where(m, 5, b) => db = 1 - m
  Tensor a3 = T({1, 2, 3}, {3}, true), b3 = T({1, 2, 3}, {3}, true);
  sum(where(T({0, 1, 1}, {3}), a3, 0.f) + where(T({0, 1, 1}, {3}), 5.f, b3)).backward();
  CHECK_CLOSE(a3.grad(), {0, 1, 1}, {3});
  CHECK_CLOSE(b3.grad(), {1, 0, 0}, {3});
}

TEST_CASE("elementwise: comparisons return 0/1 masks without grad", "[elementwise]") {
  Tensor a = T({1, 2, 3}, {3}, true), b = T({2, 2, 2}, {3}, true);
  CHECK_CLOSE(eq(a, b), {0, 1, 0}, {3});
  CHECK_CLOSE(ne(a, b), {1, 0, 1}, {3});
  CHECK_CLOSE(lt(a, b), {1, 0, 0}, {3});
  CHECK_CLOSE(le(a, b), {1, 1, 0}, {3});
  CHECK_CLOSE(gt(a, b), {0, 0, 1}, {3});
  CHECK_CLOSE(ge(a, b), {0, 1, 1}, {3});
  CHECK_CLOSE(eq(a, 2.f), {0, 1, 0}, {3});
  CHECK_CLOSE(ne(a, 2.f), {1, 0, 1}, {3});
  CHECK_CLOSE(lt(a, 2.f), {1, 0, 0}, {3});
  CHECK_CLOSE(le(a, 2.f), {1, 1, 0}, {3});
  CHECK_CLOSE(gt(a, 2.f), {0, 0, 1}, {3});
  CHECK_CLOSE(ge(a, 2.f), {0, 1, 1}, {3});
  CHECK_CLOSE(a < b, {1, 0, 0}, {3});
  CHECK_CLOSE(a <= b, {1, 1, 0}, {3});
  CHECK_CLOSE(a > b, {0, 0, 1}, {3});
  CHECK_CLOSE(a >= b, {0, 1, 1}, {3});
  CHECK_CLOSE(a < 2.f, {1, 0, 0}, {3});
  CHECK_CLOSE(a <= 2.f, {1, 1, 0}, {3});
  CHECK_CLOSE(a > 2.f, {0, 0, 1}, {3});
  CHECK_CLOSE(a >= 2.f, {0, 1, 1}, {3});
  for (const Tensor& m : {eq(a, b), ne(a, b), lt(a, b), le(a, b), gt(a, b), ge(a, b), a > 2.f}) {
    CHECK_FALSE(m.requires_grad());
    CHECK(m.is_leaf());
  }
  // broadcast (2,1) > (3): [[1],[3]] > [1,2,3] = [[0,0,0],[1,1,0]]
  CHECK_CLOSE(gt(T({1, 3}, {2, 1}), T({1, 2, 3}, {3})), {0, 0, 0, 1, 1, 0}, {2, 3});
  CHECK_THROWS_WITH(eq(T({1, 2}, {2}), T({1, 2, 3}, {3})), Contains("eq"));
}
