// Checkpoint metadata that defines a network the file's tensors do not hold: load_trained and
// train --resume refuse it, naming the file and the fields, before building the network (which
// for a tiny file could otherwise ask for gigabytes), and the bounds of ModelConfig::validate.
#include <minidl/minidl.h>

#include <catch2/catch.hpp>

#include "apps/yolo_v1/darknet_model.h"
#include "apps/yolo_v1/model.h"
#include "apps/yolo_v1/run_dir.h"
#include "temp_dir.h"

using namespace yolo;
using Catch::Matchers::Contains;

namespace {

// The count make_model's network really holds (parameters and buffers, as a checkpoint stores).
int64_t built_values(const ModelConfig& cfg) {
  auto m = make_model(cfg);
  int64_t n = 0;
  for (const auto& [name, t] : m->parameters()) n += t.numel();
  for (const auto& [name, t] : m->buffers()) n += t.numel();
  return n;
}

std::string load_error(const fs::path& file) {
  try {
    load_trained(file, minidl::Device::CPU);
  } catch (const minidl::Error& e) {
    return e.what();
  }
  return "(no error)";
}

minidl::Metadata humble_meta(const std::string& S, const std::string& B, const std::string& C) {
  ModelConfig cfg = reference_config("humble", 1);
  minidl::Metadata m = config_metadata(cfg, {});
  m["yolo.S"] = S, m["yolo.B"] = B, m["yolo.C"] = C;
  return m;
}

}  // namespace

TEST_CASE("yolo_v1 app: model_value_count is what make_model builds", "[yolo_app]") {
  std::vector<ModelConfig> cfgs;
  for (const char* arch : {"humble", "tiny", "small"})
    for (int input : {64, 72, 96}) {
      ModelConfig c = reference_config(arch, 3);
      c.input = input, c.B = 2;
      if (c.arch == "small") c.S = input / 8;
      cfgs.push_back(c);
    }
  ModelConfig odd = reference_config("humble", 7);
  odd.input = 17, odd.S = 3;  // 17 -> 15 -> 7 -> 5 -> 3 -> 1
  cfgs.push_back(odd);
  for (const ModelConfig& c : cfgs) {
    INFO(c.str());
    CHECK(model_value_count(c) == built_values(c));
  }
}

TEST_CASE("yolo_v1 app: ModelConfig bounds S and B and C and the network size", "[yolo_app]") {
  ModelConfig c = reference_config("humble", 3);
  c.S = 65;
  CHECK_THROWS_WITH(c.validate(), Contains("S (the grid) must be in [1, 64]; got 65"));
  c.S = 2, c.B = 429496730;
  CHECK_THROWS_WITH(c.validate(), Contains("B (boxes per cell) must be in [1, 16]; got 429496730"));
  c.B = 1, c.C = 1000000;
  CHECK_THROWS_WITH(c.validate(), Contains("C (the number of classes) must be in [1, 65536]"));
  // Within every bound, but tiny's dense head at S=64, B=16, C=65536: far over 2^31 values.
  ModelConfig t = reference_config("tiny", 3);
  t.S = 64, t.B = 16, t.C = 65536;
  CHECK_THROWS_WITH(t.validate(), Contains("would hold") && Contains("at most 2147483647"));
}

TEST_CASE("yolo_v1 app: a checkpoint whose metadata does not fit its tensors is refused early",
          "[yolo_app]") {
  yolo_test::TempDir dir;
  const fs::path f = dir / "D.safetensors";
  // No tensors and a humble of C=60000: 63 million values (252 MB) if it were built.
  minidl::save_tensors(f, {}, humble_meta("2", "1", "60000"));
  const std::string e = load_error(f);
  CHECK_THAT(e, Contains(f.string()) && Contains("yolo.C") &&
                    Contains("defines a network of 63083812 values") && Contains("hold 0"));

  // Out of bounds (int overflow in 5 * B + C before): named with the file and the fields.
  minidl::save_tensors(f, {}, humble_meta("2", "429496730", "3"));
  CHECK_THAT(load_error(f), Contains(f.string()) && Contains("metadata (yolo.*)") &&
                                Contains("B (boxes per cell) must be in [1, 16]"));
  minidl::save_tensors(f, {}, humble_meta("1000", "1", "1000000"));
  CHECK_THAT(load_error(f), Contains(f.string()) && Contains("S (the grid) must be in [1, 64]"));

  // A real checkpoint whose metadata was edited to another C: refused with both counts.
  const ModelConfig good = reference_config("humble", 2);
  auto model = make_model(good);
  minidl::Adam adam(model->parameters());
  minidl::Metadata meta = config_metadata(good, {});
  meta["yolo.C"] = "3";
  minidl::save_checkpoint(f, *model, adam, 0, meta);
  CHECK_THAT(load_error(f), Contains(f.string()) && Contains("but the file's model. tensors hold " +
                                                             std::to_string(built_values(good))));
  // The same file with its own metadata loads.
  minidl::save_checkpoint(f, *model, adam, 0, config_metadata(good, {}));
  CHECK(load_trained(f, minidl::Device::CPU).cfg.C == 2);
}

TEST_CASE("yolo_v1 app: a darknet checkpoint whose .cfg text does not build names the file",
          "[yolo_app]") {
  // side 2, num 1, classes 2 want a last layer of 2*2*((1 + 4)*1 + 2) = 28 outputs, not 27: the
  // [detection] section agrees with the metadata, and only building the layers finds it.
  const std::string cfg_text =
      "[net]\nwidth=3\nheight=3\nchannels=3\n\n[connected]\noutput=27\nactivation=linear\n\n"
      "[detection]\nclasses=2\ncoords=4\nrescore=1\nside=2\nnum=1\nsoftmax=0\nsqrt=1\n";
  const ModelConfig cfg = darknet_model_config(cfg_text, "net.cfg");
  yolo_test::TempDir dir;
  const fs::path f = dir / "darknet.safetensors";
  minidl::save_tensors(f, {}, config_metadata(cfg, {}));
  CHECK_THAT(load_error(f),
             Contains(f.string() + ": cannot build the network of its metadata (yolo.darknet_cfg "
                                   "of net.cfg): ") &&
                 Contains("27"));
}
