// Tests of the tutorials' custom losses (the headers in docs/tutorials/, the code the tutorials
// teach), each on the tutorial's own example or on small clear inputs, against values worked out
// by hand (the arithmetic is in the comments), plus finite-difference gradient checks.
#include <cmath>

#include "docs/tutorials/humble_yolo_loss.h"
#include "docs/tutorials/imbalanced_losses.h"
#include "docs/tutorials/keras_simple_yolo_loss.h"
#include "docs/tutorials/pytorch_yolo_losses.h"
#include "support/op_cases.h"

using namespace minidl;
using namespace minidl::test;
using namespace minidl::tutorial;

// ---- Keras SimpleYoloLoss -----------------------------------------------------------------------

namespace {
// The article's example: one row with an object of class 0, one background row. (1, 2, 7)
Tensor simple_yolo_true() {
  return T({0.5f, 0.5f, 0.2f, 0.2f, 1, 1, 0,  //
            0, 0, 0, 0, 0, 0, 1},
           {1, 2, 7});
}
Tensor simple_yolo_pred(bool grad = false) {
  return T({0.45f, 0.55f, 0.25f, 0.18f, 0.9f, 0.8f, 0.2f,  //
            0.1f, 0.1f, 0.1f, 0.1f, 0.3f, 0.4f, 0.6f},
           {1, 2, 7}, grad);
}
}  // namespace

TEST_CASE("tutorial: Keras SimpleYoloLoss on the article's example", "[tutorial]") {
  // row 0 (obj = 1):
  //   box:   (0.5-0.45)^2 + (0.5-0.55)^2 + (0.2-0.25)^2 + (0.2-0.18)^2
  //          = 0.0025 + 0.0025 + 0.0025 + 0.0004 = 0.0079;  x lambda_box 5 = 0.0395
  //   obj:   BCE(1, 0.9) = -ln 0.9 = 0.1053605157
  //   class: CCE([1, 0], [0.8, 0.2] / 1.0) = -ln 0.8 = 0.2231435513
  // row 1 (obj = 0, only the no-object term):
  //   noobj: lambda_noobj 0.5 x BCE(0, 0.3) = 0.5 x -ln 0.7 = 0.5 x 0.3566749439 = 0.1783374720
  // total = 0.0395 + 0.1053605157 + 0.1783374720 + 0.2231435513 = 0.5463415390 (batch of 1)
  SimpleYoloLossTerms L = keras_simple_yolo_loss(simple_yolo_true(), simple_yolo_pred());
  CHECK_CLOSE(L.box, {0.0395f}, {});
  CHECK_CLOSE(L.obj, {0.1053605157f}, {});
  CHECK_CLOSE(L.noobj, {0.1783374720f}, {});
  CHECK_CLOSE(L.cls, {0.2231435513f}, {});
  CHECK_CLOSE(L.total, {0.5463415390f}, {});
}

TEST_CASE("tutorial: Keras SimpleYoloLoss averages over the batch", "[tutorial]") {
  // sample 2 predicts its target exactly; Keras' clip at 1e-7 leaves only ~1e-7 per term:
  // obj -ln(1 - 2^-23) + noobj 0.5 x -ln(1 - 2^-23) + class -ln(1 - 2^-23) ~ 2.5 x 1.19e-7 ~ 3e-7.
  // mean over the batch = (0.5463415390 + 3e-7) / 2 = 0.2731709 (to 1e-6)
  Tensor y_true = concat({simple_yolo_true(), simple_yolo_true()}, 0);  // (2, 2, 7)
  Tensor y_pred = concat({simple_yolo_pred(), simple_yolo_true()}, 0);
  CHECK_CLOSE(keras_simple_yolo_loss(y_true, y_pred).total, {0.2731709f}, {}, 2e-6, 0);
}

TEST_CASE("tutorial: Keras categorical cross-entropy normalises the probabilities", "[tutorial]") {
  // [0.6, 0.2] sums to 0.8: normalised [0.75, 0.25]; target [1, 0]: -ln 0.75 = 0.2876820725.
  // Clipping: p = [1, 0] against target [0, 1] costs -ln(1e-7) = 16.1180956510.
  CHECK_CLOSE(keras_categorical_crossentropy(T({1, 0}, {1, 2}), T({0.6f, 0.2f}, {1, 2})),
              {0.2876820725f}, {1});
  CHECK_CLOSE(keras_categorical_crossentropy(T({0, 1}, {2}), T({1, 0}, {2})), {16.1180956510f}, {},
              1e-4, 1e-5);
}

TEST_CASE("tutorial: Keras SimpleYoloLoss gradients", "[tutorial]") {
  // by hand for row 0 (obj 1), batch of 1: d/dx_pred of 5 (x_t - x_p)^2 = -10 (0.5 - 0.45) = -0.5;
  // d/dconf of -ln(conf) = -1/0.9 = -1.1111111; row 1: d/dconf of 0.5 x -ln(1 - conf) =
  // 0.5 / 0.7 = 0.7142857; row 1's box and class get no gradient (masked by obj = 0).
  Tensor pred = simple_yolo_pred(true);
  keras_simple_yolo_loss(simple_yolo_true(), pred).total.backward();
  auto g = pred.grad().to_vector();
  CHECK(g[0] == Approx(-0.5).margin(1e-5));
  CHECK(g[4] == Approx(-1.0 / 0.9).margin(1e-5));
  CHECK(g[7 + 4] == Approx(0.5 / 0.7).margin(1e-5));
  for (int k : {7, 8, 9, 10, 12, 13}) CHECK(g[k] == 0.f);

  Tensor y_true = T({0.3f, 0.6f, 0.1f, 0.4f, 1, 0, 1, 0,  //
                     0,    0,    0,    0,    0, 0, 0, 0,  //
                     0.7f, 0.2f, 0.5f, 0.3f, 1, 1, 0, 0},
                    {1, 3, 8});
  auto f = [y_true](const std::vector<Tensor>& v) {
    return keras_simple_yolo_loss(y_true, v[0]).total;
  };
  CHECK_GRADS(f, {R({1, 3, 8}, 7, true, 0.2f, 0.8f)});
}

// ---- PyTorch YOLO-style losses on (B, S, S, 5 + C) ----------------------------------------------

namespace {
// S = 2, C = 2: objects in cells (0, 0) (class 0) and (1, 1) (class 1). (1, 2, 2, 7)
Tensor grid_target() {
  return T({0.5f, 0.5f, 0.4f, 0.3f, 1, 1, 0,   // (0, 0)
            0,    0,    0,    0,    0, 0, 0,   // (0, 1)
            0,    0,    0,    0,    0, 0, 0,   // (1, 0)
            0.2f, 0.8f, 0.1f, 0.6f, 1, 0, 1},  // (1, 1)
           {1, 2, 2, 7});
}
Tensor grid_pred(bool grad = false) {
  return T({0.6f, 0.5f, 0.4f, 2.3f, 0.8f, 0.9f, 0.2f,  //
            0.3f, 0.3f, 0.3f, 0.3f, 0.2f, 0.5f, 0.5f,  //
            0.1f, 0.9f, 0.5f, 0.5f, 0.4f, 0.3f, 0.7f,  //
            0.2f, 0.6f, 0.1f, 0.6f, 0.7f, 0.4f, 0.6f},
           {1, 2, 2, 7}, grad);
}
}  // namespace

TEST_CASE("tutorial: PyTorch YOLO loss, plain MSE on every part", "[tutorial]") {
  // box, 16 values: cell (0,0) d = [0.1, 0, 0, 2.0] -> 0.01 + 4 = 4.01; cell (0,1) [0.3]*4 -> 0.36;
  //   cell (1,0) [0.1, 0.9, 0.5, 0.5] -> 0.01 + 0.81 + 0.25 + 0.25 = 1.32; cell (1,1) d_y = -0.2
  //   -> 0.04; sum 5.73, mean 5.73 / 16 = 0.358125
  // conf, 4 values: (0.8-1)^2 + 0.2^2 + 0.4^2 + (0.7-1)^2 = 0.04 + 0.04 + 0.16 + 0.09 = 0.33,
  //   mean 0.0825
  // class, 8 values: 0.01 + 0.04 + 0.25 + 0.25 + 0.09 + 0.49 + 0.16 + 0.16 = 1.45, mean 0.18125
  // total = 0.358125 + 0.0825 + 0.18125 = 0.621875
  CHECK_CLOSE(pytorch_yolo_mse_loss(grid_pred(), grid_target()), {0.621875f}, {});
  auto f = [](const std::vector<Tensor>& v) { return pytorch_yolo_mse_loss(v[0], grid_target()); };
  CHECK_GRADS(f, {grid_pred(true)});
}

TEST_CASE("tutorial: PyTorch YOLO loss, SmoothL1 boxes + masked MSE + BCE classes", "[tutorial]") {
  // obj cells (0,0), (1,1); noobj cells (0,1), (1,0).
  // box, SmoothL1 (beta 1) over the 8 box values of obj cells:
  //   (0,0): d = [0.1, 0, 0, 2.0] -> 0.5 x 0.01 + 0 + 0 + (2.0 - 0.5) = 1.505
  //   (1,1): d = [0, -0.2, 0, 0]  -> 0.5 x 0.04 = 0.02;   mean (1.505 + 0.02) / 8 = 0.190625
  // obj conf, MSE over 2: ((0.8-1)^2 + (0.7-1)^2) / 2 = (0.04 + 0.09) / 2 = 0.065
  // noobj conf, MSE over 2: (0.2^2 + 0.4^2) / 2 = (0.04 + 0.16) / 2 = 0.1
  // class, BCE over the 4 class values of obj cells:
  //   (0,0) t [1, 0], p [0.9, 0.2]: -ln 0.9 + -ln 0.8 = 0.1053605157 + 0.2231435513
  //   (1,1) t [0, 1], p [0.4, 0.6]: -ln 0.6 + -ln 0.6 = 2 x 0.5108256238
  //   sum 1.3501553145, mean 0.3375388286
  // total = 5 x 0.190625 + 0.065 + 0.5 x 0.1 + 0.3375388286
  //       = 0.953125 + 0.065 + 0.05 + 0.3375388286 = 1.4056638286
  CHECK_CLOSE(pytorch_yolo_mixed_loss(grid_pred(), grid_target()), {1.4056638286f}, {});
  // the cell (0,0) h error of 2.0 sits on SmoothL1's linear part: gradient 5 x 1 / 8 = 0.625
  Tensor pred = grid_pred(true);
  pytorch_yolo_mixed_loss(pred, grid_target()).backward();
  CHECK(pred.grad().to_vector()[3] == Approx(0.625).margin(1e-6));
  auto f = [](const std::vector<Tensor>& v) {
    return pytorch_yolo_mixed_loss(v[0], grid_target());
  };
  CHECK_GRADS(f, {grid_pred(true)});
}

TEST_CASE("tutorial: PyTorch mixed YOLO loss with no object anywhere", "[tutorial]") {
  // every obj-masked term is empty (0 here; PyTorch's mean of nothing would be NaN), leaving
  // lambda_noobj x the MSE of all 4 confidences against 0:
  // (0.8^2 + 0.2^2 + 0.4^2 + 0.7^2) / 4 = (0.64 + 0.04 + 0.16 + 0.49) / 4 = 0.3325; x 0.5 = 0.16625
  CHECK_CLOSE(pytorch_yolo_mixed_loss(grid_pred(), zeros({1, 2, 2, 7})), {0.16625f}, {});
}

TEST_CASE("tutorial: PyTorch YOLO loss, the paper's sums for one box per cell", "[tutorial]") {
  // r(v) = sqrt(max(v, 0) + 1e-6); obj cells (0,0), (1,1); noobj cells (0,1), (1,0).
  // coord: (0,0) xy 0.1^2 = 0.01; wh (r(0.4) - r(0.4))^2 + (r(2.3) - r(0.3))^2
  //          = (1.5165754185 - 0.5477234704)^2 = 0.9386740974
  //        (1,1) xy 0.2^2 = 0.04; wh 0 (prediction = target)
  //        5 x (0.01 + 0.9386740974 + 0.04) = 4.9433704869
  // conf:  obj (0.8 - 1)^2 + (0.7 - 1)^2 = 0.13; noobj 0.5 x (0.2^2 + 0.4^2) = 0.1
  // class: (0,0) 0.1^2 + 0.2^2 = 0.05; (1,1) 0.4^2 + 0.4^2 = 0.32
  // total (batch of 1) = 4.9433704869 + 0.13 + 0.1 + 0.37 = 5.5433704869
  CHECK_CLOSE(pytorch_yolo_v1_loss(grid_pred(), grid_target()), {5.5433704869f}, {});
  // d/dh at cell (0,0): 5 x 2 (r(2.3) - r(0.3)) / (2 r(2.3)) = 5 x 0.9688519481 / 1.5165754185
  //                   = 3.1942095866
  Tensor pred = grid_pred(true);
  pytorch_yolo_v1_loss(pred, grid_target()).backward();
  CHECK(pred.grad().to_vector()[3] == Approx(3.1942095866).epsilon(1e-5));
  // It is the fused loss with one box per cell, w and h predicted directly, and target 1.
  YoloV1Options o;
  o.S = 2, o.B = 1, o.C = 2, o.sqrt_wh = false, o.rescore = false;
  Tensor fused_pred = grid_pred(true);
  YoloV1LossResult fused = yolo_v1_loss(fused_pred, grid_target(), o);
  fused.total.backward();
  CHECK(fused.total.item() == Approx(5.5433704869).epsilon(1e-5));
  CHECK_CLOSE(fused_pred.grad(), pred.grad(), 1e-5, 1e-4);
  // eps 1e-3: sqrt bends sharply near w = 0.1, too sharply for central differences with 1e-2
  auto f = [](const std::vector<Tensor>& v) { return pytorch_yolo_v1_loss(v[0], grid_target()); };
  GradcheckOptions fine;
  fine.eps = 1e-3;
  CHECK_GRADS(f, {grid_pred(true)}, fine);
}

// ---- Keras "humble YOLO" ------------------------------------------------------------------------

namespace {
// 2 x 2 grid, 1 box, rows [c0 c1 c2, x y w h conf]; one object in cell k = 1 (column 1, row 0)
// at (1.5, 0.5) in grid units, size (0.25, 0.25), class 0. (1, 4, 8)
Tensor humble_true() {
  return T({0, 0, 0, 0,    0,    0,     0,     0,  //
            1, 0, 0, 1.5f, 0.5f, 0.25f, 0.25f, 1,  //
            0, 0, 0, 0,    0,    0,     0,     0,  //
            0, 0, 0, 0,    0,    0,     0,     0},
           {1, 4, 8});
}
// the network's sigmoid outputs: x, y inside the cell
Tensor humble_pred(bool grad = false) {
  return T({0.1f, 0.2f, 0.5f, 0.5f,  0.5f, 0.36f, 0.16f, 0.3f,  //
            0.7f, 0.1f, 0.5f, 0.25f, 0.5f, 0.36f, 0.16f, 0.6f,  //
            0.0f, 0.3f, 0.5f, 0.2f,  0.7f, 0.5f,  0.5f,  0.1f,  //
            0.2f, 0.2f, 0.5f, 0.9f,  0.1f, 0.2f,  0.3f,  0.2f},
           {1, 4, 8}, grad);
}
}  // namespace

TEST_CASE("tutorial: humble YOLO loss on a 2 x 2 grid", "[tutorial]") {
  // cell 1 (the object; its offset is (1, 0), so the predicted centre is
  // (0.25 + 1, 0.5 + 0) = (1.25, 0.5)):
  //   class (slots 0:2): (1 - 0.7)^2 + (0 - 0.1)^2 = 0.09 + 0.01 = 0.1
  //   xy: (1.5 - 1.25)^2 + (0.5 - 0.5)^2 = 0.0625
  //   wh: (sqrt 0.25 - sqrt 0.36)^2 + (sqrt 0.25 - sqrt 0.16)^2 = (0.5-0.6)^2 + (0.5-0.4)^2 = 0.02
  //   IoU: intersect w = max(0, (0.36 + 0.25)/2 - |1.25 - 1.5|) = 0.305 - 0.25 = 0.055
  //        intersect h = max(0, (0.16 + 0.25)/2 - |0.5 - 0.5|) = 0.205
  //        intersection 0.055 x 0.205 = 0.011275; union 0.36 x 0.16 + 0.25 x 0.25 - 0.011275
  //        = 0.0576 + 0.0625 - 0.011275 = 0.108825; IoU = 0.011275 / 0.108825 = 0.1036067080
  //   conf: (1 x 0.1036067080 - 0.6)^2 = (-0.4963932920)^2 = 0.2464063003
  //   d[1] = 0.1 + 0.0625 + 0.02 + 0.2464063003 = 0.4289063003
  // empty cells (conf target 0: only the class term counts, slot 2 unused):
  //   d[0] = 0.1^2 + 0.2^2 = 0.05; d[2] = 0 + 0.3^2 = 0.09; d[3] = 0.2^2 + 0.2^2 = 0.08
  // Keras' scalar: mean(d) = (0.05 + 0.4289063003 + 0.09 + 0.08) / 4 = 0.1622265751
  Tensor d = humble_yolo_loss(humble_true(), humble_pred());
  CHECK_CLOSE(d, {0.05f, 0.4289063003f, 0.09f, 0.08f}, {1, 4});
  CHECK_CLOSE(mean(d), {0.1622265751f}, {});
}

TEST_CASE("tutorial: humble YOLO loss gradients, through the IoU as Keras takes them",
          "[tutorial]") {
  // by hand, L = mean(d) = sum(d) / 4; only cell 1 (flat index 8 + column) has an object.
  // Its d = class + (x_t - x_p)^2 + (y_t - y_p)^2 + (sqrt w_t - sqrt w_p)^2
  //         + (sqrt h_t - sqrt h_p)^2 + (IoU - conf)^2, with (from the test above)
  //   iw = (w_p + w_t)/2 - |x_p - x_t| = 0.055, ih = (h_p + h_t)/2 - |y_p - y_t| = 0.205 (both > 0:
  //   the maximum passes them through), I = iw ih = 0.011275, A = w_p h_p + w_t h_t = 0.1201,
  //   U = A - I = 0.108825, IoU = I / U = 0.1036067080.
  // IoU = I / (A - I): dIoU/dI = A / U^2, dIoU/dA = -I / U^2; U^2 = 0.011842880625, so
  //   A / U^2 = 0.1201 / 0.011842880625 = 10.1411137884, I / U^2 = 0.9520487757.
  // dI/dx_p = ih x d(iw)/dx_p = ih x 1 (x_p < x_t, so -|x_p - x_t| grows with x_p); dA/dx_p = 0
  //   dIoU/dx = 10.1411137884 x 0.205 = 2.0789283266
  // dI/dw_p = ih / 2 = 0.1025, dA/dw_p = h_p = 0.16
  //   dIoU/dw = 10.1411137884 x 0.1025 - 0.9520487757 x 0.16 = 1.0394641633 - 0.1523278041
  //           = 0.8871363592
  // dI/dh_p = iw / 2 = 0.0275, dA/dh_p = w_p = 0.36
  //   dIoU/dh = 10.1411137884 x 0.0275 - 0.9520487757 x 0.36 = 0.2788806292 - 0.3427375593
  //           = -0.0638569301
  // d/dIoU (IoU - conf)^2 = 2 (0.1036067080 - 0.6) = -0.9927865840, so
  //   dL/dx = (2 (1.25 - 1.5) + -0.9927865840 x 2.0789283266) / 4 = (-0.5 - 2.0639321517) / 4
  //         = -0.6409830379   (-0.125 with the IoU held constant)
  //   dL/dw = (0.1 / 0.6 + -0.9927865840 x 0.8871363592) / 4 = (0.1666666667 - 0.8807370756) / 4
  //         = -0.1785176022   (d/dw (0.5 - sqrt w)^2 = -(0.5 - sqrt w) / sqrt w = 0.1 / 0.6)
  //   dL/dh = (-0.1 / 0.4 + -0.9927865840 x -0.0638569301) / 4 = (-0.25 + 0.0633963035) / 4
  //         = -0.0466509241
  //   dL/dy = 0: y_p = y_t, where both the squared error and |y_p - y_t| (abs' gradient at 0 is
  //         0, as in TensorFlow) are flat
  //   dL/dconf = 2 (0.6 - 0.1036067080) / 4 = 0.2481966460
  //   dL/dc0  = 2 (0.7 - 1) / 4 = -0.15; class slot 2 is unused: 0
  // cell 0 is empty: its box and confidence get no gradient (no no-object term in this loss)
  Tensor pred = humble_pred(true);
  mean(humble_yolo_loss(humble_true(), pred)).backward();
  auto g = pred.grad().to_vector();
  CHECK(g[8 + 3] == Approx(-0.6409830379).margin(1e-5));
  CHECK(g[8 + 4] == 0.f);
  CHECK(g[8 + 5] == Approx(-0.1785176022).margin(1e-5));
  CHECK(g[8 + 6] == Approx(-0.0466509241).margin(1e-5));
  CHECK(g[8 + 7] == Approx(0.2481966460).margin(1e-5));
  CHECK(g[8 + 0] == Approx(-0.15).margin(1e-5));
  CHECK(g[8 + 2] == 0.f);
  for (int k = 3; k < 8; ++k) CHECK(g[k] == 0.f);

  // finite differences over every column, at a point away from the kinks of abs (x_p = x_t) and
  // maximum (an overlap of 0): the example with cell 1's y moved to 0.45 (|y_p - y_t| = 0.05,
  // ih = 0.155), plus a second object in cell 2 (column 0, row 1) whose box overlaps it by
  // iw = 0.3, ih = 0.15 at offsets 0.1, with a confidence above its IoU (0.8 against 0.31).
  Tensor y_true = T({0, 0, 0, 0,    0,    0,     0,     0,  //
                     1, 0, 0, 1.5f, 0.5f, 0.25f, 0.25f, 1,  //
                     0, 1, 0, 0.4f, 1.7f, 0.5f,  0.2f,  1,  //
                     0, 0, 0, 0,    0,    0,     0,     0},
                    {1, 4, 8});
  Tensor p = T({0.1f, 0.2f, 0.5f, 0.5f,  0.5f,  0.36f, 0.16f, 0.3f,  //
                0.7f, 0.1f, 0.5f, 0.25f, 0.45f, 0.36f, 0.16f, 0.6f,  //
                0.2f, 0.6f, 0.5f, 0.5f,  0.6f,  0.3f,  0.3f,  0.8f,  //
                0.2f, 0.2f, 0.5f, 0.9f,  0.1f,  0.2f,  0.3f,  0.2f},
               {1, 4, 8}, true);
  auto f = [y_true](const std::vector<Tensor>& v) { return mean(humble_yolo_loss(y_true, v[0])); };
  CHECK_GRADS(f, {p});
}

TEST_CASE("tutorial: humble YOLO loss gradients, with the IoU as a constant", "[tutorial]") {
  // HumbleIou::constant: the same value (0.1622265751), but the IoU is a constant target, so the
  // box gets only the gradients of its own squared errors (cell 1, as above, L = sum(d) / 4):
  //   dL/dx = 2 (1.25 - 1.5) / 4 = -0.125; dL/dy = 0
  //   dL/dw = (0.1 / 0.6) / 4 = 0.0416667; dL/dh = (-0.1 / 0.4) / 4 = -0.0625
  //   dL/dconf = 0.2481966460 and dL/dc0 = -0.15, unchanged (the IoU does not depend on them)
  Tensor pred = humble_pred(true);
  Tensor d = humble_yolo_loss(humble_true(), pred, 2, 2, 1, HumbleIou::constant);
  CHECK_CLOSE(mean(d), {0.1622265751f}, {});
  mean(d).backward();
  auto g = pred.grad().to_vector();
  CHECK(g[8 + 3] == Approx(-0.125).margin(1e-5));
  CHECK(g[8 + 4] == 0.f);
  CHECK(g[8 + 5] == Approx(0.1 / 0.6 / 4).margin(1e-5));
  CHECK(g[8 + 6] == Approx(-0.0625).margin(1e-5));
  CHECK(g[8 + 7] == Approx(0.2481966460).margin(1e-5));
  CHECK(g[8 + 0] == Approx(-0.15).margin(1e-5));
  CHECK(g[8 + 2] == 0.f);
  for (int k = 3; k < 8; ++k) CHECK(g[k] == 0.f);

  // finite differences over the class and confidence columns (the box columns move the IoU,
  // which this variant treats as a constant, so they are checked by hand above)
  Tensor box = humble_pred().slice(-1, 3, 7).contiguous();  // (1, 4, 4), held fixed
  auto f = [box](const std::vector<Tensor>& v) {
    Tensor y_pred = concat({v[0], box, v[1]}, -1);
    return mean(humble_yolo_loss(humble_true(), y_pred, 2, 2, 1, HumbleIou::constant));
  };
  CHECK_GRADS(f, {R({1, 4, 3}, 11, true, 0.1f, 0.9f), R({1, 4, 1}, 12, true, 0.1f, 0.9f)});
}

// ---- small custom losses -----------------------------------------------------------------------

TEST_CASE("tutorial: weighted MSE with weights (1, 2, 3)", "[tutorial]") {
  // row 0: d = [-0.5, 1, -0.5] -> d^2 [0.25, 1, 0.25] x w -> [0.25, 2, 0.75], sum 3
  // row 1: d = [-1, -1, -1]    -> [1, 1, 1] x w -> [1, 2, 3], sum 6
  // mean over 6 elements = 9 / 6 = 1.5
  Tensor pred = T({1, 2, 3, 0, 0, 0}, {2, 3}), target = T({1.5f, 1, 3.5f, 1, 1, 1}, {2, 3});
  Tensor w = T({1, 2, 3}, {3});
  CHECK_CLOSE(weighted_mse_loss(pred, target, w), {1.5f}, {});
  auto f = [w](const std::vector<Tensor>& v) { return weighted_mse_loss(v[0], v[1], w); };
  CHECK_GRADS(f, {R({2, 3}, 21), R({2, 3}, 22)});
}

TEST_CASE("tutorial: Huber with delta 1, written with where", "[tutorial]") {
  // errors [0.5, -2, 3, -0.2]: [0.5 x 0.25, 2 - 0.5, 3 - 0.5, 0.5 x 0.04] = [0.125, 1.5, 2.5, 0.02]
  // mean = 4.145 / 4 = 1.03625, the library's huber_loss agrees
  Tensor pred = T({0.5f, -2, 3, -0.2f}, {4}), target = zeros({4});
  CHECK_CLOSE(custom_huber_loss(pred, target), {1.03625f}, {});
  CHECK_CLOSE(custom_huber_loss(pred, target), huber_loss(pred, target));
  Tensor p = T({-2.5f, -0.6f, -0.15f, 0.3f, 0.75f, 1.6f}, {2, 3}, true);  // |d| away from 1
  auto f = [](const std::vector<Tensor>& v) { return custom_huber_loss(v[0], zeros({2, 3})); };
  CHECK_GRADS(f, {p});
}

TEST_CASE("tutorial: focal loss with gamma 2, alpha 0.25, clipped", "[tutorial]") {
  // p = [0.9, 0.3, 0.2, 0.6], t = [1, 1, 0, 0]:
  // p_t = [0.9, 0.3, 0.8, 0.4], alpha_t = [0.25, 0.25, 0.75, 0.75]
  //   0.25 x 0.01 x 0.1053605157 + 0.25 x 0.49 x 1.2039728043
  //   + 0.75 x 0.04 x 0.2231435513 + 0.75 x 0.36 x 0.9162907319
  //   = 0.0002634013 + 0.1474866685 + 0.0066943065 + 0.2473984976 = 0.4018428740; mean 0.1004607185
  Tensor p = T({0.9f, 0.3f, 0.2f, 0.6f}, {4}), t = T({1, 1, 0, 0}, {4});
  CHECK_CLOSE(custom_focal_loss(p, t), {0.1004607185f}, {});
  CHECK_CLOSE(custom_focal_loss(p, t), focal_loss(p, t));
  // clipping keeps p = 0 with t = 1 finite: 0.25 x (1 - 1e-7)^2 x -ln(1e-7) = 0.25 x 16.1180956
  // = 4.0295239 (mean over 1)
  CHECK_CLOSE(custom_focal_loss(T({0}, {1}), T({1}, {1})), {4.0295239f}, {}, 1e-4, 1e-5);
  Tensor t6 = T({1, 0, 0, 1, 0, 1}, {2, 3});
  auto f = [t6](const std::vector<Tensor>& v) { return custom_focal_loss(v[0], t6); };
  CHECK_GRADS(f, {R({2, 3}, 31, true, 0.1f, 0.9f)});
}
