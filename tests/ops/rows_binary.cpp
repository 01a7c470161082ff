// Rows of the op table: the elementwise ops of two tensors (one row per BinaryOp kernel, with
// `binary`) and where. Every binary row runs the same broadcasts, from a 37-element vector with
// another (the kernels' flat loop) or with one element (the strided loop) to a 0-d operand, and
// rejects the same shapes that do not broadcast.
#include <cmath>

#include "ops/op_table.h"

namespace minidl::test {

namespace {

using D = double;
using Bin = Tensor (*)(const Tensor&, const Tensor&);

struct BinarySpec {
  std::string name;
  BinaryOp op;
  Bin fn;
  Bin oper;  // the operator (a + b, ...), when there is one
  D (*f)(D a, D b);
  Gen gen;
  bool differentiable = true;
  Tensor (*with_float)(const Tensor&, float) = nullptr;  // a comparison's form with a float
  std::vector<Case> more = {};                           // calls of this op only
};

// A comparison's form with a float: (2, 3) against 0.25, which the grid of its inputs holds.
Case with_scalar(D (*f)(D, D), Tensor (*op)(const Tensor&, float)) {
  return {{{2, 3}},
          "with the scalar 0.25",
          [op](const Ins& x) { return op(x[0], 0.25f); },
          [f](const Hosts& x) { return ref::map(x[0], [f](D v) { return f(v, 0.25); }); }};
}

// The broadcasts every binary op runs, and its empty and 0-d edges.
const std::vector<Shape> kBroadcasts[] = {{{2, 3}, {3}}, {{4, 1, 3}, {2, 1}}, {{2, 1}, {1, 3}},
                                          {{}, {2, 2}},  {{37}, {37}},        {{37}, {1}}};
const std::vector<Shape> kEdges[] = {{{0, 3}, {3}}, {{0, 3}, {0, 1}}, {{}, {}}};

OpRow row_of(const BinarySpec& s) {
  OpRow r;
  r.name = s.name;
  r.binary = s.op;
  r.gens = {s.gen};
  r.call = [fn = s.fn](const Ins& x) { return fn(x[0], x[1]); };
  r.ref = [f = s.f](const Hosts& x) { return ref::zip(x[0], x[1], f); };
  if (!s.differentiable) r.grad = std::nullopt;
  for (const std::vector<Shape>& shapes : kBroadcasts) r.cases.push_back({shapes});
  for (const std::vector<Shape>& shapes : kEdges) r.edge.push_back({shapes});
  const std::string& n = s.name;
  const Bin fn = s.fn, o = s.oper;
  // clang-format off
  r.errors = {
      {"(2, 3) with (4)", [fn] { fn(zeros({2, 3}), zeros({4})); },
       {n, "(2, 3)", "(4)", "broadcast"}},
      {"rank 3 with rank 2", [fn] { fn(zeros({2, 3, 4}), zeros({3, 5})); },
       {n, "(2, 3, 4)", "(3, 5)"}},
      {"(2, 3) with (3, 2)", [fn] { fn(zeros({2, 3}), zeros({3, 2})); }, {n, "(2, 3)", "(3, 2)"}},
  };
  if (o) {
    r.cases.push_back({{{2, 3}, {2, 3}}, "the operator",
                       [o](const Ins& x) { return o(x[0], x[1]); }});
    r.errors.push_back({"the operator, (2) with (3)", [o] { o(zeros({2}), zeros({3})); },
                        {n, "(2)", "(3)"}});
  }
  // clang-format on
  if (s.with_float) {
    r.cases.push_back(with_scalar(s.f, s.with_float));
    r.errors.push_back({"the form with a float, undefined",
                        [op = s.with_float] { op(Tensor(), 1.f); },
                        {n, "undefined"}});
  }
  for (const Case& c : s.more) r.cases.push_back(c);
  return r;
}

}  // namespace

void add_binary_rows(std::vector<OpRow>& rows) {
  using T = const Tensor&;
  // Comparisons draw from a grid of quarters in [-1, 1]: many exact ties.
  const Gen ties = grid(-1, 1, 0.25f);
  // clang-format off
  const BinarySpec specs[] = {
      {"add", BinaryOp::Add, [](T a, T b) { return add(a, b); }, [](T a, T b) { return a + b; },
       [](D a, D b) { return a + b; }, uniform(-1, 1)},
      {"sub", BinaryOp::Sub, [](T a, T b) { return sub(a, b); }, [](T a, T b) { return a - b; },
       [](D a, D b) { return a - b; }, uniform(-1, 1)},
      {"mul", BinaryOp::Mul, [](T a, T b) { return mul(a, b); }, [](T a, T b) { return a * b; },
       [](D a, D b) { return a * b; }, uniform(-1, 1), true, nullptr,
       // one tensor on both sides: its gradient is the sum of both terms, 2x
       {{{{2, 3}}, "x * x", [](const Ins& x) { return x[0] * x[0]; },
         [](const Hosts& x) { return ref::zip(x[0], x[0], [](D a, D b) { return a * b; }); }}}},
      // denominators (and numerators) in [0.5, 2)
      {"div", BinaryOp::Div, [](T a, T b) { return div(a, b); }, [](T a, T b) { return a / b; },
       [](D a, D b) { return a / b; }, uniform(0.5f, 2), true, nullptr,
       {{{{2, 3}}, "2 / x", [](const Ins& x) { return 2.f / x[0]; },
         [](const Hosts& x) { return ref::map(x[0], [](D v) { return 2 / v; }); }}}},
      // positive bases: both gradients exist
      {"pow", BinaryOp::Pow, [](T a, T b) { return pow(a, b); }, nullptr,
       [](D a, D b) { return std::pow(a, b); }, uniform(0.5f, 2)},
      // distinct(): the two operands are at least 1/8 apart, so no tie is within reach. A NaN on
      // either side gives NaN (torch.minimum / maximum).
      {"minimum", BinaryOp::Minimum, minimum, nullptr,
       [](D a, D b) { return std::isnan(a) || std::isnan(b) ? NAN : (a < b ? a : b); },
       distinct()},
      {"maximum", BinaryOp::Maximum, maximum, nullptr,
       [](D a, D b) { return std::isnan(a) || std::isnan(b) ? NAN : (a > b ? a : b); },
       distinct()},
      {"eq", BinaryOp::Eq, [](T a, T b) { return eq(a, b); }, nullptr,
       [](D a, D b) { return a == b ? 1.0 : 0.0; }, ties, false,
       [](T a, float b) { return eq(a, b); }},
      {"ne", BinaryOp::Ne, [](T a, T b) { return ne(a, b); }, nullptr,
       [](D a, D b) { return a != b ? 1.0 : 0.0; }, ties, false,
       [](T a, float b) { return ne(a, b); }},
      {"lt", BinaryOp::Lt, [](T a, T b) { return lt(a, b); }, [](T a, T b) { return a < b; },
       [](D a, D b) { return a < b ? 1.0 : 0.0; }, ties, false,
       [](T a, float b) { return a < b; }},
      {"le", BinaryOp::Le, [](T a, T b) { return le(a, b); }, [](T a, T b) { return a <= b; },
       [](D a, D b) { return a <= b ? 1.0 : 0.0; }, ties, false,
       [](T a, float b) { return a <= b; }},
      {"gt", BinaryOp::Gt, [](T a, T b) { return gt(a, b); }, [](T a, T b) { return a > b; },
       [](D a, D b) { return a > b ? 1.0 : 0.0; }, ties, false,
       [](T a, float b) { return a > b; }},
      {"ge", BinaryOp::Ge, [](T a, T b) { return ge(a, b); }, [](T a, T b) { return a >= b; },
       [](D a, D b) { return a >= b ? 1.0 : 0.0; }, ties, false,
       [](T a, float b) { return ge(a, b); }},
  };
  // clang-format on
  for (const BinarySpec& s : specs) rows.push_back(row_of(s));

  // where(m, a, b) = m != 0 ? a : b, the three broadcast together; the mask gets no gradient.
  const Host zero{{}, {0.0}}, one_and_half{{}, {1.5}};
  const Tensor none;
  // clang-format off
  rows.push_back({.name = "where",
      .call = [](const Ins& x) { return where(x[0], x[1], x[2]); },
      .ref = [](const Hosts& x) { return ref::where(x[0], x[1], x[2]); },
      .cases = {{{{2, 3}, {2, 3}, {2, 3}}}, {{{2, 1}, {3}, {}}}, {{{4, 1, 3}, {2, 1}, {3}}},
                {{{2, 3}, {2, 3}}, "(m, a, 0)", [](const Ins& x) { return where(x[0], x[1], 0.f); },
                 [zero](const Hosts& x) { return ref::where(x[0], x[1], zero); }},
                {{{2, 3}, {2, 3}}, "(m, 1.5, b)",
                 [](const Ins& x) { return where(x[0], 1.5f, x[1]); },
                 [one_and_half](const Hosts& x) { return ref::where(x[0], one_and_half, x[1]); }}},
      .edge = {{{{0, 3}, {0, 3}, {0, 3}}}, {{{0, 3}, {3}, {}}}},
      .gens = {mask(), uniform(-1, 1)},
      .errors = {
          {"mask (2, 3) and a (4)", [] { where(zeros({2, 3}), zeros({4}), 0.f); },
           {"where", "(2, 3)", "(4)"}},
          {"a (3) and b (2, 2)", [] { where(zeros({3}), zeros({3}), zeros({2, 2})); },
           {"where", "(2, 2)"}},
          {"an undefined mask", [none] { where(none, zeros({2}), zeros({2})); }, {"where", "mask"}},
          {"(undefined, 1, b)", [none] { where(none, 1.f, ones({2})); }, {"where", "undefined"}},
          {"(m, undefined, 0)", [none] { where(ones({2}), none, 0.f); }, {"where", "undefined"}}}});
  // clang-format on
}

}  // namespace minidl::test
