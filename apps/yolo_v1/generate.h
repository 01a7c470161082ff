// Synthetic detection datasets in YOLO txt format for the yolo_v1 app: "shapes" (coloured circles,
// squares, triangles, diamonds and crosses on noisy backgrounds), "words" (the "humble YOLO" set:
// the words "chat" and "rat" in the cells of a 2x2 grid, drawn with minidl's bitmap font) and
// "fashion" (Fashion-MNIST items pasted onto a canvas; the files are read by fashion.h).
#pragma once

#include <minidl/minidl.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace yolo {

using minidl::Box;
namespace fs = std::filesystem;

/// Where Debian's dataset-fashion-mnist package puts the Fashion-MNIST files.
inline constexpr const char* kFashionDir = "/usr/share/datasets/fashion-mnist";

struct GenerateOptions {
  std::string preset = "shapes";  // "shapes", "words" or "fashion"
  int count = 500;                // images in all
  int size = 0;                   // image side in pixels; 0: the preset's default_size()
  fs::path out;                   // dataset folder; empty: data/<preset>
  uint64_t seed = 1;
  float val_fraction = 0.2f;           // share of the images in val/ (rounded; 0: no val split)
  bool force = false;                  // replace an existing dataset in `out`
  fs::path fashion_dir = kFashionDir;  // preset fashion: where the IDX files are
};

/// The known presets, in the order --help lists them.
const std::vector<std::string>& preset_list();
/// The class names of a preset; throws minidl::Error naming the preset when unknown.
std::vector<std::string> preset_names(const std::string& preset);
/// Default image side of a preset (shapes 128, words 64, fashion 128) and the smallest side it
/// can draw (shapes 16, words 48, fashion 32); throw like preset_names.
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
/// Fashion-MNIST items to paste: items[i] is a 28x28 grey image (0 background, bright item),
/// labels[i] its class 0..9 (see fashion.h for reading them).
struct FashionItems {
  std::vector<minidl::Image> items;
  std::vector<int> labels;
};
/// fashion: a background as shapes' and 1 to 4 items of random index, each scaled to a side of
/// 25% to 50% of the image (at least 12 px), placed at random without overlapping, and tinted with
/// a light colour (alpha = the item's intensity). Each box is the tight box of the pixels whose
/// scaled intensity exceeds 40 of 255. Requires size >= 32 and a non-empty source.
GeneratedImage render_fashion(int size, minidl::Generator& gen, const FashionItems& source);
/// Image `index` of a dataset with this preset and seed: the same for the same arguments,
/// whatever the dataset's count. The fashion preset needs `fashion` (non-null).
GeneratedImage render_sample(const std::string& preset, int size, uint64_t seed, int64_t index,
                             const FashionItems* fashion = nullptr);

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
/// in opt.out is touched). The fashion preset pastes items of Fashion-MNIST's training file into
/// train/ and of its test file into val/ (read from opt.fashion_dir; see load_fashion's errors).
GenerateSummary generate_dataset(const GenerateOptions& opt);

}  // namespace yolo
