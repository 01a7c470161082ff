// Sequential: appending layers (with the Auto-init rule), forward and shape inference through
// the chain, with errors that name the failing layer. See sequential.h.
#include "layers/sequential.h"

#include <string>

#include "core/profile.h"
#include "layers/init.h"
#include "layers/leaky_relu.h"
#include "layers/relu.h"

namespace minidl {

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
  Tensor y = x;
  for (size_t i = 0; i < layers_.size(); ++i) {
    try {
      if (profile::enabled()) profile::set_next_index(i);  // the profile's label "<i> <name>"
      y = (*layers_[i])(y);  // prefixes the layer's name to its errors
    } catch (const Error& e) {
      throw Error(detail::cat("layer ", i, ": ", e.what()));
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
