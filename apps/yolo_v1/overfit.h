// `yolo_v1 overfit`: the sanity check every YOLO user needs -- train without augmentation on a
// few images and evaluate on the same ones; a working pipeline reaches mAP@0.5 >= 0.9.
#pragma once

#include <ostream>

#include "apps/yolo_v1/train.h"

namespace yolo {

struct OverfitCommand {
  TrainOptions train;  // data, arch, S, B, input, lr, device, seed, ... (the rest is set here)
  int images = 10;     // the first N training images
  int steps = 150;     // optimizer steps, each on all the images at once
  float min_map = 0.9f;
  OverfitCommand() { train.out = "runs/overfit"; }  // not train's runs/train
};

/// Replaces any run in cmd.train.out (its checkpoints, log, curves and names), then trains
/// cmd.steps steps with batch = images, no augmentation, validation on the same images every
/// steps/5 steps (with a warm-up of steps/10), and prints the verdict against cmd.min_map.
/// Returns the final training result (TrainResult::last_map is the mAP on the images).
TrainResult run_overfit(const OverfitCommand& cmd, std::ostream& out);

/// Removes the files `train` writes into a run folder (nothing else there is touched).
void remove_run(const fs::path& dir);

}  // namespace yolo
