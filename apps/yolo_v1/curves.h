// The training curves of a run as one PNG, drawn with minidl's own image functions: the loss and
// its five terms per epoch on the left, validation mAP@0.5 (both VOC definitions) on the right.
#pragma once

#include <minidl/minidl.h>

#include <vector>

#include "apps/yolo_v1/train_log.h"

namespace yolo {

/// A width x height RGB picture of the rows (in epoch order): two panels with axes, tick labels
/// and a legend. Requires width >= 320 and height >= 200; an empty list draws empty axes.
minidl::Image draw_curves(const std::vector<EpochRow>& rows, int width = 960, int height = 400);

/// Draws a straight line from (x0, y0) to (x1, y1) (Bresenham), clipped to the image.
void draw_line(minidl::Image& image, int x0, int y0, int x1, int y1, minidl::Rgb colour);

}  // namespace yolo
