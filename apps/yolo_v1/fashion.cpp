// Reading Fashion-MNIST for the fashion preset (fashion.h).
#include "apps/yolo_v1/fashion.h"

#include <minidl/minidl.h>

#include <cmath>

namespace yolo {

using namespace minidl;

const std::vector<std::string>& fashion_names() {
  static const std::vector<std::string> names = {"t-shirt", "trouser",   "pullover", "dress",
                                                 "coat",    "sandal",    "shirt",    "sneaker",
                                                 "bag",     "ankle-boot"};
  return names;
}

namespace {

fs::path find_idx(const fs::path& dir, const std::string& base) {
  std::error_code ec;
  for (const fs::path& p : {dir / (base + ".gz"), dir / base})
    if (fs::exists(p, ec)) return p;
  throw Error(minidl::str("missing ", (dir / (base + ".gz")).string(),
                          " (nor the uncompressed file): install Fashion-MNIST with `apt-get "
                          "install dataset-fashion-mnist` (it puts the files in ",
                          kFashionDir, "), or pass --fashion-dir DIR"));
}

}  // namespace

FashionItems load_fashion(const fs::path& dir, const std::string& prefix) {
  const fs::path ip = find_idx(dir, prefix + "-images-idx3-ubyte");
  const fs::path lp = find_idx(dir, prefix + "-labels-idx1-ubyte");
  const Tensor images = read_idx(ip), labels = read_idx(lp);
  MINIDL_CHECK(images.dim() == 3 && images.size(1) == 28 && images.size(2) == 28, ip.string(),
               ": expected images of shape (N, 28, 28), got ", shape_str(images.shape()));
  MINIDL_CHECK(labels.dim() == 1 && labels.size(0) == images.size(0) && images.size(0) > 0,
               lp.string(), ": expected one label per image (", images.size(0), "), got shape ",
               shape_str(labels.shape()));
  const std::vector<float> px = images.to_vector(), l = labels.to_vector();
  FashionItems f;
  for (size_t i = 0; i < l.size(); ++i) {
    MINIDL_CHECK(l[i] >= 0 && l[i] <= 9 && l[i] == std::floor(l[i]), lp.string(), ": label ", i,
                 " is ", l[i], ", Fashion-MNIST classes are 0..9");
    Image im(28, 28, 1);
    for (size_t k = 0; k < 28 * 28; ++k)
      im.pixels[k] =
          static_cast<uint8_t>(std::lround(std::fmin(std::fmax(px[i * 784 + k], 0.f), 255.f)));
    f.items.push_back(std::move(im));
    f.labels.push_back(static_cast<int>(l[i]));
  }
  return f;
}

}  // namespace yolo
