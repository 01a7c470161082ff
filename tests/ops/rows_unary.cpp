// Rows of the op table: the elementwise ops of one tensor. Each UnaryOp kernel has its row (with
// `unary`: the kernel-level CUDA test runs the kernel over the wide range given there), and so do
// the scalar forms built on them. A row gives the value f(x, a, b) and the derivative df(x, a, b)
// in closed form (a and b: the op's scalars); the backward pass must match df to float precision.
#include <cmath>

#include "ops/op_table.h"

namespace minidl::test {

namespace {

using D = double;
using F = D (*)(D x, D a, D b);

// One setting of the op's scalars, and how it reads in a label; gen, when given, draws its inputs.
struct Params {
  float a = 0.f, b = 0.f;
  std::string what;
  std::optional<Gen> gen = {};
};

// Another way to call the op (an operator), at the first parameter setting; f and df, when given,
// replace the row's.
struct Form {
  std::string what;
  Call call;
  F f = nullptr, df = nullptr;
};

struct UnarySpec {
  std::string name;
  Gen gen;
  F f, df;
  std::vector<Params> params;
  std::function<Tensor(const Tensor& x, float a, float b)> call;
  std::optional<UnaryKernel> kernel;
  std::vector<Form> forms = {};
  std::vector<ErrorCase> errors = {};
};

// A call of one input of `shape`, checked against f and df at (a, b).
Case at(F f, F df, const Shape& shape, const Params& p, const Call& call) {
  auto value = [f, p](const Hosts& x) {
    return ref::map(x[0], [&](D v) { return f(v, p.a, p.b); });
  };
  Case c{{shape}, p.what, call, value, [df, p](D v) { return df(v, p.a, p.b); }};
  if (p.gen) c.gens = {*p.gen};
  return c;
}

// The row: for each parameter setting a 37-element vector (more than one vector of the kernels'
// loops, and a remainder) and a (2, 3) matrix; then the other forms; at the first setting, empty
// and 0-d edges.
OpRow row_of(const UnarySpec& s) {
  OpRow r;
  r.name = s.name;
  r.gens = {s.gen};
  r.unary = s.kernel;
  r.errors = s.errors;
  for (const Params& p : s.params)
    for (const Shape& shape : {Shape{37}, Shape{2, 3}})
      r.cases.push_back(at(s.f, s.df, shape, p,
                           [call = s.call, p](const Ins& x) { return call(x[0], p.a, p.b); }));
  for (const Form& form : s.forms) {
    Params p = s.params[0];
    p.what = form.what;
    r.cases.push_back(at(form.f ? form.f : s.f, form.df ? form.df : s.df, {2, 3}, p, form.call));
  }
  for (const Shape& shape : {Shape{0, 3}, Shape{2, 0}, Shape{}})
    r.edge.push_back(at(s.f, s.df, shape, s.params[0], r.cases[0].call));
  return r;
}

D sigmoid_of(D x) { return 1 / (1 + std::exp(-x)); }

Tensor op_neg(const Tensor& x, float, float) { return neg(x); }
Tensor op_exp(const Tensor& x, float, float) { return exp(x); }
Tensor op_log(const Tensor& x, float, float) { return log(x); }
Tensor op_sqrt(const Tensor& x, float, float) { return sqrt(x); }
Tensor op_square(const Tensor& x, float, float) { return square(x); }
Tensor op_abs(const Tensor& x, float, float) { return abs(x); }
Tensor op_sigmoid(const Tensor& x, float, float) { return sigmoid(x); }
Tensor op_tanh(const Tensor& x, float, float) { return tanh(x); }
Tensor op_relu(const Tensor& x, float, float) { return relu(x); }

}  // namespace

void add_unary_rows(std::vector<OpRow>& rows) {
  const F plus = [](D x, D a, D) { return x + a; }, one = [](D, D, D) { return 1.0; };
  const F times = [](D x, D a, D) { return x * a; }, by = [](D, D a, D) { return a; };
  const F over = [](D x, D a, D) { return x / a; }, by_inv = [](D, D a, D) { return 1 / a; };
  // clang-format off
  const UnarySpec specs[] = {
      {"neg", uniform(-1, 1), [](D x, D, D) { return -x; }, [](D, D, D) { return -1.0; }, {{}},
       op_neg, UnaryKernel{UnaryOp::Neg, 0, 0, -3, 3},
       // 2 - x is add_scalar(neg(x), 2)
       {{"2 - x", [](const Ins& x) { return 2.f - x[0]; }, [](D x, D, D) { return 2 - x; }}}},
      {"exp", uniform(-1, 1), [](D x, D, D) { return std::exp(x); },
       [](D x, D, D) { return std::exp(x); }, {{}}, op_exp, UnaryKernel{UnaryOp::Exp, 0, 0, -5, 5}},
      {"log", uniform(0.5f, 2), [](D x, D, D) { return std::log(x); },
       [](D x, D, D) { return 1 / x; }, {{}}, op_log, UnaryKernel{UnaryOp::Log, 0, 0, 0.01f, 10}},
      {"sqrt", uniform(0.5f, 2), [](D x, D, D) { return std::sqrt(x); },
       [](D x, D, D) { return 0.5 / std::sqrt(x); }, {{}}, op_sqrt,
       UnaryKernel{UnaryOp::Sqrt, 0, 0, 0.01f, 10}},
      {"square", uniform(-1, 1), [](D x, D, D) { return x * x; }, [](D x, D, D) { return 2 * x; },
       {{}}, op_square, UnaryKernel{UnaryOp::Square, 0, 0, -3, 3}},
      // abs'(x) = sign(x); distinct() keeps the inputs 1/16 from the kink at 0
      {"abs", distinct(), [](D x, D, D) { return std::fabs(x); },
       [](D x, D, D) { return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0; }, {{}}, op_abs,
       UnaryKernel{UnaryOp::Abs, 0, 0, -3, 3}},
      // σ(x) = 1 / (1 + e^-x), σ' = σ (1 - σ)
      {"sigmoid", uniform(-3, 3), [](D x, D, D) { return sigmoid_of(x); },
       [](D x, D, D) { return sigmoid_of(x) * (1 - sigmoid_of(x)); }, {{}}, op_sigmoid,
       UnaryKernel{UnaryOp::Sigmoid, 0, 0, -20, 20}},
      // tanh' = 1 - tanh²
      {"tanh", uniform(-2, 2), [](D x, D, D) { return std::tanh(x); },
       [](D x, D, D) { return 1 - std::tanh(x) * std::tanh(x); }, {{}}, op_tanh,
       UnaryKernel{UnaryOp::Tanh, 0, 0, -5, 5}},
      // NaN stays NaN (x <= 0 is false for it); the inputs keep 0.1 from the kink at 0
      {"relu", away_from_zero(0.1f, 1), [](D x, D, D) { return x <= 0 ? 0 : x; },
       [](D x, D, D) { return x > 0 ? 1.0 : 0.0; }, {{}}, op_relu,
       UnaryKernel{UnaryOp::Relu, 0, 0, -3, 3}},
      {"leaky_relu", away_from_zero(0.1f, 1), [](D x, D a, D) { return x > 0 ? x : a * x; },
       [](D x, D a, D) { return x > 0 ? 1.0 : a; },
       {{0.2f, 0, "slope 0.2"}, {0.1f, 0, "slope 0.1"}},
       [](const Tensor& x, float a, float) { return leaky_relu(x, a); },
       UnaryKernel{UnaryOp::LeakyRelu, 0.1f, 0, -3, 3}},
      // distinct() keeps the inputs 1/16 from both bounds, some inside, some out
      {"clamp", distinct(), [](D x, D a, D b) { return x < a ? a : x > b ? b : x; },
       [](D x, D a, D b) { return x >= a && x <= b ? 1.0 : 0.0; },
       {{-0.5f, 0.5f, "lo -0.5, hi 0.5"}},
       [](const Tensor& x, float a, float b) { return clamp(x, a, b); },
       UnaryKernel{UnaryOp::Clamp, -0.5f, 0.7f, -2, 2}, {},
       {{"lo > hi", [] { clamp(zeros({2}), 1.f, 0.f); }, {"clamp", "lo (1)", "hi (0)"}},
        {"a NaN bound", [] { clamp(zeros({2}), NAN, 1.f); }, {"clamp", "nan"}}}},
      // d x^p = p x^(p-1)
      {"pow_scalar", uniform(0.5f, 2), [](D x, D p, D) { return std::pow(x, p); },
       [](D x, D p, D) { return p == 0 ? 0.0 : p * std::pow(x, p - 1); },
       {{3, 0, "p 3, x in [-1, 1)", uniform(-1, 1)}, {0.5f, 0, "p 0.5"}, {-1.5f, 0, "p -1.5"}},
       [](const Tensor& x, float p, float) { return pow(x, p); },
       UnaryKernel{UnaryOp::PowScalar, 2.5f, 0, 0.01f, 4}},
      {"add_scalar", uniform(-1, 1), plus, one, {{2, 0, "s 2"}},
       [](const Tensor& x, float s, float) { return add(x, s); },
       UnaryKernel{UnaryOp::AddScalar, 1.5f, 0, -3, 3},
       {{"x + 2", [](const Ins& x) { return x[0] + 2.f; }},
        {"2 + x", [](const Ins& x) { return 2.f + x[0]; }}}},
      {"sub_scalar", uniform(-1, 1), plus, one, {{-2, 0, "s 2"}},
       [](const Tensor& x, float minus_s, float) { return sub(x, -minus_s); }, std::nullopt,
       {{"x - 2", [](const Ins& x) { return x[0] - 2.f; }}}},
      {"mul_scalar", uniform(-1, 1), times, by, {{3, 0, "s 3"}},
       [](const Tensor& x, float s, float) { return mul(x, s); },
       UnaryKernel{UnaryOp::MulScalar, -2, 0, -3, 3},
       {{"x * 3", [](const Ins& x) { return x[0] * 3.f; }},
        {"3 * x", [](const Ins& x) { return 3.f * x[0]; }}}},
      // x / s is x times 1/s: within float rounding of the quotient
      {"div_scalar", uniform(-1, 1), over, by_inv, {{4, 0, "s 4"}},
       [](const Tensor& x, float s, float) { return div(x, s); }, std::nullopt,
       {{"x / 4", [](const Ins& x) { return x[0] / 4.f; }}},
       {{"by the scalar 0", [] { div(zeros({2, 3}), 0.f); }, {"div", "0", "(2, 3)"}},
        {"operator/ by 0", [] { zeros({3}) / 0.f; }, {"div", "(3)"}}}},
  };
  // clang-format on
  for (const UnarySpec& s : specs) rows.push_back(row_of(s));
}

}  // namespace minidl::test
