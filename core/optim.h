// Optimizers: SGD (momentum, Nesterov, weight decay), Adam and AdamW, with PyTorch's update rules.
// Each holds handles to the parameters it updates in place, and exports its state as named tensors.
#pragma once

#include <initializer_list>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace minidl {

/// The parameters an optimizer updates: from tensors ({W, b}) or from Module::parameters().
struct ParamList {
  std::vector<Tensor> tensors;
  ParamList(std::vector<Tensor> t) : tensors(std::move(t)) {}
  ParamList(std::initializer_list<Tensor> t) : tensors(t) {}
  ParamList(const std::vector<NamedTensor>& named);
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// One update of every parameter whose grad() is defined (others are skipped and keep their
  /// state). Runs under NoGradGuard and writes the parameters in place (Tensor::copy_), so every
  /// handle to them sees the new values; gradients are read, never modified. State buffers follow
  /// a parameter that moved to another device.
  void step();
  /// Drops every parameter's gradient (grad() becomes undefined).
  void zero_grad();

  float lr() const { return lr_; }
  /// Requires a finite lr >= 0 (a schedule calls this before step()).
  void set_lr(float lr);
  const std::vector<Tensor>& params() const { return params_; }
  /// "SGD", "Adam" or "AdamW".
  const std::string& name() const { return name_; }

  /// The state a checkpoint must save to resume exactly: "lr" (a 0-d tensor) and, for each
  /// parameter i that has been stepped, "param.<i>.step" (0-d, the number of updates applied) and
  /// "param.<i>.<buffer>" (the parameter's shape; buffers: SGD momentum_buffer; Adam/AdamW exp_avg,
  /// exp_avg_sq). The tensors are the live buffers: copy them to keep a snapshot.
  std::vector<NamedTensor> state() const;
  /// Replaces the whole state with `state` (as state() gives it, possibly from another run of the
  /// same optimizer over the same parameters). Copies the values onto each parameter's device.
  /// Throws minidl::Error naming the entry when a name is unknown, an index is out of range or a
  /// shape differs; on error the optimizer is unchanged.
  void load_state(const std::vector<NamedTensor>& state);

 protected:
  /// Requires a non-empty list of defined, distinct leaf tensors and a finite lr >= 0.
  Optimizer(std::string name, const ParamList& params, float lr,
            std::vector<std::string> buffer_names);
  /// What step() keeps per parameter.
  struct ParamState {
    int64_t step = 0;                       // updates applied so far
    std::map<std::string, Tensor> buffers;  // on the parameter's device once used
  };
  /// Parameter i's state with every buffer moved to the parameter's device.
  ParamState& state_for(size_t i);
  /// The rule of one optimizer: update w (the parameter's data, detached) in place from g (its
  /// gradient, detached; never modified) and st, whose step count already includes this update.
  virtual void update(const Tensor& w, const Tensor& g, ParamState& st) = 0;
  /// Throws "<name>: <what> must be <rule>, got <value>" unless ok.
  void check_arg(bool ok, const char* what, const char* rule, float value) const;
  /// Whether state buffer `what` can never hold a negative value (load_state checks it).
  virtual bool buffer_nonnegative(const std::string& /*what*/) const { return false; }

  std::string name_;
  std::vector<Tensor> params_;
  float lr_;

 private:
  std::vector<std::string> buffer_names_;
  std::vector<ParamState> state_;
};

/// Stochastic gradient descent, as torch.optim.SGD (dampening 0), for each parameter p, grad g:
///   g = g + weight_decay * p
///   momentum != 0:  buf = g on the first step, else buf = momentum * buf + g;
///                   g = nesterov ? g + momentum * buf : buf
///   p = p - lr * g
class SGD : public Optimizer {
 public:
  /// Requires lr >= 0, momentum >= 0, weight_decay >= 0, and momentum > 0 when nesterov.
  SGD(const ParamList& params, float lr, float momentum = 0.f, bool nesterov = false,
      float weight_decay = 0.f);

 protected:
  void update(const Tensor& w, const Tensor& g, ParamState& st) override;

 private:
  float momentum_, weight_decay_;
  bool nesterov_;
};

/// Adam, as torch.optim.Adam, with weight decay as an L2 term added to the gradient. At update t
/// of parameter p (t counted per parameter, from 1):
///   g = g + weight_decay * p
///   m = beta1 * m + (1 - beta1) * g          v = beta2 * v + (1 - beta2) * g^2     (m, v start at
///   0) p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
class Adam : public Optimizer {
 public:
  /// Requires lr >= 0, 0 <= beta1, beta2 < 1, eps >= 0, weight_decay >= 0.
  Adam(const ParamList& params, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f,
       float eps = 1e-8f, float weight_decay = 0.f);

 protected:
  void update(const Tensor& w, const Tensor& g, ParamState& st) override;
  bool buffer_nonnegative(const std::string& what) const override { return what == "exp_avg_sq"; }
  Adam(std::string name, const ParamList& params, float lr, float beta1, float beta2, float eps,
       float weight_decay, bool decoupled);

 private:
  float beta1_, beta2_, eps_, weight_decay_;
  bool decoupled_;
};

/// AdamW, as torch.optim.AdamW: decoupled weight decay, p = p * (1 - lr * weight_decay), applied
/// before the Adam update (which then uses the plain gradient).
class AdamW : public Adam {
 public:
  /// Requires lr >= 0, 0 <= beta1, beta2 < 1, eps >= 0, weight_decay >= 0.
  AdamW(const ParamList& params, float lr = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f,
        float eps = 1e-8f, float weight_decay = 1e-2f);
};

}  // namespace minidl
