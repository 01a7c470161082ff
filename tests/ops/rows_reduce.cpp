// Rows of the op table: reductions (sum, mean, max, min over everything or over axes, argmax,
// sum_to) and softmax / log_softmax along an axis. max, min and argmax draw distinct values, so no
// tie is within reach of gradcheck's step; the tie rules have their own tests (test_reduce.cpp).
#include "ops/op_table.h"

namespace minidl::test {

namespace {

using ref::Reduce;
using Axes = Tensor (*)(const Tensor&, const Shape&, bool);
using All = Tensor (*)(const Tensor&);

Tensor Z(const Shape& s) { return zeros(s); }

// op(x, axes, keepdim) on one input of `shape`.
Case over(Axes op, Reduce kind, const Shape& shape, const Shape& axes, bool keepdim = false) {
  return {{shape},
          "axes " + shape_str(axes) + (keepdim ? ", keepdim" : ""),
          [=](const Ins& x) { return op(x[0], axes, keepdim); },
          [=](const Hosts& x) { return ref::reduce(x[0], kind, axes, keepdim); }};
}

// op(x): over every axis.
Case whole(All op, Reduce kind, const Shape& shape, const std::string& what = "every axis") {
  return {{shape},
          what,
          [=](const Ins& x) { return op(x[0]); },
          [=](const Hosts& x) {
            return ref::reduce(x[0], kind, ref::all_axes(x[0].shape.size()), false);
          }};
}

Case argmax_along(const Shape& shape, int64_t axis, bool keepdim = false) {
  return {{shape},
          "axis " + std::to_string(axis) + (keepdim ? ", keepdim" : ""),
          [=](const Ins& x) { return argmax(x[0], axis, keepdim); },
          [=](const Hosts& x) { return ref::argmax(x[0], axis, keepdim); }};
}

Case sum_to_case(const Shape& from, const Shape& to) {
  return {{from},
          "to " + shape_str(to),
          [=](const Ins& x) { return sum_to(x[0], to); },
          [=](const Hosts& x) { return ref::sum_to(x[0], to); }};
}

// softmax (log_softmax when `log`) along `axis`.
Case along(bool log, const Shape& shape, int64_t axis) {
  return {{shape},
          "axis " + std::to_string(axis),
          [=](const Ins& x) { return log ? log_softmax(x[0], axis) : softmax(x[0], axis); },
          [=](const Hosts& x) { return ref::softmax(x[0], axis, log); }};
}

}  // namespace

void add_reduce_rows(std::vector<OpRow>& rows) {
  const All sum_all = [](const Tensor& x) { return sum(x); };
  const All mean_all = [](const Tensor& x) { return mean(x); };
  const All max_all = [](const Tensor& x) { return max(x); };
  const All min_all = [](const Tensor& x) { return min(x); };
  const Axes sum_axes = [](const Tensor& x, const Shape& a, bool k) { return sum(x, a, k); };
  const Axes mean_axes = [](const Tensor& x, const Shape& a, bool k) { return mean(x, a, k); };
  const Axes max_axes = [](const Tensor& x, const Shape& a, bool k) { return max(x, a, k); };
  const Axes min_axes = [](const Tensor& x, const Shape& a, bool k) { return min(x, a, k); };
  const Reduce S = Reduce::Sum, M = Reduce::Mean, MAX = Reduce::Max, MIN = Reduce::Min;
  // clang-format off
  rows.push_back({.name = "sum",
      .cases = {whole(sum_all, S, {2, 3}), whole(sum_all, S, {}),
                whole([](const Tensor& x) { return x.sum(); }, S, {2, 3}, "Tensor::sum()"),
                over(sum_axes, S, {2, 3}, {0}), over(sum_axes, S, {2, 3}, {-1}, true),
                over(sum_axes, S, {2, 3, 4}, {0, 2}), over(sum_axes, S, {2, 3, 4}, {-1, 0}, true),
                over(sum_axes, S, {2, 3, 4}, {1}), over(sum_axes, S, {2, 3}, {}),
                {{{3}}, "of (3) expanded to (4, 3), axis 0",
                 [](const Ins& x) { return sum(expand(x[0], {4, 3}), {0}); },
                 [](const Hosts& x) {
                   return ref::reduce(ref::expand(x[0], {4, 3}), Reduce::Sum, {0}, false);
                 }}},
      .edge = {whole(sum_all, S, {0, 3}), over(sum_axes, S, {0, 3}, {0}),
               over(sum_axes, S, {0, 3}, {1})},
      .errors = {
          {"axis 2 of (2, 3)", [] { sum(Z({2, 3}), {2}); }, {"sum", "axis 2", "(2, 3)"}},
          {"axes 0 and -2", [] { sum(Z({2, 3}), {0, -2}); }, {"sum", "twice", "(2, 3)"}},
          {"axes 0 and 0", [] { sum(Z({2, 3}), {0, 0}); }, {"sum", "twice"}},
          {"axes 1 and -1", [] { sum(Z({2, 3}), {1, -1}); }, {"sum", "twice"}}}});

  rows.push_back({.name = "mean",
      .cases = {whole(mean_all, M, {2, 3}),
                whole([](const Tensor& x) { return x.mean(); }, M, {2, 3}, "Tensor::mean()"),
                over(mean_axes, M, {2, 3}, {0}), over(mean_axes, M, {2, 3}, {1}),
                over(mean_axes, M, {2, 3}, {1}, true), over(mean_axes, M, {2, 3, 4}, {0, 2}),
                over(mean_axes, M, {2, 3, 4}, {0, 2}, true)},
      .edge = {over(mean_axes, M, {0, 3}, {1})},
      .errors = {
          {"axis -3 of (2, 3)", [] { mean(Z({2, 3}), {-3}); }, {"mean", "axis -3", "(2, 3)"}},
          {"of nothing", [] { mean(Z({0, 3})); }, {"mean", "empty", "(0, 3)"}},
          {"over the empty axis", [] { mean(Z({0, 3}), {0}); }, {"mean", "(0, 3)"}}}});

  rows.push_back({.name = "max",
      .cases = {whole(max_all, MAX, {2, 3}), over(max_axes, MAX, {2, 3}, {1}),
                over(max_axes, MAX, {2, 3}, {0}), over(max_axes, MAX, {2, 3}, {-2}, true),
                over(max_axes, MAX, {2, 3}, {0, 1}, true), over(max_axes, MAX, {2, 3, 4}, {0, 2}),
                {{{2, 3, 4}}, "of x permuted (2, 0, 1), axis -1",
                 [](const Ins& x) { return max(x[0].permute({2, 0, 1}), {-1}); },
                 [](const Hosts& x) {
                   return ref::reduce(ref::permute(x[0], {2, 0, 1}), Reduce::Max, {-1}, false);
                 }}},
      .edge = {over(max_axes, MAX, {0, 3}, {1}), over(max_axes, MAX, {0, 3}, {1}, true)},
      .gens = {distinct()},
      .errors = {
          {"of nothing", [] { max(Z({0})); }, {"max", "empty", "(0)"}},
          {"axis 5 of (2, 3)", [] { max(Z({2, 3}), {5}); }, {"max", "axis 5", "(2, 3)"}},
          {"over the empty axis", [] { max(Z({0, 3}), {0}); }, {"max", "empty", "(0, 3)"}}}});

  rows.push_back({.name = "min",
      .cases = {whole(min_all, MIN, {2, 3}), over(min_axes, MIN, {2, 3}, {0}, true),
                over(min_axes, MIN, {2, 3}, {1}), over(min_axes, MIN, {3, 4}, {1}),
                over(min_axes, MIN, {2, 3}, {-2}, true)},
      .edge = {over(min_axes, MIN, {0, 3}, {1})},
      .gens = {distinct()},
      .errors = {
          {"over the empty axis", [] { min(Z({0, 3}), {0}); }, {"min", "empty", "(0, 3)"}},
          {"axes 0 and 2 of (2, 3)", [] { min(Z({2, 3}), {0, 2}); }, {"min", "(2, 3)"}},
          {"of nothing", [] { min(Z({0, 3})); }, {"min", "(0, 3)"}}}});

  rows.push_back({.name = "argmax",
      .cases = {argmax_along({2, 3}, 1), argmax_along({2, 3}, 0), argmax_along({2, 3}, -1, true),
                argmax_along({2, 3, 4}, 1), argmax_along({4}, 0)},
      .edge = {argmax_along({0, 3}, 1)},
      .gens = {distinct()},
      .grad = std::nullopt,  // an index carries no gradient
      .errors = {
          {"axis 2 of (2, 3)", [] { argmax(Z({2, 3}), 2); }, {"argmax", "axis 2", "(2, 3)"}},
          {"along an empty axis", [] { argmax(Z({2, 0}), 1); }, {"argmax", "(2, 0)", "empty"}},
          {"along axis 0 of (0, 3)", [] { argmax(Z({0, 3}), 0); }, {"argmax", "(0, 3)"}},
          {"of a 0-d tensor", [] { argmax(scalar(1.f), 0); }, {"argmax", "()"}}}});

  rows.push_back({.name = "sum_to",
      .cases = {sum_to_case({2, 3}, {3}), sum_to_case({4, 2, 3}, {2, 1}),
                sum_to_case({2, 3}, {2, 1}), sum_to_case({2, 3}, {1, 3}), sum_to_case({2, 3}, {}),
                sum_to_case({2, 3}, {2, 3})},
      .edge = {sum_to_case({0, 3}, {3}), sum_to_case({0, 3}, {1, 3})},
      .errors = {
          {"(2, 3) to (4)", [] { sum_to(Z({2, 3}), {4}); }, {"sum_to", "(4)", "(2, 3)"}},
          {"(2, 3) to more axes", [] { sum_to(Z({2, 3}), {1, 2, 3}); },
           {"sum_to", "(1, 2, 3)", "(2, 3)"}}}});
  // clang-format on

  // softmax and log_softmax: the last, the first and a middle axis; the default (-1); a long row
  for (bool log : {false, true}) {
    const std::string n = log ? "log_softmax" : "softmax";
    auto op = [log](const Tensor& x, int64_t axis) {
      return log ? log_softmax(x, axis) : softmax(x, axis);
    };
    rows.push_back(
        {.name = n,
         .cases = {along(log, {2, 5}, -1),
                   along(log, {4, 3}, 0),
                   along(log, {2, 3, 4}, 1),
                   along(log, {2, 3, 4}, -2),
                   along(log, {3, 257}, 1),
                   {{{1, 3}},
                    "the default axis",
                    [log](const Ins& x) { return log ? log_softmax(x[0]) : softmax(x[0]); },
                    [log](const Hosts& x) { return ref::softmax(x[0], -1, log); }},
                   {{{2, 3, 4}},
                    "of x permuted (2, 0, 1), axis 1",
                    [op](const Ins& x) {
                      return op(x[0].permute({2, 0, 1}), 1);
                    },
                    [log](const Hosts& x) {
                      return ref::softmax(ref::permute(x[0], {2, 0, 1}), 1, log);
                    }},
                   {{{5}},
                    "of (5) expanded to (3, 5)",
                    [op](const Ins& x) {
                      return op(expand(x[0], {3, 5}), -1);
                    },
                    [log](const Hosts& x) {
                      return ref::softmax(ref::expand(x[0], {3, 5}), -1, log);
                    }}},
         .edge = {along(log, {0, 3}, 1), along(log, {2, 0}, 1), along(log, {2, 0}, 0)},
         .gens = {uniform(-2, 2)},
         .fwd = {1e-6, 1e-5},
         .special = kNan,  // a NaN makes its slice NaN (an Inf would too, by inf - inf)
         .errors = {{"axis 2 of (2, 3)",
                     [op] {
                       op(Z({2, 3}), 2);
                     },
                     {n, "(2, 3)"}},
                    {"axis -3 of (2, 3)",
                     [op] {
                       op(Z({2, 3}), -3);
                     },
                     {n, "(2, 3)"}}}});
  }
}

}  // namespace minidl::test
