// Tests of darknet's own YOLOv1 networks (apps/yolo_v1/cfg/yolov1-tiny.cfg and yolov1.cfg) built
// by apps/yolo_v1/darknet.h with random weights: darknet's layer sizes, the parameter counts and
// .weights sizes worked out from the cfg, and forward passes on the CPU.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "apps/yolo_v1/darknet.h"
#include "tests/apps/yolo_v1/temp_dir.h"

using namespace yolo;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using minidl::Shape;
using minidl::Tensor;

namespace {
const std::filesystem::path kCfgDir =
    std::filesystem::path(__FILE__).parent_path() / ".." / ".." / ".." / "apps" / "yolo_v1" / "cfg";
}  // namespace

TEST_CASE("darknet: yolov1-tiny.cfg builds with darknet's sizes and runs forward on the CPU",
          "[darknet]") {
  DarknetNetwork net = load_darknet_network(kCfgDir / "yolov1-tiny.cfg");
  CHECK(net.width == 448);
  CHECK(net.height == 448);
  CHECK(net.channels == 3);
  CHECK(net.net.policy == "steps");
  CHECK(net.net.steps == std::vector<int>{200, 400, 600, 800, 20000, 30000});
  REQUIRE(net.layers.size() == 16);  // 8 convolutional, 6 maxpool, connected, detection
  CHECK(net.layers[0].line == 24);
  CHECK(net.layers[11].output == Shape{512, 7, 7});  // 448 halved six times
  CHECK(net.layers[14].input == Shape{256, 7, 7});
  REQUIRE(net.detection.has_value());
  CHECK(net.detection->side == 7);
  CHECK(net.detection->num == 2);
  CHECK(net.detection->classes == 20);
  CHECK(net.detection->sqrt);
  CHECK(net.detection->noobject_scale == 0.5f);
  CHECK(net.detection->coord_scale == 5.f);
  // Parameters: 3x3 convolutions with batch norm hold c*n*9 weights and gamma, beta (2n):
  //   3->16: 432 + 32 = 464            16->32: 4608 + 64 = 4672
  //   32->64: 18432 + 128 = 18560      64->128: 73728 + 256 = 73984
  //   128->256: 294912 + 512 = 295424  256->512: 1179648 + 1024 = 1180672
  //   512->1024: 4718592 + 2048 = 4720640   1024->256: 2359296 + 512 = 2359808
  //   convolutions: 8654224; connected: 7*7*256 = 12544 inputs * 1470 + 1470 = 18441150.
  CHECK(net.model->num_parameters() == 8654224 + 18441150);  // 27095374
  // The .weights file adds each batch norm's rolling mean and variance: 2 * (16 + 32 + 64 + 128
  // + 256 + 512 + 1024 + 256) = 4576 floats.
  CHECK(net.weight_floats() == 27095374 + 4576);
  net.model->eval();
  minidl::NoGradGuard no_grad;
  Tensor y = (*net.model)(minidl::rand({1, 3, 448, 448}));
  CHECK(y.shape() == Shape{1, 1470});  // 7*7*(2*5 + 20)
  for (float v : y.to_vector()) REQUIRE(std::isfinite(v));
}

TEST_CASE("darknet: yolov1.cfg builds with its [local] layer and darknet's sizes, and runs forward",
          "[darknet]") {
  DarknetNetwork net = load_darknet_network(kCfgDir / "yolov1.cfg");
  REQUIRE(net.layers.size() == 32);  // 24 convolutional, 4 maxpool, local, dropout, connected,
                                     // detection
  const DarknetLayer& local = net.layers[28];
  REQUIRE(local.type == DarknetLayerType::Local);
  CHECK(local.input == Shape{1024, 7, 7});
  CHECK(local.output == Shape{256, 7, 7});  // pad=1: (7 + 2 - 3) / 1 + 1 = 7
  CHECK(local.local->weight().shape() == Shape{49, 256, 1024, 3, 3});
  CHECK(net.layers[0].output == Shape{64, 224, 224});  // 7x7/2, pad 3: (448 + 6 - 7) / 2 + 1
  CHECK(net.layers[25].output == Shape{1024, 7, 7});   // 3x3/2, pad 1: (14 + 2 - 3) / 2 + 1
  CHECK(net.layers[29].type == DarknetLayerType::Dropout);
  CHECK(net.layers[30].dense->in_features() == 12544);
  CHECK(net.detection->num == 3);
  // Parameters (convolutions with batch norm: c*n*k*k weights + 2n):
  //   7x7 3->64: 9408 + 128 = 9536;  3x3 64->192: 110592 + 384 = 110976;
  //   1x1 192->128: 24576 + 256 = 24832;  3x3 128->256: 294912 + 512 = 295424;
  //   1x1 256->256: 65536 + 512 = 66048;  3x3 256->512: 1179648 + 1024 = 1180672;
  //   4 x (1x1 512->256: 131584, 3x3 256->512: 1180672) = 5249024;
  //   1x1 512->512: 263168;  3x3 512->1024: 4718592 + 2048 = 4720640;
  //   2 x (1x1 1024->512: 525312, 3x3 512->1024: 4720640) = 10491904;
  //   4 x 3x3 1024->1024: 4 x (9437184 + 2048) = 37756928;   convolutions: 60169152.
  //   local: 7*7 positions * 256 * 1024 * 3*3 = 115605504 weights + 256*7*7 = 12544 biases;
  //   connected: 12544 * 1715 + 1715 = 21514675.
  CHECK(net.model->num_parameters() == 60169152 + 115605504 + 12544 + 21514675);  // 197301875
  // Batch-norm channels: 64 + 192 + 128 + 256 + 256 + 512 + 4*(256 + 512) + 512 + 1024
  // + 2*(512 + 1024) + 4*1024 = 13184; the .weights file adds 2 * 13184 floats.
  CHECK(net.weight_floats() == 197301875 + 2 * 13184);
  CHECK(net.model->output_shape({1, 3, 448, 448}) == Shape{1, 1715});  // 7*7*(3*5 + 20)
  // One image through all of it: about 4 s and 1.3 GB on a 2-core CI machine, 10 s more to draw
  // the 197M random weights above.
  net.model->eval();
  minidl::NoGradGuard no_grad;
  Tensor y = (*net.model)(minidl::rand({1, 3, 448, 448}));
  CHECK(y.shape() == Shape{1, 1715});
  for (float v : y.to_vector()) REQUIRE(std::isfinite(v));
}

TEST_CASE("darknet: a scaled-down yolov1.cfg runs forward on the CPU, [local] layer included",
          "[darknet]") {
  // yolov1.cfg's layers with an eighth of the filters at 64x64, in a batch of two and in
  // training mode too (a fraction of a second, where the full network takes 15 s):
  // 64 -> 32 (7x7/2) -> 16 -> 8 -> 4 -> 2 (maxpools) -> 1 (3x3/2) -> local 3x3 pad 1 on 1x1
  // -> connected 1715.
  std::istringstream in(yolo_test::slurp(kCfgDir / "yolov1.cfg"));
  std::string text, line;
  while (std::getline(in, line)) {
    if (line == "height=448" || line == "width=448")
      line = line.substr(0, line.find('=')) + "=64";
    else if (line.rfind("filters=", 0) == 0)
      line = "filters=" + std::to_string(std::stoi(line.substr(8)) / 8);
    text += line + "\n";
  }
  minidl::Generator gen(5);
  DarknetNetwork net = build_darknet_network(parse_darknet_cfg_text(text, "small-yolov1.cfg"), gen);
  REQUIRE(net.layers.size() == 32);
  CHECK(net.layers[28].input == Shape{128, 1, 1});
  CHECK(net.layers[28].output == Shape{32, 1, 1});
  Tensor x = minidl::rand({2, 3, 64, 64});
  // Training: batch statistics (2 images give at least 2 values per channel), dropout on, and a
  // gradient that reaches the first layer.
  Tensor y = (*net.model)(x);
  CHECK(y.shape() == Shape{2, 1715});
  y.sum().backward();
  const Tensor g = net.layers[0].conv->weight().grad();
  REQUIRE(g.defined());
  for (float v : g.to_vector()) REQUIRE(std::isfinite(v));
  net.model->eval();
  minidl::NoGradGuard no_grad;
  y = (*net.model)(x);
  CHECK(y.shape() == Shape{2, 1715});
  for (float v : y.to_vector()) REQUIRE(std::isfinite(v));
}
