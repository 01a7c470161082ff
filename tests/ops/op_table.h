// The op table, in the spirit of ggml's test-backend-ops: one row per public op, holding its calls
// (input shapes and parameters), how its inputs are drawn, its tolerances, an independent
// reference for its forward pass (tests/ops/reference.h) and its bad calls. Every check runs over
// every row:
//   - tests/ops/test_ops.cpp: the forward pass against the reference (on contiguous and strided
//     inputs), gradcheck, empty and size-1 shapes, NaN and Inf, bad arguments;
//   - tests/cuda/test_cuda_ops.cpp: CUDA against the CPU, forward and backward, and mixed devices;
//   - tests/cuda/test_cuda_kernels.cpp: the unary and binary kernels, through the rows' kernel
//     fields.
// Adding an op adds one row to its family's file, tests/ops/rows_<family>.cpp
// (docs/adding-an-op.md).
#pragma once

#include <cmath>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/kernel_types.h"
#include "ops/reference.h"
#include "support/op_cases.h"

namespace minidl::test {

using Ins = std::vector<Tensor>;
using Call = std::function<Tensor(const Ins&)>;
using RefCall = std::function<Host(const Hosts&)>;
/// The values of a call's inputs, one vector per input, row-major.
using Values = std::vector<std::vector<float>>;

/// How one input's values are drawn (seeded: every run draws the same).
struct Gen {
  enum Kind {
    Uniform,       // uniform in [lo, hi)
    AwayFromZero,  // |x| uniform in [lo, hi), either sign: no kink at 0 within reach
    Distinct,      // a shuffled grid 0.25 apart, offset by 0.125 between inputs: no ties, no 0
    Grid,          // uniform in [lo, hi) rounded to multiples of `step`: many ties
    Mask,          // 0 or 1
  } kind = Uniform;
  float lo = -1.f, hi = 1.f, step = 0.f;
  bool grad = true;  // the input requires grad (gradcheck perturbs it)
};
inline Gen uniform(float lo, float hi) { return {Gen::Uniform, lo, hi}; }
inline Gen away_from_zero(float lo, float hi) { return {Gen::AwayFromZero, lo, hi}; }
inline Gen distinct() { return {Gen::Distinct}; }
inline Gen grid(float lo, float hi, float step) { return {Gen::Grid, lo, hi, step, false}; }
inline Gen mask() { return {Gen::Mask, 0.f, 1.f, 0.f, false}; }

/// Passes when |got - want| <= atol + rtol * |want|.
struct Tol {
  double atol = 1e-5, rtol = 1e-5;
};

/// One call of an op: its input shapes and, where they differ from the row's, its own call and
/// reference (a parameter, a view of an input, an operator form).
struct Case {
  std::vector<Shape> shapes;  // one input per shape
  std::string what = {};      // the parameters, for the label ("axis 1")
  Call call = {};             // empty: the row's
  RefCall ref = {};           // empty: the row's
  /// For an elementwise op of one input: dy/dx in closed form, which the backward must match.
  std::function<double(double)> dydx = {};
  std::vector<Gen> gens = {};  // empty: the row's
};

/// The kernel a row of the UnaryOp family runs, for the kernel-level CUDA test: the op's scalars
/// and an input range as wide as its domain allows.
struct UnaryKernel {
  UnaryOp op;
  float a, b, lo, hi;
};

/// A condition every check of a row runs under, in turn (conv2d: the fast and the reference CPU
/// kernels). enter() sets it up and returns what restores the old state when it is destroyed.
struct Setting {
  std::string name;
  std::function<std::shared_ptr<void>()> enter;
};

inline const std::vector<float> kNanInf = {NAN, INFINITY, -INFINITY};
inline const std::vector<float> kNan = {NAN};

struct OpRow {
  std::string name;              // the op, as its error messages name it
  Call call = {};                // the op through the public API
  RefCall ref = {};              // its independent reference (tests/ops/reference.h)
  std::vector<Case> cases = {};  // forward, gradcheck, NaN/Inf and CUDA run on each
  std::vector<Case> edge = {};   // zero-size axes, 0-d and size-1 shapes: forward, gradcheck, CUDA
  std::vector<Gen> gens = {Gen{}};  // one per input; the last serves the inputs after it
  Tol fwd = {};                     // the forward pass against the reference
  Tol cuda = {1e-5, 1e-4};          // CUDA against the CPU, the outputs and the gradients
  std::optional<GradcheckOptions> grad = GradcheckOptions{};  // nullopt: not differentiable
  std::vector<float> special = kNanInf;  // planted at element 0 of input 0 (empty: none)
  std::vector<ErrorCase> errors = {};    // bad calls and what their messages must say
  size_t required = 99;  // the leading inputs that may not be undefined (an optional bias not)
  bool strided = true;   // also run on non-contiguous inputs (view: never)
  std::string device_op = {};  // the op a mixed-device error names, when it is not `name`
  std::vector<Setting> settings = {};
  std::optional<UnaryKernel> unary = {};  // the UnaryOp kernel the op is
  std::optional<BinaryOp> binary = {};    // the BinaryOp kernel the op is
};

/// Every row, in family order.
const std::vector<OpRow>& op_rows();

// The families, one file each (tests/ops/rows_<family>.cpp), each appending its rows.
void add_unary_rows(std::vector<OpRow>& rows);
void add_binary_rows(std::vector<OpRow>& rows);
void add_reduce_rows(std::vector<OpRow>& rows);
void add_shape_rows(std::vector<OpRow>& rows);
void add_linalg_rows(std::vector<OpRow>& rows);
void add_conv_rows(std::vector<OpRow>& rows);

// ---- what the drivers share ---------------------------------------------------------------------

/// "name (2, 3) (3), what": the row and the case, for INFO.
std::string label(const OpRow& row, const Case& c);
const Call& call_of(const OpRow& row, const Case& c);
const RefCall& ref_of(const OpRow& row, const Case& c);
/// The values of case number `index`'s inputs, drawn by the case's generators (else the row's) with
/// a seed made from the row's name and the index.
Values draw(const OpRow& row, const Case& c, size_t index);
/// The same values in double, for the reference.
Hosts hosts_of(const Case& c, const Values& v);
/// The inputs as leaf tensors on `device`, requiring grad where the generator says: contiguous, or
/// (strided) views of a larger tensor whose axes are reversed and whose last axis is stepped by 2.
Ins tensors_of(const OpRow& row, const Case& c, const Values& v, Device device, bool strided);
/// True when got is within tol of want, is NaN where want is, or is want's infinity.
bool close(double want, double got, Tol tol);
/// Empty when got has want's length and every element is close to it, else the first that is not.
std::string differs(const std::vector<double>& want, const std::vector<float>& got, Tol tol);
/// Empty when y has want's shape and every element is close to it, else what differs.
std::string differs(const Host& want, const Tensor& y, Tol tol);

}  // namespace minidl::test
