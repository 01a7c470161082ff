// Tests of the reductions by hand: sum/mean/max/min over everything and along axes (keepdim,
// several axes, negative axes), argmax and sum_to; the shared gradient of tied maxima;
// non-contiguous inputs. Each op's reference check on random inputs, gradcheck, empty shapes, NaN
// and bad arguments are rows of the op table (tests/ops/rows_reduce.cpp).
#include "support/helpers.h"

using namespace minidl;
using namespace minidl::test;
using Catch::Contains;

namespace {
Tensor x23() { return T({1, 2, 3, 4, 5, 6}, {2, 3}); }      // [[1, 2, 3], [4, 5, 6]]
Tensor m23() { return T({3, -1, 2, 0, 5, -4}, {2, 3}); }    // [[3, -1, 2], [0, 5, -4]]
Tensor z234() { return arange(0, 24).reshape({2, 3, 4}); }  // z[j,k,i] = 12j + 4k + i
}  // namespace

TEST_CASE("reduce: sum over everything and along axes", "[reduce]") {
  Tensor x = x23();
  CHECK_CLOSE(sum(x), {21}, {});
  CHECK_CLOSE(x.sum(), {21}, {});
  CHECK_CLOSE(sum(x, {0}), {5, 7, 9}, {3});
  CHECK_CLOSE(sum(x, {1}), {6, 15}, {2});
  CHECK_CLOSE(sum(x, {-1}), {6, 15}, {2});
  CHECK_CLOSE(sum(x, {1}, true), {6, 15}, {2, 1});
  CHECK_CLOSE(sum(x, {0, 1}), {21}, {});
  CHECK_CLOSE(sum(x, {1, 0}, true), {21}, {1, 1});
  CHECK_CLOSE(sum(x, {}), {1, 2, 3, 4, 5, 6}, {2, 3});  // no axes: nothing reduced
  // (2,3,4) over axes 0 and 2: sum_{j,i} 12j + 4k + i = 48 + 32k + 12 = 60 + 32k
  CHECK_CLOSE(sum(z234(), {0, 2}), {60, 92, 124}, {3});
  CHECK_CLOSE(sum(z234(), {-1, 0}, true), {60, 92, 124}, {1, 3, 1});
  // over axis 1: sum_k 12j + 4k + i = 36j + 12 + 3i
  CHECK_CLOSE(sum(z234(), {1}), {12, 15, 18, 21, 48, 51, 54, 57}, {2, 4});
  CHECK_CLOSE(sum(scalar(2.5f)), {2.5f}, {});
}

TEST_CASE("reduce: mean", "[reduce]") {
  Tensor x = x23();
  CHECK_CLOSE(mean(x), {3.5f}, {});  // 21 / 6
  CHECK_CLOSE(x.mean(), {3.5f}, {});
  CHECK_CLOSE(mean(x, {0}), {2.5f, 3.5f, 4.5f}, {3});
  CHECK_CLOSE(mean(x, {1}, true), {2, 5}, {2, 1});
  CHECK_CLOSE(mean(z234(), {0, 2}), {7.5f, 11.5f, 15.5f}, {3});  // (60 + 32k) / 8
}

TEST_CASE("reduce: max, min and argmax", "[reduce]") {
  Tensor m = m23();
  CHECK_CLOSE(max(m), {5}, {});
  CHECK_CLOSE(min(m), {-4}, {});
  CHECK_CLOSE(max(m, {1}), {3, 5}, {2});
  CHECK_CLOSE(min(m, {1}), {-1, -4}, {2});
  CHECK_CLOSE(max(m, {0}), {3, 5, 2}, {3});
  CHECK_CLOSE(min(m, {-2}, true), {0, -1, -4}, {1, 3});
  CHECK_CLOSE(max(m, {0, 1}, true), {5}, {1, 1});
  CHECK_CLOSE(max(z234(), {0, 2}), {15, 19, 23}, {3});  // 12 + 4k + 3
  CHECK_CLOSE(argmax(m, 1), {0, 1}, {2});
  CHECK_CLOSE(argmax(m, 0), {0, 1, 0}, {3});
  CHECK_CLOSE(argmax(m, -1, true), {0, 1}, {2, 1});
  CHECK_CLOSE(argmax(T({1, 3, 3, 2}, {4}), 0), {1}, {});  // the first of tied maxima
  Tensor g = T({1, 2}, {2}, true);
  CHECK_FALSE(argmax(g, 0).requires_grad());
}

TEST_CASE("reduce: max gradient is split between ties", "[reduce]") {
  // max([1, 3, 3, 2]) = 3 at two places => each gets 1/2
  Tensor x = T({1, 3, 3, 2}, {4}, true);
  max(x).backward();
  CHECK_CLOSE(x.grad(), {0, 0.5f, 0.5f, 0}, {4});
  // rows [1,4,4] and [2,0,5], max along axis 1, seed [1, 2]: row 0 splits 1 => [0,.5,.5];
  // row 1 has one winner => [0, 0, 2]
  Tensor y = T({1, 4, 4, 2, 0, 5}, {2, 3}, true);
  max(y, {1}).backward(T({1, 2}, {2}));
  CHECK_CLOSE(y.grad(), {0, 0.5f, 0.5f, 0, 0, 2}, {2, 3});
  // min of [2,2,2] splits in thirds; min of [3,1,4] goes to the 1; weights [1, 3]
  Tensor z = T({2, 2, 2, 3, 1, 4}, {2, 3}, true);
  sum(min(z, {1}, true) * T({1, 3}, {2, 1})).backward();
  CHECK_CLOSE(z.grad(), {1.f / 3, 1.f / 3, 1.f / 3, 0, 3, 0}, {2, 3});
}

TEST_CASE("reduce: a NaN anywhere makes max / min NaN, wins argmax and takes the gradient",
          "[reduce]") {
  // PyTorch's rules: max / amax / min propagate a NaN wherever it sits; argmax gives the first
  // NaN's index (NaN counts as the maximum); backward (evenly_distribute_backward) shares the
  // gradient among the NaN elements of a NaN result. Rows: NaN in the middle, NaN last, NaN
  // first, two NaNs, none (a tie of 4s).
  const float nan = NAN;
  const std::vector<float> v = {1, nan, 2, 3, 0, nan, nan, 1, 2, nan, 5, nan, 1, 4, 4};
  Tensor x = T(v, {5, 3}, true);
  CHECK_CLOSE_NAN(max(x, {1}), {nan, nan, nan, nan, 4}, {5});
  CHECK_CLOSE_NAN(min(x, {1}), {nan, nan, nan, nan, 1}, {5});
  CHECK_CLOSE(argmax(x, 1), {1, 2, 0, 0, 1}, {5});
  CHECK(std::isnan(max(T({1, nan, 2}, {3})).item()));  // was 2: only a leading NaN counted
  CHECK(std::isnan(min(T({1, nan, 0}, {3})).item()));
  CHECK_CLOSE(argmax(T({1, nan, 2}, {3}), 0), {1}, {});
  // seed [1, 2, 3, 4, 5]: each NaN row's seed goes to its NaN (row 3 halves 4 between two);
  // the last row splits 5 between its tied 4s
  max(x, {1}).backward(T({1, 2, 3, 4, 5}, {5}));
  CHECK_CLOSE(x.grad(), {0, 1, 0, 0, 0, 2, 3, 0, 0, 2, 0, 2, 0, 2.5f, 2.5f}, {5, 3});
  Tensor y = T(v, {5, 3}, true);
  sum(min(y, {1})).backward();  // the same rows for min; the last row's 1 is its minimum
  CHECK_CLOSE(y.grad(), {0, 1, 0, 0, 0, 1, 1, 0, 0, 0.5f, 0, 0.5f, 1, 0, 0}, {5, 3});
  Tensor z = T(v, {5, 3}, true);
  max(z).backward();  // over everything: five NaNs share 1
  CHECK_CLOSE(z.grad(), {0, .2f, 0, 0, 0, .2f, .2f, 0, 0, .2f, 0, .2f, 0, 0, 0}, {5, 3});
}

TEST_CASE("reduce: hand-computed gradients of sum and mean", "[reduce]") {
  // sum along axis 0 with seed [1, 2, 3]: every row gets the seed
  Tensor x = T({1, 2, 3, 4, 5, 6}, {2, 3}, true);
  sum(x, {0}).backward(T({1, 2, 3}, {3}));
  CHECK_CLOSE(x.grad(), {1, 2, 3, 1, 2, 3}, {2, 3});
  // mean over everything: 1/6 each
  Tensor y = T({1, 2, 3, 4, 5, 6}, {2, 3}, true);
  mean(y).backward();
  CHECK_CLOSE(y.grad(), {1.f / 6, 1.f / 6, 1.f / 6, 1.f / 6, 1.f / 6, 1.f / 6}, {2, 3});
  // mean along axis 1 keepdim with seed [[2],[4]]: 2/3 and 4/3
  Tensor z = T({1, 2, 3, 4, 5, 6}, {2, 3}, true);
  mean(z, {1}, true).backward(T({2, 4}, {2, 1}));
  CHECK_CLOSE(z.grad(), {2.f / 3, 2.f / 3, 2.f / 3, 4.f / 3, 4.f / 3, 4.f / 3}, {2, 3});
}

TEST_CASE("reduce: non-contiguous inputs", "[reduce]") {
  Tensor x = x23();
  Tensor t = x.transpose(0, 1);  // [[1, 4], [2, 5], [3, 6]]
  CHECK_CLOSE(sum(t, {0}), {6, 15}, {2});
  CHECK_CLOSE(max(t, {1}), {4, 5, 6}, {3});
  CHECK_CLOSE(argmax(m23().transpose(0, 1), 0), {0, 1}, {2});
  CHECK_CLOSE(mean(x.slice(1, 0, 3, 2), {1}), {2, 5}, {2});  // [[1,3],[4,6]]
  CHECK_CLOSE(sum(expand(T({1, 2, 3}, {3}), {4, 3}), {0}), {4, 8, 12}, {3});
  // permuted (2,3,4)->(4,2,3): sum over the last two axes = sum over z's axes 0, 1 for each i
  // sum_{j,k} 12j + 4k + i = 36 + 24 + 6i = 60 + 6i
  CHECK_CLOSE(sum(z234().permute({2, 0, 1}), {1, 2}), {60, 66, 72, 78}, {4});
}

TEST_CASE("reduce: sum_to undoes broadcasting", "[reduce]") {
  Tensor x = x23();
  CHECK_CLOSE(sum_to(x, {3}), {5, 7, 9}, {3});
  CHECK_CLOSE(sum_to(x, {2, 1}), {6, 15}, {2, 1});
  CHECK_CLOSE(sum_to(x, {1, 3}), {5, 7, 9}, {1, 3});
  CHECK_CLOSE(sum_to(x, {}), {21}, {});
  CHECK(sum_to(x, {2, 3}).is_same(x));
  // (4,2,3) -> (2,1): sum_{i,k} 6i + 3j + k = 108 + 36j + 12 = 120 + 36j
  CHECK_CLOSE(sum_to(arange(0, 24).reshape({4, 2, 3}), {2, 1}), {120, 156}, {2, 1});
  CHECK_THROWS_WITH(sum_to(x, {4}), Contains("sum_to") && Contains("(2, 3)") && Contains("(4)"));
  CHECK_THROWS_WITH(sum_to(x, {1, 2, 3}), Contains("sum_to") && Contains("(1, 2, 3)"));
}
