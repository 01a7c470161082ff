// Module: parameter and buffer registration and naming, train/eval, device moves, and the
// error-prefixing call operator. See module.h.
#include "layers/module.h"

#include <unordered_set>

#include "core/profile.h"

namespace minidl {

Tensor Module::operator()(const Tensor& x) {
  return call([&] { return forward(x); });
}

Tensor Module::call(const std::function<Tensor()>& body) {
  profile::Scope scope;
  if (profile::enabled()) scope.enter(name());
  profile::Timer timer(profile::Category::Forward);
  try {
    return body();
  } catch (const Error& e) {
    throw Error(name() + ": " + e.what());
  }
}

Shape Module::output_shape(const Shape& input_shape) {
  NoGradGuard no_grad;
  return forward(zeros(input_shape)).shape();
}

std::vector<NamedTensor> Module::parameters() const {
  std::vector<NamedTensor> out = params_;
  for (const auto& [child_name, child] : children_)
    for (auto& [name, t] : child->parameters()) out.emplace_back(child_name + "." + name, t);
  // A tensor shared by two layers (tied weights) is listed once, under its first name.
  std::unordered_set<const TensorImpl*> seen;
  std::erase_if(out, [&](const NamedTensor& nt) { return !seen.insert(nt.second.impl()).second; });
  return out;
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (const auto& [name, t] : parameters()) n += t.numel();
  return n;
}

std::vector<NamedTensor> Module::buffers() const {
  std::vector<NamedTensor> out = buffers_;
  for (const auto& [child_name, child] : children_)
    for (auto& [name, t] : child->buffers()) out.emplace_back(child_name + "." + name, t);
  std::unordered_set<const TensorImpl*> seen;
  std::erase_if(out, [&](const NamedTensor& nt) { return !seen.insert(nt.second.impl()).second; });
  return out;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::to(Device device) {
  // Parameters first, then buffers (which have no gradient).
  auto tensors = parameters();
  const size_t n_params = tensors.size();
  for (auto& b : buffers()) tensors.push_back(b);
  // Copy first, commit after: a failed copy leaves every tensor untouched.
  std::vector<Tensor> data, grads;
  for (const auto& [name, p] : tensors) {
    data.push_back(p.detach().to(device).contiguous());
    Tensor g = p.grad();
    grads.push_back(g.defined() ? g.detach().to(device) : Tensor());
  }
  for (size_t i = 0; i < tensors.size(); ++i) {
    TensorImpl* impl = tensors[i].second.impl();
    impl->storage = data[i].storage();
    impl->strides = data[i].strides();
    impl->offset = data[i].offset();
    if (i < n_params) tensors[i].second.set_grad(grads[i]);
  }
}

void Module::zero_grad() {
  for (auto& [name, p] : parameters()) p.zero_grad();
}

Tensor Module::register_parameter(const std::string& name, Tensor t) {
  MINIDL_CHECK(t.defined(), "register_parameter: parameter '", name, "' is undefined");
  for (const auto& [n, p] : params_)
    MINIDL_CHECK(n != name, "register_parameter: a parameter named '", name,
                 "' is already registered");
  for (const auto& [n, b] : buffers_)
    MINIDL_CHECK(n != name, "register_parameter: a buffer named '", name,
                 "' is already registered");
  t.requires_grad_(true);
  params_.emplace_back(name, t);
  return t;
}

Tensor Module::register_buffer(const std::string& name, Tensor t) {
  MINIDL_CHECK(t.defined(), "register_buffer: buffer '", name, "' is undefined");
  MINIDL_CHECK(t.is_leaf(), "register_buffer: buffer '", name, "' is the result of an op");
  for (const auto& [n, p] : params_)
    MINIDL_CHECK(n != name, "register_buffer: a parameter named '", name,
                 "' is already registered");
  for (const auto& [n, b] : buffers_)
    MINIDL_CHECK(n != name, "register_buffer: a buffer named '", name, "' is already registered");
  t.requires_grad_(false);
  buffers_.emplace_back(name, t);
  return t;
}

std::shared_ptr<Module> Module::register_module(const std::string& name,
                                                std::shared_ptr<Module> m) {
  MINIDL_CHECK(m != nullptr, "register_module: child '", name, "' is null");
  for (const auto& [n, c] : children_)
    MINIDL_CHECK(n != name, "register_module: a child named '", name, "' is already registered");
  children_.emplace_back(name, m);
  return m;
}

}  // namespace minidl
