// Tests of the yolo_v1 app's networks (one definition for the app and apps/bench): output shapes
// at the reference and at other sizes, parameter counts worked out by hand, and the configuration
// stored in checkpoint metadata.
#include <catch2/catch.hpp>

#include "apps/yolo_v1/model.h"

using namespace yolo;
using Catch::Matchers::Contains;

TEST_CASE("yolo_v1 app: humble and tiny give (N, S, S, 5B + C) at any configured size",
          "[yolo_app]") {
  struct Case {
    ModelConfig cfg;
    int64_t params;
  };
  // humble at 64: conv 3*16+16 = 64, conv 16*32*9+32 = 4640, conv 32*16*9+16 = 4624,
  // conv 16*32*9+32 = 4640, dense 32*13*13*256+256 = 1384704, dense 256*(2*2*8)+32 = 8224.
  ModelConfig humble = reference_config("humble", 3);
  ModelConfig humble7 = humble;
  humble7.S = 7, humble7.B = 2, humble7.C = 5, humble7.input = 40;
  // input 40: 38 -> 19 -> 17 -> 15 -> 7: dense 32*7*7*256 + 256 = 401664; head 256*735 + 735.
  // tiny at 64: convs 448 + 4640 + 18496 + 73856 + 295168 + 1180160 + 4719616 + 2359552 =
  // 8651936; the final map is 1x1, dense 256*(7*7*15) + 735 = 188895.
  ModelConfig tiny64 = reference_config("tiny", 5);
  tiny64.input = 64;
  const Case cases[] = {
      {humble, 64 + 4640 + 4624 + 4640 + 1384704 + 8224},
      {humble7, 64 + 4640 + 4624 + 4640 + 401664 + 256 * 735 + 735},
      {tiny64, 8651936 + 188895},
  };
  for (const Case& c : cases) {
    INFO(c.cfg.str());
    auto m = make_model(c.cfg);
    CHECK(m->num_parameters() == c.params);
    minidl::Tensor y = (*m)(minidl::zeros({2, 3, c.cfg.input, c.cfg.input}));
    CHECK(y.shape() == minidl::Shape{2, c.cfg.S, c.cfg.S, 5 * c.cfg.B + c.cfg.C});
  }
  // The reference tiny (448, S = 7, B = 2, C = 20): only its shape, from output_shape.
  auto tiny = make_model(reference_config("tiny", 20));
  CHECK(tiny->output_shape({1, 3, 448, 448}) == minidl::Shape{1, 7, 7, 30});
  CHECK(reference_config("humble", 3).loss().sqrt_wh == false);  // sigmoid head predicts w, h
  CHECK(reference_config("tiny", 3).loss().sqrt_wh == true);
}

TEST_CASE("yolo_v1 app: bad configurations and metadata name the field", "[yolo_app]") {
  ModelConfig c = reference_config("tiny", 2);
  c.input = 32;
  CHECK_THROWS_WITH(c.validate(), Contains("input size for tiny must be in [64, 4096]; got 32"));
  CHECK_THROWS_WITH(reference_config("yolov8", 2), Contains("unknown architecture 'yolov8'"));
  c = reference_config("humble", 2);
  c.S = 0;
  CHECK_THROWS_WITH(make_model(c), Contains("S (the grid) must be in [1, 64]; got 0"));

  const std::vector<std::string> names = {"chat", "rat"};
  minidl::Metadata m = config_metadata(reference_config("humble", 2), names);
  std::vector<std::string> back;
  ModelConfig r = config_from_metadata(m, "run/last.safetensors", &back);
  CHECK(r.str() == "humble S=2 B=1 C=2 input=64");
  CHECK(back == names);
  ModelConfig soft = reference_config("tiny", 2);
  soft.class_loss = "softmax";
  CHECK(config_from_metadata(config_metadata(soft, {}), "f").loss().class_loss ==
        minidl::YoloClassLoss::SoftmaxCE);
  soft.class_loss = "hinge";
  CHECK_THROWS_WITH(soft.validate(), Contains("unknown class loss 'hinge'"));
  m["yolo.S"] = "7x";
  CHECK_THROWS_WITH(config_from_metadata(m, "f.safetensors"),
                    Contains("f.safetensors: metadata 'yolo.S' is '7x', not an integer"));
  m.erase("yolo.S");
  CHECK_THROWS_WITH(config_from_metadata(m, "f.safetensors"),
                    Contains("f.safetensors: metadata has no 'yolo.S'"));
}
