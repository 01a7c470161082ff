// SGD, Adam and AdamW, each step one fused update kernel per parameter (core/cpu/optim_update.cpp
// and its CUDA twin), and the optimizer state as named tensors for checkpoints. See optim.h for
// the update rules.
#include "core/optim.h"

#include <algorithm>
#include <cmath>

#include "core/autograd.h"
#include "core/error.h"
#include "core/ops/creation.h"
#include "core/ops/op_util.h"
#include "core/ops/shape.h"
#include "core/profile.h"

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
  check_arg(lr >= 0.f && std::isfinite(lr), "lr", ">= 0 and finite", lr);
}

void Optimizer::check_arg(bool ok, const char* what, const char* rule, float value) const {
  MINIDL_CHECK(ok, name_, ": ", what, " must be ", rule, ", got ", value);
}

void Optimizer::step() {
  NoGradGuard no_grad;
  profile::Scope scope;
  if (profile::enabled()) scope.enter("optimizer");
  profile::Timer timer(profile::Category::Optimizer);
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
  check_arg(lr >= 0.f && std::isfinite(lr), "lr", ">= 0 and finite", lr);
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
      MINIDL_CHECK(t.numel() == 1 && t.item() >= 0.f && std::isfinite(t.item()), name_,
                   ": load_state: 'lr' must be one finite value >= 0, got ", t.str());
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
      constexpr float kMaxStep = 1ull << 53;  // far inside int64: the cast below is defined
      MINIDL_CHECK(v >= 0.f && v <= kMaxStep && v == std::floor(v), name_, ": load_state: '", name,
                   "' must be one whole number in [0, 2^53], got ", t.str());
      loaded[i].step = static_cast<int64_t>(v);
      continue;
    }
    bool known = false;
    for (const auto& b : buffer_names_) known |= b == what;
    MINIDL_CHECK(known, name_, ": load_state: unknown entry '", name, "'");
    MINIDL_CHECK(t.shape() == p.shape(), name_, ": load_state: '", name, "' has shape ",
                 shape_str(t.shape()), " but parameter ", i, " has shape ", shape_str(p.shape()));
    // A state that no update could have produced (a corrupt file) would turn the parameters into
    // NaN at the first step, and training would then save them.
    const std::vector<float> v = t.to_vector();
    const bool nonneg = buffer_nonnegative(what);
    const auto bad = std::find_if(
        v.begin(), v.end(), [&](float x) { return !std::isfinite(x) || (nonneg && x < 0.f); });
    MINIDL_CHECK(
        bad == v.end(), name_, ": load_state: '", name, "' holds ", *bad, " at flat index ",
        bad - v.begin(),
        nonneg ? "; it must be finite and >= 0 (a mean of squares)" : "; it must be finite",
        ": the state is corrupt");
    Tensor copy = Tensor::empty(p.shape(), p.device());
    copy.copy_(t);
    loaded[i].buffers[what] = copy;
  }
  lr_ = lr;
  state_ = std::move(loaded);
}

namespace {

/// Runs an update kernel on w in place: directly when w is contiguous, else on a contiguous copy
/// that is written back. g is made contiguous (a user's set_grad() may hold a view).
template <class Kernel>
void update_in_place(const char* name, const Tensor& w, const Tensor& g, Kernel kernel) {
  detail::check_same_device(name, {w, g});
  MINIDL_CHECK(g.shape() == w.shape(), name, ": gradient of shape ", shape_str(g.shape()),
               " for a parameter of shape ", shape_str(w.shape()));
  const Tensor gc = contiguous(g);
  const Tensor wc = w.is_contiguous() ? w : w.contiguous();
  kernel(wc.numel(), wc.data(), gc.data());
  if (!wc.is_same(w)) w.copy_(wc);
}

/// The state buffer `name`: zeros of w's shape on first use; contiguous (loaded state may not be).
Tensor& buffer(std::map<std::string, Tensor>& buffers, const std::string& name, const Tensor& w) {
  Tensor& b = buffers[name];
  if (!b.defined())
    b = zeros(w.shape(), w.device());
  else if (!b.is_contiguous())
    b = b.contiguous();
  return b;
}

}  // namespace

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
  const SgdStep s{lr_, momentum_, weight_decay_, nesterov_};
  float* buf = momentum_ != 0.f ? buffer(st.buffers, "momentum_buffer", w).data() : nullptr;
  update_in_place("SGD", w, g, [&](int64_t n, float* wp, const float* gp) {
    MINIDL_DISPATCH(w.device(), sgd_update, s, n, wp, gp, buf);
  });
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
  const int64_t t = st.step;  // bias corrections in double, as the rule in optim.h states them
  const double bc1 = 1.0 - std::pow(double(beta1_), double(t));
  const double bc2 = 1.0 - std::pow(double(beta2_), double(t));
  const AdamStep s{lr_,
                   beta1_,
                   beta2_,
                   eps_,
                   weight_decay_,
                   decoupled_,
                   static_cast<float>(lr_ / bc1),
                   static_cast<float>(1.0 / std::sqrt(bc2))};
  float* m = buffer(st.buffers, "exp_avg", w).data();
  float* v = buffer(st.buffers, "exp_avg_sq", w).data();
  update_in_place(name_.c_str(), w, g, [&](int64_t n, float* wp, const float* gp) {
    MINIDL_DISPATCH(w.device(), adam_update, s, n, wp, gp, m, v);
  });
}

AdamW::AdamW(const ParamList& params, float lr, float beta1, float beta2, float eps,
             float weight_decay)
    : Adam("AdamW", params, lr, beta1, beta2, eps, weight_decay, true) {}

}  // namespace minidl
