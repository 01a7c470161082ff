// The fused YOLOv1 loss away from its defaults: hand-computed cases that pin every option
// (lambdas, rescore = false, sqrt_wh = false, softmax cross-entropy, the batch mean), the
// lowest-index rule on an IoU tie, and a negative predicted width (finite, zero gradient).
// The defaults are pinned in tests/test_yolo_v1_loss.cpp; the arithmetic is in the comments.
#include <cmath>

#include "losses/yolo_v1_loss.h"
#include "support/helpers.h"

using namespace minidl;
using namespace minidl::test;

TEST_CASE("yolo_v1_loss: every option off its default, by hand", "[yolo]") {
  // S=1, B=2, C=3; lambda_coord 2, lambda_noobj 0.25, lambda_obj 3, lambda_class 0.5;
  // rescore = false, sqrt_wh = false (the head predicts w, h), softmax cross-entropy; N = 2.
  // image 0: target (0.45, 0.55, 0.36, 0.25), class 2. box 0 (0.3, 0.6, 0.2, 0.5), c 0.7;
  //   box 1 (0.5, 0.5, 0.4, 0.3), c 0.4; class scores z = (1, -0.5, 2).
  //   IoU box 0: x [0.27, 0.4] = 0.13, y [0.425, 0.675] = 0.25, inter 0.0325,
  //              union 0.1 + 0.09 - 0.0325 = 0.1575 -> 0.2063492
  //   IoU box 1: x [0.3, 0.63] = 0.33, y [0.425, 0.65] = 0.225, inter 0.07425,
  //              union 0.12 + 0.09 - 0.07425 = 0.13575 -> 0.5469613: box 1 is responsible.
  // image 1: no object; box 0 c 0.6, box 1 c -0.2.
  // terms (each divided by N = 2):
  //   xy    = 2 ((0.5 - 0.45)^2 + (0.5 - 0.55)^2) / 2 = 0.005
  //   wh    = 2 ((r(0.4) - r(0.36))^2 + (r(0.3) - r(0.25))^2) / 2 = 0.0033307930,
  //           r(v) = sqrt(v + 1e-6)
  //   obj   = 3 (0.4 - 1)^2 / 2 = 0.54                        (rescore = false: target 1)
  //   noobj = 0.25 (0.7^2 + 0.6^2 + 0.2^2) / 2 = 0.11125
  //   cls   = -0.5 (z_2 - logsumexp z) / 2 = -0.5 (2 - 2.3715390319) / 2 = 0.0928847580
  //   total = 0.7524655509
  // gradient (1/N = 1/2 included):
  //   box 0 c: 2 * 0.25 * 0.7 / 2 = 0.175; box 1: dx = 2 * 2 * 0.05 / 2 = 0.1, dy = -0.1,
  //   dw = 2 (r(0.4) - r(0.36)) / r(0.4) / 2 = 0.0513166, dh = 0.0871288 (same with 0.3, 0.25),
  //   dc = 2 * 3 * (0.4 - 1) / 2 = -1.8; dz = 0.5 (softmax(z) - y) / 2 with
  //   softmax(z) = (0.2537162, 0.0566117, 0.6896721) -> (0.0634290, 0.0141529, -0.0775820)
  //   image 1: dc = 2 * 0.25 * c / 2 -> 0.15 and -0.05; everything else 0.
  YoloV1Options o;
  o.S = 1, o.B = 2, o.C = 3;
  o.lambda_coord = 2, o.lambda_noobj = 0.25f, o.lambda_obj = 3, o.lambda_class = 0.5f;
  o.rescore = false, o.sqrt_wh = false, o.class_loss = YoloClassLoss::SoftmaxCE;
  Tensor pred = T({0.3f, 0.6f, 0.2f, 0.5f, 0.7f, 0.5f, 0.5f, 0.4f, 0.3f, 0.4f,  1, -0.5f, 2,  //
                   0.1f, 0.2f, 0.3f, 0.4f, 0.6f, 0.5f, 0.5f, 0.5f, 0.5f, -0.2f, 0, 0,     0},
                  {2, 1, 1, 13}, true);
  Tensor target = T({0.45f, 0.55f, 0.36f, 0.25f, 1, 0, 0, 1,  //
                     0, 0, 0, 0, 0, 0, 0, 0},
                    {2, 1, 1, 8});
  YoloV1Loss loss(o);
  YoloV1LossResult r = loss(pred, target);
  CHECK(r.xy.item() == Approx(0.005f));
  CHECK(r.wh.item() == Approx(0.0033307930f).epsilon(1e-4));
  CHECK(r.obj.item() == Approx(0.54f));
  CHECK(r.noobj.item() == Approx(0.11125f));
  CHECK(r.cls.item() == Approx(0.0928847580f).epsilon(1e-4));
  CHECK(r.total.item() == Approx(0.7524655509f).epsilon(1e-5));
  r.total.backward();
  CHECK_CLOSE(pred.grad(), {0,           0,          0,      0,          0.175f,     0.1f, -0.1f,
                            0.0513166f,  0.0871288f, -1.8f,  0.0634290f, 0.0141529f,
                            -0.0775820f,  //
                            0,           0,          0,      0,          0.15f,      0,    0,
                            0,           0,          -0.05f, 0,          0,          0},
              {2, 1, 1, 13}, 1e-5, 1e-4);

  // rescore = true changes only the obj target, to box 1's IoU: 3 (0.4 - 0.5469613)^2 / 2
  // = 0.0323964 and its gradient 3 (0.4 - 0.5469613) = -0.4408840.
  o.rescore = true;
  pred.zero_grad();
  r = yolo_v1_loss(pred, target, o);
  CHECK(r.obj.item() == Approx(0.0323964f).epsilon(1e-4));
  CHECK(r.xy.item() == Approx(0.005f));
  r.total.backward();
  CHECK(pred.grad().to_vector()[9] == Approx(-0.4408840f).epsilon(1e-4));
}

TEST_CASE("yolo_v1_loss: on an IoU tie the lowest-index predictor is responsible", "[yolo]") {
  // S=1, B=2, C=1, defaults. Both boxes (0.5, 0.5, sqrt w = sqrt h = 0.5 -> 0.25 x 0.25) contain
  // the target (0.5, 0.5, 0.16, 0.16): IoU 0.0256 / 0.0625 = 0.4096 for both -> box 0.
  //   wh = 5 * 2 (0.5 - 0.4)^2 = 0.1; obj = (0.8 - 0.4096)^2 = 0.15241216;
  //   noobj = 0.5 * 0.6^2 = 0.18 (box 1's c); cls = (0.9 - 1)^2 = 0.01; xy = 0
  // gradient: box 0 d(sqrt w) = d(sqrt h) = 2 * 5 * 0.1 = 1, dc = 2 (0.8 - 0.4096) = 0.7808;
  //   box 1: only dc = 2 * 0.5 * 0.6 = 0.6; class 2 (0.9 - 1) = -0.2.
  Tensor pred =
      T({0.5f, 0.5f, 0.5f, 0.5f, 0.8f, 0.5f, 0.5f, 0.5f, 0.5f, 0.6f, 0.9f}, {1, 1, 1, 11}, true);
  Tensor target = T({0.5f, 0.5f, 0.16f, 0.16f, 1, 1}, {1, 1, 1, 6});
  YoloV1Options o;
  o.S = 1, o.B = 2, o.C = 1;
  YoloV1LossResult r = yolo_v1_loss(pred, target, o);
  CHECK(r.xy.item() == Approx(0.f).margin(1e-7));
  CHECK(r.wh.item() == Approx(0.1f));
  CHECK(r.obj.item() == Approx(0.15241216f));
  CHECK(r.noobj.item() == Approx(0.18f));
  CHECK(r.cls.item() == Approx(0.01f));
  r.total.backward();
  CHECK_CLOSE(pred.grad(), {0, 0, 1, 1, 0.7808f, 0, 0, 0, 0, 0.6f, -0.2f}, {1, 1, 1, 11}, 1e-5,
              1e-4);
}

TEST_CASE("yolo_v1_loss: a negative predicted width with sqrt_wh = false, by hand", "[yolo]") {
  // S=2, B=1, C=2, defaults but sqrt_wh = false. Cell (0, 0) holds the target (0.25, 0.75, 0.3,
  // 0.2), class 1; its box (0.5, 0.5, w -0.2, h 0.3), c 0.6: a negative width counts as 0, so the
  // IoU is 0 and (rescore) the obj target is 0. The other cells' confidences: 0.3, -0.4, 0.1.
  //   xy = 5 (0.25^2 + 0.25^2) = 0.625
  //   wh = 5 ((r(-0.2) - r(0.3))^2 + (r(0.3) - r(0.2))^2) = 1.5450428, r(v) = sqrt(max(v, 0) +
  //   1e-6) obj = 0.6^2 = 0.36; noobj = 0.5 (0.09 + 0.16 + 0.01) = 0.13; cls = 0.2^2 + 0.3^2 = 0.13
  // gradient: dx = 10 * 0.25 = 2.5, dy = -2.5, dw = 0 (max(v, 0) is flat for v < 0),
  //   dh = 5 (r(0.3) - r(0.2)) / r(0.3) = 0.9175137, dc = 1.2, classes 0.4, -0.6;
  //   other cells: dc = c.
  Tensor pred = T({0.5f, 0.5f, -0.2f, 0.3f, 0.6f,  0.2f, 0.7f,  //
                   0,    0,    0,     0,    0.3f,  0,    0,     //
                   0,    0,    0,     0,    -0.4f, 0,    0,     //
                   0,    0,    0,     0,    0.1f,  0,    0},
                  {1, 2, 2, 7}, true);
  Tensor target = zeros({1, 2, 2, 7});
  target.select(1, 0).select(1, 0).copy_(T({0.25f, 0.75f, 0.3f, 0.2f, 1, 0, 1}, {1, 7}));
  YoloV1Options o;
  o.S = 2, o.B = 1, o.C = 2, o.sqrt_wh = false;
  YoloV1LossResult r = yolo_v1_loss(pred, target, o);
  CHECK(r.xy.item() == Approx(0.625f));
  CHECK(r.wh.item() == Approx(1.5450428f).epsilon(1e-5));
  CHECK(r.obj.item() == Approx(0.36f));
  CHECK(r.noobj.item() == Approx(0.13f));
  CHECK(r.cls.item() == Approx(0.13f));
  CHECK(r.total.item() == Approx(2.7900428f).epsilon(1e-5));
  r.total.backward();
  CHECK_CLOSE(pred.grad(), {2.5f, -2.5f, 0, 0.9175137f, 1.2f,  0.4f, -0.6f,  //
                            0,    0,     0, 0,          0.3f,  0,    0,      //
                            0,    0,     0, 0,          -0.4f, 0,    0,      //
                            0,    0,     0, 0,          0.1f,  0,    0},
              {1, 2, 2, 7}, 1e-5, 1e-4);
}
