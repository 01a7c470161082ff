// check-dataset for the yolo_v1 app: validates every label file of a dataset, counts classes,
// background images and unreadable images, and the boxes YOLOv1's one-object-per-cell rule drops.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "apps/yolo_v1/labels.h"

namespace yolo {

struct CheckOptions {
  int S = 7;                       // grid size for the one-object-per-cell count
  EdgeMode mode = EdgeMode::Keep;  // Clip: count boxes clipped/dropped at the image edge
  fs::path names;                  // class names; empty: the dataset's own .names file
  bool read_images = true;         // decode every image in full (verify_image)
};

/// What check_dataset found, over all splits.
struct CheckReport {
  int images = 0;
  int background = 0;                    // images without any box (no label file, or an empty one)
  int objects = 0;                       // boxes read (after clipping)
  int label_problems = 0;                // bad label lines (each printed as file:line: reason)
  int unreadable = 0;                    // images that do not decode (each printed with the reason)
  int clipped = 0, dropped_at_edge = 0;  // EdgeMode::Clip only
  int dropped_by_cell = 0;               // boxes lost to one object per cell at S
  std::vector<int> per_class;
  bool ok() const { return label_problems == 0 && unreadable == 0; }
};

/// Decodes the whole image, not just its header, so that a file cut short is caught: stb reports
/// a PNG or JPEG whose pixel data ends early; a PNG must also end with its complete IEND chunk
/// (stb stops reading after the pixel data and never sees a cut there). Returns the image's size.
/// Throws minidl::Error naming the file and the reason.
minidl::ImageInfo verify_image(const fs::path& file);

/// Checks the dataset at `where` (any layout discover_dataset accepts) and writes a readable
/// report to `out`: per split the image count, background images, a class histogram, every
/// label problem as "file:line: reason", images that do not decode (verify_image), image sizes
/// seen, clipped/dropped boxes, and the boxes the one-object-per-cell rule drops at opt.S
/// (encode_targets' rule). Throws minidl::Error when the dataset cannot be found, has no class
/// names (and opt.names is empty), or opt.S < 1. Bad labels and images are reported, not thrown.
CheckReport check_dataset(const fs::path& where, const CheckOptions& opt, std::ostream& out);

}  // namespace yolo
