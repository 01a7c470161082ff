// Bad input to every public layer, loss and optimizer, table-driven (each error names the layer or
// loss and the shapes or values), tensors on a device the build or machine lacks, ops on empty
// tensors (which work, forward and backward, or are errors), and NaN inputs (which propagate or
// are rejected, never crash). The ops' own argument errors are rows of the op table (tests/ops/).
#include <cmath>
#include <limits>

#include "core/minidl.h"
#include "support/gpu.h"
#include "support/helpers.h"
#include "support/op_cases.h"

using namespace minidl;
using namespace minidl::test;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

Tensor Z(const Shape& s) { return zeros(s); }

// Builds a layer and calls it through Module::operator(), which names the layer in errors.
template <class L, class... Args>
void call(const Tensor& x, Args... args) {
  L layer(args...);
  layer(x);
}

YoloV1Options small_yolo() {
  YoloV1Options o;
  o.S = 2;
  o.B = 1;
  o.C = 3;
  return o;
}

}  // namespace

TEST_CASE("layer errors: each layer names itself and the input shape it cannot take", "[errors]") {
  // clang-format off
  run_error_table({
      {"Dense features", [] { call<Dense>(Z({2, 4}), 3, 2); }, {"Dense(3->2)", "(2, 4)"}},
      {"Dense scalar", [] { call<Dense>(scalar(1.f), 3, 2); }, {"Dense(3->2)", "()"}},
      {"Dense undefined", [] { call<Dense>(Tensor(), 3, 2); }, {"Dense(3->2)", "undefined"}},
      {"Conv2D channels", [] { call<Conv2D>(Z({1, 2, 8, 8}), 3, 4, 3); },
       {"Conv2D(3->4, k3)", "(1, 2, 8, 8)"}},
      {"Conv2D rank", [] { call<Conv2D>(Z({3, 8, 8}), 3, 4, 3); },
       {"Conv2D(3->4, k3)", "(3, 8, 8)"}},
      {"Conv2D too small", [] { call<Conv2D>(Z({1, 3, 2, 2}), 3, 4, 3); },
       {"Conv2D(3->4, k3)", "(1, 3, 2, 2)"}},
      {"MaxPool2D rank", [] { call<MaxPool2D>(Z({2, 3}), 2); }, {"MaxPool2D(k2, s2)", "(2, 3)"}},
      {"MaxPool2D too small", [] { call<MaxPool2D>(Z({1, 1, 2, 2}), 3, 1, 0); },
       {"MaxPool2D(k3, s1)", "(1, 1, 2, 2)"}},
      {"Flatten scalar", [] { call<Flatten>(scalar(1.f)); }, {"Flatten", "scalar"}},
      {"Reshape count", [] { call<Reshape>(Z({2, 3}), Shape{4}); }, {"Reshape(4)", "(2, 3)"}},
      {"Reshape inferred", [] { call<Reshape>(Z({2, 3}), Shape{2, -1}); },
       {"Reshape(2, -1)", "(2, 3)"}},
      {"Softmax axis", [] { call<Softmax>(Z({2, 3}), 2); },
       {"Softmax(axis=2)", "axis 2", "(2, 3)"}},
      {"ReLU undefined", [] { call<ReLU>(Tensor()); }, {"ReLU", "relu", "undefined"}},
      {"Sigmoid undefined", [] { call<Sigmoid>(Tensor()); }, {"Sigmoid", "sigmoid", "undefined"}},
      {"Tanh undefined", [] { call<Tanh>(Tensor()); }, {"Tanh", "tanh", "undefined"}},
      {"LeakyReLU undefined", [] { call<LeakyReLU>(Tensor(), 0.1f); },
       {"LeakyReLU(0.1)", "undefined"}},
      {"Dropout undefined", [] { call<Dropout>(Tensor(), 0.5f); }, {"Dropout(0.5)", "undefined"}},
      {"Sequential names the layer and its index",
       [] {
         Sequential m;
         m.emplace<Dense>(3, 2);
         m.emplace<ReLU>();
         m.emplace<Dense>(4, 1);
         m(Z({5, 3}));
       },
       {"layer 2", "Dense(4->1)", "(5, 2)"}},
      {"output_shape", [] { Dense(3, 2).output_shape({2, 4}); }, {"(2, 4)", "3"}},
      {"summary",
       [] {
         Sequential m;
         m.emplace<Conv2D>(3, 4, 3);
         summary(m, {1, 1, 8, 8});
       },
       {"summary", "layer 0", "Conv2D(3->4, k3)", "(1, 1, 8, 8)"}},
  });
  // clang-format on
}

TEST_CASE("layer errors: constructors name the layer and the bad argument", "[errors]") {
  // clang-format off
  run_error_table({
      {"Dense in", [] { Dense(0, 2); }, {"Dense", "in", "0"}},
      {"Dense out", [] { Dense(3, -1); }, {"Dense", "out", "-1"}},
      {"Conv2D kernel", [] { Conv2D(3, 4, 0); }, {"Conv2D", "kernel", "0"}},
      {"Conv2D stride", [] { Conv2D(3, 4, 3, 0); }, {"Conv2D", "stride", "0"}},
      {"Conv2D padding", [] { Conv2D(3, 4, 3, 1, -2); }, {"Conv2D", "padding", "-2"}},
      {"MaxPool2D padding", [] { MaxPool2D(3, 1, 2); }, {"MaxPool2D", "padding", "2"}},
      {"MaxPool2D kernel", [] { MaxPool2D(0); }, {"MaxPool2D", "kernel", "0"}},
      {"Reshape size", [] { Reshape(Shape{0, 3}); }, {"Reshape", "(0, 3)"}},
      {"Reshape two -1", [] { Reshape(Shape{-1, -1}); }, {"Reshape", "(-1, -1)"}},
      {"LeakyReLU NaN", [] { LeakyReLU l(kNaN); }, {"LeakyReLU", "nan"}},
      {"Dropout p = 1", [] { Dropout d(1.f); }, {"Dropout", "1"}},
      {"Dropout NaN", [] { Dropout d(kNaN); }, {"Dropout", "nan"}},
      {"Sequential null layer", [] { Sequential().add(nullptr); }, {"Sequential"}},
  });
  // clang-format on
}

TEST_CASE("loss errors: each loss names itself and both shapes or the bad value", "[errors]") {
  const YoloV1Options o = small_yolo();  // pred (N, 2, 2, 8), target (N, 2, 2, 8)
  // clang-format off
  run_error_table({
      {"mse shapes", [] { mse_loss(Z({2, 3}), Z({3})); }, {"mse_loss", "(2, 3)", "(3)"}},
      {"mse undefined", [] { mse_loss(Tensor(), Z({3})); }, {"mse_loss", "undefined"}},
      {"bce shapes", [] { bce_loss(Z({2, 1}), Z({2})); }, {"bce_loss", "(2, 1)", "(2)"}},
      {"bce eps", [] { bce_loss(Z({2}), Z({2}), Reduction::Mean, 0.6f); },
       {"bce_loss", "eps", "0.6"}},
      {"bce NaN eps", [] { bce_loss(Z({2}), Z({2}), Reduction::Mean, kNaN); }, {"bce_loss", "nan"}},
      {"bce_with_logits shapes", [] { bce_with_logits_loss(Z({3}), Z({4})); },
       {"bce_with_logits_loss", "(3)", "(4)"}},
      {"cross_entropy rank", [] { cross_entropy_loss(Z({3}), Z({3})); },
       {"cross_entropy_loss", "(3)"}},
      {"cross_entropy targets", [] { cross_entropy_loss(Z({2, 4}), Z({3})); },
       {"cross_entropy_loss", "(2, 4)", "(3)"}},
      {"cross_entropy fraction", [] { cross_entropy_loss(Z({2, 4}), from_vector({1, 1.5f})); },
       {"cross_entropy_loss", "target_classes[1] = 1.5"}},
      {"cross_entropy NaN target", [] { cross_entropy_loss(Z({2, 4}), from_vector({kNaN, 0})); },
       {"cross_entropy_loss", "target_classes[0] = nan"}},
      {"cross_entropy class C", [] { cross_entropy_loss(Z({2, 4}), from_vector({0, 4})); },
       {"cross_entropy_loss", "[0, 4)"}},
      {"cross_entropy weights",
       [] { cross_entropy_loss(Z({2, 4}), Z({2}), Reduction::Mean, Z({3})); },
       {"cross_entropy_loss", "class_weights", "(3)"}},
      {"soft_cross_entropy shapes", [] { soft_cross_entropy_loss(Z({2, 4}), Z({2, 3})); },
       {"soft_cross_entropy_loss", "(2, 4)", "(2, 3)"}},
      {"focal gamma", [] { focal_loss(Z({2}), Z({2}), -1.f); }, {"focal_loss", "gamma", "-1"}},
      {"focal NaN gamma", [] { focal_loss(Z({2}), Z({2}), kNaN); }, {"focal_loss", "nan"}},
      {"focal alpha", [] { focal_loss(Z({2}), Z({2}), 2.f, 1.5f); },
       {"focal_loss", "alpha", "1.5"}},
      {"focal_with_logits shapes", [] { focal_loss_with_logits(Z({2}), Z({2, 1})); },
       {"focal_loss_with_logits", "(2)", "(2, 1)"}},
      {"huber delta", [] { huber_loss(Z({2}), Z({2}), 0.f); }, {"huber_loss", "delta", "0"}},
      {"huber NaN delta", [] { huber_loss(Z({2}), Z({2}), kNaN); }, {"huber_loss", "nan"}},
      {"smooth_l1 beta", [] { smooth_l1_loss(Z({2}), Z({2}), -1.f); }, {"smooth_l1_loss", "beta"}},
      {"yolo pred", [o] { yolo_v1_loss(Z({1, 2, 2, 7}), Z({1, 2, 2, 8}), o); },
       {"yolo_v1_loss", "(1, 2, 2, 7)", "S=2"}},
      {"yolo target", [o] { yolo_v1_loss(Z({1, 2, 2, 8}), Z({1, 2, 2, 7}), o); },
       {"yolo_v1_loss", "(1, 2, 2, 7)", "(1, 2, 2, 8)"}},
      {"yolo empty batch", [o] { yolo_v1_loss(Z({0, 2, 2, 8}), Z({0, 2, 2, 8}), o); },
       {"yolo_v1_loss", "(0, 2, 2, 8)", "N >= 1"}},
      {"yolo options", [] { YoloV1Options bad; bad.S = 0; YoloV1Loss l(bad); },
       {"YoloV1Options", "S=0"}},
      {"yolo NaN lambda", [] { YoloV1Options bad; bad.lambda_coord = kNaN; bad.validate(); },
       {"YoloV1Options", "lambda_coord=nan"}},
      {"encode_targets NaN centre",
       [] { encode_targets({{Box{0, kNaN, 0.5f, 0.1f, 0.1f}}}, 2, 3); },
       {"encode_targets", "image 0, box 0", "nan"}},
      {"encode_targets NaN size", [] { encode_targets({{Box{0, 0.5f, 0.5f, kNaN, 0.1f}}}, 2, 3); },
       {"encode_targets", "image 0, box 0", "nan"}},
      {"encode_targets class", [] { encode_targets({{}, {Box{3, 0.5f, 0.5f, 0.1f, 0.1f}}}, 2, 3); },
       {"encode_targets", "image 1, box 0", "class 3"}},
      {"decode pred", [o] { decode(Z({1, 3, 3, 8}), o); }, {"decode", "(1, 3, 3, 8)"}},
  });
  // clang-format on
}

TEST_CASE("optimizer errors name the optimizer and the bad value", "[errors]") {
  Tensor w = ones({2}).requires_grad_();
  // clang-format off
  run_error_table({
      {"SGD lr", [w] { SGD({w}, -1.f); }, {"SGD", "lr", "-1"}},
      {"SGD NaN lr", [w] { SGD({w}, kNaN); }, {"SGD", "lr", "nan"}},
      {"Adam infinite lr", [w] { Adam({w}, std::numeric_limits<float>::infinity()); },
       {"Adam", "lr", "inf"}},
      {"SGD NaN momentum", [w] { SGD({w}, 0.1f, kNaN); }, {"SGD", "momentum", "nan"}},
      {"Adam beta1", [w] { Adam({w}, 0.1f, 1.f); }, {"Adam", "beta1", "1"}},
      {"Adam no parameters", [] { Adam(std::vector<Tensor>{}, 0.1f); }, {"Adam", "empty"}},
      {"set_lr NaN", [w] { SGD s({w}, 0.1f); s.set_lr(kNaN); }, {"SGD", "lr", "nan"}},
      {"load_state huge step",
       [w] { Adam a({w}, 0.1f); a.load_state({{"param.0.step", scalar(1e30f)}}); },
       {"Adam", "param.0.step", "1e+30"}},
      {"load_state infinite lr",
       [w] {
         Adam a({w}, 0.1f);
         a.load_state({{"lr", scalar(std::numeric_limits<float>::infinity())}});
       },
       {"Adam", "'lr'", "inf"}},
  });
  // clang-format on
}

TEST_CASE("device errors: a CUDA tensor in a CPU-only build says minidl was built without CUDA",
          "[errors]") {
  if (built_with_cuda()) {
    WARN("MINIDL_SKIP: this build has CUDA (tests/cuda cover its device errors)");
    return;
  }
  Tensor x = ones({2, 3});
  Dense layer(3, 2);
  // clang-format off
  run_error_table({
      {"Tensor::empty", [] { Tensor::empty({2}, Device::CUDA); }, {"built without CUDA"}},
      {"zeros", [] { zeros({2}, Device::CUDA); }, {"built without CUDA"}},
      {"scalar", [] { scalar(1.f, Device::CUDA); }, {"built without CUDA"}},
      {"arange", [] { arange(0.f, 3.f, 1.f, Device::CUDA); }, {"built without CUDA"}},
      {"rand", [] { rand({2}, default_generator(), 0.f, 1.f, Device::CUDA); },
       {"built without CUDA"}},
      {"from_vector", [] { from_vector({1.f}, Device::CUDA); }, {"built without CUDA"}},
      {"to", [x] { x.to(Device::CUDA); }, {"built without CUDA"}},
      {"Module::to", [&layer] { layer.to(Device::CUDA); }, {"built without CUDA"}},
  });
  // clang-format on
  CHECK(layer.weight().device() == Device::CPU);  // a failed move leaves the module as it was
}

TEST_CASE("device errors: mixing devices names the op (and the layer), both devices and shapes",
          "[errors]") {
  if (skip_without_gpu()) return;
  Tensor c = ones({2, 3}), g = ones({2, 3}).to(Device::CUDA);
  const std::vector<std::string> both{"cpu", "cuda", "(2, 3)"};
  auto with = [&](std::string op) {
    std::vector<std::string> e = both;
    e.push_back(op);
    return e;
  };
  // clang-format off
  run_error_table({
      {"add", [=] { add(c, g); }, with("add")},
      {"lt", [=] { lt(g, c); }, with("lt")},
      {"where", [=] { where(c, g, g); }, with("where")},
      {"matmul", [=] { matmul(c, transpose(g, 0, 1)); }, {"matmul", "cpu", "cuda"}},
      {"linear", [=] { linear(c, g); }, with("linear")},
      {"concat", [=] { concat({c, g}, 0); }, with("concat")},
      {"conv2d", [] { conv2d(ones({1, 1, 3, 3}), ones({1, 1, 2, 2}).to(Device::CUDA)); },
       {"conv2d", "cpu", "cuda"}},
      {"mse_loss", [=] { mse_loss(c, g); }, with("mse_loss")},
      {"cross_entropy_loss", [=] { cross_entropy_loss(g, zeros({2})); },
       {"cross_entropy_loss", "cpu", "cuda"}},
      {"Dense", [=] { call<Dense>(g, 3, 2); }, {"Dense(3->2)", "linear", "cpu", "cuda"}},
  });
  // clang-format on
}
