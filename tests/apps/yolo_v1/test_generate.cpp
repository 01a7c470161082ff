// Tests of the yolo_v1 app's dataset generator: written labels are the exact bounding boxes of the
// pixels drawn (checked from the PNG files alone), the shapes match their class, the words preset
// keeps one word per cell, and the same seed writes the same bytes.
#include <catch2/catch.hpp>
#include <cmath>

#include "apps/yolo_v1/generate.h"
#include "apps/yolo_v1/labels.h"
#include "core/error.h"
#include "core/image.h"
#include "tests/apps/yolo_v1/temp_dir.h"

using namespace yolo;
using Catch::Matchers::Contains;
using minidl::Image;
using yolo_test::TempDir;

namespace {

struct PixelBox {
  int x0, y0, x1, y1;  // inclusive
};
PixelBox to_pixels(const Box& b, const Image& im) {
  return {static_cast<int>(std::lround((b.cx - b.w / 2) * im.width)),
          static_cast<int>(std::lround((b.cy - b.h / 2) * im.height)),
          static_cast<int>(std::lround((b.cx + b.w / 2) * im.width)) - 1,
          static_cast<int>(std::lround((b.cy + b.h / 2) * im.height)) - 1};
}
bool inside(const PixelBox& p, int x, int y) {
  return x >= p.x0 && x <= p.x1 && y >= p.y0 && y <= p.y1;
}

// Object-pixel shares of one box: over the whole box and in its top, middle and bottom rows.
struct Fill {
  double all, top, middle, bottom;
};

// Checks one generated image against its labels using pixels only: the background colour is the
// mean outside every box, and an "object pixel" differs from it by more than 60 in some channel
// (backgrounds have noise <= 16, objects differ by >= 100). Every object pixel lies inside a box,
// every box edge row and column holds an object pixel (so the box is tight), and the one-pixel
// ring around each box has none.
std::vector<Fill> check_image(const Image& im, const std::vector<Box>& boxes) {
  std::vector<PixelBox> pb;
  for (const Box& b : boxes) pb.push_back(to_pixels(b, im));
  double mean[3] = {0, 0, 0};
  int n = 0;
  for (int y = 0; y < im.height; ++y)
    for (int x = 0; x < im.width; ++x)
      if (std::none_of(pb.begin(), pb.end(), [&](const PixelBox& p) { return inside(p, x, y); })) {
        for (int c = 0; c < 3; ++c) mean[c] += im.at(x, y)[c];
        ++n;
      }
  REQUIRE(n > 0);
  auto object = [&](int x, int y) {
    for (int c = 0; c < 3; ++c)
      if (std::fabs(im.at(x, y)[c] - mean[c] / n) > 60) return true;
    return false;
  };
  for (int y = 0; y < im.height; ++y)
    for (int x = 0; x < im.width; ++x)
      if (object(x, y)) {
        INFO("object pixel " << x << ", " << y << " outside every box");
        CHECK(
            std::any_of(pb.begin(), pb.end(), [&](const PixelBox& p) { return inside(p, x, y); }));
      }
  std::vector<Fill> fills;
  for (const PixelBox& p : pb) {
    INFO("box x " << p.x0 << ".." << p.x1 << " y " << p.y0 << ".." << p.y1);
    REQUIRE((p.x0 >= 0 && p.y0 >= 0 && p.x1 < im.width && p.y1 < im.height && p.x0 <= p.x1 &&
             p.y0 <= p.y1));
    const int w = p.x1 - p.x0 + 1, h = p.y1 - p.y0 + 1;
    auto row = [&](int y) {
      int on = 0;
      for (int x = p.x0; x <= p.x1; ++x) on += object(x, y);
      return on;
    };
    bool left = false, right = false;
    int count = 0;
    for (int y = p.y0; y <= p.y1; ++y) {
      count += row(y);
      left |= object(p.x0, y), right |= object(p.x1, y);
    }
    CHECK(row(p.y0) > 0);
    CHECK(row(p.y1) > 0);
    CHECK((left && right));
    for (int y = p.y0 - 1; y <= p.y1 + 1; ++y)
      for (int x = p.x0 - 1; x <= p.x1 + 1; ++x)
        if (x >= 0 && y >= 0 && x < im.width && y < im.height && !inside(p, x, y))
          CHECK_FALSE(object(x, y));
    fills.push_back({static_cast<double>(count) / (w * h), static_cast<double>(row(p.y0)) / w,
                     static_cast<double>(row((p.y0 + p.y1) / 2)) / w,
                     static_cast<double>(row(p.y1)) / w});
  }
  return fills;
}

}  // namespace

TEST_CASE("yolo_v1 app: generate shapes writes labels that are the boxes of the drawn shapes",
          "[yolo_app]") {
  TempDir dir("gen_shapes");
  GenerateOptions opt;
  opt.count = 16;
  opt.size = 64;
  opt.seed = 7;
  opt.val_fraction = 0.25f;
  opt.out = dir / "shapes";
  GenerateSummary sum = generate_dataset(opt);
  CHECK(sum.train == 12);
  CHECK(sum.val == 4);
  Dataset d = discover_dataset(opt.out);
  REQUIRE(d.splits.size() == 2);
  CHECK(d.names == std::vector<std::string>{"circle", "square", "triangle", "diamond", "cross"});
  CHECK(d.splits[0].samples.size() == 12);
  CHECK(discover_dataset(opt.out / "val.txt").splits.at(0).samples.size() == 4);
  std::vector<int> seen(5, 0);
  int objects = 0;
  for (const Split& split : d.splits)
    for (const Sample& s : split.samples) {
      INFO(s.image.string());
      Image im = minidl::load_image(s.image);
      REQUIRE((im.width == 64 && im.height == 64 && im.channels == 3));
      std::vector<Box> boxes = read_labels(s.label, 5);
      CHECK((boxes.size() >= 1 && boxes.size() <= 4));
      std::vector<Fill> fills = check_image(im, boxes);
      for (size_t k = 0; k < boxes.size(); ++k) {
        const Fill& f = fills[k];
        INFO("class " << boxes[k].cls << " fill " << f.all << " rows " << f.top << " " << f.middle
                      << " " << f.bottom);
        ++seen[boxes[k].cls];
        ++objects;
        switch (boxes[k].cls) {
          case 0:  // circle: pi/4 of its box, full middle row
            CHECK((f.all > 0.6 && f.all < 0.9 && f.middle == 1.0 && f.top < 0.75));
            break;
          case 1:  // square: all of it
            CHECK(f.all == 1.0);
            break;
          case 2:  // triangle, apex up: half, narrow top, (nearly) full bottom
            CHECK((f.all > 0.35 && f.all < 0.7 && f.top <= 0.4 && f.bottom >= 0.8));
            break;
          case 3:  // diamond: half, full middle, one or two pixels at top and bottom
            CHECK((f.all > 0.35 && f.all < 0.7 && f.middle == 1.0 && f.top <= 0.25 &&
                   f.bottom <= 0.25));
            break;
          default:  // cross: 5/9, full middle row, a third at top and bottom
            CHECK((f.all > 0.4 && f.all < 0.75 && f.middle == 1.0 && f.top > 0.25 && f.top < 0.5));
        }
        // Objects are 15% to 45% of the image side.
        CHECK((boxes[k].w >= 9.f / 64 && boxes[k].w <= 29.f / 64 + 1e-6f));
      }
    }
  CHECK(objects == sum.objects);
  for (int c = 0; c < 5; ++c) CHECK(seen[c] > 0);
  CHECK(seen == sum.per_class);
}

TEST_CASE("yolo_v1 app: generate words draws chat and rat at most one per cell", "[yolo_app]") {
  TempDir dir("gen_words");
  GenerateOptions opt;
  opt.preset = "words";
  opt.count = 10;
  opt.val_fraction = 0;
  opt.out = dir / "words";
  GenerateSummary sum = generate_dataset(opt);
  CHECK(sum.train == 10);
  CHECK(sum.val == 0);
  CHECK_FALSE(fs::exists(opt.out / "val"));
  Dataset d = discover_dataset(opt.out);
  REQUIRE(d.splits.size() == 1);
  CHECK(d.names == std::vector<std::string>{"chat", "rat"});
  for (const Sample& s : d.splits[0].samples) {
    INFO(s.image.string());
    Image im = minidl::load_image(s.image);
    REQUIRE((im.width == 64 && im.height == 64));  // the preset's default size
    std::vector<Box> boxes = read_labels(s.label, 2);
    check_image(im, boxes);
    bool used[4] = {false, false, false, false};
    for (const Box& b : boxes) {
      // 5x7 glyphs 6 px apart, every outer glyph column used: "chat" is 4 * 6 - 1 = 23 px wide,
      // "rat" 3 * 6 - 1 = 17, both 7 px high.
      CHECK(b.w == Approx((b.cls == 0 ? 23 : 17) / 64.0));
      CHECK(b.h == Approx(7 / 64.0));
      const int cell = static_cast<int>(b.cx * 2) + 2 * static_cast<int>(b.cy * 2);
      CHECK_FALSE(used[cell]);
      used[cell] = true;
      // The whole word lies in its cell.
      CHECK(static_cast<int>((b.cx - b.w / 2) * 2 + 1e-4f) ==
            static_cast<int>((b.cx + b.w / 2) * 2 - 1e-4f));
    }
  }
}

TEST_CASE("yolo_v1 app: generate is deterministic per seed and per image index", "[yolo_app]") {
  TempDir dir("gen_seed");
  GenerateOptions opt;
  opt.count = 6;
  opt.size = 32;
  opt.seed = 11;
  opt.out = dir / "a";
  generate_dataset(opt);
  opt.out = dir / "b";
  generate_dataset(opt);
  int files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir / "a")) {
    if (!e.is_regular_file()) continue;
    ++files;
    const fs::path twin = dir / "b" / fs::relative(e.path(), dir / "a");
    INFO(e.path().string());
    CHECK(yolo_test::slurp(e.path()) == yolo_test::slurp(twin));
  }
  CHECK(files == 6 * 2 + 3);  // images, labels, shapes.names, train.txt, val.txt
  // Another seed draws other images; another count keeps image i the same.
  opt.out = dir / "c";
  opt.seed = 12;
  generate_dataset(opt);
  CHECK(yolo_test::slurp(dir / "a/train/images/000000.png") !=
        yolo_test::slurp(dir / "c/train/images/000000.png"));
  opt.out = dir / "d";
  opt.seed = 11;
  opt.count = 2;
  opt.val_fraction = 0;
  generate_dataset(opt);
  CHECK(yolo_test::slurp(dir / "a/train/images/000001.png") ==
        yolo_test::slurp(dir / "d/train/images/000001.png"));
}

TEST_CASE("yolo_v1 app: generate refuses bad options and an existing dataset without force",
          "[yolo_app]") {
  TempDir dir("gen_bad");
  GenerateOptions opt;
  opt.count = 2;
  opt.size = 16;
  opt.out = dir / "ds";
  generate_dataset(opt);
  CHECK_THROWS_WITH(generate_dataset(opt),
                    Contains("already holds a dataset") && Contains("--force"));
  yolo_test::write_text(dir / "ds/keep.me", "mine");
  opt.force = true;
  opt.count = 3;
  opt.val_fraction = 0;
  GenerateSummary s = generate_dataset(opt);
  CHECK(s.train == 3);
  CHECK_FALSE(fs::exists(dir / "ds/val"));  // the old val/ is gone
  CHECK(fs::exists(dir / "ds/keep.me"));    // other files are left alone
  GenerateOptions bad = opt;
  bad.preset = "fashionable";
  CHECK_THROWS_WITH(generate_dataset(bad), Contains("unknown preset 'fashionable'"));
  bad = opt;
  bad.size = 15;
  CHECK_THROWS_WITH(generate_dataset(bad), Contains("--size"));
  bad = opt;
  bad.preset = "words";
  bad.size = 40;
  CHECK_THROWS_WITH(generate_dataset(bad), Contains("--size") && Contains("48"));
  bad = opt;
  bad.val_fraction = 1.f;
  CHECK_THROWS_WITH(generate_dataset(bad), Contains("--val-fraction"));
  bad = opt;
  bad.count = 0;
  CHECK_THROWS_WITH(generate_dataset(bad), Contains("--count"));
}
