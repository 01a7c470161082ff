// Tutorial 4 (docs/tutorials/4-humble-yolo.md): the loss of the article "Humble YOLO implementation
// in Keras", written with minidl's public ops, as the article prints it and corrected.
// tests/test_tutorial_4_humble_yolo_loss.cpp checks both against hand arithmetic and
// docs/tutorials/humble_yolo_loss_check.py (standard-library Python); humble_yolo.cpp trains the
// article's network with it.
#pragma once

#include <minidl/minidl.h>

#include <vector>

namespace minidl::tutorial {

// Which boxes the size term and the IoU take as the true w, h.
enum class HumbleWh {
  // The article's line, which reads the predictions: the size term is always 0, and the IoU
  // compares the predicted box with a box of the same size at the true centre.
  as_printed,
  // The targets, as the article's text means.
  corrected,
};

// How the IoU in the confidence target takes part in the gradient. The value is the same.
enum class HumbleIou {
  // As Keras does with the article's code: the gradient flows through the IoU, so the confidence
  // term moves the box too.
  differentiated,
  // Ours: the IoU as a constant target (detached), as darknet and minidl's fused YOLOv1 loss
  // treat it; only the confidence is pulled towards it.
  constant,
};

// The four terms of the article's loss and the IoU, each (B, cells): one value per sample and cell.
struct HumbleYoloTerms {
  Tensor clss, xy, wh, conf, iou;
};

// y_true, y_pred: (B, grid_w * grid_h, 8), cell k = row * grid_w + column, one box per cell, each
// row [class slots 0..2, x, y, w, h, conf]. The loss reads class slots 0 and 1 only. In the
// targets, x and y are in cells with the cell's offset included (a centre in the right half of a
// 2 x 2 grid has x in [1, 2)); w and h are fractions of the image. The network predicts x and y
// inside its cell, and the loss adds the cell's offset to them.
inline HumbleYoloTerms humble_yolo_terms(const Tensor& y_true, const Tensor& y_pred,
                                         HumbleWh wh = HumbleWh::corrected,
                                         HumbleIou iou_gradient = HumbleIou::differentiated,
                                         int64_t grid_w = 2, int64_t grid_h = 2) {
  const int64_t cells = grid_w * grid_h;
  // grid[k] = (column, row) of cell k, for its one box: (cells, 1, 2)
  std::vector<float> g;
  for (int64_t row = 0; row < grid_h; ++row)
    for (int64_t col = 0; col < grid_w; ++col) {
      g.push_back(static_cast<float>(col));
      g.push_back(static_cast<float>(row));
    }
  Tensor grid = from_vector(g, {cells, 1, 2});

  Tensor pred_boxes = y_pred.slice(-1, 3, 8).reshape({-1, cells, 1, 5});
  Tensor true_boxes = y_true.slice(-1, 3, 8).reshape({-1, cells, 1, 5});
  Tensor y_true_conf = true_boxes.select(-1, 4);  // (B, cells, 1): 1 where a cell holds a word
  Tensor y_pred_conf = pred_boxes.select(-1, 4);  // the article uses it without defining it

  // centre: the grid offset is added to the prediction only (the targets include it)
  Tensor y_pred_xy = pred_boxes.slice(-1, 0, 2) + grid;
  Tensor y_true_xy = true_boxes.slice(-1, 0, 2);
  Tensor xy_loss = sum(sum(square(y_true_xy - y_pred_xy), {-1}) * y_true_conf, {-1});

  // size: square roots of w and h (the sigmoid keeps the predictions positive)
  Tensor y_pred_wh = pred_boxes.slice(-1, 2, 4);
  Tensor y_true_wh = wh == HumbleWh::as_printed ? pred_boxes.slice(-1, 2, 4)  // the article's line
                                                : true_boxes.slice(-1, 2, 4);
  Tensor wh_loss = sum(sum(square(sqrt(y_true_wh) - sqrt(y_pred_wh)), {-1}) * y_true_conf, {-1});

  // class: slots 0 and 1, masked by the true confidence ((B, cells, 1) broadcast over the two)
  Tensor y_true_class = y_true.slice(-1, 0, 2);
  Tensor y_pred_class = y_pred.slice(-1, 0, 2);
  Tensor clss_loss = sum(square(y_true_class - y_pred_class) * y_true_conf, {-1});

  // confidence: trained towards the article's IoU where a cell holds a word. Its overlap along an
  // axis, (w_pred + w_true) / 2 - |x_pred - x_true|, subtracts a distance in cells from sizes in
  // images, and overstates the overlap when one box's extent lies inside the other's.
  Tensor intersect_wh =
      maximum(zeros_like(y_pred_wh), (y_pred_wh + y_true_wh) / 2.f - abs(y_pred_xy - y_true_xy));
  Tensor intersect_area = intersect_wh.select(-1, 0) * intersect_wh.select(-1, 1);
  Tensor true_area = y_true_wh.select(-1, 0) * y_true_wh.select(-1, 1);
  Tensor pred_area = y_pred_wh.select(-1, 0) * y_pred_wh.select(-1, 1);
  Tensor union_area = pred_area + true_area - intersect_area;
  Tensor iou = intersect_area / union_area;
  if (iou_gradient == HumbleIou::constant) iou = iou.detach();
  Tensor conf_loss = sum(square(y_true_conf * iou - y_pred_conf) * y_true_conf, {-1});

  return {clss_loss, xy_loss, wh_loss, conf_loss, iou.select(-1, 0)};
}

// The article's loss: class + xy + wh + conf, one value per sample and cell, (B, cells). Keras
// reduces it to the mean over samples and cells; take mean() of it to train as Keras does.
inline Tensor humble_yolo_loss(const Tensor& y_true, const Tensor& y_pred,
                               HumbleWh wh = HumbleWh::corrected,
                               HumbleIou iou_gradient = HumbleIou::differentiated,
                               int64_t grid_w = 2, int64_t grid_h = 2) {
  HumbleYoloTerms t = humble_yolo_terms(y_true, y_pred, wh, iou_gradient, grid_w, grid_h);
  return t.clss + t.xy + t.wh + t.conf;
}

}  // namespace minidl::tutorial
