// The overfit subcommand (overfit.h).
#include "apps/yolo_v1/overfit.h"

#include <cstdio>

#include "apps/yolo_v1/run_dir.h"

namespace yolo {

void remove_run(const fs::path& dir) {
  const RunFiles run{dir};
  for (const fs::path& p : {run.last(), run.best(), run.log(), run.curves(), run.names()}) {
    std::error_code ec;
    fs::remove(p, ec);
    MINIDL_CHECK(!ec, "cannot remove '", p.string(), "': ", ec.message());
  }
}

TrainResult run_overfit(const OverfitCommand& cmd, std::ostream& out) {
  MINIDL_CHECK(cmd.images >= 1, "--images must be >= 1; got ", cmd.images);
  MINIDL_CHECK(cmd.steps >= 1, "--steps must be >= 1; got ", cmd.steps);
  TrainOptions t = cmd.train;
  t.limit = cmd.images;
  t.batch = cmd.images;  // one step per epoch (fewer images in the split: still one step)
  t.epochs = cmd.steps;
  t.warmup = cmd.steps / 10;
  t.augment.enabled = false;
  t.val_split = t.train_split;
  t.eval_every = std::max(1, cmd.steps / 5);
  t.resume = false;
  remove_run(t.out);
  out << "overfit: " << cmd.steps << " steps on the first " << cmd.images
      << " training images, no augmentation, evaluated on the same images\n";
  const TrainResult r = train(t, out);
  char line[200];
  std::snprintf(line, sizeof line,
                "overfit: mAP@0.5 on the training images VOC2010+ all-point %.4f | VOC2007 "
                "11-point %.4f after %lld steps: %s (needs >= %.2f)\n",
                r.last_map, r.last_map_11, static_cast<long long>(r.steps),
                r.last_map >= cmd.min_map ? "PASS" : "FAIL", cmd.min_map);
  out << line << std::flush;
  return r;
}

}  // namespace yolo
