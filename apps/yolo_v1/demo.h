// `yolo_v1 demo`: the one-command tour -- generate a small shapes dataset, train a detector on it,
// evaluate on the held-out images, and draw a grid of predictions into one PNG.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "apps/yolo_v1/train.h"

namespace yolo {

struct DemoCommand {
  fs::path out = "yolo_demo";  // data/, run/ and predictions.png go here
  int count = 4000;            // generated images, val_fraction of them held out
  float val_fraction = 0.2f;
  int size = 64;       // generated image side
  TrainOptions train;  // arch, S, B, input, epochs, batch, lr, ... (data/out set here)
  int grid = 16;       // held-out images in the predictions PNG (a square-ish grid)
  float conf = 0.2f;   // display threshold for the grid (darknet's)
  DemoCommand();       // the demo's training settings (see demo.cpp)
};

struct DemoResult {
  double map_all = 0, map_11 = 0;  // held-out mAP@0.5 of the last checkpoint
  int held_out = 0;                // images evaluated
  double seconds = 0;              // the whole demo
  fs::path grid_png;
};

/// Runs the demo, replacing what an earlier demo left in cmd.out (its data/, and the run files in
/// run/), and prints each stage and where its files are, ending with the held-out mAP.
DemoResult run_demo(const DemoCommand& cmd, std::ostream& out);

}  // namespace yolo
