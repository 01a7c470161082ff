// The op table's CPU driver: every check over every row of tests/ops/op_table.h, each row in its
// own section named after the op. Inputs are drawn by the row's generators; each call runs on
// contiguous inputs and again on strided (non-contiguous) ones.
#include <set>

#include "ops/op_table.h"

using namespace minidl;
using namespace minidl::test;

namespace {

// Runs body(row) for every row in a section named after it, once under each of its settings.
void each_row(const std::function<void(const OpRow&)>& body) {
  for (const OpRow& row : op_rows()) {
    DYNAMIC_SECTION(row.name) {
      if (row.settings.empty()) body(row);
      for (const Setting& s : row.settings) {
        INFO("under " << s.name);
        const std::shared_ptr<void> undo = s.enter();
        body(row);
      }
    }
  }
}

// Every case of `cases` with its number (which seeds its inputs) and the layouts it runs on.
void each_call(const OpRow& row, const std::vector<Case>& cases, size_t first,
               const std::function<void(const Case&, size_t, bool)>& body) {
  for (size_t i = 0; i < cases.size(); ++i)
    for (bool strided : {false, true}) {
      if (strided && !row.strided) continue;
      INFO(label(row, cases[i]) << (strided ? ", strided inputs" : ", contiguous inputs"));
      body(cases[i], first + i, strided);
    }
}

// The op on the inputs `v` against the reference; then (a differentiable op) the backward pass of
// y with a random upstream gradient gives each input a gradient of its shape, equal to
// gy * dy/dx where the case has dydx; a non-differentiable op's result requires no grad.
void check_forward(const OpRow& row, const Case& c, const Values& v, bool strided, bool with_dydx) {
  const Host want = ref_of(row, c)(hosts_of(c, v));
  Ins in = tensors_of(row, c, v, Device::CPU, strided);
  Tensor y = call_of(row, c)(in);
  const std::string why = differs(want, y, row.fwd);
  INFO(why);
  CHECK(why.empty());
  if (!why.empty()) return;
  if (!row.grad) {
    CHECK_FALSE(y.requires_grad());
    return;
  }
  REQUIRE(y.requires_grad());
  const Tensor gy = R(y.shape(), 99, false);
  y.backward(gy);
  for (size_t k = 0; k < in.size(); ++k) {
    INFO("the gradient of input " << k);
    if (in[k].grad().defined()) CHECK(in[k].grad().shape() == in[k].shape());
  }
  if (!c.dydx || !with_dydx) return;
  const std::vector<float> g = gy.to_vector(), dx = in[0].grad().to_vector();
  for (size_t i = 0; i < dx.size(); ++i) {
    const double want_dx = g[i] * c.dydx(v[0][i]);
    INFO("element " << i << " at x = " << v[0][i] << ": dx " << dx[i] << " vs " << want_dx);
    CHECK(close(want_dx, dx[i], {1e-6, 1e-5}));
  }
}

void check_gradcheck(const OpRow& row, const Case& c, size_t index, bool strided) {
  const Ins in = tensors_of(row, c, draw(row, c, index), Device::CPU, strided);
  CHECK_GRADS(call_of(row, c), in, *row.grad);
}

}  // namespace

TEST_CASE("ops: the forward pass of every op matches its reference, and its backward runs",
          "[ops]") {
  each_row([](const OpRow& row) {
    each_call(row, row.cases, 0, [&](const Case& c, size_t index, bool strided) {
      check_forward(row, c, draw(row, c, index), strided, true);
    });
  });
}

TEST_CASE("ops: every differentiable op passes gradcheck", "[ops][gradcheck]") {
  each_row([](const OpRow& row) {
    if (!row.grad) return;
    each_call(row, row.cases, 0, [&](const Case& c, size_t index, bool strided) {
      check_gradcheck(row, c, index, strided);
    });
  });
}

TEST_CASE("ops: empty, 0-d and size-1 shapes, forward against the reference and gradcheck",
          "[ops][edge]") {
  each_row([](const OpRow& row) {
    each_call(row, row.edge, row.cases.size(), [&](const Case& c, size_t index, bool strided) {
      check_forward(row, c, draw(row, c, index), strided, true);
      if (row.grad) check_gradcheck(row, c, index, strided);
    });
  });
}

TEST_CASE("ops: NaN and Inf propagate as the reference says, and backward still runs",
          "[ops][edge]") {
  each_row([](const OpRow& row) {
    for (float value : row.special) {
      INFO("element 0 of input 0 is " << value);
      each_call(row, row.cases, 0, [&](const Case& c, size_t index, bool strided) {
        Values v = draw(row, c, index);
        if (v[0].empty()) return;
        v[0][0] = value;
        check_forward(row, c, v, strided, false);
      });
    }
  });
}

TEST_CASE("ops: bad arguments throw minidl::Error naming the op and what is wrong",
          "[ops][errors]") {
  each_row([](const OpRow& row) {
    std::vector<ErrorCase> rows = row.errors;
    // Each input of the row's first call undefined in turn.
    const Case& first = row.cases.at(0);
    for (size_t k = 0; k < std::min(first.shapes.size(), row.required); ++k)
      rows.push_back({"input " + std::to_string(k) + " undefined",
                      [&row, &first, k] {
                        Ins in = tensors_of(row, first, draw(row, first, 0), Device::CPU, false);
                        in[k] = Tensor();
                        call_of(row, first)(in);
                      },
                      {row.name, "undefined"}});
    run_error_table(rows);
  });
}

TEST_CASE("ops: the table has one row per name and one per UnaryOp and BinaryOp kernel", "[ops]") {
  std::set<std::string> names;
  std::vector<int> unary(kUnaryOpCount, 0), binary(kBinaryOpCount, 0);
  for (const OpRow& row : op_rows()) {
    INFO("row " << row.name);
    CHECK(names.insert(row.name).second);
    CHECK_FALSE(row.cases.empty());
    if (row.unary) ++unary.at(static_cast<size_t>(row.unary->op));
    if (row.binary) ++binary.at(static_cast<size_t>(*row.binary));
  }
  for (int op = 0; op < kUnaryOpCount; ++op) {
    INFO("UnaryOp " << op << " (MINIDL_UNARY_OPS order) needs exactly one row with `unary`");
    CHECK(unary[op] == 1);
  }
  for (int op = 0; op < kBinaryOpCount; ++op) {
    INFO("BinaryOp " << op << " (MINIDL_BINARY_OPS order) needs exactly one row with `binary`");
    CHECK(binary[op] == 1);
  }
}
