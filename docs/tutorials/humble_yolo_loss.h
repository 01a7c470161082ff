// Tutorial 4 (docs/tutorials/4-humble-yolo.md): the loss of the Keras "humble YOLO" article,
// rewritten line for line from minidl's public ops. tests/test_tutorial_losses.cpp checks it by
// hand; docs/tutorials/humble_yolo.cpp trains the article's network with it.
#pragma once

#include <minidl/minidl.h>

#include <vector>

namespace minidl::tutorial {

// How the IoU in the confidence target takes part in the gradient.
enum class HumbleIou {
  // As the article: Keras differentiates through the IoU, so the confidence term also moves the
  // box: towards a higher IoU while the predicted confidence is above the IoU, towards a lower
  // one while it is below.
  differentiated,
  // A constant target (the IoU of detached predictions), as darknet and YOLO_V1.md do: only the
  // confidence is pulled towards it. The loss value is the same.
  constant,
};

// Keras: "humble YOLO" (github.com/ecaradec/humble-yolo, main.py, custom_loss), nb_boxes boxes
// per cell on a grid_w x grid_h grid. y: (B, grid_w * grid_h, 3 + 5 nb_boxes), each row
// [class slots 0..2, then per box x, y, w, h, conf]; the loss reads class slots 0:2 only.
// Targets hold x, y in grid units (cell offset included); the network predicts x, y inside its
// cell, so the loss adds the cell's (col, row) to them. w, h go through sqrt (the tutorial's model
// ends in a sigmoid, so they are positive). The confidence target is IoU * conf, with an IoU that
// (as the tutorial writes it) measures the overlap as (w_p + w_t)/2 - |x_p - x_t| per axis; by
// default the gradient flows through it, as in Keras (`iou_gradient`, see HumbleIou).
// Returns the tutorial's d, shape (B, cells); Keras reduces it to mean(d).
inline Tensor humble_yolo_loss(const Tensor& y_true, const Tensor& y_pred, int64_t grid_w = 2,
                               int64_t grid_h = 2, int64_t nb_boxes = 1,
                               HumbleIou iou_gradient = HumbleIou::differentiated) {
  const int64_t cells = grid_w * grid_h;
  // grid[k, b] = (x, y) of cell k = y * grid_w + x, for each box b: (cells, nb_boxes, 2)
  std::vector<float> g;
  for (int64_t y = 0; y < grid_h; ++y)
    for (int64_t x = 0; x < grid_w; ++x)
      for (int64_t b = 0; b < nb_boxes; ++b) {
        g.push_back(static_cast<float>(x));
        g.push_back(static_cast<float>(y));
      }
  Tensor grid = from_vector(g, {cells, nb_boxes, 2});

  Tensor y_true_class = y_true.slice(-1, 0, 2);
  Tensor y_pred_class = y_pred.slice(-1, 0, 2);

  Tensor pred_boxes = y_pred.slice(-1, 3, 3 + 5 * nb_boxes).reshape({-1, cells, nb_boxes, 5});
  Tensor true_boxes = y_true.slice(-1, 3, 3 + 5 * nb_boxes).reshape({-1, cells, nb_boxes, 5});

  Tensor y_pred_xy = pred_boxes.slice(-1, 0, 2) + grid;
  Tensor y_pred_wh = pred_boxes.slice(-1, 2, 4);
  Tensor y_pred_conf = pred_boxes.select(-1, 4);

  Tensor y_true_xy = true_boxes.slice(-1, 0, 2);
  Tensor y_true_wh = true_boxes.slice(-1, 2, 4);
  Tensor y_true_conf = true_boxes.select(-1, 4);

  Tensor clss_loss = sum(square(y_true_class - y_pred_class), {-1});
  Tensor xy_loss = sum(sum(square(y_true_xy - y_pred_xy), {-1}) * y_true_conf, {-1});
  Tensor wh_loss = sum(sum(square(sqrt(y_true_wh) - sqrt(y_pred_wh)), {-1}) * y_true_conf, {-1});

  Tensor intersect_wh =
      maximum(zeros_like(y_pred_wh), (y_pred_wh + y_true_wh) / 2.f - abs(y_pred_xy - y_true_xy));
  Tensor intersect_area = intersect_wh.select(-1, 0) * intersect_wh.select(-1, 1);
  Tensor true_area = y_true_wh.select(-1, 0) * y_true_wh.select(-1, 1);
  Tensor pred_area = y_pred_wh.select(-1, 0) * y_pred_wh.select(-1, 1);
  Tensor union_area = pred_area + true_area - intersect_area;
  Tensor iou = intersect_area / union_area;
  if (iou_gradient == HumbleIou::constant) iou = iou.detach();

  Tensor conf_loss = sum(square(y_true_conf * iou - y_pred_conf) * y_true_conf, {-1});

  return clss_loss + xy_loss + wh_loss + conf_loss;  // (B, cells)
}

}  // namespace minidl::tutorial
