// Central-difference gradient check (see gradcheck.h). The scalar that is differentiated is
// sum(f(x) * r) with a fixed random r, accumulated in double to keep round-off small.
#include "core/gradcheck.h"

#include <cmath>
#include <sstream>

#include "core/autograd.h"
#include "core/error.h"
#include "core/ops/creation.h"
#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"

namespace minidl {

namespace {

double project(const Tensor& y, const std::vector<float>& r) {
  std::vector<float> v = y.to_vector();
  double s = 0;
  for (size_t i = 0; i < v.size(); ++i) s += static_cast<double>(v[i]) * r[i];
  return s;
}

// Offset of the i-th element (row-major) of x within its storage view.
int64_t element_offset(const Tensor& x, int64_t i) {
  int64_t off = 0;
  for (int64_t k = x.dim() - 1; k >= 0; --k) {
    off += (i % x.shape()[k]) * x.strides()[k];
    i /= x.shape()[k];
  }
  return off;
}

}  // namespace

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& opt) {
  GradcheckResult result;
  // Analytic gradients, with whatever the inputs had accumulated set aside and restored after.
  std::vector<Tensor> saved;
  for (const auto& x : inputs) {
    MINIDL_CHECK(x.defined(), "gradcheck: an input is undefined");
    MINIDL_CHECK(!x.requires_grad() || x.is_leaf(), "gradcheck: input ", saved.size(),
                 " is the result of op '", x.grad_fn()->name,
                 "', not a leaf, so backward() leaves "
                 "it no gradient to compare; pass x.detach().requires_grad_() instead");
    saved.push_back(x.grad());
    if (x.requires_grad()) x.zero_grad();
  }
  Tensor y = f(inputs);
  MINIDL_CHECK(y.defined(), "gradcheck: the function returned an undefined tensor");
  MINIDL_CHECK(y.requires_grad(),
               "gradcheck: the output does not depend on an input that requires grad");
  Generator gen(opt.seed);
  Tensor r = rand(y.shape(), gen, -1.f, 1.f, Device::CPU);
  std::vector<float> rv = r.to_vector();
  sum(y * r.to(y.device())).backward();

  for (size_t in = 0; in < inputs.size(); ++in) {
    const Tensor& x = inputs[in];
    if (!x.requires_grad()) continue;
    MINIDL_CHECK(x.device() == Device::CPU, "gradcheck: input ", in, " is on ",
                 device_name(x.device()),
                 "; gradcheck perturbs CPU inputs (compare CUDA results against the CPU instead)");
    Tensor g = x.grad();
    std::vector<float> analytic = g.defined() ? g.to_vector() : std::vector<float>(x.numel(), 0.f);
    float* data = x.data();
    for (int64_t i = 0; i < x.numel(); ++i) {
      float* p = data + element_offset(x, i);
      const float orig = *p;
      double plus, minus;
      {
        NoGradGuard ng;
        *p = static_cast<float>(orig + opt.eps);
        double hp = static_cast<double>(*p) - orig;  // the step actually taken in float32
        plus = project(f(inputs), rv);
        *p = static_cast<float>(orig - opt.eps);
        double hm = orig - static_cast<double>(*p);
        minus = project(f(inputs), rv);
        *p = orig;
        plus = (plus - minus) / (hp + hm);
      }
      double numeric = plus, a = analytic[i];
      double err = std::fabs(numeric - a);
      result.max_abs_error = std::max(result.max_abs_error, err);
      if (!(err <= opt.atol + opt.rtol * std::fabs(numeric)) && result.ok) {
        result.ok = false;
        std::ostringstream s;
        s << "gradcheck: input " << in << " of shape " << shape_str(x.shape()) << ", element " << i
          << ": numeric " << numeric << " vs analytic " << a << " (|diff| " << err << " > "
          << opt.atol << " + " << opt.rtol << " * |numeric|)";
        result.message = s.str();
      }
    }
  }
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].requires_grad()) inputs[i].set_grad(saved[i]);
  return result;
}

}  // namespace minidl
