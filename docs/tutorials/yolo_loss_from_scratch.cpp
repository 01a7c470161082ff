// Tutorial 3 (docs/tutorials/3-yolo-loss-from-scratch.md): the PyTorch tutorials' three YOLO loss
// variants (pytorch_yolo_losses.h) on a (batch, S, S, 5 + C) example, variant 2 against minidl's
// fused yolo_v1_loss, and minidl::gradcheck on each variant and on a loss with a hand-written (and
// deliberately wrong) backward. Exits non-zero when a check does not come out as the page says.
#include <minidl/minidl.h>

#include <cstdio>
#include <functional>
#include <vector>

#include "pytorch_yolo_losses.h"

using namespace minidl;
using namespace minidl::tutorial;

namespace {

// A loss with its own backward: L = sum (p - t)^2, so dL/dp = 2 (p - t). `factor` is that 2;
// writing 1 instead is the classic slip.
Tensor sse_by_hand(const Tensor& p, const Tensor& t, float factor) {
  Tensor d = p.detach() - t;
  Tensor L = sum(square(d));
  return record("sse_by_hand", L, {p}, [d, factor](const Tensor& gy, const std::vector<bool>&) {
    return std::vector<Tensor>{gy * d * factor};
  });
}

}  // namespace

int main() {
  bool ok = true;
  // S = 2, C = 2, one image: objects in cells (0, 0) (class 0) and (1, 1) (class 1).
  Tensor target = from_vector({0.5f, 0.5f, 0.4f, 0.3f, 1, 1, 0,   // cell (0, 0)
                               0,    0,    0,    0,    0, 0, 0,   // cell (0, 1)
                               0,    0,    0,    0,    0, 0, 0,   // cell (1, 0)
                               0.2f, 0.8f, 0.1f, 0.6f, 1, 0, 1},  // cell (1, 1)
                              {1, 2, 2, 7});
  Tensor pred = from_vector({0.6f, 0.5f, 0.4f, 2.3f, 0.8f, 0.9f, 0.2f,  //
                             0.3f, 0.3f, 0.3f, 0.3f, 0.2f, 0.5f, 0.5f,  //
                             0.1f, 0.9f, 0.5f, 0.5f, 0.4f, 0.3f, 0.7f,  //
                             0.2f, 0.6f, 0.1f, 0.6f, 0.7f, 0.4f, 0.6f},
                            {1, 2, 2, 7});
  pred.requires_grad_();

  std::printf("variant 1, MSE on every part:        %.6f\n",
              pytorch_yolo_mse_loss(pred, target).item());
  std::printf("variant 2, the paper's sums:         %.6f\n",
              pytorch_yolo_v1_loss(pred, target).item());
  std::printf("variant 3, SmoothL1 + MSE + BCE:     %.6f\n",
              pytorch_yolo_mixed_loss(pred, target).item());

  // Variant 2 is minidl's fused YOLOv1 loss with B = 1, w and h predicted directly, target 1.
  YoloV1Options o;
  o.S = 2, o.B = 1, o.C = 2, o.sqrt_wh = false, o.rescore = false;
  YoloV1LossResult fused = yolo_v1_loss(pred, target, o);
  std::printf(
      "minidl::yolo_v1_loss (B = 1):        %.6f  (xy %.4f, wh %.4f, obj %.4f, noobj %.4f, "
      "class %.4f)\n",
      fused.total.item(), fused.xy.item(), fused.wh.item(), fused.obj.item(), fused.noobj.item(),
      fused.cls.item());
  fused.total.backward();
  Tensor fused_grad = pred.grad();
  pred.zero_grad();
  pytorch_yolo_v1_loss(pred, target).backward();
  float max_diff = max(abs(fused_grad - pred.grad())).item();
  bool same = max_diff < 1e-5f;
  std::printf("variant 2 and the fused loss have the same gradient: %s\n", same ? "yes" : "NO");
  ok = ok && same;

  // minidl::gradcheck: backward() against central differences, for any function of tensors.
  const char* names[] = {"variant 1", "variant 2", "variant 3"};
  std::vector<std::function<Tensor(const std::vector<Tensor>&)>> variants = {
      [&](const std::vector<Tensor>& in) { return pytorch_yolo_mse_loss(in[0], target); },
      [&](const std::vector<Tensor>& in) { return pytorch_yolo_v1_loss(in[0], target); },
      [&](const std::vector<Tensor>& in) { return pytorch_yolo_mixed_loss(in[0], target); }};
  // The step: central differences err by about eps^2 times the third derivative, and r(w) =
  // sqrt(w + 1e-6) bends sharply near w = 0.1, so variant 2 needs a finer step than the default
  // 1e-2 (with 1e-2 it reports a difference of 0.0057 at a w where the gradient is 0).
  GradcheckOptions fine;
  fine.eps = 1e-3;
  for (size_t v = 0; v < variants.size(); ++v) {
    GradcheckResult r = gradcheck(variants[v], {pred}, fine);
    std::printf("gradcheck %s: %s\n", names[v], r.ok ? "ok" : r.message.c_str());
    ok = ok && r.ok;
  }

  // A hand-written backward is where mistakes hide: gradcheck finds the missing factor 2.
  Tensor p = from_vector({0.5f, -1.f, 2.f}, {3}).requires_grad_();
  Tensor t = from_vector({0.f, 0.f, 1.f}, {3});
  for (float factor : {2.f, 1.f}) {
    auto f = [&](const std::vector<Tensor>& in) { return sse_by_hand(in[0], t, factor); };
    GradcheckResult r = gradcheck(f, {p});
    std::printf("gradcheck sse_by_hand with dL/dp = %g (p - t): %s\n", factor,
                r.ok ? "ok" : r.message.c_str());
    ok = ok && r.ok == (factor == 2.f);
  }

  std::printf("%s\n", ok ? "OK" : "FAILED");
  return ok ? 0 : 1;
}
