// YOLOv1 conventions in one module (docs/yolo_v1_conventions.md): ground-truth boxes -> target
// tensor, prediction tensor -> scored boxes, and non-maximum suppression, so they cannot drift
// apart.
#pragma once

#include <vector>

#include "core/tensor.h"
#include "losses/yolo_v1_loss.h"

namespace minidl {

/// A box relative to the image: centre (cx, cy) and size (w, h), all in [0, 1]; class index cls.
struct Box {
  int cls = 0;
  float cx = 0, cy = 0, w = 0, h = 0;
};

/// A decoded box with its score (confidence x class probability).
struct Detection {
  Box box;
  float score = 0;
};

/// IoU of two boxes (the same function the loss uses).
float box_iou(const Box& a, const Box& b);

struct EncodedTargets {
  Tensor target;    // (N, S, S, 5 + C): [x y w h obj one-hot] per cell
  int dropped = 0;  // boxes lost to the one-object-per-cell rule
};

/// Builds the target tensor for a batch: each box goes to the cell holding its centre, with x, y
/// relative to that cell and w, h relative to the image. When two centres share a cell the larger
/// box is kept and the other counted in `dropped`. Throws minidl::Error naming the image and box
/// when a class is outside [0, C), a size is <= 0, or a centre is outside [0, 1].
EncodedTargets encode_targets(const std::vector<std::vector<Box>>& images, int S, int C);

/// Scored boxes of each image from pred (N, S, S, B*5 + C): box ((j + x)/S, (i + y)/S, w, h) with
/// w, h squared when opt.sqrt_wh; score(c) = confidence * p(c) (p = softmax of the class scores
/// when opt.class_loss is SoftmaxCE). Keeps one detection per box and class with score > threshold.
std::vector<std::vector<Detection>> decode(const Tensor& pred, const YoloV1Options& opt,
                                           float threshold = 0.2f);

/// Greedy non-maximum suppression: highest score first, dropping boxes whose IoU with a kept box
/// of the same class (any class when class_agnostic) exceeds iou_threshold. Sorted by score.
std::vector<Detection> nms(std::vector<Detection> dets, float iou_threshold = 0.4f,
                           bool class_agnostic = false);

}  // namespace minidl
