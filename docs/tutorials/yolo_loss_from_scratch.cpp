// Tutorial 3 (docs/tutorials/3-yolo-loss-from-scratch.md): the three YOLO losses of the article
// "How can a YOLO loss function be implemented from scratch in PyTorch?" (pytorch_yolo_losses.h) on
// one small (batch, S, S, 5 + C) example of ours: Example 1 (plain MSE), Example 2 (SmoothL1 boxes,
// masked MSE confidences, BCE classes; also on a batch without objects), Example 3 (cells chosen
// by IoU > 0.5, with our calculate_iou) as printed and as we correct it. Then minidl::gradcheck on
// each and on a loss with a hand-written (and deliberately wrong) backward. Exits non-zero when a
// check does not come out as the page says.
#include <minidl/minidl.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
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

// "nan" for any NaN: printf would write "-nan" for the x86 default NaN, which has its sign bit set.
std::string show(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  return std::isnan(v) ? "nan" : buf;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "yolo_loss_from_scratch: the PyTorch article's three YOLO losses in minidl on one example, "
      "and gradcheck"};
  double eps = 1e-2;
  app.add_option("--eps", eps, "gradcheck's central-difference step")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  try {
    bool ok = true;
    // Our example (the article gives none): one image, S = 2, C = 2, cells [x, y, w, h, conf, c0,
    // c1] with x, y, w, h the box's centre and size, all in image units. Objects in cells (0, 0)
    // (class 0) and (1, 1) (class 1); the two other cells are background, all zeros.
    Tensor target = from_vector({0.25f, 0.25f, 0.4f, 0.4f, 1, 1, 0,   // cell (0, 0)
                                 0,     0,     0,    0,    0, 0, 0,   // cell (0, 1)
                                 0,     0,     0,    0,    0, 0, 0,   // cell (1, 0)
                                 0.75f, 0.75f, 0.2f, 0.4f, 1, 0, 1},  // cell (1, 1)
                                {1, 2, 2, 7});
    Tensor pred = from_vector({0.35f, 0.25f, 0.4f, 0.4f, 0.8f, 0.9f, 0.2f,  //
                               0.6f,  0.2f,  0.3f, 0.2f, 0.2f, 0.5f, 0.5f,  //
                               0,     0,     0,    0,    0.4f, 0.3f, 0.6f,  //
                               0.75f, 0.55f, 1.7f, 0.4f, 0.7f, 0.4f, 0.6f},
                              {1, 2, 2, 7});
    pred.requires_grad_();
    Tensor no_object = zeros({1, 2, 2, 7});

    std::printf("Example 1, MSE on every part:               %s\n",
                show(yolo_loss_mse(pred, target).item()).c_str());
    std::printf("Example 2, SmoothL1 + masked MSE + BCE:     %s\n",
                show(yolo_loss_adv(pred, target).item()).c_str());
    const float empty_nan = yolo_loss_adv(pred, no_object).item();
    const float empty_zero = yolo_loss_adv(pred, no_object, {}, EmptyMean::zero).item();
    std::printf("Example 2, no object in the batch:          %s\n", show(empty_nan).c_str());
    std::printf("Example 2, no object, empty terms as 0:     %s\n", show(empty_zero).c_str());
    ok = ok && std::isnan(empty_nan) && !std::isnan(empty_zero);

    std::vector<float> iou =
        calculate_iou(pred.slice(-1, 0, 4).detach(), target.slice(-1, 0, 4)).to_vector();
    std::printf("IoU(pred box, target box) by cell:         ");
    for (float v : iou) std::printf(" %.4f", v);
    std::printf("\n");
    std::printf("Example 3 as printed, mask IoU > 0.5:       %s\n",
                show(yolo_loss_iou(pred, target).item()).c_str());
    // The same prediction with cell (0, 0)'s box moved to x = 0.7: no box overlaps its target.
    std::vector<float> moved = pred.detach().to_vector();
    moved[0] = 0.7f;
    const float empty_iou = yolo_loss_iou(from_vector(moved, pred.shape()), target).item();
    std::printf("Example 3 as printed, no IoU above 0.5:     %s\n", show(empty_iou).c_str());
    ok = ok && std::isnan(empty_iou);
    std::printf("Example 3 corrected (ours):                 %s\n",
                show(yolo_loss_iou_corrected(pred, target).item()).c_str());

    // minidl::gradcheck: backward() against central differences, for any function of tensors.
    GradcheckOptions options;
    options.eps = eps;
    const char* names[] = {"Example 1", "Example 2", "Example 3 as printed", "Example 3 corrected"};
    std::vector<std::function<Tensor(const std::vector<Tensor>&)>> losses = {
        [&](const std::vector<Tensor>& in) { return yolo_loss_mse(in[0], target); },
        [&](const std::vector<Tensor>& in) { return yolo_loss_adv(in[0], target); },
        [&](const std::vector<Tensor>& in) { return yolo_loss_iou(in[0], target); },
        [&](const std::vector<Tensor>& in) { return yolo_loss_iou_corrected(in[0], target); }};
    for (size_t k = 0; k < losses.size(); ++k) {
      GradcheckResult r = gradcheck(losses[k], {pred}, options);
      std::printf("gradcheck %s: %s\n", names[k], r.ok ? "ok" : r.message.c_str());
      // The corrected loss detaches its IoU target on purpose: finite differences see the target
      // move with the prediction, backward() does not, so the check must report a difference.
      ok = ok && r.ok == (k != 3);
    }

    // A hand-written backward is where mistakes hide: gradcheck finds the missing factor 2.
    Tensor p = from_vector({0.5f, -1.f, 2.f}, {3}).requires_grad_();
    Tensor t = from_vector({0.f, 0.f, 1.f}, {3});
    for (float factor : {2.f, 1.f}) {
      auto f = [&](const std::vector<Tensor>& in) { return sse_by_hand(in[0], t, factor); };
      GradcheckResult r = gradcheck(f, {p}, options);
      std::printf("gradcheck sse_by_hand with dL/dp = %g (p - t): %s\n", factor,
                  r.ok ? "ok" : r.message.c_str());
      ok = ok && r.ok == (factor == 2.f);
    }

    std::printf("%s\n", ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
  } catch (const Error& e) {
    std::fprintf(stderr, "yolo_loss_from_scratch: %s\n", e.what());
    return 2;
  }
}
