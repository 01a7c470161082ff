// Tests of tutorial 2's loss (docs/tutorials/keras_simple_yolo_loss.h, the code the page teaches):
// the SimpleYoloLoss of the article "Keras custom loss function for YOLO", on the article's own
// example and on small inputs of ours, against values worked out by hand (the arithmetic is in the
// comments), plus finite-difference gradient checks. docs/tutorials/keras_simple_yolo_loss_check.py
// computes the same values from Keras' documented semantics in plain Python.
#include <cmath>

#include "docs/tutorials/keras_simple_yolo_loss.h"
#include "support/op_cases.h"

using namespace minidl;
using namespace minidl::test;
using namespace minidl::tutorial;

namespace {
// The article's example: one row with an object of class 0, one background row. (1, 2, 7)
Tensor article_true() {
  return T({0.5f, 0.5f, 0.2f, 0.2f, 1, 1, 0,  //
            0, 0, 0, 0, 0, 0, 1},
           {1, 2, 7});
}
Tensor article_pred(bool grad = false) {
  return T({0.45f, 0.55f, 0.25f, 0.18f, 0.9f, 0.8f, 0.2f,  //
            0.1f, 0.1f, 0.1f, 0.1f, 0.3f, 0.4f, 0.6f},
           {1, 2, 7}, grad);
}
// A second sample of ours: an object of class 1 in row 0, background in row 1. (1, 2, 7)
Tensor ours_true() {
  return T({0.3f, 0.6f, 0.1f, 0.4f, 1, 0, 1,  //
            0, 0, 0, 0, 0, 1, 0},
           {1, 2, 7});
}
Tensor ours_pred() {
  return T({0.3f, 0.5f, 0.1f, 0.4f, 0.5f, 0.5f, 0.5f,  //
            0.2f, 0.2f, 0.2f, 0.2f, 0.2f, 0.9f, 0.1f},
           {1, 2, 7});
}
}  // namespace

TEST_CASE("tutorial: Keras SimpleYoloLoss on the article's example", "[tutorial]") {
  // row 0 (true_obj = 1):
  //   box:   (0.5-0.45)^2 + (0.5-0.55)^2 + (0.2-0.25)^2 + (0.2-0.18)^2
  //          = 0.0025 + 0.0025 + 0.0025 + 0.0004 = 0.0079
  //   obj:   (1 - 0.9)^2 x 1 = 0.01
  //   class: CCE([1, 0], [0.8, 0.2] / (0.8 + 0.2)) = -ln 0.8 = 0.2231435513
  // row 1 (true_obj = 0): box, obj and class are multiplied by 0;
  //   noobj: (0 - 0.3)^2 x (1 - 0) = 0.09
  // loss = 5 x 0.0079 + 0.01 + 0.5 x 0.09 + 0.2231435513
  //      = 0.0395 + 0.01 + 0.045 + 0.2231435513 = 0.3176435513
  SimpleYoloLossTerms L = keras_simple_yolo_loss(article_true(), article_pred());
  CHECK_CLOSE(L.box, {0.0079f}, {});
  CHECK_CLOSE(L.obj, {0.01f}, {});
  CHECK_CLOSE(L.noobj, {0.09f}, {});
  CHECK_CLOSE(L.cls, {0.2231435513f}, {});
  CHECK_CLOSE(L.total, {0.3176435513f}, {});
}

TEST_CASE("tutorial: Keras SimpleYoloLoss sums over the batch", "[tutorial]") {
  // Our sample alone: row 0 (object, class 1): box (0.6 - 0.5)^2 = 0.01; obj (1 - 0.5)^2 = 0.25;
  //   class CCE([0, 1], [0.5, 0.5]) = -ln 0.5 = 0.6931471806; row 1: noobj (0 - 0.2)^2 = 0.04
  //   (its class [0.9, 0.1] against [1, 0] is masked by true_obj = 0).
  //   loss = 5 x 0.01 + 0.25 + 0.5 x 0.04 + 0.6931471806 = 1.0131471806
  CHECK_CLOSE(keras_simple_yolo_loss(ours_true(), ours_pred()).total, {1.0131471806f}, {});
  // Both in one batch: every reduce_sum includes the batch axis and the reduction divides by the
  // one value call() returns, so 0.3176435513 + 1.0131471806 = 1.3307907319 (a mean over the batch
  // would give 0.6653953660).
  Tensor y_true = concat({article_true(), ours_true()}, 0);  // (2, 2, 7)
  Tensor y_pred = concat({article_pred(), ours_pred()}, 0);
  CHECK_CLOSE(keras_simple_yolo_loss(y_true, y_pred).total, {1.3307907319f}, {});
  // The same sample twice costs twice as much: 2 x 0.3176435513 = 0.6352871026.
  CHECK_CLOSE(keras_simple_yolo_loss(concat({article_true(), article_true()}, 0),
                                     concat({article_pred(), article_pred()}, 0))
                  .total,
              {0.6352871026f}, {});
}

TEST_CASE("tutorial: Keras categorical cross-entropy normalises and clips", "[tutorial]") {
  // [0.6, 0.2] sums to 0.8: normalised [0.75, 0.25]; target [1, 0]: -ln 0.75 = 0.2876820725.
  // Clipping: p = [1, 0] against target [0, 1] costs -ln(1e-7) = 16.1180956510.
  CHECK_CLOSE(keras_categorical_crossentropy(T({1, 0}, {1, 2}), T({0.6f, 0.2f}, {1, 2})),
              {0.2876820725f}, {1});
  CHECK_CLOSE(keras_categorical_crossentropy(T({0, 1}, {2}), T({1, 0}, {2})), {16.1180956510f}, {},
              1e-4, 1e-5);
}

TEST_CASE("tutorial: Keras SimpleYoloLoss gradients", "[tutorial]") {
  // by hand on the article's example, row 0 (true_obj 1):
  //   box: d/dp of 5 (t - p)^2 = 10 (p - t): 10 x 0.05 = 0.5 (x: -0.5, y: 0.5, w: 0.5, h: -0.2)
  //   obj: d/dp of (1 - p)^2 = 2 (p - 1) = -0.2
  //   class: L = -ln(p0 / (p0 + p1)): dL/dp0 = -1/p0 + 1/(p0 + p1) = -1.25 + 1 = -0.25,
  //          dL/dp1 = 1/(p0 + p1) = 1
  // row 1 (true_obj 0): noobj 0.5 x d/dp of p^2 = 0.5 x 2 x 0.3 = 0.3; everything else 0.
  Tensor pred = article_pred(true);
  keras_simple_yolo_loss(article_true(), pred).total.backward();
  CHECK_CLOSE(pred.grad(),
              {-0.5f, 0.5f, 0.5f, -0.2f, -0.2f, -0.25f, 1.f,  //
               0, 0, 0, 0, 0.3f, 0, 0},
              {1, 2, 7});

  // central differences on a random batch of 2 samples with 3 rows each, 3 classes
  Tensor y_true = T({0.3f, 0.6f, 0.1f, 0.4f, 1, 0, 1, 0,  //
                     0,    0,    0,    0,    0, 0, 0, 0,  //
                     0.7f, 0.2f, 0.5f, 0.3f, 1, 1, 0, 0,  //
                     0,    0,    0,    0,    0, 0, 0, 0,  //
                     0.5f, 0.5f, 0.9f, 0.9f, 1, 0, 0, 1,  //
                     0,    0,    0,    0,    0, 0, 0, 0},
                    {2, 3, 8});
  auto f = [y_true](const std::vector<Tensor>& v) {
    return keras_simple_yolo_loss(y_true, v[0]).total;
  };
  CHECK_GRADS(f, {R({2, 3, 8}, 7, true, 0.2f, 0.8f)});
}
