// Tests of tutorial 4's loss (docs/tutorials/humble_yolo_loss.h, the code the page teaches): the
// loss of "Humble YOLO implementation in Keras", as printed and corrected, on the page's worked
// example (the article's data file as targets). Expected values are worked out by hand (the
// arithmetic is in the comments) or printed by docs/tutorials/humble_yolo_loss_check.py
// (standard-library Python, no minidl: the values, and gradients by central differences).
#include <cmath>

#include "docs/tutorials/humble_yolo_loss.h"
#include "support/op_cases.h"

using namespace minidl;
using namespace minidl::test;
using namespace minidl::tutorial;

namespace {
// The article's data file (pixels of a 64 x 64 image, cells of 32) in the loss's units: x, y / 32
// (cells, offset included), w, h / 64 (images). Rows [c0 c1 c2, x y w h conf], cells (0,0),
// (1,0), (0,1), (1,1). (1, 4, 8)
Tensor example_true() {
  return T({0, 1, 0, 0.4375f,  0.6875f,  0.28125f, 0.15625f, 1,   // 14 22 18 10
            1, 0, 0, 1.09375f, 0.71875f, 0.375f,   0.15625f, 1,   // 35 23 24 10
            0, 0, 1, 0.5f,     1.5f,     0.5f,     0.5f,     0,   // 16 48 32 32, no word
            1, 0, 0, 1.625f,   1.09375f, 0.375f,   0.15625f, 1},  // 52 35 24 10
           {1, 4, 8});
}
// the page's predictions: sigmoid outputs, x and y inside the cell
Tensor example_pred(bool grad = false) {
  return T({0.2f, 0.7f, 0.4f, 0.55f, 0.6f,  0.25f, 0.16f, 0.6f,  //
            0.6f, 0.3f, 0.1f, 0.15f, 0.75f, 0.36f, 0.25f, 0.5f,  //
            0.3f, 0.2f, 0.9f, 0.5f,  0.5f,  0.3f,  0.3f,  0.4f,  //
            0.9f, 0.1f, 0.0f, 0.45f, 0.12f, 0.49f, 0.09f, 0.8f},
           {1, 4, 8}, grad);
}
}  // namespace

TEST_CASE("tutorial 4: the humble YOLO loss, corrected, on the article's data file", "[tutorial]") {
  // Cell (1,0) by hand. Target: class 0, centre (1.09375, 0.71875), size (0.375, 0.15625).
  // Prediction: class [0.6, 0.3], centre (0.15 + 1, 0.75 + 0) = (1.15, 0.75), size (0.36, 0.25),
  // confidence 0.5.
  //   class: (1 - 0.6)^2 + (0 - 0.3)^2 = 0.16 + 0.09 = 0.25
  //   xy: (1.09375 - 1.15)^2 + (0.71875 - 0.75)^2 = 0.0031640625 + 0.0009765625 = 0.004140625
  //   wh: (sqrt 0.375 - sqrt 0.36)^2 + (sqrt 0.15625 - sqrt 0.25)^2
  //       = (0.6123724357 - 0.6)^2 + (0.3952847075 - 0.5)^2 = 0.0001530772 + 0.0109652924
  //       = 0.0111183696
  //   IoU: overlap w (0.36 + 0.375) / 2 - 0.05625 = 0.31125, h (0.25 + 0.15625) / 2 - 0.03125
  //        = 0.171875; intersection 0.0534960938; union 0.09 + 0.05859375 - 0.0534960938
  //        = 0.0950976562; IoU 0.5625385089
  //   conf: (1 x 0.5625385089 - 0.5)^2 = 0.0039110651
  //   d = 0.25 + 0.004140625 + 0.0111183696 + 0.0039110651 = 0.2691700597
  // Cell (0,1) holds no word: every term is multiplied by its confidence 0, d = 0 (its IoU, which
  // nothing uses: both centred at (0.5, 1.5), overlap (0.3 + 0.5) / 2 = 0.4 per axis,
  // 0.16 / (0.09 + 0.25 - 0.16) = 0.8888888889).
  // Cells (0,0) and (1,1), and the mean, from humble_yolo_loss_check.py:
  //   d = [0.3556688533, 0.2691700597, 0, 0.2976599237], Keras' mean 0.2306247092
  HumbleYoloTerms t = humble_yolo_terms(example_true(), example_pred());
  CHECK_CLOSE(t.clss, {0.13f, 0.25f, 0.f, 0.02f}, {1, 4});
  CHECK_CLOSE(t.xy, {0.0203125f, 0.004140625f, 0.f, 0.0313140625f}, {1, 4});
  CHECK_CLOSE(t.wh, {0.0009421481f, 0.0111183696f, 0.f, 0.0167577655f}, {1, 4});
  CHECK_CLOSE(t.conf, {0.2044142052f, 0.0039110651f, 0.f, 0.2295880957f}, {1, 4});
  CHECK_CLOSE(t.iou, {0.1478781081f, 0.5625385089f, 0.8888888889f, 0.3208464800f}, {1, 4});
  Tensor d = humble_yolo_loss(example_true(), example_pred());
  CHECK_CLOSE(d, {0.3556688533f, 0.2691700597f, 0.f, 0.2976599237f}, {1, 4});
  CHECK_CLOSE(mean(d), {0.2306247092f}, {});
}

TEST_CASE("tutorial 4: the humble YOLO loss as printed (y_true_wh reads the predictions)",
          "[tutorial]") {
  // Cell (1,0): the size term compares the prediction with itself, 0. The IoU takes the predicted
  // size (0.36, 0.25) for both boxes: overlap w 0.36 - 0.05625 = 0.30375, h 0.25 - 0.03125
  // = 0.21875; intersection 0.0664453125; union 2 x 0.09 - 0.0664453125 = 0.1135546875;
  // IoU 0.5851393189; conf (0.5851393189 - 0.5)^2 = 0.0072487036;
  // d = 0.25 + 0.004140625 + 0 + 0.0072487036 = 0.2613893286.
  // Cells (0,0) and (1,1), and the mean, from humble_yolo_loss_check.py:
  //   d = [0.3597586161, 0.2613893286, 0, 0.3065434387], Keras' mean 0.2319228458
  HumbleYoloTerms t = humble_yolo_terms(example_true(), example_pred(), HumbleWh::as_printed);
  CHECK_CLOSE(t.wh, {0.f, 0.f, 0.f, 0.f}, {1, 4});
  CHECK_CLOSE(t.iou, {0.1423471664f, 0.5851393189f, 1.f, 0.2947976879f}, {1, 4});
  Tensor d = humble_yolo_loss(example_true(), example_pred(), HumbleWh::as_printed);
  CHECK_CLOSE(d, {0.3597586161f, 0.2613893286f, 0.f, 0.3065434387f}, {1, 4});
  CHECK_CLOSE(mean(d), {0.2319228458f}, {});

  // Whatever the predictions, the size term is 0, and a predicted centre on the true centre has
  // IoU 1 whatever its size: overlap w_p - 0 and h_p - 0, union 2 w_p h_p - w_p h_p.
  Tensor y_true = R({3, 4, 8}, 41, false, 0.1f, 0.9f);
  Tensor y_pred = R({3, 4, 8}, 42, false, 0.1f, 0.9f);
  CHECK_CLOSE(humble_yolo_terms(y_true, y_pred, HumbleWh::as_printed).wh, zeros({3, 4}));
  // a word in cell (1,0) centred at (1.3, 0.6) in cells, size (0.2, 0.1); the prediction's
  // centre (0.3 + 1, 0.6 + 0) is the same, its size (0.7, 0.45) is not
  Tensor centred_true = T({0, 0, 0, 0,    0,    0,    0,    0,  //
                           1, 0, 0, 1.3f, 0.6f, 0.2f, 0.1f, 1,  //
                           0, 0, 0, 0,    0,    0,    0,    0,  //
                           0, 0, 0, 0,    0,    0,    0,    0},
                          {1, 4, 8});
  Tensor centred_pred = T({0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f,  0.5f,  //
                           0.5f, 0.5f, 0.5f, 0.3f, 0.6f, 0.7f, 0.45f, 0.5f,  //
                           0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f,  0.5f,  //
                           0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f,  0.5f},
                          {1, 4, 8});
  CHECK(humble_yolo_terms(centred_true, centred_pred, HumbleWh::as_printed).iou.to_vector()[1] ==
        Approx(1.0).margin(1e-6));
}

TEST_CASE("tutorial 4: humble YOLO loss gradients, through the IoU as Keras takes them",
          "[tutorial]") {
  // d(mean d)/d(prediction) by central differences in double precision, printed by
  // humble_yolo_loss_check.py, for the cells with a word (0, 1 and 3), columns
  // c0 c1 c2 x y w h conf.
  const float corrected[3][8] = {
      {0.1f, -0.15f, 0, 0.30684886f, -0.58708382f, -0.06732552f, -0.15444024f, 0.22606095f},
      {-0.2f, 0.15f, 0, -0.06018119f, -0.14428948f, -0.00724444f, 0.06572589f, -0.03126925f},
      {-0.05f, 0.05f, 0, -0.48179119f, 1.06117643f, -0.07686995f, -0.11898252f, 0.23957676f}};
  const float as_printed[3][8] = {
      {0.1f, -0.15f, 0, 0.32686408f, -0.55698361f, -0.12177634f, -0.28067463f, 0.22882642f},
      {-0.2f, 0.15f, 0, -0.10186520f, -0.16487568f, 0.02031097f, 0.02256258f, -0.04256966f},
      {-0.05f, 0.05f, 0, -0.39359115f, 1.52557537f, -0.10931827f, -0.44113136f, 0.25260116f}};
  for (HumbleWh wh : {HumbleWh::corrected, HumbleWh::as_printed}) {
    Tensor pred = example_pred(true);
    mean(humble_yolo_loss(example_true(), pred, wh)).backward();
    std::vector<float> g = pred.grad().to_vector();
    const auto& want = wh == HumbleWh::corrected ? corrected : as_printed;
    const int cells[3] = {0, 1, 3};
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 8; ++j) {
        INFO("cell " << cells[i] << " column " << j);
        CHECK(g[cells[i] * 8 + j] == Approx(want[i][j]).margin(2e-5));
      }
    // the cell without a word gets no gradient at all: the loss has no no-object term
    for (int j = 0; j < 8; ++j) CHECK(g[2 * 8 + j] == 0.f);
  }

  // minidl's own finite differences over every entry, for both variants. The IoU is a ratio
  // that bends sharply here (an overlap of 0.097 in cell (1,1)), so the step is 1e-3, not the
  // default 1e-2, whose truncation error would exceed the tolerance.
  GradcheckOptions small_step;
  small_step.eps = 1e-3;
  for (HumbleWh wh : {HumbleWh::corrected, HumbleWh::as_printed}) {
    auto f = [wh](const std::vector<Tensor>& v) {
      return mean(humble_yolo_loss(example_true(), v[0], wh));
    };
    CHECK_GRADS(f, {example_pred(true)}, small_step);
  }
}

TEST_CASE("tutorial 4: humble YOLO loss gradients, with the IoU as a constant (ours)",
          "[tutorial]") {
  // HumbleIou::constant: the same value, but the box gets only the gradients of its own squared
  // errors. Cell (1,0), L = sum(d) / 4:
  //   dL/dx = 2 (1.15 - 1.09375) / 4 = 0.028125; dL/dy = 2 (0.75 - 0.71875) / 4 = 0.015625
  //   dL/dw = (sqrt 0.36 - sqrt 0.375) / sqrt 0.36 / 4 = (0.6 - 0.6123724357) / 0.6 / 4
  //         = -0.0051551815
  //   dL/dh = (0.5 - 0.3952847075) / 0.5 / 4 = 0.0523576463
  //   dL/dconf = 2 (0.5 - 0.5625385089) / 4 = -0.0312692545 (as through the IoU)
  //   dL/dc0 = 2 (0.6 - 1) / 4 = -0.2; dL/dc1 = 2 x 0.3 / 4 = 0.15; slot 2 is not read: 0
  Tensor pred = example_pred(true);
  Tensor d = humble_yolo_loss(example_true(), pred, HumbleWh::corrected, HumbleIou::constant);
  CHECK_CLOSE(mean(d), {0.2306247092f}, {});
  mean(d).backward();
  CHECK_CLOSE(
      pred.grad().slice(1, 1, 2).reshape({8}),
      {-0.2f, 0.15f, 0.f, 0.028125f, 0.015625f, -0.0051551815f, 0.0523576463f, -0.0312692545f},
      {8});
}
