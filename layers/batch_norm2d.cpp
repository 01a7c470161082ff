// BatchNorm2d from ops: per-channel statistics with mean() over (N, H, W), the style's divisor,
// and the running averages updated in place outside the graph. See batch_norm2d.h.
#include "layers/batch_norm2d.h"

#include <cmath>
#include <limits>
#include <typeinfo>
#include <vector>

namespace minidl {

namespace {

const Shape kStatAxes = {0, 2, 3};  // N, H, W: one statistic per channel

const char* style_name(BatchNormStyle s) {
  return s == BatchNormStyle::Darknet ? "darknet" : "standard";
}

// The standard deviation that divides: sqrt(var) + eps (Darknet) or sqrt(var + eps) (Standard).
// Darknet's sqrt(var) has an infinite derivative at var = 0 (a constant channel), which would
// turn the zero gradient there into 0 * inf = NaN. Raising var to FLT_MIN first keeps that
// gradient at 0. The forward does not change: sqrt(FLT_MIN) is about 1e-19, far below half a unit
// in the last place of eps = 1e-6, so sqrt(FLT_MIN) + eps == eps in float.
Tensor std_dev(const Tensor& var, const BatchNormOptions& o) {
  if (o.style == BatchNormStyle::Standard) return sqrt(var + o.eps);
  return sqrt(clamp(var, std::numeric_limits<float>::min(),
                    std::numeric_limits<float>::infinity())) +
         o.eps;
}

}  // namespace

BatchNorm2d::BatchNorm2d(int64_t channels, BatchNormOptions options)
    : channels_(channels), options_(options) {
  auto what = [&] {
    return detail::cat("BatchNorm2d(channels=", channels, ", eps=", options.eps,
                       ", momentum=", options.momentum, ", ", style_name(options.style), ")");
  };
  MINIDL_CHECK(channels >= 1, what(), ": channels must be >= 1, got ", channels);
  MINIDL_CHECK(std::isfinite(options.eps) && options.eps >= 0.f, what(),
               ": eps must be finite and >= 0, got ", options.eps);
  MINIDL_CHECK(options.style == BatchNormStyle::Darknet || options.eps > 0.f, what(),
               ": the standard style needs eps > 0 (it divides by sqrt(var + eps))");
  MINIDL_CHECK(options.momentum >= 0.f && options.momentum <= 1.f, what(),
               ": momentum must be in [0, 1], got ", options.momentum);
  if (options.affine) {
    gamma_ = register_parameter("weight", ones({channels}));  // (C)
    beta_ = register_parameter("bias", zeros({channels}));    // (C)
  }
  running_mean_ = register_buffer("running_mean", zeros({channels}));  // (C)
  running_var_ = register_buffer("running_var", ones({channels}));     // (C)
}

Tensor BatchNorm2d::normalise(const Tensor& x, const Tensor& mean, const Tensor& var) const {
  Tensor x_hat = (x - mean) / std_dev(var, options_);
  if (!options_.affine) return x_hat;
  const Shape c11 = {1, channels_, 1, 1};
  return x_hat * gamma_.reshape(c11) + beta_.reshape(c11);
}

Tensor BatchNorm2d::forward(const Tensor& x) {
  MINIDL_CHECK(x.defined(), "input is undefined");
  output_shape(x.shape());
  const Shape c11 = {1, channels_, 1, 1};
  if (!is_training()) return normalise(x, running_mean_.reshape(c11), running_var_.reshape(c11));

  const Shape& s = x.shape();
  const int64_t m = s[0] * s[2] * s[3];
  MINIDL_CHECK(m >= 2,
               "training needs more than one value per channel (N * H * W >= 2), got input ",
               shape_str(s));
  Tensor mu = mean(x, kStatAxes, true);                  // (1, C, 1, 1)
  Tensor var_b = mean(square(x - mu), kStatAxes, true);  // (1, C, 1, 1), divided by m
  Tensor var_u = var_b * (static_cast<float>(m) / static_cast<float>(m - 1));  // by m - 1
  {
    // running = (1 - momentum) * running + momentum * batch: in place, outside the graph.
    NoGradGuard no_grad;
    const float k = options_.momentum;
    running_mean_.copy_(running_mean_ * (1.f - k) + mu.detach().reshape({channels_}) * k);
    running_var_.copy_(running_var_ * (1.f - k) + var_u.detach().reshape({channels_}) * k);
  }
  return normalise(x, mu, options_.style == BatchNormStyle::Darknet ? var_u : var_b);
}

std::string BatchNorm2d::name() const {
  std::string s = detail::cat("BatchNorm2d(", channels_);
  if (options_.style == BatchNormStyle::Darknet) s += ", darknet";
  if (!options_.affine) s += ", no affine";
  return s + ")";
}

Shape BatchNorm2d::output_shape(const Shape& s) {
  MINIDL_CHECK(s.size() == 4 && s[1] == channels_, "expects input (N, ", channels_, ", H, W), got ",
               shape_str(s));
  return s;
}

std::shared_ptr<Conv2D> fold_batch_norm(const Conv2D& conv, const BatchNorm2d& bn) {
  MINIDL_CHECK(bn.channels() == conv.out_channels(), "fold_batch_norm: ", bn.name(), " has ",
               bn.channels(), " channels but ", conv.name(), " gives ", conv.out_channels());
  const Device dev = conv.weight().device();
  MINIDL_CHECK(bn.running_mean().device() == dev, "fold_batch_norm: ", conv.name(), " is on ",
               device_name(dev), " but ", bn.name(), " is on ",
               device_name(bn.running_mean().device()));
  NoGradGuard no_grad;
  const int64_t F = conv.out_channels();
  Tensor sd = std_dev(bn.running_var(), bn.options());  // (F)
  Tensor scale = bn.options().affine ? bn.weight().detach() / sd : 1.f / sd;
  Tensor bias = conv.bias().defined() ? conv.bias().detach() : zeros({F}, dev);
  bias = (bias - bn.running_mean()) * scale;
  if (bn.options().affine) bias = bias + bn.bias().detach();

  Generator unused(0);  // the constructor draws weights that are overwritten below
  auto folded = std::make_shared<Conv2D>(conv.in_channels(), F, conv.kernel(), conv.stride(),
                                         conv.padding(), true, Init::Glorot, unused);
  if (dev != Device::CPU) folded->to(dev);
  folded->weight().copy_(conv.weight().detach() * scale.reshape({F, 1, 1, 1}));
  folded->bias().copy_(bias);
  return folded;
}

namespace {

// Appends the layers of `seq` to `out`, those of nested Sequentials in their place.
void flatten_into(const Sequential& seq, std::vector<std::shared_ptr<Module>>& out) {
  for (size_t i = 0; i < seq.size(); ++i) {
    const std::shared_ptr<Module>& layer = seq[i];
    if (typeid(*layer) == typeid(Sequential))
      flatten_into(static_cast<const Sequential&>(*layer), out);
    else
      out.push_back(layer);
  }
}

}  // namespace

std::shared_ptr<Sequential> fold_for_inference(const Sequential& model) {
  std::vector<std::shared_ptr<Module>> flat;
  flatten_into(model, flat);
  auto out = std::make_shared<Sequential>();
  for (size_t i = 0; i < flat.size(); ++i) {
    // The exact types only: a subclass may override forward.
    if (i + 1 < flat.size() && typeid(*flat[i]) == typeid(Conv2D) &&
        typeid(*flat[i + 1]) == typeid(BatchNorm2d)) {
      out->add_as_is(fold_batch_norm(static_cast<const Conv2D&>(*flat[i]),
                                     static_cast<const BatchNorm2d&>(*flat[i + 1])));
      ++i;
    } else {
      out->add_as_is(flat[i]);  // trained weights: never re-initialised
    }
  }
  out->eval();
  return out;
}

}  // namespace minidl
