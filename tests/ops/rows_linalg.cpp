// Rows of the op table: matmul and linear. matmul's calls reach each way an operand goes to gemm:
// contiguous, transposed (a flag), copied (a step-2 slice), one gemm per batch (permuted), a batch
// broadcast by expand, b shared by every batch. Sums of up to 33 products in float, in whatever
// order the BLAS kernel takes: 1e-4 absolute.
#include "ops/op_table.h"

namespace minidl::test {

namespace {

using V = const Ins&;
using H = const Hosts&;
const Tol kSums = {1e-4, 1e-4};

Case plain(const std::vector<Shape>& shapes, const std::string& what = "") {
  return {shapes, what};
}

Tensor Z(const Shape& s) { return zeros(s); }

}  // namespace

void add_linalg_rows(std::vector<OpRow>& rows) {
  // clang-format off
  rows.push_back({.name = "matmul",
      .call = [](V x) { return matmul(x[0], x[1]); },
      .ref = [](H x) { return ref::matmul(x[0], x[1]); },
      .cases = {
          plain({{3, 4}, {4, 2}}), plain({{2, 3, 4}, {2, 4, 5}}),
          plain({{2, 3, 4}, {4, 5}}, "b shared"),
          plain({{1, 3}, {3, 1}}), plain({{3, 1, 4}, {4, 2}}, "b shared, one row per batch"),
          plain({{2, 3, 1}, {1, 4}}, "b shared, inner size 1"),
          plain({{3, 17, 33}, {3, 33, 9}}, "odd sizes"),
          // one row per batch with a batch stride unlike the row stride, and a strided gradient
          {{{3, 2, 4}, {4, 2}}, "b shared, a one row per batch sliced from (3, 2, 4)",
           [](V x) { return matmul(slice(x[0], 1, 1, 2), x[1]); },
           [](H x) { return ref::matmul(ref::slice(x[0], 1, 1, 2, 1), x[1]); }},
          {{{3, 2, 4}, {4, 2}}, "the same, output transposed (0, 2)",
           [](V x) { return matmul(slice(x[0], 1, 0, 1), x[1]).transpose(0, 2); },
           [](H x) {
             return ref::transpose(ref::matmul(ref::slice(x[0], 1, 0, 1, 1), x[1]), 0, 2);
           }},
          // transposed operands go to gemm as flags; step-2 slices are copied
          {{{4, 3}, {4, 2}}, "a^T b", [](V x) { return matmul(x[0].transpose(0, 1), x[1]); },
           [](H x) { return ref::matmul(ref::transpose(x[0], 0, 1), x[1]); }},
          {{{4, 3}, {4, 5}}, "a^T b", [](V x) { return matmul(x[0].transpose(0, 1), x[1]); },
           [](H x) { return ref::matmul(ref::transpose(x[0], 0, 1), x[1]); }},
          {{{3, 4}, {2, 4}}, "a b^T", [](V x) { return matmul(x[0], x[1].transpose(0, 1)); },
           [](H x) { return ref::matmul(x[0], ref::transpose(x[1], 0, 1)); }},
          {{{4, 3}, {2, 4}}, "a^T b^T",
           [](V x) { return matmul(x[0].transpose(0, 1), x[1].transpose(0, 1)); },
           [](H x) { return ref::matmul(ref::transpose(x[0], 0, 1), ref::transpose(x[1], 0, 1)); }},
          {{{3, 8}, {8, 2}}, "every other column of a, every other row of b",
           [](V x) { return matmul(slice(x[0], 1, 0, 8, 2), slice(x[1], 0, 1, 8, 2)); },
           [](H x) {
             return ref::matmul(ref::slice(x[0], 1, 0, 8, 2), ref::slice(x[1], 0, 1, 8, 2));
           }},
          {{{3, 3}}, "x x", [](V x) { return matmul(x[0], x[0]); },
           [](H x) { return ref::matmul(x[0], x[0]); }},
          {{{2, 4, 3}, {1, 4, 5}}, "a transposed (1, 2), b's batch expanded to 2",
           [](V x) { return matmul(x[0].transpose(1, 2), expand(x[1], {2, 4, 5})); },
           [](H x) {
             return ref::matmul(ref::transpose(x[0], 1, 2), ref::expand(x[1], {2, 4, 5}));
           }},
          {{{1, 3, 4}, {2, 5, 4}}, "a's batch expanded to 2, b transposed (1, 2)",
           [](V x) { return matmul(expand(x[0], {2, 3, 4}), x[1].transpose(1, 2)); },
           [](H x) {
             return ref::matmul(ref::expand(x[0], {2, 3, 4}), ref::transpose(x[1], 1, 2));
           }},
          {{{3, 2, 4}, {4, 5}}, "b shared, a permuted (1, 0, 2): one gemm per batch",
           [](V x) { return matmul(x[0].permute({1, 0, 2}), x[1]); },
           [](H x) { return ref::matmul(ref::permute(x[0], {1, 0, 2}), x[1]); }},
          {{{3, 2, 4}, {5, 4}}, "b shared and transposed, a permuted (1, 0, 2)",
           [](V x) { return matmul(x[0].permute({1, 0, 2}), x[1].transpose(0, 1)); },
           [](H x) {
             return ref::matmul(ref::permute(x[0], {1, 0, 2}), ref::transpose(x[1], 0, 1));
           }},
          {{{2, 4, 3}, {5, 4}}, "b shared, both transposed",
           [](V x) { return matmul(x[0].transpose(1, 2), x[1].transpose(0, 1)); },
           [](H x) { return ref::matmul(ref::transpose(x[0], 1, 2), ref::transpose(x[1], 0, 1)); }},
          {{{2, 4, 3}, {4, 5}}, "b shared, a transposed (1, 2)",
           [](V x) { return matmul(x[0].transpose(1, 2), x[1]); },
           [](H x) { return ref::matmul(ref::transpose(x[0], 1, 2), x[1]); }},
          {{{3, 17, 33}, {9, 33}}, "b shared and transposed, odd sizes",
           [](V x) { return matmul(x[0], x[1].transpose(0, 1)); },
           [](H x) { return ref::matmul(x[0], ref::transpose(x[1], 0, 1)); }}},
      // M = 0; K = 0 (an empty sum: zeros); no batch, so b's gradient, a sum over none, is 0
      .edge = {plain({{0, 3}, {3, 2}}), plain({{2, 0}, {0, 3}}),
               plain({{0, 2, 3}, {3, 4}}, "b shared"), plain({{4, 0, 3}, {4, 3, 2}}),
               plain({{2, 3, 0}, {2, 0, 4}})},
      .fwd = kSums, .cuda = kSums,
      .special = kNan,  // NaN * anything is NaN whatever the order; Inf * 0 would not be defined
      .errors = {
          {"inner sizes", [] { matmul(Z({2, 3}), Z({4, 5})); },
           {"matmul", "(2, 3)", "(4, 5)", "inner sizes 3 vs 4"}},
          {"(2, 3) and (4, 2)", [] { matmul(Z({2, 3}), Z({4, 2})); },
           {"matmul", "(2, 3)", "(4, 2)", "3 vs 4"}},
          {"1-D a", [] { matmul(Z({3}), Z({2, 3})); }, {"matmul", "(3)", "(2, 3)"}},
          {"1-D a, 2-D b", [] { matmul(Z({3}), Z({3, 2})); }, {"matmul", "(3)", "(3, 2)"}},
          {"4-D a", [] { matmul(Z({2, 3, 4, 5}), Z({5, 2})); }, {"matmul", "(2, 3, 4, 5)"}},
          {"2-D a, 3-D b", [] { matmul(Z({2, 3}), Z({2, 3, 4})); },
           {"matmul", "(2, 3)", "(2, 3, 4)"}},
          {"batch sizes", [] { matmul(Z({2, 3, 4}), Z({5, 4, 6})); },
           {"matmul", "(2, 3, 4)", "(5, 4, 6)", "batch sizes 2 vs 5"}},
          {"batch 2 vs 3", [] { matmul(Z({2, 3, 4}), Z({3, 4, 5})); },
           {"matmul", "batch", "2 vs 3"}},
          {"shared b, inner sizes", [] { matmul(Z({2, 3, 4}), Z({5, 6})); },
           {"matmul", "inner sizes 4 vs 5"}}}});

  // linear(x, W, b) = x W^T + b; an undefined b means no bias, so only x and W must be defined
  rows.push_back({.name = "linear",
      .call = [](V x) { return linear(x[0], x[1], x.size() > 2 ? x[2] : Tensor()); },
      .ref = [](H x) { return ref::linear(x[0], x[1], x.size() > 2 ? &x[2] : nullptr); },
      .cases = {plain({{3, 4}, {2, 4}, {2}}), plain({{3, 4}, {2, 4}}, "no bias"),
                plain({{40, 33}, {9, 33}, {9}}, "odd sizes"),
                {{{4, 3}, {4, 2}, {2}}, "x and W transposed",
                 [](V x) { return linear(x[0].transpose(0, 1), x[1].transpose(0, 1), x[2]); },
                 [](H x) {
                   return ref::linear(ref::transpose(x[0], 0, 1), ref::transpose(x[1], 0, 1),
                                      &x[2]);
                 }}},
      .edge = {plain({{0, 3}, {2, 3}, {2}}), plain({{2, 0}, {3, 0}}, "no bias")},
      .fwd = kSums, .cuda = kSums,
      .special = kNan,
      .errors = {
          {"(2, 3) with W (4, 5)", [] { linear(Z({2, 3}), Z({4, 5})); },
           {"linear", "(2, 3)", "(4, 5)"}},
          {"(2, 3) with W (5, 4)", [] { linear(Z({2, 3}), Z({5, 4})); },
           {"linear", "(2, 3)", "(5, 4)"}},
          {"1-D x", [] { linear(Z({3}), Z({2, 3})); }, {"linear", "(3)", "(2, 3)"}},
          {"3-D x", [] { linear(Z({2, 3, 4}), Z({5, 4})); }, {"linear", "(2, 3, 4)", "(5, 4)"}},
          {"bias (3) for W (4, 3)", [] { linear(Z({2, 3}), Z({4, 3}), Z({3})); },
           {"linear", "(3)", "(4, 3)", "expected (4)"}},
          {"bias (4) for W (5, 3)", [] { linear(Z({2, 3}), Z({5, 3}), Z({4})); },
           {"linear", "(4)", "(5, 3)"}}},
      .required = 2});
  // clang-format on
}

}  // namespace minidl::test
