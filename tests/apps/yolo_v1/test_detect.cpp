// Tests of the yolo_v1 app's inference path: decoding and NMS through detect_tensor on a hand-made
// network output, pixel boxes, detect on images of any size and channel count (text, JSON and txt
// labels), loading splits with bad labels and unreadable images, and augmentation that moves the
// labels exactly with the pixels.
#include <catch2/catch.hpp>
#include <cmath>
#include <sstream>

#include "apps/yolo_v1/detect.h"
#include "apps/yolo_v1/detection_data.h"
#include "apps/yolo_v1/run_dir.h"
#include "layers/serialize_model.h"
#include "tests/apps/yolo_v1/temp_dir.h"

using namespace yolo;
using Catch::Matchers::Contains;
using minidl::Image;
using yolo_test::TempDir;

namespace {

// A "network" whose output is `pred` for every input: Flatten, then a Dense with zero weights
// and pred as its bias, reshaped to (S, S, 5B + C).
std::shared_ptr<minidl::Sequential> constant_model(const ModelConfig& cfg,
                                                   const std::vector<float>& pred) {
  auto m = std::make_shared<minidl::Sequential>();
  m->emplace<minidl::Flatten>();
  m->emplace<minidl::Dense>(3 * cfg.input * cfg.input, static_cast<int64_t>(pred.size()));
  m->emplace<minidl::Reshape>(minidl::Shape{cfg.S, cfg.S, 5 * cfg.B + cfg.C});
  minidl::NoGradGuard no_grad;
  for (auto& [name, t] : m->parameters())
    t.copy_(name == "1.bias" ? minidl::from_vector(pred, t.shape()) : minidl::zeros(t.shape()));
  return m;
}

}  // namespace

TEST_CASE("yolo_v1 app: detect decodes, thresholds and suppresses per class or across classes",
          "[yolo_app]") {
  // humble-style head (w, h not square-rooted), S = 2, B = 1, C = 2: per cell x y w h c p0 p1.
  ModelConfig cfg = reference_config("humble", 2);
  cfg.input = 16;
  std::vector<float> pred(2 * 2 * 7, 0.f);
  auto cell = [&](int i, int j) { return pred.data() + (i * 2 + j) * 7; };
  // Cell (0, 0): box centre (0.45, 0.25), 0.4 x 0.4, confidence 0.9, class 0 (0.9 * 1 = 0.9).
  const float a[7] = {0.9f, 0.5f, 0.4f, 0.4f, 0.9f, 1.f, 0.f};
  // Cell (0, 1): centre (0.55, 0.25) -- IoU with a: overlap 0.3 x 0.4 / (0.32 - 0.12) = 0.6;
  // confidence 0.8, class 0 with p 0.75 (score 0.6) and class 1 with p 0.5 (score 0.4).
  const float b[7] = {0.1f, 0.5f, 0.4f, 0.4f, 0.8f, 0.75f, 0.5f};
  // Cell (1, 1): a small class-1 box of score 0.1 (below the threshold 0.2).
  const float c[7] = {0.5f, 0.5f, 0.1f, 0.1f, 0.5f, 0.f, 0.2f};
  std::copy(a, a + 7, cell(0, 0));
  std::copy(b, b + 7, cell(0, 1));
  std::copy(c, c + 7, cell(1, 1));
  auto model = constant_model(cfg, pred);
  const minidl::Tensor x = minidl::zeros({1, 3, 16, 16});

  DetectOptions opt;  // conf 0.2, NMS IoU 0.4 per class
  std::vector<Detection> d = detect_tensor(*model, cfg, x, minidl::Device::CPU, opt)[0];
  REQUIRE(d.size() == 2);  // b's class 0 is suppressed by a (IoU 0.6 > 0.4); b's class 1 stays
  CHECK(d[0].box.cls == 0);
  CHECK(d[0].score == Approx(0.9f));
  CHECK(d[0].box.cx == Approx(0.45f));
  CHECK(d[0].box.cy == Approx(0.25f));
  CHECK(d[1].box.cls == 1);
  CHECK(d[1].score == Approx(0.4f));
  opt.agnostic = true;  // across classes a suppresses b's class-1 box too
  d = detect_tensor(*model, cfg, x, minidl::Device::CPU, opt)[0];
  REQUIRE(d.size() == 1);
  opt = DetectOptions{0.05f, 0.7f, false};  // a lower threshold keeps c; IoU 0.6 < 0.7 keeps b
  d = detect_tensor(*model, cfg, x, minidl::Device::CPU, opt)[0];
  REQUIRE(d.size() == 4);
  CHECK(d[3].score == Approx(0.1f));

  // Pixel boxes: a's 0.4 x 0.4 box at (0.45, 0.25) in a 100 x 100 image covers x 25..64, y 5..44.
  CHECK(pixel_box(d[0].box, 100, 100) == std::array<int, 4>{25, 5, 64, 44});
  CHECK(pixel_box(Box{0, 0.f, 1.f, 0.5f, 0.5f}, 10, 10) == std::array<int, 4>{0, 8, 2, 9});
}

TEST_CASE("yolo_v1 app: detect reads images of any size and channels and reports bad ones",
          "[yolo_app]") {
  TempDir dir("detect");
  fs::create_directories(dir / "run");
  ModelConfig cfg = reference_config("humble", 2);
  cfg.input = 16;
  std::vector<float> pred(2 * 2 * 7, 0.f);
  const float a[7] = {0.5f, 0.5f, 0.5f, 0.5f, 0.9f, 0.f, 1.f};  // class "rat" in cell (0, 0)
  std::copy(a, a + 7, pred.data());
  // The real humble network (as detect rebuilds it), made constant: its last Dense (layer 11)
  // gets zero weights and the logits of `pred` as bias, so its sigmoid head outputs pred.
  auto model = make_model(cfg);
  {
    minidl::NoGradGuard no_grad;
    std::vector<float> logits;
    for (float p : pred) logits.push_back(p <= 0 ? -30.f : p >= 1 ? 30.f : std::log(p / (1 - p)));
    for (auto& [name, t] : model->parameters())
      if (name == "11.weight")
        t.copy_(minidl::zeros(t.shape()));
      else if (name == "11.bias")
        t.copy_(minidl::from_vector(logits, t.shape()));
  }
  minidl::Adam adam(model->parameters());
  minidl::Metadata meta = config_metadata(cfg, {"chat", "rat"});
  minidl::save_checkpoint(dir / "run" / "best.safetensors", *model, adam, 0, meta);

  minidl::save_png(dir / "grey.png", Image(50, 30, 1, 128));
  minidl::save_png(dir / "rgba.png", Image(20, 40, 4, 200));
  yolo_test::write_text(dir / "broken.png", "not a png");
  DetectCommand cmd;
  cmd.model = dir / "run";
  cmd.inputs = {dir / "grey.png", dir / "rgba.png", dir / "broken.png", dir / "missing.png"};
  cmd.out = dir / "out";
  cmd.save_txt = true;
  std::ostringstream out, err;
  DetectReport r = run_detect(cmd, out, err);
  CHECK(r.images == 2);
  CHECK(r.detections == 2);
  CHECK(r.failed == 2);
  CHECK_THAT(err.str(), Contains("broken.png") && Contains("missing.png"));
  // The box (0.25, 0.25, 0.5, 0.5) in the 50 x 30 image: x 0..24, y 0..14.
  CHECK_THAT(out.str(), Contains("grey.png (50x30): 1 detection") &&
                            Contains("rat          0.900  px [0, 0, 24, 14]"));
  const Image drawn = minidl::load_image(dir / "out" / "grey.png");
  CHECK(drawn.width == 50);
  CHECK(drawn.height == 30);
  CHECK(drawn.channels == 3);
  CHECK(yolo_test::slurp(dir / "out" / "labels" / "rgba.txt") ==
        "1 0.250000 0.250000 0.500000 0.500000\n");

  cmd.json = true;
  cmd.inputs = {dir / "rgba.png"};
  std::ostringstream js;
  run_detect(cmd, js, err);
  CHECK_THAT(js.str(), Contains("\"name\": \"rat\"") && Contains("\"box_px\": [") &&
                           Contains("\"width\": 20") && Contains("\"score\": 0.9"));
  cmd.model = dir / "nowhere";
  CHECK_THROWS_WITH(run_detect(cmd, js, err), Contains("nowhere"));
}

TEST_CASE("yolo_v1 app: loading a split rejects or skips bad labels and unreadable images",
          "[yolo_app]") {
  TempDir dir("load");
  fs::create_directories(dir / "images");
  minidl::save_png(dir / "images" / "a.png", Image(8, 8, 3, 10));
  minidl::save_png(dir / "images" / "b.png", Image(8, 8, 3, 10));
  yolo_test::write_text(dir / "images" / "c.png", "garbage");
  yolo_test::write_text(dir / "labels" / "a.txt", "0 0.5 0.5 0.2 0.2\n");
  yolo_test::write_text(dir / "labels" / "b.txt", "0 0.5 0.5 0.2 0.2\n3 0.5 0.5 0.2 0.2\n");
  yolo_test::write_text(dir / "c.names", "only\n");
  const Dataset ds = discover_dataset(dir.path);
  LoadOptions lo;
  lo.input = 4, lo.C = 1;
  CHECK_THROWS_WITH(load_split(ds.splits[0], lo),
                    Contains("b.txt:2: class 3 is outside [0, 1)") && Contains("--skip-bad"));
  lo.skip_bad = true;
  DetectionData d = load_split(ds.splits[0], lo);
  CHECK(d.size() == 2);   // c.png skipped
  CHECK(d.objects == 2);  // b's bad line skipped
  REQUIRE(d.problems.size() == 2);
  CHECK_THAT(d.problems[0], Contains("b.txt:2"));
  CHECK_THAT(d.problems[1], Contains("c.png") && Contains("image skipped"));
  CHECK(d.pixels.size() == 2u * 4 * 4 * 3);
}

TEST_CASE("yolo_v1 app: augmentation moves the boxes exactly with the pixels", "[yolo_app]") {
  const int in = 64;
  std::vector<uint8_t> hwc(in * in * 3, 0);
  // A white rectangle over pixels x 10..29, y 20..35: box centre (20/64, 28/64), 20/64 x 16/64.
  for (int y = 20; y <= 35; ++y)
    for (int x = 10; x <= 29; ++x)
      for (int c = 0; c < 3; ++c) hwc[(y * in + x) * 3 + c] = 255;
  const std::vector<Box> boxes = {{0, 20 / 64.f, 28 / 64.f, 20 / 64.f, 16 / 64.f}};
  std::vector<float> out(3 * in * in);
  Augment aug;
  aug.enabled = false;
  minidl::Generator gen(1);
  CHECK(augment_image(hwc.data(), in, boxes, aug, gen, out.data())[0].cx == boxes[0].cx);
  CHECK(out[20 * in + 10] == 1.f);
  aug.enabled = true;
  int flips = 0;
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    minidl::Generator g(seed);
    const std::vector<Box> moved = augment_image(hwc.data(), in, boxes, aug, g, out.data());
    // The bright pixels' bounding box (value > 0.5 in channel 0).
    int x0 = in, y0 = in, x1 = -1, y1 = -1;
    for (int y = 0; y < in; ++y)
      for (int x = 0; x < in; ++x)
        if (out[static_cast<size_t>(y) * in + x] > 0.5f)
          x0 = std::min(x0, x), y0 = std::min(y0, y), x1 = std::max(x1, x), y1 = std::max(y1, y);
    if (x1 < 0) {  // moved out of the picture: the label must be gone too
      CHECK(moved.empty());
      continue;
    }
    REQUIRE(moved.size() == 1);
    INFO("seed " << seed);
    // Within a pixel of the bright area (bilinear edges), in pixel units.
    CHECK(std::fabs((moved[0].cx - moved[0].w / 2) * in - x0) <= 1.01f);
    CHECK(std::fabs((moved[0].cx + moved[0].w / 2) * in - (x1 + 1)) <= 1.01f);
    CHECK(std::fabs((moved[0].cy - moved[0].h / 2) * in - y0) <= 1.01f);
    CHECK(std::fabs((moved[0].cy + moved[0].h / 2) * in - (y1 + 1)) <= 1.01f);
    flips += moved[0].cx > 0.5f;  // the rectangle sits left of centre; flipped it is right of it
  }
  CHECK(flips > 0);
  CHECK(flips < 12);
}
