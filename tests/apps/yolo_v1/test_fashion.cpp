// Tests of the yolo_v1 app's fashion preset on synthetic IDX files (plain, as Fashion-MNIST's
// layout), so they never need the dataset-fashion-mnist package: items are pasted with tight
// labels of their class, train/ takes the training file's items and val/ the test file's, and a
// missing or damaged file is named with the package that installs it.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "apps/yolo_v1/fashion.h"
#include "apps/yolo_v1/labels.h"
#include "core/image.h"
#include "tests/apps/yolo_v1/temp_dir.h"

using namespace yolo;
using Catch::Matchers::Contains;
using yolo_test::B;
using yolo_test::TempDir;
using yolo_test::write_bytes;

namespace {

std::string idx_header(std::vector<uint32_t> dims) {
  std::string h = B({0, 0, 0x08, static_cast<int>(dims.size())});
  for (uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) h.push_back(static_cast<char>((d >> s) & 0xff));
  return h;
}

// n items: item i is class `first_class + i % 2`, a full-width bar of rows 10..17 (value 250)
// on black, so its scaled box is known: the whole width, rows 10/28 .. 18/28 of the item.
void write_split(const fs::path& dir, const std::string& prefix, int n, int first_class) {
  std::string im = idx_header({static_cast<uint32_t>(n), 28, 28});
  std::string lab = idx_header({static_cast<uint32_t>(n)});
  for (int i = 0; i < n; ++i) {
    for (int y = 0; y < 28; ++y)
      for (int x = 0; x < 28; ++x) im += static_cast<char>(y >= 10 && y < 18 ? 250 : 0);
    lab += static_cast<char>(first_class + i % 2);
  }
  write_bytes(dir / (prefix + "-images-idx3-ubyte"), im);
  write_bytes(dir / (prefix + "-labels-idx1-ubyte"), lab);
}

}  // namespace

TEST_CASE("yolo_v1 app: generate fashion pastes Fashion-MNIST items with tight labels",
          "[yolo_app]") {
  TempDir dir("fashion");
  fs::create_directories(dir / "idx");
  write_split(dir / "idx", "train", 6, 0);  // classes 0 and 1 in training
  write_split(dir / "idx", "t10k", 4, 8);   // classes 8 and 9 in val
  GenerateOptions g;
  g.preset = "fashion", g.count = 10, g.size = 64, g.out = dir / "ds", g.fashion_dir = dir / "idx";
  const GenerateSummary s = generate_dataset(g);
  CHECK(s.train == 8);
  CHECK(s.val == 2);
  CHECK(read_names(s.names_file) == fashion_names());
  const Dataset ds = discover_dataset(g.out);
  int boxes = 0;
  for (const Split& split : ds.splits)
    for (const Sample& smp : split.samples) {
      const minidl::Image im = minidl::load_image(smp.image);
      for (const Box& b : read_labels(smp.label, 10)) {
        ++boxes;
        if (split.name == "train") CHECK(b.cls <= 1);
        if (split.name == "val") CHECK(b.cls >= 8);
        // A bar as wide as the item and 8/28 of its height: w / h = 28 / 8 within a pixel.
        CHECK(b.w * 64 / (b.h * 64) == Approx(28.0 / 8).epsilon(0.25));
        // Inside the box the pixels are lighter than the background ([20, 100] + 16) ...
        const int x = static_cast<int>(b.cx * 64), y = static_cast<int>(b.cy * 64);
        const uint8_t* p = im.at(x, y);
        CHECK(std::max({p[0], p[1], p[2]}) > 116);
      }
    }
  CHECK(boxes == s.objects);
  CHECK(boxes >= 10);

  fs::remove(dir / "idx" / "t10k-labels-idx1-ubyte");
  g.force = true;
  CHECK_THROWS_WITH(generate_dataset(g), Contains("t10k-labels-idx1-ubyte.gz") &&
                                             Contains("apt-get install dataset-fashion-mnist"));
  CHECK(fs::exists(dir / "ds" / "train"));  // nothing was replaced before the files were read
  write_bytes(dir / "idx" / "t10k-labels-idx1-ubyte", B({0, 0, 8, 1, 0, 0, 0, 4, 1, 2, 3}));
  CHECK_THROWS_WITH(load_fashion(dir / "idx", "t10k"), Contains("t10k-labels-idx1-ubyte"));
}
