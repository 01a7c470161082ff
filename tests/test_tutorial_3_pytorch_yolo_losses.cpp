// Tests of tutorial 3's losses (docs/tutorials/pytorch_yolo_losses.h, the code the page teaches):
// the three examples of the article "How can a YOLO loss function be implemented from scratch in
// PyTorch?", our calculate_iou and our corrected Example 3, on the page's example grid (ours: the
// article gives none), against values worked out by hand (the arithmetic is in the comments), plus
// finite-difference gradient checks. docs/tutorials/pytorch_yolo_losses_check.py computes the same
// values from PyTorch's documented semantics in plain Python.
#include <cmath>

#include "docs/tutorials/pytorch_yolo_losses.h"
#include "support/op_cases.h"

using namespace minidl;
using namespace minidl::test;
using namespace minidl::tutorial;

namespace {
// S = 2, C = 2; cells [x, y, w, h, conf, c0, c1], boxes as centre and size in image units.
// Objects in cells (0, 0) (class 0) and (1, 1) (class 1). (1, 2, 2, 7)
Tensor grid_target() {
  return T({0.25f, 0.25f, 0.4f, 0.4f, 1, 1, 0,   // (0, 0)
            0,     0,     0,    0,    0, 0, 0,   // (0, 1)
            0,     0,     0,    0,    0, 0, 0,   // (1, 0)
            0.75f, 0.75f, 0.2f, 0.4f, 1, 0, 1},  // (1, 1)
           {1, 2, 2, 7});
}
Tensor grid_pred(bool grad = false) {
  return T({0.35f, 0.25f, 0.4f, 0.4f, 0.8f, 0.9f, 0.2f,  //
            0.6f,  0.2f,  0.3f, 0.2f, 0.2f, 0.5f, 0.5f,  //
            0,     0,     0,    0,    0.4f, 0.3f, 0.6f,  //
            0.75f, 0.55f, 1.7f, 0.4f, 0.7f, 0.4f, 0.6f},
           {1, 2, 2, 7}, grad);
}
// Index of element k of cell (row, col) in the flattened (1, 2, 2, 7) tensor.
size_t at(int row, int col, int k) { return static_cast<size_t>((row * 2 + col) * 7 + k); }
}  // namespace

TEST_CASE("tutorial: PyTorch YOLO loss, Example 1, plain MSE on every part", "[tutorial]") {
  // box, 16 values, d = pred - target: (0,0) [0.1, 0, 0, 0] -> 0.01; (0,1) [0.6, 0.2, 0.3, 0.2]
  //   -> 0.36 + 0.04 + 0.09 + 0.04 = 0.53; (1,0) 0; (1,1) [0, -0.2, 1.5, 0] -> 0.04 + 2.25 = 2.29;
  //   sum 2.83, mean 2.83 / 16 = 0.176875
  // conf, 4 values: (0.8-1)^2 + 0.2^2 + 0.4^2 + (0.7-1)^2 = 0.04 + 0.04 + 0.16 + 0.09 = 0.33,
  //   mean 0.0825
  // class, 8 values: (0,0) 0.01 + 0.04; (0,1) 0.25 + 0.25; (1,0) 0.09 + 0.36; (1,1) 0.16 + 0.16;
  //   sum 1.32, mean 0.165
  // total = 0.176875 + 0.0825 + 0.165 = 0.424375
  CHECK_CLOSE(yolo_loss_mse(grid_pred(), grid_target()), {0.424375f}, {});
  auto f = [](const std::vector<Tensor>& v) { return yolo_loss_mse(v[0], grid_target()); };
  CHECK_GRADS(f, {grid_pred(true)});
}

TEST_CASE("tutorial: PyTorch YOLO loss, Example 2, SmoothL1 + masked MSE + BCE", "[tutorial]") {
  // obj cells (target conf != 0): (0,0), (1,1); noobj cells (0,1), (1,0).
  // box, SmoothL1 (beta 1) over all 16 box values, 0.5 d^2 below |d| = 1, |d| - 0.5 above:
  //   (0,0) 0.5 x 0.01 = 0.005; (0,1) 0.5 x 0.53 = 0.265; (1,0) 0; (1,1) 0.5 x 0.04 + (1.5 - 0.5)
  //   = 1.02; sum 1.29, mean 0.080625; x lambda_coord 5 = 0.403125
  // obj conf, MSE over 2: (0.04 + 0.09) / 2 = 0.065 (x lambda_obj 1)
  // noobj conf, MSE over 2: (0.04 + 0.16) / 2 = 0.1; x lambda_noobj 0.5 = 0.05
  // class, BCE over the 4 class values of obj cells:
  //   (0,0) t [1, 0], p [0.9, 0.2]: -ln 0.9 - ln 0.8 = 0.1053605157 + 0.2231435513
  //   (1,1) t [0, 1], p [0.4, 0.6]: -ln 0.6 - ln 0.6 = 2 x 0.5108256238
  //   sum 1.3501553145, mean 0.3375388286 (x lambda_class 1)
  // total = 0.403125 + 0.065 + 0.05 + 0.3375388286 = 0.8556638286
  CHECK_CLOSE(yolo_loss_adv(grid_pred(), grid_target()), {0.8556638286f}, {});
  // The box term covers every cell: cell (0,1), background, has its box pulled to the zero box:
  // d/dx = 5 x d / 16 = 5 x 0.6 / 16 = 0.1875. Cell (1,1)'s w error of 1.5 lies on SmoothL1's
  // linear part: 5 x 1 / 16 = 0.3125.
  Tensor pred = grid_pred(true);
  yolo_loss_adv(pred, grid_target()).backward();
  auto g = pred.grad().to_vector();
  CHECK(g[at(0, 1, 0)] == Approx(0.1875).margin(1e-6));
  CHECK(g[at(1, 1, 2)] == Approx(0.3125).margin(1e-6));
  auto f = [](const std::vector<Tensor>& v) { return yolo_loss_adv(v[0], grid_target()); };
  CHECK_GRADS(f, {grid_pred(true)});
}

TEST_CASE("tutorial: PyTorch YOLO loss, Example 2 on a batch without objects", "[tutorial]") {
  // No cell has target conf != 0: the obj confidence and class terms are means over nothing, nan
  // as in PyTorch, and nan spreads to the total.
  CHECK(std::isnan(yolo_loss_adv(grid_pred(), zeros({1, 2, 2, 7})).item()));
  // In minidl the 0 / 0 also puts nan into the gradient of every confidence and class entry; the
  // box entries, from the unmasked box term, stay finite.
  Tensor pred = grid_pred(true);
  yolo_loss_adv(pred, zeros({1, 2, 2, 7})).backward();
  auto g = pred.grad().to_vector();
  for (int cell = 0; cell < 4; ++cell)
    for (int k = 0; k < 7; ++k) CHECK(std::isnan(g[cell * 7 + k]) == (k >= 4));
  // With our guard those terms are 0, leaving
  // box: SmoothL1 of every box value against 0: (0,0) 0.5 (0.1225 + 0.0625 + 0.16 + 0.16) = 0.2525;
  //   (0,1) 0.265; (1,0) 0; (1,1) 0.5 (0.5625 + 0.3025 + 0.16) + (1.7 - 0.5) = 1.7125;
  //   sum 2.23, mean 0.139375, x 5 = 0.696875
  // noobj: (0.8^2 + 0.2^2 + 0.4^2 + 0.7^2) / 4 = (0.64 + 0.04 + 0.16 + 0.49) / 4 = 0.3325; x 0.5
  //   = 0.16625
  // total = 0.696875 + 0.16625 = 0.863125
  CHECK_CLOSE(yolo_loss_adv(grid_pred(), zeros({1, 2, 2, 7}), {}, EmptyMean::zero), {0.863125f},
              {});
}

TEST_CASE("tutorial: calculate_iou, boxes as centre and size", "[tutorial]") {
  // (0,0): pred x in [0.15, 0.55], target [0.05, 0.45]: overlap 0.3; y both [0.05, 0.45]: 0.4;
  //   inter 0.12, union 0.16 + 0.16 - 0.12 = 0.2, IoU 0.6
  // (0,1): the target box has zero size: inter 0, union 0.06: IoU 0
  // (1,0): both boxes have zero size: union 0, IoU 0 by our guard
  // (1,1): pred x [-0.1, 1.6], target [0.65, 0.85]: 0.2; y [0.35, 0.75] and [0.55, 0.95]: 0.2;
  //   inter 0.04, union 0.68 + 0.08 - 0.04 = 0.72, IoU 1/18 = 0.0555556
  Tensor iou = calculate_iou(grid_pred().slice(-1, 0, 4), grid_target().slice(-1, 0, 4));
  CHECK_CLOSE(iou, {0.6f, 0, 0, 1.f / 18.f}, {1, 2, 2});
  // a box with itself: 1; two boxes side by side, touching: 0
  CHECK_CLOSE(calculate_iou(T({0.5f, 0.5f, 0.2f, 0.4f}, {4}), T({0.5f, 0.5f, 0.2f, 0.4f}, {4})),
              {1.f}, {});
  CHECK_CLOSE(calculate_iou(T({0.2f, 0.5f, 0.2f, 0.2f}, {4}), T({0.4f, 0.5f, 0.2f, 0.2f}, {4})),
              {0.f}, {});
}

TEST_CASE("tutorial: PyTorch YOLO loss, Example 3 as printed (mask IoU > 0.5)", "[tutorial]") {
  // IoUs 0.6, 0, 0, 0.0556: the mask selects (0,0) only; (1,1) holds an object but counts as
  // background.
  // box, SmoothL1 over (0,0)'s 4 values: 0.005 / 4 = 0.00125; x 5 = 0.00625
  // conf, masked cells against the mask value 1: (0.8 - 1)^2 = 0.04 (x 1)
  // conf, the 3 other cells against 0: (0.2^2 + 0.4^2 + 0.7^2) / 3 = 0.69 / 3 = 0.23; x 0.5 = 0.115
  // class, BCE over (0,0)'s 2 values: (0.1053605157 + 0.2231435513) / 2 = 0.1642520335
  // total = 0.00625 + 0.04 + 0.115 + 0.1642520335 = 0.3255020335
  CHECK_CLOSE(yolo_loss_iou(grid_pred(), grid_target()), {0.3255020335f}, {});
  // The object in (1,1) gets no box or class gradient, and its confidence is pushed to 0:
  // d/dconf of 0.5 x (c^2 summed over 3 cells) / 3 = 0.5 x 2 x 0.7 / 3 = 0.2333333.
  Tensor pred = grid_pred(true);
  yolo_loss_iou(pred, grid_target()).backward();
  auto g = pred.grad().to_vector();
  for (int k : {0, 1, 2, 3, 5, 6}) CHECK(g[at(1, 1, k)] == 0.f);
  CHECK(g[at(1, 1, 4)] == Approx(0.7 / 3).margin(1e-6));
  auto f = [](const std::vector<Tensor>& v) { return yolo_loss_iou(v[0], grid_target()); };
  CHECK_GRADS(f, {grid_pred(true)});

  // When no predicted box overlaps its target by more than 0.5 (early in training), the box, obj
  // and class terms are means over nothing: nan, as in PyTorch. Here (0,0)'s box moves to x = 0.7
  // (x in [0.5, 0.9], the target's [0.05, 0.45]): IoU 0. With our guard only the 4 confidences
  // against 0 remain: 0.5 x (0.64 + 0.04 + 0.16 + 0.49) / 4 = 0.16625.
  Tensor far = T({0.7f,  0.25f, 0.4f, 0.4f, 0.8f, 0.9f, 0.2f,  //
                  0.6f,  0.2f,  0.3f, 0.2f, 0.2f, 0.5f, 0.5f,  //
                  0,     0,     0,    0,    0.4f, 0.3f, 0.6f,  //
                  0.75f, 0.55f, 1.7f, 0.4f, 0.7f, 0.4f, 0.6f},
                 {1, 2, 2, 7});
  CHECK(std::isnan(yolo_loss_iou(far, grid_target()).item()));
  CHECK_CLOSE(yolo_loss_iou(far, grid_target(), {}, EmptyMean::zero), {0.16625f}, {});
}

TEST_CASE("tutorial: PyTorch YOLO loss, Example 3 corrected (ours)", "[tutorial]") {
  // obj cells from the target: (0,0), (1,1).
  // box, SmoothL1 over their 8 values: (0.005 + 1.02) / 8 = 0.128125; x 5 = 0.640625
  // conf against the IoU: (0.8 - 0.6)^2 = 0.04, (0.7 - 1/18)^2 = 0.6444444^2 = 0.4153086420;
  //   mean 0.2276543210 (x 1)
  // noobj conf against 0: (0.04 + 0.16) / 2 = 0.1; x 0.5 = 0.05
  // class: as Example 2, 0.3375388286
  // total = 0.640625 + 0.2276543210 + 0.05 + 0.3375388286 = 1.2558181496
  CHECK_CLOSE(yolo_loss_iou_corrected(grid_pred(), grid_target()), {1.2558181496f}, {});
  // The IoU target is detached: the gradient of (1,1)'s confidence is 2 (0.7 - 1/18) / 2 =
  // 0.6444444, and its w (error 1.5, SmoothL1's linear part) gets 5 x 1 / 8 = 0.625, from the box
  // term alone.
  Tensor pred = grid_pred(true);
  yolo_loss_iou_corrected(pred, grid_target()).backward();
  auto g = pred.grad().to_vector();
  CHECK(g[at(1, 1, 4)] == Approx(0.7 - 1.0 / 18).margin(1e-6));
  CHECK(g[at(1, 1, 2)] == Approx(0.625).margin(1e-6));
}

TEST_CASE("tutorial: PyTorch's BCE clamps its logs at -100", "[tutorial]") {
  // p = 0 against t = 1: -log 0 clamped: 100; p = 1 against t = 0: the same; p = 0.5: ln 2.
  CHECK_CLOSE(torch_bce_elements(T({0.f, 1.f, 0.5f}, {3}), T({1.f, 0.f, 1.f}, {3})),
              {100.f, 100.f, 0.6931471806f}, {3});
  // and the gradient stays finite at the clamp (0 there, not 0 / 0)
  Tensor p = T({0.f, 1.f}, {2}, true);
  sum(torch_bce_elements(p, T({1.f, 0.f}, {2}))).backward();
  CHECK_CLOSE(p.grad(), {0.f, 0.f}, {2});
}
