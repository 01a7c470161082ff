// The "fashion" dataset preset of the yolo_v1 app: Fashion-MNIST items (Debian's
// dataset-fashion-mnist, read with minidl's IDX reader) pasted onto a noisy canvas at random
// positions and scales, so detection is learned on real object appearance.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "apps/yolo_v1/generate.h"

namespace yolo {

/// Fashion-MNIST's ten class names, in label order (one word each, as .names files want).
const std::vector<std::string>& fashion_names();

/// Reads `prefix`-images-idx3-ubyte and `prefix`-labels-idx1-ubyte (each .gz or plain) from dir
/// ("train" or "t10k") as 28x28 grey items. Throws minidl::Error naming the file when one is
/// missing -- saying to `apt-get install dataset-fashion-mnist` -- or damaged (read_idx), or not
/// 28x28 images with one label 0..9 each.
FashionItems load_fashion(const fs::path& dir, const std::string& prefix);

}  // namespace yolo
