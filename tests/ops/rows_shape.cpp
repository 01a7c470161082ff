// Rows of the op table: the shape ops (reshape, view, flatten, slice, select, transpose, permute,
// squeeze, unsqueeze, expand, contiguous, concat, stack). Their references move values by index
// arithmetic alone (ref::gather); each op's gradient is checked by gradcheck like any other.
// That views share storage with their base is tested in test_shape.cpp.
#include <cmath>
#include <limits>

#include "ops/op_table.h"

namespace minidl::test {

namespace {

using In = const Tensor&;
using H = const Host&;
constexpr int64_t kHuge = int64_t{1} << 40;
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
const std::string kHugeShape = "(1099511627776, 1099511627776)";

std::string num(int64_t v) { return std::to_string(v); }

// A call of op on one input of `shape`, against r.
Case one(const Shape& shape, const std::string& what, const std::function<Tensor(In)>& op,
         const std::function<Host(H)>& r) {
  return {{shape},
          what,
          [op](const Ins& x) { return op(x[0]); },
          [r](const Hosts& x) { return r(x[0]); }};
}

Case reshape_to(const Shape& s, const Shape& to) {
  return one(
      s, "to " + shape_str(to), [to](In x) { return reshape(x, to); },
      [to](H x) { return ref::reshape(x, to); });
}
Case view_as(const Shape& s, const Shape& to) {
  return one(
      s, "as " + shape_str(to), [to](In x) { return x.view(to); },
      [to](H x) { return ref::reshape(x, to); });
}
Case flatten_of(const Shape& s, int64_t a, int64_t b) {
  return one(
      s, "axes " + num(a) + " to " + num(b), [a, b](In x) { return flatten(x, a, b); },
      [a, b](H x) { return ref::flatten(x, a, b); });
}
Case slice_of(const Shape& s, int64_t axis, int64_t start, int64_t end, int64_t step = 1) {
  return one(
      s, "axis " + num(axis) + ", " + num(start) + ":" + num(end) + ":" + num(step),
      [=](In x) { return x.slice(axis, start, end, step); },
      [=](H x) { return ref::slice(x, axis, start, end, step); });
}
Case select_of(const Shape& s, int64_t axis, int64_t i) {
  return one(
      s, "axis " + num(axis) + ", index " + num(i), [=](In x) { return select(x, axis, i); },
      [=](H x) { return ref::select(x, axis, i); });
}
Case transpose_of(const Shape& s, int64_t a, int64_t b) {
  return one(
      s, "axes " + num(a) + ", " + num(b), [=](In x) { return x.transpose(a, b); },
      [=](H x) { return ref::transpose(x, a, b); });
}
Case permute_of(const Shape& s, const Shape& order) {
  return one(
      s, "order " + shape_str(order), [order](In x) { return permute(x, order); },
      [order](H x) { return ref::permute(x, order); });
}
Case squeeze_of(const Shape& s, int64_t axis) {
  return one(
      s, "axis " + num(axis), [axis](In x) { return squeeze(x, axis); },
      [axis](H x) { return ref::squeeze(x, axis); });
}
Case unsqueeze_of(const Shape& s, int64_t axis) {
  return one(
      s, "axis " + num(axis), [axis](In x) { return unsqueeze(x, axis); },
      [axis](H x) { return ref::unsqueeze(x, axis); });
}
Case expand_to(const Shape& s, const Shape& to) {
  return one(
      s, "to " + shape_str(to), [to](In x) { return expand(x, to); },
      [to](H x) { return ref::expand(x, to); });
}
Case concat_of(const std::vector<Shape>& shapes, int64_t axis) {
  return {shapes, "axis " + num(axis), [axis](const Ins& x) { return concat(x, axis); },
          [axis](const Hosts& x) { return ref::concat(x, axis); }};
}
Case stack_of(const std::vector<Shape>& shapes, int64_t axis) {
  return {shapes, "axis " + num(axis), [axis](const Ins& x) { return stack(x, axis); },
          [axis](const Hosts& x) { return ref::stack(x, axis); }};
}

Tensor Z(const Shape& s) { return zeros(s); }

}  // namespace

void add_shape_rows(std::vector<OpRow>& rows) {
  // clang-format off
  rows.push_back({.name = "reshape",
      .cases = {reshape_to({2, 3}, {3, 2}), reshape_to({2, 3, 2}, {-1, 2}),
                reshape_to({2, 3}, {-1}), reshape_to({2, 3}, {3, -1}),
                reshape_to({2, 3}, {-1, 2, 1}), reshape_to({2, 3}, {2, 3})},
      .edge = {reshape_to({0, 3}, {3, 0}), reshape_to({0, 3}, {-1, 3})},
      .errors = {
          {"(2, 3) to (4, 2)", [] { reshape(Z({2, 3}), {4, 2}); }, {"reshape", "(2, 3)", "(4, 2)"}},
          {"two -1", [] { reshape(Z({2, 3}), {-1, -1}); }, {"reshape", "(-1, -1)"}},
          {"a negative size", [] { reshape(Z({2, 3}), {-2, 3}); }, {"reshape", "(-2, 3)"}},
          {"-1 beside a 0", [] { reshape(Z({2, 3}), {0, -1}); }, {"reshape", "(2, 3)", "(0, -1)"}},
          {"-1 that does not divide", [] { reshape(Z({2, 3}), {-1, 4}); },
           {"reshape", "(2, 3)", "(-1, 4)"}},
          {"too many elements", [] { reshape(Z({2}), {kHuge, kHuge, 0}); },
           {"reshape", "(1099511627776, 1099511627776, 0)"}}}});

  // view never copies: strided inputs are errors (below), so it runs on contiguous ones only
  rows.push_back({.name = "view",
      .cases = {view_as({2, 3}, {6}), view_as({2, 3}, {3, 2}), view_as({2, 3}, {-1}),
                {{{2, 3}}, "row 1 (a contiguous slice with an offset) as (3)",
                 [](const Ins& x) { return x[0].slice(0, 1, 2).view({3}); },
                 [](const Hosts& x) { return ref::reshape(ref::slice(x[0], 0, 1, 2, 1), {3}); }}},
      .edge = {view_as({0, 3}, {3, 0})},
      .errors = {
          {"of a transposed (2, 3)", [] { view(transpose(Z({2, 3}), 0, 1), {6}); },
           {"view", "(3, 2)", "not contiguous"}},
          {"(2, 3) as (5)", [] { view(Z({2, 3}), {5}); }, {"view", "(2, 3)"}}},
      .strided = false});

  rows.push_back({.name = "flatten",
      .cases = {flatten_of({2, 3, 2}, 1, -1), flatten_of({2, 3, 4}, 0, 1),
                flatten_of({2, 3, 4}, -2, -1), flatten_of({2, 3, 4}, 0, -1), flatten_of({}, 0, -1)},
      .edge = {flatten_of({0, 3, 4}, 1, -1)},
      .errors = {
          {"start after end", [] { flatten(Z({2, 3, 4}), 2, 1); }, {"flatten", "(2, 3, 4)"}},
          {"axis 5 of (2, 3)", [] { flatten(Z({2, 3}), 0, 5); }, {"flatten", "axis 5", "(2, 3)"}},
          {"start axis 3 of (2, 3, 4)", [] { flatten(Z({2, 3, 4}), 3); },
           {"flatten", "(2, 3, 4)"}}}});

  rows.push_back({.name = "slice",
      .cases = {slice_of({2, 7}, 1, 1, 7, 3), slice_of({5, 2}, 0, -3, -1),
                slice_of({2, 2, 2, 6}, -1, 0, 4), slice_of({10}, 0, 7, 100, 2),
                slice_of({10}, 0, -100, 100), slice_of({10}, 0, 0, -7),
                slice_of({10}, 0, 2, 8, 3), slice_of({2, 3}, -1, 0, 3, 2)},
      .edge = {slice_of({2, 3}, 1, 2, 1), slice_of({10}, 0, 20, 30), slice_of({10}, 0, 3, 3),
               slice_of({2, 3}, 1, 0, 3, kMax), slice_of({2, 3}, 1, kMin, 2)},
      .errors = {
          {"axis 2 of (2, 3)", [] { slice(Z({2, 3}), 2, 0, 1); }, {"slice", "axis 2", "(2, 3)"}},
          {"step 0", [] { slice(Z({2, 3}), 1, 0, 2, 0); }, {"slice", "step", "(2, 3)"}},
          {"axis 1 of (10)", [] { slice(Z({10}), 1, 0, 5); }, {"slice", "(10)"}}}});

  rows.push_back({.name = "select",
      .cases = {select_of({3, 4}, 1, -2), select_of({2, 3}, 0, 1), select_of({2, 3}, 1, -1),
                select_of({2, 3}, -2, 0),
                {{{2, 3, 4}}, "of x permuted (2, 0, 1), axis 0, index 1",
                 [](const Ins& x) { return x[0].permute({2, 0, 1}).select(0, 1); },
                 [](const Hosts& x) { return ref::select(ref::permute(x[0], {2, 0, 1}), 0, 1); }}},
      .edge = {select_of({0, 3}, 1, 2), select_of({3}, 0, 1)},
      .errors = {
          {"index 3 of axis 1", [] { select(Z({2, 3}), 1, 3); }, {"select", "index 3", "(2, 3)"}},
          {"axis -3", [] { select(Z({2, 3}), -3, 0); }, {"select", "axis -3", "(2, 3)"}},
          {"of a 0-d tensor", [] { select(scalar(1.f), 0, 0); }, {"select", "()"}},
          {"index 2 of axis 0", [] { select(Z({2, 3}), 0, 2); }, {"select", "(2, 3)"}},
          {"index -4 of axis 1", [] { select(Z({2, 3}), 1, -4); }, {"select", "(2, 3)"}}}});

  rows.push_back({.name = "transpose",
      .cases = {transpose_of({2, 3}, 0, 1), transpose_of({2, 3}, -1, -2),
                transpose_of({2, 3, 4}, 0, 2)},
      .edge = {transpose_of({0, 3}, 0, 1)},
      .errors = {{"axis 2 of (2, 3)", [] { transpose(Z({2, 3}), 0, 2); },
                  {"transpose", "axis 2", "(2, 3)"}}}});

  rows.push_back({.name = "permute",
      .cases = {permute_of({2, 3, 4}, {2, 0, 1}), permute_of({2, 3, 4}, {-1, 0, 1}),
                permute_of({2, 3, 4}, {1, 2, 0}), permute_of({2, 3}, {1, 0})},
      .edge = {permute_of({0, 3, 2}, {2, 0, 1})},
      .errors = {
          {"one axis for two", [] { permute(Z({2, 3}), {0}); }, {"permute", "(2, 3)"}},
          {"an axis repeated", [] { permute(Z({2, 3}), {1, 1}); }, {"permute", "(1, 1)", "(2, 3)"}},
          {"(0, 0, 1)", [] { permute(Z({2, 3, 4}), {0, 0, 1}); }, {"permute", "twice"}},
          {"two axes for three", [] { permute(Z({2, 3, 4}), {0, 1}); }, {"permute", "(2, 3, 4)"}},
          {"axis 3 of three", [] { permute(Z({2, 3, 4}), {0, 1, 3}); },
           {"permute", "(2, 3, 4)"}}}});

  rows.push_back({.name = "squeeze",
      .cases = {squeeze_of({2, 1, 3}, 1), squeeze_of({2, 1, 3}, -2), squeeze_of({1}, 0)},
      .edge = {squeeze_of({0, 1, 3}, 1)},
      .errors = {
          {"an axis of size 2", [] { squeeze(Z({2, 3}), 0); }, {"squeeze", "(2, 3)", "size 2"}},
          {"axis 0 of (2, 1, 3)", [] { squeeze(Z({2, 1, 3}), 0); }, {"squeeze", "(2, 1, 3)"}}}});

  rows.push_back({.name = "unsqueeze",
      .cases = {unsqueeze_of({2, 3}, 0), unsqueeze_of({2, 3}, 1), unsqueeze_of({2, 3}, 2),
                unsqueeze_of({2, 3}, -1), unsqueeze_of({2, 3}, -3), unsqueeze_of({}, 0)},
      .edge = {unsqueeze_of({0, 3}, 1)},
      .errors = {
          {"axis 4 of (2, 3)", [] { unsqueeze(Z({2, 3}), 4); }, {"unsqueeze", "axis 4", "(2, 3)"}},
          {"axis 3 of (2, 3)", [] { unsqueeze(Z({2, 3}), 3); }, {"unsqueeze", "(2, 3)"}},
          {"axis -4 of (2, 3)", [] { unsqueeze(Z({2, 3}), -4); }, {"unsqueeze", "(2, 3)"}}}});

  // expand: stride-0 views; also read by the ops after them (mul, sub, tanh take stride-0 inputs)
  rows.push_back({.name = "expand",
      .cases = {expand_to({3}, {2, 3}), expand_to({2, 1}, {4, 2, 3}), expand_to({}, {2, 2}),
                expand_to({2, 1}, {2, 3}), expand_to({2, 1}, {2, 2, 2}),
                {{{3}, {2, 3}}, "(3) to (2, 3), times (2, 3)",
                 [](const Ins& x) { return expand(x[0], {2, 3}) * x[1]; },
                 [](const Hosts& x) {
                   return ref::zip(ref::expand(x[0], {2, 3}), x[1],
                                   [](double a, double b) { return a * b; });
                 }},
                {{{2, 1}, {3, 2}}, "(2, 1) to (2, 3), minus (3, 2) transposed",
                 [](const Ins& x) { return expand(x[0], {2, 3}) - x[1].transpose(0, 1); },
                 [](const Hosts& x) {
                   return ref::zip(ref::expand(x[0], {2, 3}), ref::transpose(x[1], 0, 1),
                                   [](double a, double b) { return a - b; });
                 }},
                {{{3}}, "(3) to (2, 3), then tanh",
                 [](const Ins& x) { return tanh(expand(x[0], {2, 3})); },
                 [](const Hosts& x) {
                   const Host e = ref::expand(x[0], {2, 3});
                   return ref::map(e, [](double v) { return std::tanh(v); });
                 }}},
      .edge = {expand_to({1, 3}, {0, 3})},
      .errors = {
          {"(2, 3) to (4, 3)", [] { expand(Z({2, 3}), {4, 3}); }, {"expand", "(2, 3)", "(4, 3)"}},
          {"(2, 3) to (3, 3)", [] { expand(Z({2, 3}), {3, 3}); }, {"expand", "(2, 3)"}},
          {"to fewer axes", [] { expand(Z({2, 3}), {3}); }, {"expand", "(2, 3)", "(3)"}},
          {"to a negative size", [] { expand(Z({1, 3}), {-1, 3}); }, {"expand", "(-1, 3)"}},
          {"to too many elements", [] { expand(Z({1}), {kHuge, kHuge}); },
           {"expand", kHugeShape}}}});

  const auto copy = [](In x) { return contiguous(x); };
  const auto same = [](H x) { return x; };
  rows.push_back({.name = "contiguous",
      .cases = {one({2, 3}, "", copy, same),
                one({2, 3, 4}, "of x permuted (1, 2, 0)",
                    [](In x) { return contiguous(x.permute({1, 2, 0})); },
                    [](H x) { return ref::permute(x, {1, 2, 0}); }),
                one({2}, "of (2) expanded to (2, 2)",
                    [](In x) { return contiguous(expand(x, {2, 2})); },
                    [](H x) { return ref::expand(x, {2, 2}); })},
      .edge = {one({0, 3}, "", copy, same)}});

  rows.push_back({.name = "concat",
      .cases = {concat_of({{2, 1}, {2, 3}, {2, 2}}, 1), concat_of({{2, 2}, {1, 2}}, 0),
                concat_of({{2, 2}, {2, 1}, {2, 1}}, -1),
                {{{3, 2}, {1, 3}}, "axis 0, the first transposed",
                 [](const Ins& x) { return concat({x[0].transpose(0, 1), x[1]}, 0); },
                 [](const Hosts& x) {
                   return ref::concat({ref::transpose(x[0], 0, 1), x[1]}, 0);
                 }}},
      .edge = {concat_of({{0, 3}, {2, 3}}, 0), concat_of({{2, 2}, {0, 2}}, 0)},
      .errors = {
          {"nothing", [] { concat({}, 0); }, {"concat", "no tensors"}},
          {"ranks 2 and 1", [] { concat({Z({2, 3}), Z({2})}, 0); },
           {"concat", "(2, 3)", "(2)", "rank"}},
          {"sizes that differ", [] { concat({Z({2, 3}), Z({3, 4})}, 0); },
           {"concat", "(2, 3)", "(3, 4)"}},
          {"(2, 2) and (1, 3)", [] { concat({Z({2, 2}), Z({1, 3})}, 0); },
           {"concat", "(2, 2)", "(1, 3)"}},
          {"axis 2", [] { concat({Z({2, 3}), Z({2, 3})}, 2); }, {"concat", "axis 2", "(2, 3)"}}}});

  // stack unsqueezes each input and concatenates: a mixed-device call is concat's error
  rows.push_back({.name = "stack",
      .cases = {stack_of({{2, 3}, {2, 3}}, 0), stack_of({{2}, {2}}, 1),
                stack_of({{2, 3}, {2, 3}}, -1), stack_of({{}, {}}, 0)},
      .edge = {stack_of({{0, 3}, {0, 3}}, 1)},
      .errors = {
          {"nothing", [] { stack({}); }, {"stack", "no tensors"}},
          {"shapes that differ", [] { stack({Z({2, 3}), Z({3, 2})}); },
           {"stack", "(2, 3)", "(3, 2)"}},
          {"(2) and (3)", [] { stack({Z({2}), Z({3})}); }, {"stack", "(2)", "(3)"}},
          {"axis 4", [] { stack({Z({2, 3}), Z({2, 3})}, 4); }, {"stack", "axis 4", "(2, 3)"}}},
      .device_op = "concat"});
  // clang-format on
}

}  // namespace minidl::test
