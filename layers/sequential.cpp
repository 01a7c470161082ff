// Sequential: appending layers (with the Auto-init rule), forward and shape inference through
// the chain, with errors that name the failing layer, and the pool-first reordering of an
// activation and the max pooling after it. See sequential.h.
#include "layers/sequential.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <typeinfo>

#include "core/ops/conv.h"
#include "core/profile.h"
#include "layers/conv2d.h"
#include "layers/init.h"
#include "layers/leaky_relu.h"
#include "layers/max_pool2d.h"
#include "layers/relu.h"

namespace minidl {

namespace {

// An on/off switch from the environment: unset or "on" is true, "off" false.
bool switch_from_env(const char* var, const char* value) {
  if (value == nullptr || std::strcmp(value, "on") == 0) return true;
  if (std::strcmp(value, "off") == 0) return false;
  throw Error(detail::cat(var, "='", value, "' is not one of: on, off"));
}

// Read from the environment on the first use; an invalid value throws on every use.
std::atomic<bool>& reorder_setting() {
  static std::atomic<bool> on{
      Sequential::reorder_pooling_from_env(std::getenv("MINIDL_REORDER_POOLING"))};
  return on;
}
std::atomic<bool>& fuse_setting() {
  static std::atomic<bool> on{
      switch_from_env("MINIDL_FUSE_CONV_POOL", std::getenv("MINIDL_FUSE_CONV_POOL"))};
  return on;
}

// Whether max_pool(act(x)) == act(max_pool(x)) for `act` then `pool`, with the exceptions of
// sequential.h. The exact types only: a subclass may override forward.
//  - act must never decrease and give NaN only for NaN: ReLU, or LeakyReLU with slope > 0.
//    LeakyReLU(0) gives 0 * -inf = NaN, which would win its window only when it runs first; a
//    negative slope is not monotone at all.
//  - pool's windows must not overlap (stride >= kernel): an x that wins k windows then gets
//    (gy_1 + ... + gy_k) * f'(x) when the activation runs last, but
//    gy_1 * f'(x) + ... + gy_k * f'(x) when it runs first, which rounds differently.
//  Padding needs no rule: padded positions are skipped, not compared, and every window holds at
//  least one pixel (MaxPool2D keeps padding <= kernel / 2).
bool pool_first_is_exact(const Module& act, const Module& pool) {
  if (typeid(pool) != typeid(MaxPool2D)) return false;
  const auto& p = static_cast<const MaxPool2D&>(pool);
  if (p.stride() < p.kernel()) return false;
  if (typeid(act) == typeid(ReLU)) return true;
  return typeid(act) == typeid(LeakyReLU) && static_cast<const LeakyReLU&>(act).slope() > 0.f;
}

// A MaxPool2D that conv2d_max_pool2d can take: k x k windows at stride k, no padding.
bool fusable_pool(const Module& m) {
  if (typeid(m) != typeid(MaxPool2D)) return false;
  const auto& p = static_cast<const MaxPool2D&>(m);
  return p.kernel() >= 2 && p.stride() == p.kernel() && p.padding() == 0;
}

// Whether the Conv2D conv and the pool after it run in one pass on x. Only then are they run
// together: otherwise each runs as its own layer, with its own errors and profiler rows.
bool conv_pool_fuses(const Conv2D& conv, const MaxPool2D& pool, const Tensor& x) {
  return conv2d_max_pool2d_fuses(x, conv.weight(), conv.bias(), conv.stride(), conv.padding(),
                                 pool.kernel());
}

// The profiler's (empty) row of layer i, entered so that the report keeps layer order.
void profile_row(const Module& layer, size_t i) {
  if (!profile::enabled()) return;
  profile::set_next_index(i);
  profile::Scope scope;
  scope.enter(layer.name());
}

// Runs body as layer `i`'s forward pass (Module::call, which prefixes its name to its errors),
// under its index in the profiler, and prefixes "layer i: " to its errors.
Tensor run_as_layer(Module& layer, size_t i, const std::function<Tensor()>& body) {
  try {
    if (profile::enabled()) profile::set_next_index(i);  // the profile's label "<i> <name>"
    return layer.call(body);
  } catch (const Error& e) {
    throw Error(detail::cat("layer ", i, ": ", e.what()));
  }
}

// Layer `i` on x, as layer(x) but named as above.
Tensor run_layer(Module& layer, size_t i, const Tensor& x) {
  return run_as_layer(layer, i, [&] { return layer.forward(x); });
}

// Conv2D layer i and the pool after it in one pass, with a leaky ReLU's slope when one follows
// the pool in the same pass, under the Conv2D's name and index.
Tensor run_conv_pool(Conv2D& conv, size_t i, const MaxPool2D& pool, const Tensor& x,
                     std::optional<float> leaky_slope) {
  return run_as_layer(conv, i, [&] {
    return conv2d_max_pool2d(x, conv.weight(), conv.bias(), conv.stride(), conv.padding(),
                             pool.kernel(), leaky_slope);
  });
}

// The slope of a LeakyReLU layer (exactly that type) that the fused pass can take: >= 0.
std::optional<float> fusable_leaky(const Module& m) {
  if (typeid(m) != typeid(LeakyReLU)) return std::nullopt;
  const float slope = static_cast<const LeakyReLU&>(m).slope();
  return slope >= 0.f ? std::optional<float>(slope) : std::nullopt;
}

}  // namespace

bool Sequential::reorder_pooling_from_env(const char* value) {
  return switch_from_env("MINIDL_REORDER_POOLING", value);
}

bool Sequential::fuse_conv_pool() { return fuse_setting().load(std::memory_order_relaxed); }

void Sequential::set_fuse_conv_pool(bool on) { fuse_setting().store(on); }

bool Sequential::reorder_pooling() { return reorder_setting().load(std::memory_order_relaxed); }

void Sequential::set_reorder_pooling(bool on) { reorder_setting().store(on); }

Sequential::Sequential(const std::vector<std::shared_ptr<Module>>& layers) {
  for (const auto& layer : layers) add(layer);
}

Sequential& Sequential::add(std::shared_ptr<Module> layer) {
  MINIDL_CHECK(layer != nullptr, "Sequential::add: layer ", layers_.size(), " is null");
  if (!layers_.empty()) {
    auto* prev = dynamic_cast<WeightedModule*>(layers_.back().get());
    if (prev && prev->init() == Init::Auto) {
      if (dynamic_cast<ReLU*>(layer.get()))
        prev->reset_parameters(Init::He, 0.f);
      else if (auto* leaky = dynamic_cast<LeakyReLU*>(layer.get()))
        prev->reset_parameters(Init::He, leaky->slope());
    }
  }
  return add_as_is(std::move(layer));
}

Sequential& Sequential::add_as_is(std::shared_ptr<Module> layer) {
  MINIDL_CHECK(layer != nullptr, "Sequential::add: layer ", layers_.size(), " is null");
  register_module(std::to_string(layers_.size()), layer);
  layers_.push_back(std::move(layer));
  return *this;
}

const std::shared_ptr<Module>& Sequential::at(size_t i) const {
  MINIDL_CHECK(i < layers_.size(), "Sequential: layer index ", i, " out of range (", layers_.size(),
               " layers)");
  return layers_[i];
}

Tensor Sequential::forward(const Tensor& x) {
  const bool reorder = reorder_pooling(), fuse = fuse_conv_pool();
  const size_t n = layers_.size();
  Tensor y = x;
  for (size_t i = 0; i < n; ++i) {
    if (fuse && y.defined() && typeid(*layers_[i]) == typeid(Conv2D)) {
      // the pool right after the Conv2D, or after an activation that pools first
      size_t at = 0;
      if (i + 1 < n && fusable_pool(*layers_[i + 1]))
        at = i + 1;
      else if (reorder && i + 2 < n && pool_first_is_exact(*layers_[i + 1], *layers_[i + 2]) &&
               fusable_pool(*layers_[i + 2]))
        at = i + 2;
      auto& conv = static_cast<Conv2D&>(*layers_[i]);
      if (at > 0 && conv_pool_fuses(conv, static_cast<const MaxPool2D&>(*layers_[at]), y)) {
        // An activation between them pools first; a leaky ReLU then runs in the same pass.
        const std::optional<float> leaky =
            at == i + 2 ? fusable_leaky(*layers_[i + 1]) : std::nullopt;
        y = run_conv_pool(conv, i, static_cast<const MaxPool2D&>(*layers_[at]), y, leaky);
        if (at == i + 2 && leaky) profile_row(*layers_[i + 1], i + 1);
        if (at == i + 2 && !leaky) y = run_layer(*layers_[i + 1], i + 1, y);
        profile_row(*layers_[at], at);
        i = at;
        continue;
      }
    }
    // An undefined y is left to the activation, whose error it is in the original order.
    if (reorder && y.defined() && i + 1 < layers_.size() &&
        pool_first_is_exact(*layers_[i], *layers_[i + 1])) {
      // The profiler lists layers in the order their scopes are first entered: entering the
      // activation's scope (empty) before the pool's keeps its report in layer order.
      profile_row(*layers_[i], i);
      y = run_layer(*layers_[i + 1], i + 1, y);
      y = run_layer(*layers_[i], i, y);
      ++i;
    } else {
      y = run_layer(*layers_[i], i, y);
    }
  }
  return y;
}

Shape Sequential::output_shape(const Shape& input_shape) {
  Shape s = input_shape;
  for (size_t i = 0; i < layers_.size(); ++i) {
    try {
      s = layers_[i]->output_shape(s);
    } catch (const Error& e) {
      throw Error(detail::cat("layer ", i, ": ", layers_[i]->name(), ": ", e.what()));
    }
  }
  return s;
}

}  // namespace minidl
