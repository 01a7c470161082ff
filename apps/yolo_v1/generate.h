// Synthetic detection datasets in YOLO txt format for the yolo_v1 app: "shapes" (coloured circles,
// squares, triangles, diamonds and crosses on noisy backgrounds) and "words" (the "humble YOLO"
// set: the words "chat" and "rat" in the cells of a 2x2 grid, drawn with minidl's bitmap font).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/image.h"
#include "core/random.h"
#include "losses/yolo_v1_target.h"

namespace yolo {

using minidl::Box;
namespace fs = std::filesystem;

struct GenerateOptions {
  std::string preset = "shapes";  // "shapes" or "words"
  int count = 500;                // images in all
  int size = 0;                   // image side in pixels; 0: the preset's default_size()
  fs::path out;                   // dataset folder; empty: data/<preset>
  uint64_t seed = 1;
  float val_fraction = 0.2f;  // share of the images in val/ (rounded; 0: no val split)
  bool force = false;         // replace an existing dataset in `out`
};

/// The known presets, in the order --help lists them.
const std::vector<std::string>& preset_list();
/// The class names of a preset; throws minidl::Error naming the preset when unknown.
std::vector<std::string> preset_names(const std::string& preset);
/// Default image side of a preset (shapes 128, words 64) and the smallest side it can draw
/// (shapes 16, words 48); throw like preset_names.
int default_size(const std::string& preset);
int min_size(const std::string& preset);

/// One generated image and the tight boxes of what was drawn on it.
struct GeneratedImage {
  minidl::Image image;     // size x size RGB
  std::vector<Box> boxes;  // relative to the image, the pixel-exact bounding box of each object
};

/// shapes: a background colour (each channel in [20, 100]) with per-pixel noise of +-16, and 1 to
/// 4 objects of random class, side 15% to 45% of the image (at least 6 px), random position and
/// a bright colour (HSV value 1, saturation >= 0.6), never overlapping one another (at least 2 px
/// apart). Each box is the bounding box of the pixels drawn, so labels match the image exactly.
/// Requires size >= 16.
GeneratedImage render_shapes(int size, minidl::Generator& gen);
/// words: a light background (each channel in [200, 245], noise +-10) and 1 to 4 words "chat"
/// (class 0) or "rat" (class 1) in distinct cells of a 2x2 grid, dark ([0, 60]), font scale
/// max(1, size / 64), placed at random wholly inside their cell. Requires size >= 48.
GeneratedImage render_words(int size, minidl::Generator& gen);
/// Image `index` of a dataset with this preset and seed: the same for the same arguments,
/// whatever the dataset's count.
GeneratedImage render_sample(const std::string& preset, int size, uint64_t seed, int64_t index);

struct GenerateSummary {
  fs::path out, names_file;
  int train = 0, val = 0, objects = 0;
  std::vector<int> per_class;  // objects per class
};

/// Writes a dataset to opt.out: <preset>.names, train/images/NNNNNN.png with
/// train/labels/NNNNNN.txt (and the same under val/), and the list files train.txt and val.txt
/// (paths relative to opt.out). The first count - round(count * val_fraction) images go to train,
/// the rest to val. Throws minidl::Error naming the bad option (unknown preset, count < 1, size out
/// of range, val_fraction outside [0, 1) or leaving no training image), and, unless opt.force, when
/// opt.out already holds train/, val/ or a .names file (with force these are replaced; nothing else
/// in opt.out is touched).
GenerateSummary generate_dataset(const GenerateOptions& opt);

}  // namespace yolo
