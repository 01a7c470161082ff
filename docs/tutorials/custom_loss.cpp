// Tutorial 2 (docs/tutorials/2-custom-loss.md): the Keras SimpleYoloLoss rebuilt from minidl's ops
// (keras_simple_yolo_loss.h), on the tutorial's own example: prints the value Keras prints, the
// gradient autograd gives, a finite-difference check of it, and the loss falling when y_pred is
// trained. Exits non-zero when the gradient check fails or the loss does not fall.
#include <minidl/minidl.h>

#include <cmath>
#include <cstdio>

#include "keras_simple_yolo_loss.h"

using namespace minidl;
using namespace minidl::tutorial;

int main() {
  // The tutorial's example: one sample, two rows [x, y, w, h, objectness, class_0, class_1].
  Tensor y_true = from_vector({0.5f, 0.5f, 0.2f, 0.2f, 1, 1, 0,  //
                               0, 0, 0, 0, 0, 0, 1},
                              {1, 2, 7});
  Tensor y_pred = from_vector({0.45f, 0.55f, 0.25f, 0.18f, 0.9f, 0.8f, 0.2f,  //
                               0.1f, 0.1f, 0.1f, 0.1f, 0.3f, 0.4f, 0.6f},
                              {1, 2, 7});
  y_pred.requires_grad_();

  SimpleYoloLossTerms L = keras_simple_yolo_loss(y_true, y_pred);
  std::printf("box %.6f  obj %.6f  noobj %.6f  class %.6f\n", L.box.item(), L.obj.item(),
              L.noobj.item(), L.cls.item());
  std::printf("loss = %.6f\n", L.total.item());

  // Autograd differentiates the composed ops: no backward code was written for this loss.
  L.total.backward();
  std::vector<float> g = y_pred.grad().to_vector();
  for (int row = 0; row < 2; ++row) {
    std::printf("dloss/dy_pred row %d:", row);
    for (int k = 0; k < 7; ++k) std::printf(" %7.4f", g[row * 7 + k] + 0.f);  // + 0.f: no "-0"
    std::printf("\n");
  }

  // The same gradient by central differences.
  auto f = [&](const std::vector<Tensor>& in) {
    return keras_simple_yolo_loss(y_true, in[0]).total;
  };
  GradcheckResult check = gradcheck(f, {y_pred});
  std::printf("gradcheck: %s\n", check.ok ? "ok" : check.message.c_str());

  // The loss trains: fit the predictions themselves (through a sigmoid, so they stay
  // probabilities) to y_true with Adam. z starts where sigmoid(z) is the example's y_pred.
  Tensor p0 = clamp(y_pred.detach(), 0.01f, 0.99f);
  Tensor z = log(p0 / (1.f - p0)).requires_grad_();
  Adam opt({z}, 0.1f);
  float first = 0.f, last = 0.f;
  for (int step = 0; step < 200; ++step) {
    Tensor loss = keras_simple_yolo_loss(y_true, sigmoid(z)).total;
    opt.zero_grad();
    loss.backward();
    opt.step();
    if (step == 0) first = loss.item();
    last = loss.item();
  }
  std::printf("fitting y_pred with Adam: loss %.4f at step 0, %.4f at step 199\n", first, last);

  bool ok = check.ok && last < 0.1f * first;
  std::printf("%s\n", ok ? "OK" : "FAILED");
  return ok ? 0 : 1;
}
