// Images and labels of one dataset split in memory, resized to the network input, and batches of
// them for training (with flip and scale/translate jitter) and evaluation, as minidl Datasets.
#pragma once

#include <minidl/minidl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "apps/yolo_v1/labels.h"

namespace yolo {

struct LoadOptions {
  int input = 448;                 // images are resized to input x input (any size, 1-4 channels)
  int C = 20;                      // classes: labels must have class < C
  EdgeMode mode = EdgeMode::Keep;  // Clip: cut boxes at the image edge (see labels.h)
  bool skip_bad = false;  // false: the first bad label line or unreadable image is an error;
                          // true: each is reported in `problems` and skipped (the line, or the
                          // image when it cannot be read)
  int limit = 0;          // keep only the first `limit` images (0: all)
};

/// A split in memory: image i is pixels[i * input * input * 3 ...] (RGB, rows top to bottom,
/// resized to the input), with boxes[i] relative to the image and its file in files[i].
struct DetectionData {
  int input = 0;
  std::vector<fs::path> files;
  std::vector<int> widths, heights;  // the original image sizes
  std::vector<uint8_t> pixels;
  std::vector<std::vector<Box>> boxes;
  // VOC's difficult objects of each image, from the difficult/ folder beside labels/ (convert
  // writes it): whether or not they are in boxes too. Only evaluation reads them.
  std::vector<std::vector<Box>> difficult;
  std::vector<std::string> problems;  // what skip_bad skipped, "file:line: reason"
  int objects = 0;
  LabelStats stats;  // what EdgeMode::Clip changed
  int64_t size() const { return static_cast<int64_t>(files.size()); }
  const uint8_t* image(int64_t i) const {
    return pixels.data() + static_cast<size_t>(i) * input * input * 3;
  }
};

/// The split called `name`, else the split "all" of a dataset that is not split, else null.
const Split* find_split(const Dataset& ds, const std::string& name);

/// The ground truth evaluate_map scores a split against: per image, the boxes, each flagged when
/// it is one of the image's difficult objects (a difficult/ line equal to a labels/ line flags
/// that box once), then the difficult objects that labels/ leaves out (convert
/// --skip-difficult), flagged.
struct EvalTruth {
  std::vector<std::vector<Box>> boxes;
  std::vector<std::vector<char>> difficult;
};
EvalTruth eval_truth(const DetectionData& data);

/// Reads every image and label of `split` (see LoadOptions). Throws minidl::Error "file:line:
/// reason" for the first bad label line and "file: reason" for an unreadable image unless
/// opt.skip_bad, and when no image is left.
DetectionData load_split(const Split& split, const LoadOptions& opt);

/// Random scale/translate jitter and horizontal flip.
struct Augment {
  bool enabled = true;
  bool flip = true;          // mirror left-right with probability 1/2
  float jitter = 0.2f;       // scale in [1 - jitter, 1 + jitter], shift up to +-jitter of the side
  float min_visible = 0.3f;  // a box keeps its label when at least this share stays in the image
};

/// Writes image `hwc` (input x input RGB bytes) as floats in [0, 1], CHW, to out[0 .. 3*in*in),
/// transformed by a random draw from gen (or unchanged when !aug.enabled), and returns the boxes
/// moved the same way: clipped to the image, dropped when less than aug.min_visible of the box or
/// fewer than 2 pixels of its width or height are left.
std::vector<Box> augment_image(const uint8_t* hwc, int input, const std::vector<Box>& boxes,
                               const Augment& aug, minidl::Generator& gen, float* out);

/// Batches for the YOLOv1 loss: input (N, 3, in, in) in [0, 1], target (N, S, S, 5 + C) from
/// encode_targets. With augmentation, image i in epoch e is transformed by Generator(seed, e, i)
/// alone, so a run resumed at epoch e sees the same images as an uninterrupted one.
class DetectionDataset : public minidl::Dataset {
 public:
  /// data must outlive the dataset.
  DetectionDataset(const DetectionData& data, int S, int C, Augment aug, uint64_t seed);
  int64_t size() const override { return data_.size(); }
  minidl::Example get(int64_t i) const override { return get_batch({i}); }
  minidl::Example get_batch(const std::vector<int64_t>& indices) const override;
  /// The epoch whose augmentation get_batch draws.
  void set_epoch(int64_t e) { epoch_ = e; }
  /// Boxes lost to one object per cell in the batches made so far.
  int64_t dropped() const { return dropped_; }

 private:
  const DetectionData& data_;
  int S_, C_;
  Augment aug_;
  uint64_t seed_;
  int64_t epoch_ = 0;
  mutable int64_t dropped_ = 0;
};

/// The images at [first, first + count) as an (count, 3, in, in) input tensor, unaugmented.
minidl::Tensor image_batch(const DetectionData& data, int64_t first, int64_t count);

}  // namespace yolo
