// Sequential: a chain of modules, each fed the previous one's output; children are named by
// their index ("0", "1", ...), so parameters read "0.weight", "2.bias".
//
// Pool first: when layer i is a ReLU or a LeakyReLU with slope > 0 and layer i + 1 a MaxPool2D
// whose windows do not overlap (stride >= kernel), forward runs the pool, then the activation,
// which then works on the smaller, pooled tensor. Such an activation f never decreases and gives
// NaN only for NaN, so max(f(a), f(b)) = f(max(a, b)) and the pool picks the same element either
// way, except in a tie: a window with no NaN, all values <= 0, where f maps an earlier, smaller
// x_k to the same float as the window's largest x_j (ReLU: any such x; LeakyReLU: slope * x
// rounding to one float, underflowing to 0 or overflowing to -inf). Pooling last picks x_k,
// pooling first x_j: the output is the same float, and the gradient f' * gy goes to x_j instead of
// x_k (for ReLU f' = 0 there: only a zero moves). Otherwise outputs and input gradients are the
// same bits, except that a zero can change sign (-0 against +0). MINIDL_REORDER_POOLING=off or
// set_reorder_pooling(false) turns the reordering off. Each layer still runs through its own
// operator(), so errors and profiler rows name it. More in docs/architecture.md ("Pool first").
//
// Conv and pool in one pass: when layer i is a Conv2D and the pool that follows it (layer i + 1,
// or layer i + 2 after an activation that pools first) a MaxPool2D of k x k windows at stride k
// without padding, forward runs the two as conv2d_max_pool2d (core/ops/conv.h), which on the CPU
// pools the convolution's output band by band and never writes it whole: the same values and
// gradients. Its time counts as the Conv2D's forward in the profiler; the pool's row is empty.
// MINIDL_FUSE_CONV_POOL=off or set_fuse_conv_pool(false) turns it off.
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
  /// Appends `layer` (not null) as it is, without add()'s re-initialisation: for layers whose
  /// weights are already set (trained or loaded), such as those fold_for_inference regroups.
  Sequential& add_as_is(std::shared_ptr<Module> layer);
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

  /// Runs the layers in order, but for the pool-first pairs above. An error in layer i is
  /// rethrown as "layer i: <its name()>: <message>".
  Tensor forward(const Tensor& x) override;
  /// "Sequential".
  std::string name() const override { return "Sequential"; }
  /// Each layer's output_shape applied in turn; errors named like forward's.
  Shape output_shape(const Shape& input_shape) override;

  /// Whether forward pools first (see above), for every Sequential: from the environment variable
  /// MINIDL_REORDER_POOLING, read at the first forward, unless set_reorder_pooling changed it.
  static bool reorder_pooling();
  /// For tests and comparisons: turns the reordering on or off for the next forward calls.
  static void set_reorder_pooling(bool on);
  /// What a value of MINIDL_REORDER_POOLING asks for: unset (null) or "on" gives true, "off"
  /// false; any other value throws an Error naming the variable and the value.
  static bool reorder_pooling_from_env(const char* value);

  /// Whether forward runs a Conv2D and the pool after it in one pass (see above): from
  /// MINIDL_FUSE_CONV_POOL (unset or "on": true, "off": false, else an Error), read at the first
  /// forward, unless set_fuse_conv_pool changed it.
  static bool fuse_conv_pool();
  static void set_fuse_conv_pool(bool on);

 private:
  std::vector<std::shared_ptr<Module>> layers_;
};

}  // namespace minidl
