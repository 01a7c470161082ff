// Tests of darknet networks in detect (apps/yolo_v1/darknet_model.h), without downloads: the
// mapping from darknet's [detection] output layout to minidl's (by hand, both ways, gradient),
// darknet's resize_image arithmetic on hand-worked images (its darkened last row included), and
// `yolo_v1 detect --darknet-cfg` end to end through the command line on a small network whose
// weights come from save_darknet_weights and whose boxes are worked out by hand; then its errors.
#include <catch2/catch.hpp>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "apps/yolo_v1/cli.h"
#include "apps/yolo_v1/darknet_model.h"
#include "support/helpers.h"
#include "tests/apps/yolo_v1/temp_dir.h"

using namespace yolo;
using Catch::Matchers::Contains;
using minidl::Tensor;
using yolo_test::TempDir;
using yolo_test::write_text;

namespace {

const fs::path kCfgDir =
    fs::path(__FILE__).parent_path() / ".." / ".." / ".." / "apps" / "yolo_v1" / "cfg";

std::vector<float> iota(size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i);
  return v;
}

// Runs one command line as main() does; returns the exit status, stdout and stderr.
struct Ran {
  int status = 0;
  std::string out, err;
};
Ran run(const std::vector<std::string>& argv) {
  Cli cli;
  cli.parse(argv);
  std::ostringstream out, err;
  Ran r;
  r.status = cli.chosen().run({out, err, false});
  r.out = out.str(), r.err = err.str();
  return r;
}

// A 3x3 RGB input, a 1x1 convolution that keeps the red channel, a connected layer with 28
// outputs and a [detection] layer with side 2, num 1, classes 2: 2*2*((1 + 4)*1 + 2) = 28.
const char* kNet = R"([net]
width=3
height=3
channels=3

[convolutional]
filters=1
size=1
stride=1
pad=0
activation=linear

[connected]
output=28
activation=linear

[detection]
classes=2
coords=4
rescore=1
side=2
num=1
softmax=0
sqrt=1
)";

// The weights of kNet that the end-to-end test works out by hand. darknet's output indices for
// side 2, num 1, classes 2: class c of cell k at 2k + c, cell k's confidence at 8 + k, its box at
// 12 + 4k + (x, y, sqrt w, sqrt h). Only the biases are set, and one weight: cell 0's confidence
// is the red value of the centre pixel of the resized input (input 4 of the 3x3 map).
void write_weights(const fs::path& cfg, const fs::path& weights) {
  DarknetNetwork net = load_darknet_network(cfg);
  minidl::NoGradGuard no_grad;
  const DarknetLayer& conv = net.layers[0];
  conv.conv->weight().copy_(minidl::from_vector({1, 0, 0}, {1, 3, 1, 1}));
  conv.conv->bias().copy_(minidl::from_vector({0}, {1}));
  std::vector<float> b(28, 0.f), w(28 * 9, 0.f);
  b[0] = 0.9f, b[1] = 0.1f;  // cell 0 (row 0, col 0): class scores
  b[6] = 0.2f, b[7] = 0.8f;  // cell 3 (row 1, col 1)
  w[8 * 9 + 4] = 1.f;        // cell 0's confidence = the centre pixel's red
  b[11] = 0.5f;              // cell 3's confidence
  b[12] = 0.5f, b[13] = 0.5f, b[14] = 0.6f, b[15] = 0.4f;    // cell 0's box
  b[24] = 0.25f, b[25] = 0.75f, b[26] = 0.5f, b[27] = 0.3f;  // cell 3's box
  const DarknetLayer& fc = net.layers[1];
  fc.dense->weight().copy_(minidl::from_vector(w, {28, 9}));
  fc.dense->bias().copy_(minidl::from_vector(b, {28}));
  save_darknet_weights(weights, net);
}

}  // namespace

TEST_CASE("darknet detect: darknet's output layout maps onto minidl's, by hand and both ways",
          "[darknet]") {
  // side 2, num 1, classes 2: 28 values per image, value i = i. By darknet's indexing
  // (class c of cell k at 2k + c, confidence at 8 + k, box at 12 + 4k + j), minidl's cell
  // (row, col) = cell k = 2 row + col reads [x y w h conf p0 p1]:
  const Tensor out = minidl::from_vector(iota(56), {2, 28});
  const Tensor m = darknet_to_minidl(out, 2, 1, 2);
  CHECK_CLOSE(m.slice(0, 0, 1), {12, 13, 14, 15, 8,  0, 1,   // cell 0
                                 16, 17, 18, 19, 9,  2, 3,   // cell 1 (row 0, col 1)
                                 20, 21, 22, 23, 10, 4, 5,   // cell 2 (row 1, col 0)
                                 24, 25, 26, 27, 11, 6, 7},  // cell 3
              {1, 2, 2, 7});
  CHECK(m.to_vector()[28] == 28 + 12);  // the second image starts at its own offset
  CHECK_CLOSE(minidl_to_darknet(m, 2, 1, 2), out);

  // Two boxes per cell: box b of cell k at 12 + ... ; here side 1, num 2, classes 1:
  // class at 0, confidences at 1 and 2, boxes at 3..6 and 7..10.
  CHECK_CLOSE(darknet_to_minidl(minidl::from_vector(iota(11), {1, 11}), 1, 2, 1),
              {3, 4, 5, 6, 1, 7, 8, 9, 10, 2, 0}, {1, 1, 1, 11});

  // Round trips on random values, both ways, at yolov1-tiny's sizes.
  const Tensor d = minidl::test::R({3, 7 * 7 * (5 * 2 + 20)}, 5, false);
  CHECK_CLOSE(minidl_to_darknet(darknet_to_minidl(d, 7, 2, 20), 7, 2, 20), d, 0, 0);
  const Tensor p = minidl::test::R({3, 7, 7, 5 * 3 + 4}, 6, false);
  CHECK_CLOSE(darknet_to_minidl(minidl_to_darknet(p, 7, 3, 4), 7, 3, 4), p, 0, 0);

  CHECK_THROWS_WITH(darknet_to_minidl(minidl::zeros({1, 27}), 2, 1, 2), Contains("(N, 28)"));
  CHECK_THROWS_WITH(minidl_to_darknet(minidl::zeros({1, 2, 2, 6}), 2, 1, 2),
                    Contains("(N, 2, 2, 7)"));
}

TEST_CASE("darknet detect: the layout mapping passes gradients through (gradcheck)", "[darknet]") {
  const Tensor d = minidl::test::R({2, 2 * 2 * (5 * 2 + 3)}, 7);
  CHECK_GRADS([](const std::vector<Tensor>& x) { return darknet_to_minidl(x[0], 2, 2, 3); }, {d});
  const Tensor p = minidl::test::R({2, 2, 2, 5 * 2 + 3}, 8);
  CHECK_GRADS([](const std::vector<Tensor>& x) { return minidl_to_darknet(x[0], 2, 2, 3); }, {p});
}

TEST_CASE("darknet detect: darknet_resize samples as darknet's resize_image", "[darknet]") {
  // 4x4 -> 3x3, value 4r + c. Scale (4 - 1) / (3 - 1) = 1.5 along both axes. Along x: column 0
  // reads x = 0, column 1 reads x = 1.5 (half of x = 1 and x = 2), column 2 (the last) copies
  // x = 3: row r becomes [4r, 4r + 1.5, 4r + 3]. Along y: row 0 reads y = 0, row 1 y = 1.5 (half
  // of rows 1 and 2: [6, 7.5, 9]), row 2 reads y = 3.0 with weight 1.
  CHECK(darknet_resize(iota(16), 1, 4, 4, 3, 3) ==
        std::vector<float>{0, 1.5f, 3, 6, 7.5f, 9, 12, 13.5f, 15});
  // 3 rows -> 2: scale 2, row 1 (the last) reads y = 2; 4 columns -> 3 as above.
  CHECK(darknet_resize(iota(12), 1, 3, 4, 3, 2) == std::vector<float>{0, 1.5f, 3, 8, 9.5f, 11});
  // Channels are resized one by one (the second plane is the first plus 16).
  std::vector<float> two = iota(32);
  const std::vector<float> r2 = darknet_resize(two, 2, 4, 4, 3, 3);
  CHECK(r2[9] == 16);
  CHECK(r2[17] == 31);
  // A side of 1 (darknet would divide by zero): the last column, the first row.
  CHECK(darknet_resize(iota(4), 1, 2, 2, 1, 1) == std::vector<float>{1});

  // darknet's last row: 32 rows of 1.0 resized to 8. In float, h_scale = 31/7 = 4.4285712 and
  // 7 * h_scale = 30.999998, so the last row reads row 30 with weight 1 - 0.9999981 and skips row
  // 31 (darknet adds the second row only for rows before the last): 1.9073486e-06, not 1.
  // (float32 arithmetic, checked with Python's struct module.)
  const std::vector<float> dark = darknet_resize(std::vector<float>(32, 1.f), 1, 32, 1, 1, 8);
  for (int r = 0; r < 7; ++r) CHECK(dark[r] == Approx(1.f).margin(1e-6));
  CHECK(dark[7] == 1.9073486328125e-06f);
}

TEST_CASE("darknet detect: darknet_input is RGB / 255, resized without letterbox", "[darknet]") {
  // A 1x1 grey pixel of 51 becomes 51 / 255 = 0.2 in R, G and B, spread over the 3x3 input.
  const Tensor x = darknet_input(minidl::Image(1, 1, 1, 51), 3, 3);
  CHECK_CLOSE(x, std::vector<float>(27, 0.2f), {1, 3, 3, 3}, 0, 0);
  // RGBA: alpha dropped; a 2x1 image stretched to 3x3 keeps the corners and averages the middle.
  minidl::Image rgba(2, 1, 4, 0);
  rgba.at(0, 0)[0] = 255, rgba.at(1, 0)[0] = 0, rgba.at(0, 0)[3] = 7;
  const std::vector<float> v = darknet_input(rgba, 3, 3).to_vector();
  CHECK(v[0] == 1.f);
  CHECK(v[1] == 0.5f);
  CHECK(v[2] == 0.f);
  CHECK(v[9] == 0.f);  // green
}

TEST_CASE("darknet detect: yolo_v1 detect --darknet-cfg gives the boxes worked out by hand",
          "[darknet]") {
  minidl::set_num_threads(2);
  TempDir dir("dn_detect");
  write_text(dir / "t.cfg", kNet);
  write_weights(dir / "t.cfg", dir / "t.weights");
  write_text(dir / "pets.names", "cat\ndog\n");
  // A 4x4 image. darknet's resize to 3x3 reads the centre at x = 1.5, y = 1.5 (scale 3 / 2):
  // red 255 255 on row 1 and 0 51 on row 2 give (1 + 1) / 2 = 1 and (0 + 0.2) / 2 = 0.1, then
  // (1 + 0.1) / 2 = 0.55 = cell 0's confidence.
  minidl::Image im(4, 4, 3, 0);
  im.at(1, 1)[0] = 255, im.at(2, 1)[0] = 255, im.at(1, 2)[0] = 0, im.at(2, 2)[0] = 51;
  minidl::save_png(dir / "photo.png", im);

  const Ran r = run({"detect", "--darknet-cfg", (dir / "t.cfg").string(), "--darknet-weights",
                     (dir / "t.weights").string(), "--names", (dir / "pets.names").string(),
                     "--out", (dir / "out").string(), (dir / "photo.png").string()});
  CHECK(r.status == 0);
  INFO(r.out);
  CHECK_THAT(r.out, Contains("(darknet " + (dir / "t.cfg").string() + " S=2 B=1 C=2 input=3)"));
  CHECK_THAT(r.out, Contains("photo.png (4x4): 2 detections"));
  // Cell 0: score 0.55 x 0.9 = 0.495 for cat (0.055 for dog is under --conf 0.2); box centre
  // ((0 + 0.5) / 2, (0 + 0.5) / 2) = (0.25, 0.25), size 0.6^2 x 0.4^2 = 0.36 x 0.16; in pixels of
  // the 4x4 image x from round(0.07 * 4) = 0 to round(0.43 * 4) - 1 = 1, y from
  // round(0.17 * 4) = 1 to max(1, round(0.33 * 4) - 1 = 0) = 1.
  CHECK_THAT(r.out, Contains("  cat          0.495  px [0, 1, 1, 1]  cx 0.2500 cy 0.2500 "
                             "w 0.3600 h 0.1600"));
  // Cell 3 (row 1, col 1): 0.5 x 0.8 = 0.4 for dog (0.1 for cat is under 0.2); centre
  // ((1 + 0.25) / 2, (1 + 0.75) / 2) = (0.625, 0.875), size 0.5^2 x 0.3^2 = 0.25 x 0.09; x from
  // round(0.5 * 4) = 2 to round(0.75 * 4) - 1 = 2, y from round(0.83 * 4) = 3 to
  // round(0.92 * 4) - 1 = 3.
  CHECK_THAT(r.out, Contains("  dog          0.400  px [2, 3, 2, 3]  cx 0.6250 cy 0.8750 "
                             "w 0.2500 h 0.0900"));
  CHECK(fs::exists(dir / "out" / "photo.png"));

  // Without --names a 2-class network's classes are their numbers.
  const Ran n = run({"detect", "--darknet-cfg", (dir / "t.cfg").string(), "--darknet-weights",
                     (dir / "t.weights").string(), "--out", (dir / "out").string(),
                     (dir / "photo.png").string()});
  CHECK_THAT(n.out, Contains("  0            0.495"));
}

TEST_CASE("darknet detect: bad networks, weights and options are errors that say why",
          "[darknet]") {
  TempDir dir("dn_detect_err");
  write_text(dir / "t.cfg", kNet);
  write_weights(dir / "t.cfg", dir / "t.weights");
  minidl::save_png(dir / "photo.png", minidl::Image(4, 4, 3, 9));
  auto detect = [&](const std::string& cfg, const std::string& weights) {
    return minidl::test::error_of([&] {
      run({"detect", "--darknet-cfg", cfg, "--darknet-weights", weights, "--out",
           (dir / "out").string(), (dir / "photo.png").string()});
    });
  };
  const std::string cfg = (dir / "t.cfg").string(), weights = (dir / "t.weights").string();

  // No [detection] section.
  std::string text = kNet;
  write_text(dir / "nodet.cfg", text.substr(0, text.find("[detection]")));
  CHECK_THAT(detect((dir / "nodet.cfg").string(), weights), Contains("no [detection] section"));
  // An output of the wrong size for side 2, num 1, classes 2.
  std::string wrong = kNet;
  wrong.replace(wrong.find("output=28"), 9, "output=27");
  write_text(dir / "wrong.cfg", wrong);
  CHECK_THAT(
      detect((dir / "wrong.cfg").string(), weights),
      Contains("wrong.cfg:17: layer 2 [detection]") && Contains("= 28 inputs expected, "
                                                                "the layer before gives 27"));
  // coords other than 4 (the output size fits: 2*2*((1 + 5)*1 + 2) = 32).
  std::string coords = kNet;
  coords.replace(coords.find("output=28"), 9, "output=32");
  coords.replace(coords.find("coords=4"), 8, "coords=5");
  write_text(dir / "coords.cfg", coords);
  CHECK_THAT(detect((dir / "coords.cfg").string(), weights),
             Contains("coords.cfg:17: coords=5: a YOLOv1 box is 4 numbers"));
  // Weights that do not fit: one float short.
  const std::string bytes = yolo_test::slurp(dir / "t.weights");
  write_text(dir / "short.weights", bytes.substr(0, bytes.size() - 4));
  CHECK_THAT(detect(cfg, (dir / "short.weights").string()),
             Contains("layer 1 (connected): expected " + std::to_string(bytes.size()) +
                      " bytes, file has " + std::to_string(bytes.size() - 4)));
  // Options: --model and --darknet-cfg together, --darknet-cfg alone, --names of another size.
  CHECK_THAT(minidl::test::error_of([&] {
               run({"detect", "--model", "m", "--darknet-cfg", cfg, "--darknet-weights", weights,
                    (dir / "photo.png").string()});
             }),
             Contains("not both"));
  CHECK_THAT(minidl::test::error_of([&] {
               run({"detect", "--darknet-cfg", cfg, (dir / "photo.png").string()});
             }),
             Contains("--darknet-cfg and --darknet-weights go together"));
  write_text(dir / "three.names", "a\nb\nc\n");
  CHECK_THAT(minidl::test::error_of([&] {
               run({"detect", "--darknet-cfg", cfg, "--darknet-weights", weights, "--names",
                    (dir / "three.names").string(), (dir / "photo.png").string()});
             }),
             Contains("3 class names, but") && Contains("has classes=2"));
  // Neither --model nor --darknet-cfg: a parse error, as for any required option.
  Cli cli;
  CHECK_THROWS_WITH(cli.parse({"detect", "photo.png"}), Contains("--model is required"));
}

TEST_CASE("darknet detect: the .weights size is checked before the network is built", "[darknet]") {
  TempDir dir("dn_detect_first");
  write_text(dir / "t.cfg", kNet);
  const std::string header(20, '\0');  // version 0.0.0, seen 0 as an int32: no weights after
  write_text(dir / "h.weights", header.substr(0, 16));
  const std::string want =
      (dir / "h.weights").string() + ": layer 0 (convolutional): expected 32 bytes, file has 16";
  // Building draws the weights from the default generator: it must not have been used.
  minidl::manual_seed(11);
  CHECK(minidl::test::error_of([&] {
          load_darknet_detector(dir / "t.cfg", dir / "h.weights", {}, minidl::Device::CPU);
        }) == want);
  const uint64_t next = minidl::default_generator().next_u64();
  minidl::manual_seed(11);
  CHECK(next == minidl::default_generator().next_u64());
  // check_darknet_weights on the .cfg's sizes alone: the same error; a file that fits passes.
  const auto sizes = darknet_weight_sizes(parse_darknet_cfg(dir / "t.cfg"));
  CHECK(minidl::test::error_of([&] { check_darknet_weights(dir / "h.weights", sizes); }) == want);
  write_weights(dir / "t.cfg", dir / "t.weights");
  CHECK(check_darknet_weights(dir / "t.weights", sizes).minor == 2);
}

TEST_CASE("darknet detect: voc.names and yolov1-tiny.cfg's config", "[darknet]") {
  // The built-in VOC names (used for 20-class darknet networks) are cfg/voc.names, line by line.
  CHECK(read_names(kCfgDir / "voc.names") == voc_names());
  CHECK(voc_names().size() == 20);
  const ModelConfig c = darknet_model_config(kCfgDir / "yolov1-tiny.cfg");
  CHECK(c.arch == "darknet");
  CHECK(c.S == 7);
  CHECK(c.B == 2);
  CHECK(c.C == 20);
  CHECK(c.input == 448);
  // Its [detection] section as loss options: sqrt=1, rescore=1, coord_scale=5,
  // noobject_scale=.5, object_scale=1, class_scale=1.
  const minidl::YoloV1Options o = c.loss();
  CHECK(o.sqrt_wh);
  CHECK(o.rescore);
  CHECK(o.lambda_coord == 5.f);
  CHECK(o.lambda_noobj == 0.5f);
  CHECK(o.lambda_obj == 1.f);
  CHECK(o.lambda_class == 1.f);
  CHECK(o.class_loss == minidl::YoloClassLoss::SSE);
  // The config survives checkpoint metadata, .cfg text included.
  const ModelConfig back = config_from_metadata(config_metadata(c, {}), "ckpt");
  CHECK(back.darknet_cfg == c.darknet_cfg);
  CHECK(back.str() == c.str());
}
