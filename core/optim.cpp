// SGD, Adam and AdamW written with tensor ops (so they run on any device the ops support), and
// the optimizer state as named tensors for checkpoints. See optim.h for the update rules.
#include "core/optim.h"

#include <cmath>

#include "core/autograd.h"
#include "core/error.h"
#include "core/ops/creation.h"
#include "core/ops/elementwise.h"

namespace minidl {

ParamList::ParamList(const std::vector<NamedTensor>& named) {
  for (const auto& [name, t] : named) tensors.push_back(t);
}

// ---- Optimizer --------------------------------------------------------------------------------

Optimizer::Optimizer(std::string name, const ParamList& params, float lr,
                     std::vector<std::string> buffer_names)
    : name_(std::move(name)),
      params_(params.tensors),
      lr_(lr),
      buffer_names_(std::move(buffer_names)),
      state_(params_.size()) {
  MINIDL_CHECK(!params_.empty(), name_, ": got an empty parameter list");
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    MINIDL_CHECK(p.defined(), name_, ": parameter ", i, " is undefined");
    MINIDL_CHECK(p.is_leaf(), name_, ": parameter ", i, " of shape ", shape_str(p.shape()),
                 " is not a leaf (it is the result of op '", p.grad_fn()->name,
                 "'); optimize leaf tensors");
    for (size_t j = 0; j < i; ++j)
      MINIDL_CHECK(!p.is_same(params_[j]), name_, ": parameters ", j, " and ", i,
                   " are the same tensor");
  }
  check_arg(lr >= 0.f, "lr", ">= 0", lr);
}

void Optimizer::check_arg(bool ok, const char* what, const char* rule, float value) const {
  MINIDL_CHECK(ok, name_, ": ", what, " must be ", rule, ", got ", value);
}

void Optimizer::step() {
  NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor g = params_[i].grad();
    if (!g.defined()) continue;
    ParamState& st = state_for(i);
    ++st.step;
    update(params_[i].detach(), g.detach(), st);
  }
}

void Optimizer::zero_grad() {
  for (const Tensor& p : params_) p.zero_grad();
}

void Optimizer::set_lr(float lr) {
  check_arg(lr >= 0.f, "lr", ">= 0", lr);
  lr_ = lr;
}

Optimizer::ParamState& Optimizer::state_for(size_t i) {
  ParamState& st = state_[i];
  const Device d = params_[i].device();
  for (auto& [name, buf] : st.buffers)
    if (buf.defined() && buf.device() != d) buf = buf.to(d);
  return st;
}

std::vector<NamedTensor> Optimizer::state() const {
  std::vector<NamedTensor> out{{"lr", scalar(lr_)}};
  for (size_t i = 0; i < state_.size(); ++i) {
    const ParamState& st = state_[i];
    if (st.step == 0 && st.buffers.empty()) continue;
    const std::string prefix = "param." + std::to_string(i) + ".";
    out.emplace_back(prefix + "step", scalar(static_cast<float>(st.step)));
    for (const auto& [name, buf] : st.buffers) out.emplace_back(prefix + name, buf);
  }
  return out;
}

void Optimizer::load_state(const std::vector<NamedTensor>& entries) {
  float lr = lr_;
  std::vector<ParamState> loaded(params_.size());
  for (const auto& [name, t] : entries) {
    MINIDL_CHECK(t.defined(), name_, ": load_state: entry '", name, "' is undefined");
    if (name == "lr") {
      MINIDL_CHECK(t.numel() == 1 && t.item() >= 0.f, name_,
                   ": load_state: 'lr' must be one value "
                   ">= 0, got ",
                   t.str());
      lr = t.item();
      continue;
    }
    // "param.<i>.<what>"
    const size_t dot = name.find('.', 6);
    MINIDL_CHECK(name.rfind("param.", 0) == 0 && dot != std::string::npos && dot > 6, name_,
                 ": load_state: unknown entry '", name, "'");
    const std::string index = name.substr(6, dot - 6), what = name.substr(dot + 1);
    MINIDL_CHECK(index.find_first_not_of("0123456789") == std::string::npos && index.size() < 10,
                 name_, ": load_state: bad parameter index in '", name, "'");
    const size_t i = std::stoul(index);
    MINIDL_CHECK(i < params_.size(), name_, ": load_state: entry '", name, "' refers to parameter ",
                 i, " but this optimizer has ", params_.size());
    const Tensor& p = params_[i];
    if (what == "step") {
      const float v = t.numel() == 1 ? t.item() : -1.f;
      MINIDL_CHECK(v >= 0.f && v == std::floor(v), name_, ": load_state: '", name,
                   "' must be one whole number >= 0, got ", t.str());
      loaded[i].step = static_cast<int64_t>(v);
      continue;
    }
    bool known = false;
    for (const auto& b : buffer_names_) known |= b == what;
    MINIDL_CHECK(known, name_, ": load_state: unknown entry '", name, "'");
    MINIDL_CHECK(t.shape() == p.shape(), name_, ": load_state: '", name, "' has shape ",
                 shape_str(t.shape()), " but parameter ", i, " has shape ", shape_str(p.shape()));
    Tensor copy = Tensor::empty(p.shape(), p.device());
    copy.copy_(t);
    loaded[i].buffers[what] = copy;
  }
  lr_ = lr;
  state_ = std::move(loaded);
}

// ---- SGD --------------------------------------------------------------------------------------

SGD::SGD(const ParamList& params, float lr, float momentum, bool nesterov, float weight_decay)
    : Optimizer("SGD", params, lr, {"momentum_buffer"}),
      momentum_(momentum),
      weight_decay_(weight_decay),
      nesterov_(nesterov) {
  check_arg(momentum >= 0.f, "momentum", ">= 0", momentum);
  check_arg(weight_decay >= 0.f, "weight_decay", ">= 0", weight_decay);
  check_arg(!nesterov || momentum > 0.f, "momentum", "> 0 with nesterov", momentum);
}

void SGD::update(const Tensor& w, const Tensor& g, ParamState& st) {
  Tensor d = g;  // the update direction
  if (weight_decay_ != 0.f) d = d + w * weight_decay_;
  if (momentum_ != 0.f) {
    Tensor& buf = st.buffers["momentum_buffer"];
    buf = buf.defined() ? buf * momentum_ + d : d.clone();
    d = nesterov_ ? d + buf * momentum_ : buf;
  }
  w.copy_(w - d * lr_);
}

// ---- Adam / AdamW -----------------------------------------------------------------------------

Adam::Adam(const ParamList& params, float lr, float beta1, float beta2, float eps,
           float weight_decay)
    : Adam("Adam", params, lr, beta1, beta2, eps, weight_decay, false) {}

Adam::Adam(std::string name, const ParamList& params, float lr, float beta1, float beta2, float eps,
           float weight_decay, bool decoupled)
    : Optimizer(std::move(name), params, lr, {"exp_avg", "exp_avg_sq"}),
      beta1_(beta1),
      beta2_(beta2),
      eps_(eps),
      weight_decay_(weight_decay),
      decoupled_(decoupled) {
  check_arg(beta1 >= 0.f && beta1 < 1.f, "beta1", "in [0, 1)", beta1);
  check_arg(beta2 >= 0.f && beta2 < 1.f, "beta2", "in [0, 1)", beta2);
  check_arg(eps >= 0.f, "eps", ">= 0", eps);
  check_arg(weight_decay >= 0.f, "weight_decay", ">= 0", weight_decay);
}

void Adam::update(const Tensor& w, const Tensor& g, ParamState& st) {
  const int64_t t = st.step;
  Tensor d = g;
  if (weight_decay_ != 0.f) {
    if (decoupled_)
      w.copy_(w * (1.f - lr_ * weight_decay_));  // AdamW: shrink p, leave g alone
    else
      d = d + w * weight_decay_;  // Adam: L2 term in the gradient
  }
  Tensor& m = st.buffers["exp_avg"];
  Tensor& v = st.buffers["exp_avg_sq"];
  m = m.defined() ? m * beta1_ + d * (1.f - beta1_) : d * (1.f - beta1_);
  v = v.defined() ? v * beta2_ + square(d) * (1.f - beta2_) : square(d) * (1.f - beta2_);
  const double bc1 = 1.0 - std::pow(double(beta1_), double(t));
  const double bc2 = 1.0 - std::pow(double(beta2_), double(t));
  const Tensor denom = sqrt(v) * static_cast<float>(1.0 / std::sqrt(bc2)) + eps_;
  w.copy_(w - m / denom * static_cast<float>(lr_ / bc1));
}

AdamW::AdamW(const ParamList& params, float lr, float beta1, float beta2, float eps,
             float weight_decay)
    : Adam("AdamW", params, lr, beta1, beta2, eps, weight_decay, true) {}

}  // namespace minidl
