// `yolo_v1 detect`: runs a trained model on image files, draws the labelled boxes into PNG files,
// prints the detections as text or JSON, and optionally saves them as YOLO txt labels.
#pragma once

#include <minidl/minidl.h>

#include <array>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "apps/yolo_v1/evaluate.h"

namespace yolo {

struct DetectCommand {
  fs::path model;                // run folder or checkpoint file; or, instead:
  fs::path darknet_cfg;          // a darknet .cfg with a [detection] layer (darknet_model.h) ...
  fs::path darknet_weights;      // ... and its .weights file
  fs::path names;                // darknet: class names (empty: VOC's for 20 classes, else numbers)
  std::vector<fs::path> inputs;  // image files, or folders searched recursively for images
  fs::path out = "runs/detect";  // <stem>.png per image (and labels/<stem>.txt with save_txt)
  DetectOptions det;             // conf 0.2, nms_iou 0.4, per-class NMS
  bool json = false;             // JSON instead of text
  bool save_txt = false;         // write each image's detections as a YOLO label file
  std::string device = "cpu";
};

struct DetectReport {
  int images = 0;      // images processed
  int detections = 0;  // over all images
  int failed = 0;      // unreadable images (reported on err, skipped)
};

/// Detects objects in every input image: each image (any size, 1 to 4 channels) is resized to
/// the network input (a darknet network: with darknet's own resize, darknet_input); boxes are
/// mapped back to the image's pixels. Text output: one line per
/// image and one per detection (name, score, pixel box x0 y0 x1 y1, normalised cx cy w h); JSON: an
/// array with one object per image {"image", "width", "height", "output", "detections": [{"class",
/// "name", "score", "box_px": [x0, y0, x1, y1], "box": [cx, cy, w, h]}]}. An unreadable
/// (or missing) image is reported on `err` as "skipped: file: reason" and counted in `failed`.
/// Throws minidl::Error when the model cannot be loaded (or both or neither of --model and
/// --darknet-cfg are given, or --darknet-cfg without --darknet-weights), a folder holds no image,
/// or an output cannot be written.
DetectReport run_detect(const DetectCommand& cmd, std::ostream& out, std::ostream& err);

/// Draws each detection as a box in its class colour with "name score" above it; boxes are
/// relative to the image. names[cls] must exist for every detection.
void draw_detections(minidl::Image& image, const std::vector<Detection>& dets,
                     const std::vector<std::string>& names);

/// The pixel corners [x0, y0, x1, y1] (inclusive, clipped to the image) of a relative box: the
/// pixels from round(x0 * width) to round(x1 * width) - 1, and the same for y.
std::array<int, 4> pixel_box(const Box& b, int width, int height);

}  // namespace yolo
