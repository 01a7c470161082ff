// The optimizers' fused update kernels (core/cpu/optim_update.cpp) against the update rules of
// core/optim.h written with tensor ops, over several steps, for every option, on contiguous and
// non-contiguous (transposed view) parameters, and with gradients that are views.
#include <cmath>
#include <functional>
#include <memory>

#include "support/helpers.h"

using namespace minidl;
using namespace minidl::test;

namespace {

/// One optimizer's rule from ops: (w, g, step t, state) -> new w; state holds the buffers.
using Rule =
    std::function<Tensor(const Tensor& w, const Tensor& g, int t, std::vector<Tensor>& st)>;

Rule sgd_rule(float lr, float momentum, bool nesterov, float wd) {
  return [=](const Tensor& w, const Tensor& g, int, std::vector<Tensor>& st) {
    Tensor d = wd != 0.f ? g + w * wd : g;
    if (momentum != 0.f) {
      if (st.empty())
        st.push_back(d.clone());
      else
        st[0] = st[0] * momentum + d;
      d = nesterov ? d + st[0] * momentum : st[0];
    }
    return w - d * lr;
  };
}

Rule adam_rule(float lr, float b1, float b2, float eps, float wd, bool decoupled) {
  return [=](const Tensor& w0, const Tensor& g, int t, std::vector<Tensor>& st) {
    Tensor w = w0, d = g;
    if (wd != 0.f) {
      if (decoupled)
        w = w * (1.f - lr * wd);
      else
        d = d + w * wd;
    }
    if (st.empty()) st = {zeros_like(w), zeros_like(w)};
    st[0] = st[0] * b1 + d * (1.f - b1);
    st[1] = st[1] * b2 + square(d) * (1.f - b2);
    const double bc1 = 1.0 - std::pow(double(b1), t), bc2 = 1.0 - std::pow(double(b2), t);
    return w - st[0] / (sqrt(st[1]) * static_cast<float>(1.0 / std::sqrt(bc2)) + eps) *
                   static_cast<float>(lr / bc1);
  };
}

/// Runs `opt` for 4 steps on w (grad g_t = g * (t + 1) - 0.3 t, given as a transposed view) and
/// the rule beside it on a copy; they must agree to float rounding.
void check_against_rule(Optimizer& opt, const Tensor& w, const Rule& rule) {
  Tensor ref = w.detach().clone();
  std::vector<Tensor> st;
  const Tensor g = R({w.size(1), w.size(0)}, 99, false);  // (cols, rows): transposed below
  for (int t = 1; t <= 4; ++t) {
    Tensor gt = (g * static_cast<float>(t + 1) - 0.3f * static_cast<float>(t)).transpose(0, 1);
    w.set_grad(gt);
    opt.step();
    ref = rule(ref, gt, t, st);
    INFO(opt.name() << " step " << t);
    CHECK_CLOSE(w, ref, 1e-6, 1e-5);
  }
}

}  // namespace

TEST_CASE("optim kernels: SGD equals its rule written with ops, for every option", "[optim]") {
  struct Case {
    float lr, momentum;
    bool nesterov;
    float wd;
  };
  for (const Case& c : {Case{0.1f, 0.f, false, 0.f}, Case{0.05f, 0.f, false, 0.01f},
                        Case{0.1f, 0.9f, false, 0.f}, Case{0.1f, 0.9f, true, 0.02f}}) {
    INFO("lr " << c.lr << " momentum " << c.momentum << " nesterov " << c.nesterov << " wd "
               << c.wd);
    Tensor w = R({5, 7}, 1);
    SGD opt({w}, c.lr, c.momentum, c.nesterov, c.wd);
    check_against_rule(opt, w, sgd_rule(c.lr, c.momentum, c.nesterov, c.wd));
  }
}

TEST_CASE("optim kernels: Adam and AdamW equal their rules written with ops", "[optim]") {
  for (float wd : {0.f, 0.05f}) {
    INFO("weight decay " << wd);
    Tensor a = R({5, 7}, 2), b = R({5, 7}, 3);
    Adam adam({a}, 0.01f, 0.9f, 0.99f, 1e-6f, wd);
    check_against_rule(adam, a, adam_rule(0.01f, 0.9f, 0.99f, 1e-6f, wd, false));
    AdamW adamw({b}, 0.01f, 0.8f, 0.999f, 1e-8f, wd);
    check_against_rule(adamw, b, adam_rule(0.01f, 0.8f, 0.999f, 1e-8f, wd, true));
  }
}

TEST_CASE("optim kernels: a non-contiguous parameter is updated in place through its view",
          "[optim]") {
  // w is a transposed view of base (a leaf that does not require grad, so w is a leaf too):
  // the step must write base's storage, element for element where w maps it.
  Tensor base = R({7, 5}, 4, false);
  Tensor w = base.transpose(0, 1).requires_grad_();
  REQUIRE_FALSE(w.is_contiguous());
  Tensor before = w.detach().clone();
  Adam opt({w}, 0.1f);
  Tensor g = R({5, 7}, 5, false);
  w.set_grad(g);
  opt.step();
  std::vector<Tensor> st;
  CHECK_CLOSE(w, adam_rule(0.1f, 0.9f, 0.999f, 1e-8f, 0.f, false)(before, g, 1, st), 1e-6, 1e-5);
  CHECK_CLOSE(base.transpose(0, 1), w, 0, 0);
  // the state follows the parameter's shape and can be checkpointed and restored
  for (const auto& [name, t] : opt.state())
    if (name != "lr" && name != "param.0.step") CHECK(t.shape() == w.shape());
  SGD sgd({w}, 0.5f, 0.9f);
  w.set_grad(ones({5, 7}));
  Tensor w1 = w.detach().clone();
  sgd.step();
  CHECK_CLOSE(w, w1 - 0.5f, 1e-6, 1e-6);
}
