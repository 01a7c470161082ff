// Module: the base of every layer and model. It holds named parameters and child modules, a
// training flag, and the forward computation; layers are thin (they call ops, never backward code).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/autograd.h"
#include "core/device.h"
#include "core/error.h"
#include "core/ops/activation.h"
#include "core/ops/conv.h"
#include "core/ops/creation.h"
#include "core/ops/elementwise.h"
#include "core/ops/linalg.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"
#include "core/random.h"
#include "core/tensor.h"

namespace minidl {

class Module {
 public:
  Module() = default;
  virtual ~Module() = default;
  // Copies would share parameter handles with the original; build a new module instead.
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  /// The computation. Subclasses override it; errors from the ops come out unchanged.
  virtual Tensor forward(const Tensor& x) = 0;
  /// forward(x), with any minidl::Error rethrown as "<name()>: <message>". Call modules this way.
  Tensor operator()(const Tensor& x);
  /// Runs body as this module's forward pass, as operator() runs forward(x): in its profiler
  /// scope, under the forward timer, with any minidl::Error rethrown as "<name()>: <message>"
  /// (Sequential runs a Conv2D and the pool after it as one op this way).
  Tensor call(const std::function<Tensor()>& body);

  /// A short description for messages and summary(), e.g. "Conv2D(3->16, k3, s2, p1)".
  virtual std::string name() const = 0;
  /// The shape forward() gives for an input of `input_shape` (batch axis included). Throws
  /// minidl::Error (without the name() prefix, which callers add) when the input does not fit.
  /// Layers compute it without touching data; the default runs forward() on zeros under
  /// NoGradGuard, so override it where forward has side effects.
  virtual Shape output_shape(const Shape& input_shape);

  /// Parameters of this module, then of each child in registration order, recursively; a child's
  /// are prefixed with its name and a dot: "weight", "0.weight", "block.1.bias". A tensor that
  /// several children share appears once, under its first name.
  std::vector<NamedTensor> parameters() const;
  /// Total number of parameter elements (this module and its children).
  int64_t num_parameters() const;
  /// Buffers: state that forward() keeps but no optimizer trains (BatchNorm2d's running mean and
  /// variance). Named and ordered like parameters(); never counted by num_parameters(). to()
  /// moves them with the parameters.
  std::vector<NamedTensor> buffers() const;
  /// The direct children, in registration order.
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const {
    return children_;
  }

  /// Sets training mode (Dropout active, BatchNorm2d on batch statistics) on this module and all
  /// children; eval() = train(false).
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  /// Moves every parameter (and its gradient) and every buffer to `device` in place: the storage
  /// behind each tensor's TensorImpl is replaced, so every existing handle (the layer's own, an
  /// optimizer's) sees the new device. All copies are made before any tensor changes, so a
  /// failure (no CUDA) leaves the module as it was. Optimizer state follows on its next step().
  void to(Device device);
  /// Drops the gradient of every parameter (grad() becomes undefined).
  void zero_grad();

 protected:
  /// Registers `t` under `name` and marks it requires_grad; returns the handle (shared with the
  /// caller's copy). Requires a leaf tensor and a name unique within this module.
  Tensor register_parameter(const std::string& name, Tensor t);
  /// Registers `t` as a buffer under `name` (unique among this module's parameters and buffers);
  /// it never requires grad. Returns the handle. Requires a leaf tensor.
  Tensor register_buffer(const std::string& name, Tensor t);
  /// Registers a child module under `name` (unique within this module); returns it.
  std::shared_ptr<Module> register_module(const std::string& name, std::shared_ptr<Module> m);

 private:
  std::vector<NamedTensor> params_;
  std::vector<NamedTensor> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

}  // namespace minidl
