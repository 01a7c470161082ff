// Table-driven tests: gradient checks, a row {name, input shapes, function, input range,
// tolerances} each, and bad-argument checks, a row {name, call, what the message must say} each.
// Layers, losses and the tensor's own functions use them directly; the ops have the op table
// (tests/ops/op_table.h), whose rows hold their bad calls as ErrorCase rows too.
#pragma once

#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "support/helpers.h"

namespace minidl::test {

struct OpCase {
  std::string name;           // shown when the row fails, e.g. "mul (2,3)*(3)"
  std::vector<Shape> shapes;  // one random input per shape, all requiring grad
  std::function<Tensor(const std::vector<Tensor>&)> f;
  float lo = -1.f, hi = 1.f;  // inputs drawn uniformly from [lo, hi): keep away from kinks
  GradcheckOptions options = {};
};

/// Runs gradcheck on every row, each in its own Catch2 section named after the row.
inline void run_gradcheck_table(const std::vector<OpCase>& cases, uint64_t seed = 42) {
  for (size_t i = 0; i < cases.size(); ++i) {
    const OpCase& c = cases[i];
    DYNAMIC_SECTION(c.name) {
      std::vector<Tensor> inputs;
      for (size_t k = 0; k < c.shapes.size(); ++k)
        inputs.push_back(R(c.shapes[k], seed + 100 * i + k, true, c.lo, c.hi));
      CHECK_GRADS(c.f, inputs, c.options);
    }
  }
}

/// A call that must throw minidl::Error whose message contains every string of `expect` (the op
/// or layer, and the shapes, devices or values involved).
struct ErrorCase {
  std::string name;  // shown when the row fails
  std::function<void()> call;
  std::vector<std::string> expect;
};

/// Runs every row in its own Catch2 section: the call must throw minidl::Error (not another
/// exception, not nothing) and the message must contain each expected part.
inline void run_error_table(const std::vector<ErrorCase>& rows) {
  for (const ErrorCase& row : rows) {
    DYNAMIC_SECTION(row.name) {
      std::string message, other;
      bool threw = false;
      try {
        row.call();
      } catch (const Error& e) {
        threw = true;
        message = e.what();
      } catch (const std::exception& e) {
        other = e.what();
      }
      INFO("message: " << message);
      INFO("a non-minidl exception: " << other);
      REQUIRE(other.empty());
      REQUIRE(threw);
      for (const std::string& part : row.expect) {
        INFO("expected in the message: " << part);
        CHECK(message.find(part) != std::string::npos);
      }
    }
  }
}

}  // namespace minidl::test
