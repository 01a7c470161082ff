// Tests of the yolo_v1 app's training: the overfit sanity check within a fixed step budget, resume
// continuing the step counter, the log and the very same numbers, the stop on a non-finite loss,
// run folders that are never overwritten, the CSV log reader and the curves picture.
#include <catch2/catch.hpp>
#include <cmath>
#include <sstream>

#include "apps/yolo_v1/curves.h"
#include "apps/yolo_v1/generate.h"
#include "apps/yolo_v1/overfit.h"
#include "apps/yolo_v1/progress.h"
#include "apps/yolo_v1/run_dir.h"
#include "apps/yolo_v1/train.h"
#include "apps/yolo_v1/train_log.h"
#include "core/serialize.h"
#include "tests/apps/yolo_v1/temp_dir.h"

using namespace yolo;
using Catch::Matchers::Contains;
using yolo_test::TempDir;

namespace {

// A words dataset (64x64, chat and rat in a 2x2 grid: the humble network's own task).
fs::path words_dataset(const TempDir& dir, int count) {
  GenerateOptions g;
  g.preset = "words", g.count = count, g.seed = 7, g.out = dir / "words";
  generate_dataset(g);
  return g.out;
}

TrainOptions humble_options(const fs::path& data, const fs::path& out) {
  TrainOptions t;
  t.data = data, t.out = out, t.arch = "humble";
  t.batch = 4, t.epochs = 3, t.quiet = true;
  return t;
}

}  // namespace

TEST_CASE("yolo_v1 app: overfit learns 8 images to mAP@0.5 >= 0.9 within 80 steps",
          "[yolo_app][overfit]") {
  minidl::set_num_threads(2);
  TempDir dir("overfit");
  OverfitCommand cmd;
  cmd.train = humble_options(words_dataset(dir, 10), dir / "run");
  cmd.images = 8, cmd.steps = 80;
  std::ostringstream out;
  const TrainResult r = run_overfit(cmd, out);
  INFO(out.str());
  CHECK(r.steps == 80);
  CHECK(r.last_map >= 0.9);
  CHECK(r.last_map_11 >= 0.9);
  CHECK_THAT(out.str(), Contains("PASS"));
}

TEST_CASE("yolo_v1 app: resume continues the step counter and the log, as if never stopped",
          "[yolo_app]") {
  minidl::set_num_threads(2);
  TempDir dir("resume");
  const fs::path data = words_dataset(dir, 10);  // 8 training images: 2 steps per epoch
  TrainOptions t = humble_options(data, dir / "once");
  t.min_lr_factor = 1, t.warmup = 0;  // a constant rate: the schedule does not depend on --epochs
  std::ostringstream out;
  const TrainResult once = train(t, out);
  CHECK(once.steps == 6);

  t.out = dir / "twice";
  t.epochs = 2;
  CHECK(train(t, out).steps == 4);
  t.epochs = 3;
  CHECK_THROWS_WITH(train(t, out), Contains("already holds a run") && Contains("--resume"));
  t.resume = true;
  const TrainResult twice = train(t, out);
  CHECK(twice.steps == 6);
  CHECK(twice.epochs == 3);

  const std::vector<EpochRow> a = read_log(RunFiles{dir / "once"}.log());
  const std::vector<EpochRow> b = read_log(RunFiles{dir / "twice"}.log());
  REQUIRE(a.size() == 3);
  REQUIRE(b.size() == 3);
  for (size_t k = 0; k < 3; ++k) {
    CHECK(b[k].epoch == static_cast<int>(k) + 1);
    CHECK(b[k].step == 2 * (static_cast<int64_t>(k) + 1));
    CHECK(b[k].loss == Approx(a[k].loss).epsilon(1e-5));
    CHECK(b[k].map_all == Approx(a[k].map_all).margin(1e-6));
  }
  minidl::Metadata meta = minidl::load_tensors(RunFiles{dir / "twice"}.last()).metadata;
  CHECK(meta.at("step") == "6");
  CHECK(meta.at("yolo.epoch") == "3");

  // Resuming a finished run trains nothing; resuming where there is no run is an error.
  CHECK(train(t, out).steps == 6);
  t.out = dir / "none";
  CHECK_THROWS_WITH(train(t, out), Contains("nothing to resume"));
}

TEST_CASE("yolo_v1 app: the first non-finite loss stops training naming the term and batch",
          "[yolo_app]") {
  const double fine[5] = {1, 2, 3, 4, 5};
  CHECK(non_finite_terms(15, fine).empty());
  const double bad[5] = {1, NAN, 3, INFINITY, 5};
  CHECK(non_finite_terms(NAN, bad) == "wh = nan, noobj = inf, total = nan");
  const double neg[5] = {-NAN, 2, -INFINITY, 4, 5};
  CHECK(non_finite_terms(-NAN, neg) == "xy = nan, obj = -inf, total = nan");

  // A checkpoint whose first convolution's weights are all 1e38 (finite, so the checkpoint loads;
  // a NaN weight is refused by load_checkpoint itself): the activations overflow, and the resumed
  // run stops at its first batch.
  minidl::set_num_threads(2);
  TempDir dir("nan");
  TrainOptions t = humble_options(words_dataset(dir, 10), dir / "run");
  t.epochs = 1;
  std::ostringstream out;
  train(t, out);
  const fs::path last = RunFiles{t.out}.last();
  minidl::TensorFile f = minidl::load_tensors(last);
  bool found = false;
  for (minidl::NamedTensor& nt : f.tensors)
    if (nt.first == "model.0.weight") nt.second.fill_(1e38f), found = true;
  REQUIRE(found);
  minidl::save_tensors(last, f.tensors, f.metadata);
  t.epochs = 2, t.resume = true;
  CHECK_THROWS_WITH(train(t, out), Contains("non-finite loss at epoch 2, batch 1/2 (step 3)") &&
                                       Contains("xy = nan") &&
                                       Contains("checkpoints of epoch 1 are intact"));
}

TEST_CASE("yolo_v1 app: an update to non-finite weights is never saved over the checkpoint",
          "[yolo_app]") {
  minidl::set_num_threads(2);
  TempDir dir("nonfinite_update");
  TrainOptions t = humble_options(words_dataset(dir, 10), dir / "run");
  t.epochs = 1, t.batch = 8;  // 8 training images: one step per epoch
  std::ostringstream out;
  train(t, out);
  // Adam's state damaged within what a loader accepts (finite, exp_avg_sq >= 0): the largest
  // first moment over a zero second moment sends the next update to infinity. The loss of that
  // step is computed before the update, so it is finite.
  const fs::path last = RunFiles{t.out}.last();
  minidl::TensorFile f = minidl::load_tensors(last);
  int damaged = 0;
  for (minidl::NamedTensor& nt : f.tensors) {
    const std::string& n = nt.first;
    const bool m = n.size() > 8 && n.compare(n.size() - 8, 8, ".exp_avg") == 0;
    const bool v = n.size() > 11 && n.compare(n.size() - 11, 11, ".exp_avg_sq") == 0;
    if (!m && !v) continue;
    float* p = nt.second.data();
    for (int64_t k = 0; k < nt.second.numel(); ++k) p[k] = m ? 3.4e38f : 0.f;
    ++damaged;
  }
  REQUIRE(damaged == 24);  // humble's 12 parameters (6 weights, 6 biases), two moments each
  minidl::save_tensors(last, f.tensors, f.metadata);
  const std::string before = yolo_test::slurp(last);
  t.epochs = 2, t.resume = true;
  CHECK_THROWS_WITH(train(t, out),
                    Contains("epoch 2: the update produced non-finite parameters ('") &&
                        Contains("after step 2); stopped before writing checkpoints (the "
                                 "checkpoints of epoch 1 are intact)") &&
                        Contains("corrupted optimizer state"));
  CHECK(yolo_test::slurp(last) == before);  // the checkpoint of epoch 1, untouched
  CHECK(read_log(RunFiles{t.out}.log()).size() == 1);
}

TEST_CASE("yolo_v1 app: the training log keeps rows across resumes and names bad lines",
          "[yolo_app]") {
  TempDir dir("log");
  const fs::path file = dir / "log.csv";
  {
    TrainLog log(file, 0);
    for (int e = 1; e <= 3; ++e) {
      EpochRow r;
      r.epoch = e, r.step = 10 * e, r.loss = 4.0 / e, r.map_all = e == 2 ? NAN : 0.1 * e;
      log.append(r);
    }
  }
  std::vector<EpochRow> rows = read_log(file);
  REQUIRE(rows.size() == 3);
  CHECK(rows[2].step == 30);
  CHECK(std::isnan(rows[1].map_all));  // an epoch without evaluation
  {
    TrainLog log(file, 2);  // a resume after epoch 2: the row of epoch 3 is dropped
    CHECK(log.rows().size() == 2);
  }
  CHECK(read_log(file).size() == 2);
  CHECK(yolo_test::slurp(file).rfind(log_header(), 0) == 0);

  yolo_test::write_text(dir / "bad.csv", std::string(log_header()) + "\n1,2,3\n");
  CHECK_THROWS_WITH(read_log(dir / "bad.csv"), Contains("bad.csv:2: expected 13 fields, got 3"));
  yolo_test::write_text(dir / "other.csv", "a,b\n");
  CHECK_THROWS_WITH(read_log(dir / "other.csv"),
                    Contains("other.csv:1: not a yolo_v1 training log"));

  // The curves: the loss line in its colour on the left, the mAP points on the right.
  const minidl::Image im = draw_curves(rows, 640, 300);
  CHECK(im.width == 640);
  CHECK(im.height == 300);
  int loss_pixels = 0, map_pixels = 0;
  for (int y = 0; y < im.height; ++y)
    for (int x = 0; x < im.width; ++x) {
      const uint8_t* p = im.at(x, y);
      loss_pixels += x < 320 && p[0] == 20 && p[1] == 20 && p[2] == 20;
      map_pixels += x >= 320 && p[0] == 214 && p[1] == 39 && p[2] == 40;
    }
  CHECK(loss_pixels > 100);
  CHECK(map_pixels > 9);
}

TEST_CASE("yolo_v1 app: durations print as the progress line and the demo show them",
          "[yolo_app]") {
  CHECK(yolo::duration_str(0.4) == "0s");
  CHECK(yolo::duration_str(-3) == "0s");  // a negative ETA never shows
  CHECK(yolo::duration_str(42.4) == "42s");
  CHECK(yolo::duration_str(59.6) == "1m00s");
  CHECK(yolo::duration_str(185) == "3m05s");
  CHECK(yolo::duration_str(3720) == "1h02m");
}
