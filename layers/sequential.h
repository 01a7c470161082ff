// Sequential: a chain of modules, each fed the previous one's output; children are named by
// their index ("0", "1", ...), so parameters read "0.weight", "2.bias".
#pragma once

#include <memory>
#include <vector>

#include "layers/module.h"

namespace minidl {

class Sequential : public Module {
 public:
  Sequential() = default;
  /// add() for each layer in order.
  explicit Sequential(const std::vector<std::shared_ptr<Module>>& layers);

  /// Appends `layer` (not null). When `layer` is a ReLU or LeakyReLU and the layer before it is a
  /// WeightedModule (Dense, Conv2D) still on Init::Auto, that layer is re-initialised with He for
  /// the activation's slope (see init.h). Returns *this, for chaining.
  Sequential& add(std::shared_ptr<Module> layer);
  /// Builds L(args...), appends it with add(), and returns it.
  template <class L, class... Args>
  std::shared_ptr<L> emplace(Args&&... args) {
    auto layer = std::make_shared<L>(std::forward<Args>(args)...);
    add(layer);
    return layer;
  }

  size_t size() const { return layers_.size(); }
  /// The i-th layer; requires i < size().
  const std::shared_ptr<Module>& at(size_t i) const;
  const std::shared_ptr<Module>& operator[](size_t i) const { return at(i); }

  /// Runs the layers in order. An error in layer i is rethrown as
  /// "layer i: <its name()>: <message>".
  Tensor forward(const Tensor& x) override;
  /// "Sequential".
  std::string name() const override { return "Sequential"; }
  /// Each layer's output_shape applied in turn; errors named like forward's.
  Shape output_shape(const Shape& input_shape) override;

 private:
  std::vector<std::shared_ptr<Module>> layers_;
};

}  // namespace minidl
