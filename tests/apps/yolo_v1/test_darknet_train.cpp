// `yolo_v1 train --darknet-cfg` (apps/yolo_v1/train.h, darknet_model.h), without downloads: a
// small darknet network (batch norm, maxpool, connected, [detection]) trained on a generated
// dataset through the same pipeline as minidl's own networks; its .weights checkpoints read back
// into a fresh network that computes what the checkpoint computes; starting from .weights;
// resuming; detect and eval on the run; and the errors for a .cfg that does not fit the data.
#include <catch2/catch.hpp>
#include <cstring>
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
using yolo_test::slurp;
using yolo_test::TempDir;
using yolo_test::write_text;

namespace {

// 32x32 RGB -> batch-normalised 3x3 convolution, stride 2 (16x16) -> maxpool (8x8) -> connected
// -> [detection] with side 2, num 1 and the shapes preset's 5 classes: 2*2*(5*1 + 5) = 40.
std::string net_cfg(int classes = 5, int output = 40) {
  return minidl::str(R"([net]
width=32
height=32
channels=3

[convolutional]
batch_normalize=1
filters=4
size=3
stride=2
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[connected]
output=)",
                     output, R"(
activation=linear

[detection]
classes=)",
                     classes, R"(
coords=4
rescore=1
side=2
num=1
softmax=0
sqrt=1
object_scale=1
noobject_scale=.5
class_scale=1
coord_scale=5
)");
}

std::string run(const std::vector<std::string>& argv) {
  Cli cli;
  cli.parse(argv);
  std::ostringstream out, err;
  REQUIRE(cli.chosen().run({out, err, false}) == 0);
  return out.str();
}

int64_t seen_of(const fs::path& weights) {
  const std::string b = slurp(weights);
  int64_t seen = -1;
  if (b.size() >= 20) std::memcpy(&seen, b.data() + 12, 8);
  return seen;
}

}  // namespace

TEST_CASE("darknet train: yolo_v1 train --darknet-cfg trains, checkpoints and writes .weights",
          "[darknet]") {
  minidl::set_num_threads(2);
  TempDir dir("dn_train");
  const std::string data = (dir / "data").string(), cfg = (dir / "small.cfg").string();
  run({"generate", "--count", "10", "--size", "32", "--seed", "3", "--out", data});
  write_text(cfg, net_cfg());

  TrainOptions o;
  o.data = data, o.out = dir / "run", o.darknet_cfg = cfg;
  o.epochs = 1, o.batch = 4, o.quiet = true, o.augment.enabled = false;
  std::ostringstream log;
  const TrainResult r = train(o, log);
  INFO(log.str());
  CHECK(r.cfg.arch == "darknet");
  CHECK(r.cfg.S == 2);
  CHECK(r.cfg.B == 1);
  CHECK(r.cfg.input == 32);
  CHECK_THAT(log.str(), Contains("model: darknet " + cfg + " S=2 B=1 C=5 input=32"));
  CHECK_THAT(log.str(), Contains("best.weights and last.weights (darknet's format)"));
  // 8 training images in batches of 4: 2 steps; darknet counts seen = steps x batch.
  CHECK(r.steps == 2);
  CHECK(seen_of(dir / "run" / "last.weights") == 8);
  CHECK(fs::exists(dir / "run" / "best.weights"));

  // last.weights in a fresh network computes what the checkpoint's model computes.
  const LoadedModel lm = load_trained(dir / "run", minidl::Device::CPU);
  CHECK(lm.cfg.darknet_cfg == net_cfg());
  DarknetModel fresh = make_darknet_model(darknet_model_config(fs::path(cfg)));
  load_darknet_weights(dir / "run" / "last.weights", fresh.net);
  fresh.model->eval();
  const Tensor x = minidl::test::R({2, 3, 32, 32}, 11, false, 0.f, 1.f);
  {
    minidl::NoGradGuard no_grad;
    CHECK_CLOSE((*fresh.model)(x), (*lm.model)(x), 0, 0);
  }
  // The loss's weights are the [detection] section's (coord_scale 5, noobject_scale .5).
  CHECK(lm.cfg.loss().lambda_coord == 5.f);
  CHECK(lm.cfg.loss().lambda_noobj == 0.5f);

  // Start another run from those .weights, through the command line.
  const std::string out2 =
      run({"train", "--data", data, "--out", (dir / "run2").string(), "--darknet-cfg", cfg,
           "--darknet-weights", (dir / "run" / "last.weights").string(), "--epochs", "1", "--batch",
           "4", "--quiet", "--no-augment"});
  CHECK_THAT(out2, Contains("weights: " + (dir / "run" / "last.weights").string() +
                            " (darknet 0.2.0, 8 images seen)"));
  // Resume the first run for a second epoch: the network comes from the checkpoint.
  const std::string resumed =
      run({"train", "--data", data, "--out", (dir / "run").string(), "--resume", "--epochs", "2",
           "--batch", "4", "--quiet", "--no-augment"});
  CHECK_THAT(resumed, Contains("model: darknet"));
  CHECK(seen_of(dir / "run" / "last.weights") == 16);
  // detect and eval read the run like any other.
  const std::string det = run({"detect", "--model", (dir / "run").string(), "--out",
                               (dir / "det").string(), (dir / "data" / "val" / "images").string()});
  CHECK_THAT(det, Contains("(darknet " + cfg));
  const std::string ev =
      run({"eval", "--model", (dir / "run").string(), "--data", data, "--split", "val"});
  CHECK_THAT(ev, Contains("mAP"));
}

TEST_CASE("darknet train: a .cfg that does not fit the dataset or the options is an error",
          "[darknet]") {
  TempDir dir("dn_train_err");
  const std::string data = (dir / "data").string(), cfg = (dir / "three.cfg").string();
  run({"generate", "--count", "4", "--size", "32", "--seed", "3", "--out", data});
  write_text(cfg, net_cfg(3, 32));
  TrainOptions o;
  o.data = data, o.out = dir / "run", o.darknet_cfg = cfg, o.epochs = 1, o.quiet = true;
  auto err = [&](const TrainOptions& t) {
    return minidl::test::error_of([&] {
      std::ostringstream log;
      train(t, log);
    });
  };
  CHECK(err(o) == cfg +
                      ": [detection] classes=3 but the dataset has 5 classes: set classes=5 and "
                      "the last [connected] layer's output=2*2*(5*1 + 5) = 40");
  write_text(cfg, net_cfg());
  TrainOptions s = o;
  s.S = 3;
  CHECK(err(s) == "--S 3 differs from " + cfg + "'s side=2 (leave --S out: the .cfg sets it)");
  TrainOptions c = o;
  c.class_loss = "softmax";
  CHECK_THAT(err(c), Contains("--class-loss softmax with --darknet-cfg"));
  TrainOptions w = o;
  w.darknet_cfg.clear();
  w.darknet_weights = dir / "x.weights";
  CHECK(err(w) == "--darknet-weights needs --darknet-cfg (the network the weights belong to)");
  CHECK_FALSE(fs::exists(dir / "run" / "last.safetensors"));
}

TEST_CASE("darknet train: --darknet-weights is checked before the data are read", "[darknet]") {
  TempDir dir("dn_train_weights");
  const std::string data = (dir / "data").string(), cfg = (dir / "small.cfg").string();
  run({"generate", "--count", "4", "--size", "32", "--seed", "3", "--out", data});
  write_text(cfg, net_cfg());
  const std::string header = {0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  write_text(dir / "h.weights", header);  // version 0.2.0, seen 0 as an int64, no weights
  TrainOptions o;
  o.data = data, o.out = dir / "run", o.darknet_cfg = cfg, o.epochs = 1, o.quiet = true;
  o.darknet_weights = dir / "h.weights";
  std::ostringstream log;
  // The batch-normalised convolution: 4 * 4 + 4 * 3 * 3 * 3 floats after the 20 bytes.
  CHECK(minidl::test::error_of([&] { train(o, log); }) ==
        (dir / "h.weights").string() +
            ": layer 0 (convolutional): expected 516 bytes, file has 20");
  CHECK_THAT(log.str(), !Contains("data:"));  // the dataset was not read, nothing was built
}
