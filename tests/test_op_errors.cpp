// Bad arguments to the creation functions (impossible shapes, bad values) and to the tensor's own
// functions (an undefined tensor, item, copy_, backward, set_grad), table-driven. Each row must
// throw minidl::Error (never crash, never another exception) whose message names the function and
// the shapes or values involved. Every op's bad arguments are rows of the op table (tests/ops);
// layers, losses and devices are in test_layer_errors.cpp.
#include <cmath>
#include <limits>

#include "core/minidl.h"
#include "support/helpers.h"
#include "support/op_cases.h"

using namespace minidl;
using namespace minidl::test;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const int64_t kHuge = int64_t{1} << 40;

Tensor Z(const Shape& s) { return zeros(s); }

}  // namespace

TEST_CASE("op errors: tensor functions name themselves for an undefined input", "[errors]") {
  const Tensor none;
  // clang-format off
  run_error_table({
      {"zeros_like", [none] { zeros_like(none); }, {"zeros_like", "undefined"}},
      {"ones_like", [none] { ones_like(none); }, {"ones_like", "undefined"}},
      {"full_like", [none] { full_like(none, 2.f); }, {"full_like", "undefined"}},
      {"clone", [none] { none.clone(); }, {"clone", "undefined"}},
      {"to", [none] { none.to(Device::CPU); }, {"to", "undefined"}},
      {"copy_", [none] { ones({2}).copy_(none); }, {"copy_", "undefined"}},
      {"backward", [none] { none.backward(); }, {"backward", "undefined"}},
  });
  // clang-format on
}

TEST_CASE("op errors: bad values for the creation functions name the function and the value",
          "[errors]") {
  // clang-format off
  run_error_table({
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
      {"size axis", [] { Z({2, 3}).size(2); }, {"size", "axis 2", "(2, 3)"}},
  });
  // clang-format on
}
