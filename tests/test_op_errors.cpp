// Bad arguments to every public op, table-driven: wrong shapes and ranks, undefined tensors, bad
// axes and values. Each row must throw minidl::Error (never crash, never another exception) whose
// message names the op and the shapes or values involved. Layers, losses, devices, empty tensors
// and NaN inputs are in test_layer_errors.cpp.
#include <cmath>
#include <limits>

#include "core/minidl.h"
#include "support/helpers.h"
#include "support/op_cases.h"

using namespace minidl;
using namespace minidl::test;

namespace {

using Binary = Tensor (*)(const Tensor&, const Tensor&);
using Unary = std::function<Tensor(const Tensor&)>;

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const int64_t kHuge = int64_t{1} << 40;

Tensor Z(const Shape& s) { return zeros(s); }

struct NamedBinary {
  const char* name;
  Binary f;
};
const NamedBinary kBinary[] = {
    {"add", add},         {"sub", sub},         {"mul", mul}, {"div", div}, {"pow", pow},
    {"minimum", minimum}, {"maximum", maximum}, {"eq", eq},   {"ne", ne},   {"lt", lt},
    {"le", le},           {"gt", gt},           {"ge", ge}};

struct NamedUnary {
  const char* name;
  Unary f;
};
const std::vector<NamedUnary>& unary_ops() {
  // clang-format off
  static const std::vector<NamedUnary> ops = {
      {"neg", [](const Tensor& x) { return neg(x); }},
      {"exp", [](const Tensor& x) { return exp(x); }},
      {"log", [](const Tensor& x) { return log(x); }},
      {"sqrt", [](const Tensor& x) { return sqrt(x); }},
      {"square", [](const Tensor& x) { return square(x); }},
      {"abs", [](const Tensor& x) { return abs(x); }},
      {"clamp", [](const Tensor& x) { return clamp(x, 0.f, 1.f); }},
      {"sigmoid", [](const Tensor& x) { return sigmoid(x); }},
      {"tanh", [](const Tensor& x) { return tanh(x); }},
      {"relu", [](const Tensor& x) { return relu(x); }},
      {"leaky_relu", [](const Tensor& x) { return leaky_relu(x, 0.1f); }},
      {"softmax", [](const Tensor& x) { return softmax(x, -1); }},
      {"log_softmax", [](const Tensor& x) { return log_softmax(x, -1); }},
      {"add_scalar", [](const Tensor& x) { return add(x, 1.f); }},
      {"sub_scalar", [](const Tensor& x) { return sub(x, 1.f); }},
      {"mul_scalar", [](const Tensor& x) { return mul(x, 2.f); }},
      {"div_scalar", [](const Tensor& x) { return div(x, 2.f); }},
      {"pow_scalar", [](const Tensor& x) { return pow(x, 2.f); }},
      {"eq", [](const Tensor& x) { return eq(x, 1.f); }},
      {"lt", [](const Tensor& x) { return x < 1.f; }},
      {"where", [](const Tensor& x) { return where(x, 1.f, ones({2})); }},
      {"where", [](const Tensor& x) { return where(ones({2}), x, 0.f); }},
      {"sum", [](const Tensor& x) { return sum(x); }},
      {"sum", [](const Tensor& x) { return sum(x, {0}); }},
      {"mean", [](const Tensor& x) { return mean(x); }},
      {"max", [](const Tensor& x) { return max(x); }},
      {"min", [](const Tensor& x) { return min(x, {0}); }},
      {"argmax", [](const Tensor& x) { return argmax(x, 0); }},
      {"sum_to", [](const Tensor& x) { return sum_to(x, {1}); }},
      {"reshape", [](const Tensor& x) { return reshape(x, {-1}); }},
      {"view", [](const Tensor& x) { return view(x, {-1}); }},
      {"flatten", [](const Tensor& x) { return flatten(x); }},
      {"slice", [](const Tensor& x) { return slice(x, 0, 0, 1); }},
      {"select", [](const Tensor& x) { return select(x, 0, 0); }},
      {"transpose", [](const Tensor& x) { return transpose(x, 0, 1); }},
      {"permute", [](const Tensor& x) { return permute(x, {1, 0}); }},
      {"squeeze", [](const Tensor& x) { return squeeze(x, 0); }},
      {"unsqueeze", [](const Tensor& x) { return unsqueeze(x, 0); }},
      {"expand", [](const Tensor& x) { return expand(x, {2, 2}); }},
      {"contiguous", [](const Tensor& x) { return contiguous(x); }},
      {"concat", [](const Tensor& x) { return concat({ones({2}), x}, 0); }},
      {"stack", [](const Tensor& x) { return stack({x}, 0); }},
      {"matmul", [](const Tensor& x) { return matmul(ones({2, 2}), x); }},
      {"linear", [](const Tensor& x) { return linear(x, ones({2, 2})); }},
      {"linear", [](const Tensor& x) { return linear(ones({2, 2}), x); }},
      {"conv2d", [](const Tensor& x) { return conv2d(x, ones({1, 1, 1, 1})); }},
      {"conv2d", [](const Tensor& x) { return conv2d(ones({1, 1, 2, 2}), x); }},
      {"max_pool2d", [](const Tensor& x) { return max_pool2d(x, 2); }},
      {"zeros_like", [](const Tensor& x) { return zeros_like(x); }},
      {"ones_like", [](const Tensor& x) { return ones_like(x); }},
      {"full_like", [](const Tensor& x) { return full_like(x, 2.f); }},
      {"clone", [](const Tensor& x) { return x.clone(); }},
      {"to", [](const Tensor& x) { return x.to(Device::CPU); }},
      {"copy_", [](const Tensor& x) { return ones({2}).copy_(x); }},
  };
  // clang-format on
  return ops;
}

}  // namespace

TEST_CASE("op errors: binary ops name themselves and both shapes when they do not broadcast",
          "[errors]") {
  std::vector<ErrorCase> rows;
  for (const auto& op : kBinary) {
    rows.push_back({std::string(op.name) + " (2, 3) with (4)",
                    [f = op.f] {
                      f(Z({2, 3}), Z({4}));
                    },
                    {op.name, "(2, 3)", "(4)", "broadcast"}});
    rows.push_back({std::string(op.name) + " rank 3 with rank 2",
                    [f = op.f] {
                      f(Z({2, 3, 4}), Z({3, 5}));
                    },
                    {op.name, "(2, 3, 4)", "(3, 5)"}});
  }
  rows.push_back({"operator+", [] { Z({2}) + Z({3}); }, {"add", "(2)", "(3)"}});
  rows.push_back({"operator<", [] { (void)(Z({2}) < Z({3})); }, {"lt", "(2)", "(3)"}});
  rows.push_back({"where mask and a",
                  [] {
                    where(Z({2, 3}), Z({4}), 0.f);
                  },
                  {"where", "(2, 3)", "(4)"}});
  rows.push_back({"where a and b", [] { where(Z({3}), Z({3}), Z({2, 2})); }, {"where", "(2, 2)"}});
  run_error_table(rows);
}

TEST_CASE("op errors: every op names itself for an undefined input", "[errors]") {
  std::vector<ErrorCase> rows;
  for (const auto& op : kBinary) {
    rows.push_back({std::string(op.name) + " first",
                    [f = op.f] { f(Tensor(), Z({2})); },
                    {op.name, "undefined"}});
    rows.push_back({std::string(op.name) + " second",
                    [f = op.f] { f(Z({2}), Tensor()); },
                    {op.name, "undefined"}});
  }
  for (const auto& op : unary_ops())
    rows.push_back({op.name, [f = op.f] { f(Tensor()); }, {op.name, "undefined"}});
  rows.push_back({"where mask", [] { where(Tensor(), Z({2}), Z({2})); }, {"where", "mask"}});
  rows.push_back({"concat element",
                  [] {
                    concat({Z({2}), Tensor()}, 0);
                  },
                  {"concat", "undefined"}});
  rows.push_back({"backward", [] { Tensor().backward(); }, {"backward", "undefined"}});
  run_error_table(rows);
}

TEST_CASE("op errors: bad values for scalar arguments name the op and the value", "[errors]") {
  // clang-format off
  run_error_table({
      {"div by the scalar 0", [] { div(Z({2, 3}), 0.f); }, {"div", "0", "(2, 3)"}},
      {"clamp lo > hi", [] { clamp(Z({2}), 1.f, 0.f); }, {"clamp", "lo (1)", "hi (0)"}},
      {"clamp NaN bound", [] { clamp(Z({2}), kNaN, 1.f); }, {"clamp", "nan"}},
      {"arange step 0", [] { arange(0.f, 1.f, 0.f); }, {"arange", "(0, 1, 0)"}},
      {"arange NaN", [] { arange(0.f, kNaN); }, {"arange", "nan"}},
      {"arange too long", [] { arange(0.f, 1e30f, 1e-10f); }, {"arange", "elements"}},
      {"rand lo > hi", [] { rand({2}, default_generator(), 1.f, 0.f); }, {"rand", "lo (1)"}},
      {"rand NaN bound", [] { rand({2}, default_generator(), kNaN, 1.f); }, {"rand", "nan"}},
      {"randn stddev < 0", [] { randn({2}, default_generator(), 0.f, -1.f); }, {"randn", "-1"}},
      {"randn NaN stddev", [] { randn({2}, default_generator(), 0.f, kNaN); }, {"randn", "nan"}},
  });
  // clang-format on
}

TEST_CASE("op errors: shapes that cannot exist are rejected before anything is allocated",
          "[errors]") {
  const std::string huge = "(1099511627776, 1099511627776)";
  // clang-format off
  run_error_table({
      {"zeros negative", [] { zeros({2, -1}); }, {"zeros", "(2, -1)", "negative"}},
      {"ones negative", [] { ones({-3}); }, {"ones", "(-3)", "negative"}},
      {"full too many elements", [] { full({kHuge, kHuge}, 1.f); }, {"full", huge, "2^60"}},
      {"zeros too many elements past an empty axis", [] { zeros({0, kHuge, kHuge}); },
       {"zeros", "(0, 1099511627776, 1099511627776)"}},
      {"zeros 9 axes", [] { zeros({1, 1, 1, 1, 1, 1, 1, 1, 1}); }, {"zeros", "at most 8"}},
      {"empty negative", [] { Tensor::empty({-1}); }, {"(-1)", "negative"}},
      {"rand negative", [] { rand({-2}); }, {"rand", "(-2)", "negative"}},
      {"randn too many elements", [] { randn({kHuge, kHuge}); }, {"randn", huge}},
      {"from_vector count", [] { from_vector({1, 2}, {3}); }, {"from_vector", "2 values", "(3)"}},
      {"from_vector negative", [] { from_vector({}, {-1, 0}); }, {"from_vector", "(-1, 0)"}},
      {"reshape to too many elements", [] { reshape(Z({2}), {kHuge, kHuge, 0}); },
       {"reshape", "(1099511627776, 1099511627776, 0)"}},
      {"expand to a negative size", [] { expand(Z({1, 3}), {-1, 3}); }, {"expand", "(-1, 3)"}},
      {"expand to too many elements", [] { expand(Z({1}), {kHuge, kHuge}); }, {"expand", huge}},
  });
  // clang-format on
}

TEST_CASE("op errors: shape ops name the op, the axis and the shape", "[errors]") {
  // clang-format off
  run_error_table({
      {"reshape count", [] { reshape(Z({2, 3}), {4, 2}); }, {"reshape", "(2, 3)", "(4, 2)"}},
      {"reshape two -1", [] { reshape(Z({2, 3}), {-1, -1}); }, {"reshape", "(-1, -1)"}},
      {"reshape negative", [] { reshape(Z({2, 3}), {-2, 3}); }, {"reshape", "(-2, 3)"}},
      {"reshape -1 with a 0", [] { reshape(Z({2, 3}), {0, -1}); },
       {"reshape", "(2, 3)", "(0, -1)"}},
      {"view not contiguous", [] { view(transpose(Z({2, 3}), 0, 1), {6}); },
       {"view", "(3, 2)", "not contiguous"}},
      {"flatten start > end", [] { flatten(Z({2, 3, 4}), 2, 1); }, {"flatten", "(2, 3, 4)"}},
      {"flatten axis", [] { flatten(Z({2, 3}), 0, 5); }, {"flatten", "axis 5", "(2, 3)"}},
      {"slice axis", [] { slice(Z({2, 3}), 2, 0, 1); }, {"slice", "axis 2", "(2, 3)"}},
      {"slice step 0", [] { slice(Z({2, 3}), 1, 0, 2, 0); }, {"slice", "step", "(2, 3)"}},
      {"select index", [] { select(Z({2, 3}), 1, 3); }, {"select", "index 3", "(2, 3)"}},
      {"select axis", [] { select(Z({2, 3}), -3, 0); }, {"select", "axis -3", "(2, 3)"}},
      {"select on a scalar", [] { select(scalar(1.f), 0, 0); }, {"select", "()"}},
      {"transpose axis", [] { transpose(Z({2, 3}), 0, 2); }, {"transpose", "axis 2", "(2, 3)"}},
      {"permute count", [] { permute(Z({2, 3}), {0}); }, {"permute", "(2, 3)"}},
      {"permute repeated", [] { permute(Z({2, 3}), {1, 1}); }, {"permute", "(1, 1)", "(2, 3)"}},
      {"squeeze size", [] { squeeze(Z({2, 3}), 0); }, {"squeeze", "(2, 3)", "size 2"}},
      {"unsqueeze axis", [] { unsqueeze(Z({2, 3}), 4); }, {"unsqueeze", "axis 4", "(2, 3)"}},
      {"expand", [] { expand(Z({2, 3}), {4, 3}); }, {"expand", "(2, 3)", "(4, 3)"}},
      {"expand fewer axes", [] { expand(Z({2, 3}), {3}); }, {"expand", "(2, 3)", "(3)"}},
      {"concat nothing", [] { concat({}, 0); }, {"concat", "no tensors"}},
      {"concat ranks", [] { concat({Z({2, 3}), Z({2})}, 0); }, {"concat", "(2, 3)", "(2)", "rank"}},
      {"concat sizes", [] { concat({Z({2, 3}), Z({3, 4})}, 0); }, {"concat", "(2, 3)", "(3, 4)"}},
      {"concat axis", [] { concat({Z({2, 3}), Z({2, 3})}, 2); }, {"concat", "axis 2", "(2, 3)"}},
      {"stack nothing", [] { stack({}); }, {"stack", "no tensors"}},
      {"stack shapes", [] { stack({Z({2, 3}), Z({3, 2})}); }, {"stack", "(2, 3)", "(3, 2)"}},
      {"stack axis", [] { stack({Z({2, 3}), Z({2, 3})}, 4); }, {"stack", "axis 4", "(2, 3)"}},
      {"size axis", [] { Z({2, 3}).size(2); }, {"size", "axis 2", "(2, 3)"}},
  });
  // clang-format on
}

TEST_CASE("op errors: reductions name the op, the axes and the shape", "[errors]") {
  // clang-format off
  run_error_table({
      {"sum axis", [] { sum(Z({2, 3}), {2}); }, {"sum", "axis 2", "(2, 3)"}},
      {"sum axis twice", [] { sum(Z({2, 3}), {0, -2}); }, {"sum", "twice", "(2, 3)"}},
      {"mean axis", [] { mean(Z({2, 3}), {-3}); }, {"mean", "axis -3", "(2, 3)"}},
      {"mean of nothing", [] { mean(Z({0, 3})); }, {"mean", "empty", "(0, 3)"}},
      {"max of nothing", [] { max(Z({0})); }, {"max", "empty", "(0)"}},
      {"min over an empty axis", [] { min(Z({0, 3}), {0}); }, {"min", "empty", "(0, 3)"}},
      {"max axis", [] { max(Z({2, 3}), {5}); }, {"max", "axis 5", "(2, 3)"}},
      {"argmax axis", [] { argmax(Z({2, 3}), 2); }, {"argmax", "axis 2", "(2, 3)"}},
      {"argmax empty axis", [] { argmax(Z({2, 0}), 1); }, {"argmax", "(2, 0)", "empty"}},
      {"sum_to", [] { sum_to(Z({2, 3}), {4}); }, {"sum_to", "(4)", "(2, 3)"}},
      {"sum_to more axes", [] { sum_to(Z({2, 3}), {1, 2, 3}); }, {"sum_to", "(1, 2, 3)", "(2, 3)"}},
  });
  // clang-format on
}

TEST_CASE("op errors: matmul and linear name both shapes and the sizes that differ", "[errors]") {
  // clang-format off
  run_error_table({
      {"matmul 1-D", [] { matmul(Z({3}), Z({3, 2})); }, {"matmul", "(3)", "(3, 2)"}},
      {"matmul 4-D", [] { matmul(Z({2, 3, 4, 5}), Z({5, 2})); }, {"matmul", "(2, 3, 4, 5)"}},
      {"matmul 2-D @ 3-D", [] { matmul(Z({2, 3}), Z({2, 3, 4})); },
       {"matmul", "(2, 3)", "(2, 3, 4)"}},
      {"matmul inner", [] { matmul(Z({2, 3}), Z({4, 2})); },
       {"matmul", "(2, 3)", "(4, 2)", "3 vs 4"}},
      {"matmul batch", [] { matmul(Z({2, 3, 4}), Z({3, 4, 5})); }, {"matmul", "batch", "2 vs 3"}},
      {"linear rank", [] { linear(Z({2, 3, 4}), Z({5, 4})); }, {"linear", "(2, 3, 4)", "(5, 4)"}},
      {"linear features", [] { linear(Z({2, 3}), Z({5, 4})); }, {"linear", "(2, 3)", "(5, 4)"}},
      {"linear bias", [] { linear(Z({2, 3}), Z({5, 3}), Z({4})); }, {"linear", "(4)", "(5, 3)"}},
  });
  // clang-format on
}

TEST_CASE("op errors: conv2d and max_pool2d name the shapes and the bad argument", "[errors]") {
  constexpr int64_t big = std::numeric_limits<int64_t>::max() / 2;
  // clang-format off
  run_error_table({
      {"conv2d input rank", [] { conv2d(Z({3, 8, 8}), Z({4, 3, 3, 3})); }, {"conv2d", "(3, 8, 8)"}},
      {"conv2d weight rank", [] { conv2d(Z({1, 3, 8, 8}), Z({4, 3, 3})); },
       {"conv2d", "(4, 3, 3)"}},
      {"conv2d channels", [] { conv2d(Z({1, 3, 8, 8}), Z({4, 2, 3, 3})); },
       {"conv2d", "(1, 3, 8, 8)", "(4, 2, 3, 3)"}},
      {"conv2d bias", [] { conv2d(Z({1, 3, 8, 8}), Z({4, 3, 3, 3}), Z({3})); }, {"conv2d", "(3)"}},
      {"conv2d stride", [] { conv2d(Z({1, 1, 4, 4}), Z({1, 1, 3, 3}), {}, 0); },
       {"conv2d", "stride", "(1, 1, 4, 4)"}},
      {"conv2d padding", [] { conv2d(Z({1, 1, 4, 4}), Z({1, 1, 3, 3}), {}, 1, -1); },
       {"conv2d", "padding", "(1, 1, 4, 4)"}},
      {"conv2d huge padding", [] { conv2d(Z({1, 1, 4, 4}), Z({1, 1, 3, 3}), {}, 1, big); },
       {"conv2d", "padding", "(1, 1, 4, 4)"}},
      {"conv2d kernel too large", [] { conv2d(Z({1, 1, 2, 2}), Z({1, 1, 3, 3})); },
       {"conv2d", "3x3", "(1, 1, 2, 2)"}},
      {"max_pool2d rank", [] { max_pool2d(Z({3, 4, 4}), 2); }, {"max_pool2d", "(3, 4, 4)"}},
      {"max_pool2d kernel", [] { max_pool2d(Z({1, 1, 4, 4}), 0); }, {"max_pool2d", "kernel", "0"}},
      {"max_pool2d stride", [] { max_pool2d(Z({1, 1, 4, 4}), 2, -1); }, {"max_pool2d", "stride"}},
      {"max_pool2d padding", [] { max_pool2d(Z({1, 1, 4, 4}), 2, 2, 2); },
       {"max_pool2d", "padding", "(1, 1, 4, 4)"}},
      {"max_pool2d huge kernel", [] { max_pool2d(Z({1, 1, 4, 4}), 2 * big, 1, big); },
       {"max_pool2d", "(1, 1, 4, 4)"}},
      {"max_pool2d window too large", [] { max_pool2d(Z({1, 1, 2, 2}), 3); },
       {"max_pool2d", "3x3", "(1, 1, 2, 2)"}},
  });
  // clang-format on
}

TEST_CASE("op errors: tensor members name the operation and the shapes", "[errors]") {
  // clang-format off
  run_error_table({
      {"item", [] { Z({2, 3}).item(); }, {"item", "(2, 3)"}},
      {"copy_ shape", [] { Z({2}).copy_(Z({3})); }, {"copy_", "(3)", "(2)"}},
      {"backward non-scalar",
       [] { Tensor x = ones({2, 3}).requires_grad_(); (x * 2.f).backward(); },
       {"backward", "(2, 3)"}},
      {"backward seed shape",
       [] { Tensor x = ones({2}).requires_grad_(); (x * 2.f).backward(ones({3})); },
       {"backward", "(3)", "(2)"}},
      {"backward without grad", [] { Z({1}).backward(); }, {"backward", "(1)", "require grad"}},
      {"requires_grad_ on a result",
       [] { Tensor x = ones({2}).requires_grad_(); Tensor y = x * 2.f; y.requires_grad_(); },
       {"requires_grad_", "mul_scalar"}},
      {"set_grad shape", [] { Z({2}).set_grad(Z({3})); }, {"set_grad", "(3)", "(2)"}},
  });
  // clang-format on
}
