// Table-driven gradient checks (ggml's test-backend-ops is the model): adding an op to the tests
// means adding a row {name, input shapes, function, input range, tolerances}.
#pragma once

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

}  // namespace minidl::test
