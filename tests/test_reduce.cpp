// Tests of the reductions: sum/mean/max/min over everything and along axes (keepdim, several
// axes, negative axes), argmax and sum_to; the shared gradient of tied maxima; non-contiguous
// inputs; error messages; and a table of finite-difference gradient checks.
#include "support/op_cases.h"

using namespace minidl;
using namespace minidl::test;
using Catch::Contains;

namespace {
Tensor x23() { return T({1, 2, 3, 4, 5, 6}, {2, 3}); }       // [[1, 2, 3], [4, 5, 6]]
Tensor m23() { return T({3, -1, 2, 0, 5, -4}, {2, 3}); }     // [[3, -1, 2], [0, 5, -4]]
Tensor z234() { return arange(0, 24).reshape({2, 3, 4}); }   // z[j,k,i] = 12j + 4k + i
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

TEST_CASE("reduce: zero-size inputs", "[reduce]") {
  Tensor z = zeros({0, 3});
  CHECK_CLOSE(sum(z, {0}), {0, 0, 0}, {3});
  CHECK(sum(z, {1}).shape() == Shape{0});
  CHECK(max(z, {1}).shape() == Shape{0});
  CHECK_THROWS_WITH(max(z, {0}), Contains("max") && Contains("empty") && Contains("(0, 3)"));
  CHECK_THROWS_WITH(min(z), Contains("min") && Contains("(0, 3)"));
  CHECK_THROWS_WITH(mean(z, {0}), Contains("mean") && Contains("(0, 3)"));
  CHECK_THROWS_WITH(argmax(z, 0), Contains("argmax") && Contains("(0, 3)"));
}

TEST_CASE("reduce: a bad axis names the op and the shape", "[reduce]") {
  Tensor x = x23();
  CHECK_THROWS_WITH(sum(x, {2}), Contains("sum") && Contains("(2, 3)"));
  CHECK_THROWS_WITH(mean(x, {-3}), Contains("mean") && Contains("(2, 3)"));
  CHECK_THROWS_WITH(max(x, {5}), Contains("max") && Contains("(2, 3)"));
  CHECK_THROWS_WITH(min(x, {0, 2}), Contains("min") && Contains("(2, 3)"));
  CHECK_THROWS_WITH(argmax(x, 2), Contains("argmax") && Contains("(2, 3)"));
  CHECK_THROWS_WITH(sum(x, {0, 0}), Contains("sum") && Contains("twice"));
  CHECK_THROWS_WITH(sum(x, {1, -1}), Contains("sum") && Contains("twice"));
  CHECK_THROWS_WITH(argmax(scalar(1.f), 0), Contains("argmax") && Contains("()"));
}

namespace {
// Offsets 3 apart added to inputs in [-1, 1): no two elements come within 1 of each other, so
// max/min never meet a tie during the finite differences. (7i mod n) permutes 0..n-1 for these n.
Tensor spread(const Shape& shape) {
  int64_t n = shape_numel(shape);
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = 3.f * static_cast<float>((7 * i) % n);
  return from_vector(v, shape);
}
}  // namespace

TEST_CASE("reduce: gradcheck of every reduction", "[reduce][gradcheck]") {
  run_gradcheck_table({
      {"sum all", {{2, 3}}, [](auto& x) { return sum(x[0]); }},
      {"sum axis 0", {{2, 3}}, [](auto& x) { return sum(x[0], {0}); }},
      {"sum axis -1 keepdim", {{2, 3}}, [](auto& x) { return sum(x[0], {-1}, true); }},
      {"sum axes {0,2}", {{2, 3, 4}}, [](auto& x) { return sum(x[0], {0, 2}); }},
      {"sum axes {-1,0} keepdim", {{2, 3, 4}}, [](auto& x) { return sum(x[0], {-1, 0}, true); }},
      {"sum of 0-d", {{}}, [](auto& x) { return sum(x[0]); }},
      {"sum of transposed", {{3, 2}}, [](auto& x) { return sum(x[0].transpose(0, 1), {1}); }},
      {"sum of expanded", {{3}}, [](auto& x) { return sum(expand(x[0], {4, 3}), {0}); }},
      {"mean all", {{2, 3}}, [](auto& x) { return mean(x[0]); }},
      {"mean axis 1", {{2, 3}}, [](auto& x) { return mean(x[0], {1}); }},
      {"mean axes {0,2} keepdim", {{2, 3, 4}}, [](auto& x) { return mean(x[0], {0, 2}, true); }},
      {"mean of sliced", {{2, 6}}, [](auto& x) { return mean(x[0].slice(1, 0, 6, 2), {0}); }},
      {"max all", {{2, 3}}, [](auto& x) { return max(x[0] + spread({2, 3})); }},
      {"max axis 1", {{2, 3}}, [](auto& x) { return max(x[0] + spread({2, 3}), {1}); }},
      {"max axes {0,2}", {{2, 3, 4}}, [](auto& x) { return max(x[0] + spread({2, 3, 4}), {0, 2}); }},
      {"max of permuted", {{2, 3, 4}},
       [](auto& x) { return max((x[0] + spread({2, 3, 4})).permute({2, 0, 1}), {-1}); }},
      {"min all", {{2, 3}}, [](auto& x) { return min(x[0] + spread({2, 3})); }},
      {"min axis 0 keepdim", {{2, 3}}, [](auto& x) { return min(x[0] + spread({2, 3}), {0}, true); }},
      {"min of transposed", {{3, 4}},
       [](auto& x) { return min((x[0] + spread({3, 4})).transpose(0, 1), {1}); }},
      {"sum_to (2,3)->(3)", {{2, 3}}, [](auto& x) { return sum_to(x[0], {3}); }},
      {"sum_to (4,2,3)->(2,1)", {{4, 2, 3}}, [](auto& x) { return sum_to(x[0], {2, 1}); }},
  });
}
