// Tests of tutorial 5's losses (docs/tutorials/imbalanced_losses.h, the code the page teaches):
// the article "How do I implement a custom loss function in Keras?"'s weighted MSE, Huber and focal
// loss, each one value per sample (the mean over the last axis), then Keras' mean over the batch.
// Expected values are worked out by hand (the arithmetic is in the comments); the same figures are
// printed by docs/tutorials/imbalanced_losses_check.py (standard-library Python, no minidl).
// Gradients are checked by finite differences.
#include <cmath>

#include "docs/tutorials/imbalanced_losses.h"
#include "support/op_cases.h"

using namespace minidl;
using namespace minidl::test;
using namespace minidl::tutorial;

TEST_CASE("tutorial 5: weighted MSE with weights (1, 2, 3), per sample then the batch mean",
          "[tutorial]") {
  // sample 0: y_pred - y_true = [-0.5, 1, -0.5] -> squares [0.25, 1, 0.25] x w -> [0.25, 2, 0.75],
  //           mean 3 / 3 = 1
  // sample 1: [-1, -1, -1] -> [1, 1, 1] x w -> [1, 2, 3], mean 6 / 3 = 2
  // Keras: (1 + 2) / 2 = 1.5
  Tensor y_true = T({1.5f, 1, 3.5f, 1, 1, 1}, {2, 3}), y_pred = T({1, 2, 3, 0, 0, 0}, {2, 3});
  Tensor w = T({1, 2, 3}, {3});
  Tensor per_sample = weighted_mse(y_true, y_pred, w);
  CHECK_CLOSE(per_sample, {1.f, 2.f}, {2});
  CHECK_CLOSE(keras_reduce(per_sample), {1.5f}, {});
  // a (N, 1) weight weighs whole samples, here 3 and 1:
  // sample 0: [0.25, 1, 0.25] x 3 = [0.75, 3, 0.75], mean 1.5; sample 1: [1, 1, 1] x 1, mean 1
  Tensor per_row = T({3, 1}, {2, 1});
  CHECK_CLOSE(weighted_mse(y_true, y_pred, per_row), {1.5f, 1.f}, {2});
  auto f = [w](const std::vector<Tensor>& v) { return keras_reduce(weighted_mse(v[0], v[1], w)); };
  CHECK_GRADS(f, {R({2, 3}, 21), R({2, 3}, 22)});
}

TEST_CASE("tutorial 5: Huber with delta 1, per sample then the batch mean", "[tutorial]") {
  // errors [[0.5, -2], [3, -0.2]]: |e| <= 1 -> 0.5 e^2, else |e| - 0.5
  //   sample 0: [0.125, 1.5], mean 0.8125; sample 1: [2.5, 0.02], mean 1.26
  //   Keras: (0.8125 + 1.26) / 2 = 1.03625, the mean of all four, as minidl::huber_loss
  Tensor e = T({0.5f, -2, 3, -0.2f}, {2, 2});
  Tensor per_sample = huber(zeros({2, 2}), e);
  CHECK_CLOSE(per_sample, {0.8125f, 1.26f}, {2});
  CHECK_CLOSE(keras_reduce(per_sample), {1.03625f}, {});
  CHECK_CLOSE(keras_reduce(per_sample), huber_loss(e, zeros({2, 2})));
  // delta 2: |e| <= 2 -> 0.5 e^2, else 2 |e| - 2: [0.125, 2, 4, 0.02]; per sample [1.0625, 2.01]
  CHECK_CLOSE(huber(zeros({2, 2}), e, 2.f), {1.0625f, 2.01f}, {2});
  Tensor p = T({-2.5f, -0.6f, -0.15f, 0.3f, 0.75f, 1.6f}, {2, 3}, true);  // |e| away from 1
  auto f = [](const std::vector<Tensor>& v) { return keras_reduce(huber(zeros({2, 3}), v[0])); };
  CHECK_GRADS(f, {p});
}

TEST_CASE("tutorial 5: the article's focal loss, one alpha for both classes", "[tutorial]") {
  // y_true [[1, 1], [0, 0]], y_pred [[0.9, 0.3], [0.2, 0.6]], gamma 2, alpha 0.25.
  // For 0/1 targets the two cross-entropy parts reduce to -ln p_t; p_t = [0.9, 0.3, 0.8, 0.4]:
  //   0.25 x 0.1^2 x -ln 0.9 = 0.25 x 0.01 x 0.1053605157 = 0.0002634013
  //   0.25 x 0.7^2 x -ln 0.3 = 0.25 x 0.49 x 1.2039728043 = 0.1474866685
  //   0.25 x 0.2^2 x -ln 0.8 = 0.25 x 0.04 x 0.2231435513 = 0.0022314355
  //   0.25 x 0.6^2 x -ln 0.4 = 0.25 x 0.36 x 0.9162907319 = 0.0824661659
  //   per sample [0.0738750349, 0.0423488007]; Keras 0.0581119178
  Tensor y_true = T({1, 1, 0, 0}, {2, 2}), y_pred = T({0.9f, 0.3f, 0.2f, 0.6f}, {2, 2});
  Tensor per_sample = focal(y_true, y_pred);
  CHECK_CLOSE(per_sample, {0.0738750349f, 0.0423488007f}, {2});
  CHECK_CLOSE(keras_reduce(per_sample), {0.0581119178f}, {});
  // alpha only scales it: alpha 0.95 gives 0.95 / 0.25 = 3.8 times as much, 0.2208252876
  CHECK_CLOSE(keras_reduce(focal(y_true, y_pred, 2.f, 0.95f)), {0.2208252876f}, {});
  // for 0/1 targets it is alpha times the focal term without alpha (minidl's alpha < 0)
  CHECK_CLOSE(keras_reduce(per_sample), {0.25f * focal_loss(y_pred, y_true, 2.f, -1.f).item()}, {});
  // soft targets keep both cross-entropy parts: t = 0.5, p = 0.8 -> p_t = 0.5, CE = -0.5 ln 0.8
  // - 0.5 ln 0.2 = 0.5 (0.2231435513 + 1.6094379124) = 0.9162907319; x 0.25 x 0.5^2 = 0.0572681707
  CHECK_CLOSE(focal(T({0.5f}, {1, 1}), T({0.8f}, {1, 1})), {0.0572681707f}, {1});
  // the clip keeps p = 0 with t = 1 finite: 0.25 x (1 - 1e-7)^2 x -ln(1e-7) = 0.25 x 16.1180956
  // = 4.0295239
  CHECK_CLOSE(focal(T({1}, {1, 1}), T({0}, {1, 1})), {4.0295239f}, {1}, 1e-4, 1e-5);
  Tensor t6 = T({1, 0, 0, 1, 0, 1}, {2, 3});
  auto f = [t6](const std::vector<Tensor>& v) { return keras_reduce(focal(t6, v[0])); };
  CHECK_GRADS(f, {R({2, 3}, 31, true, 0.1f, 0.9f)});
}

TEST_CASE("tutorial 5: Lin et al.'s focal loss with alpha_t (not the article's)", "[tutorial]") {
  // the same example, alpha_t = [0.25, 0.25, 0.75, 0.75]:
  //   0.0002634013, 0.1474866685, 0.75 x 0.04 x 0.2231435513 = 0.0066943065,
  //   0.75 x 0.36 x 0.9162907319 = 0.2473984976
  //   per sample [0.0738750349, 0.1270464021]; Keras 0.1004607185, as minidl::focal_loss
  Tensor y_true = T({1, 1, 0, 0}, {2, 2}), y_pred = T({0.9f, 0.3f, 0.2f, 0.6f}, {2, 2});
  Tensor per_sample = focal_alpha_t(y_true, y_pred);
  CHECK_CLOSE(per_sample, {0.0738750349f, 0.1270464021f}, {2});
  CHECK_CLOSE(keras_reduce(per_sample), {0.1004607185f}, {});
  CHECK_CLOSE(keras_reduce(per_sample), focal_loss(y_pred, y_true));
  Tensor t6 = T({1, 0, 0, 1, 0, 1}, {2, 3});
  auto f = [t6](const std::vector<Tensor>& v) { return keras_reduce(focal_alpha_t(t6, v[0])); };
  CHECK_GRADS(f, {R({2, 3}, 32, true, 0.1f, 0.9f)});
}
