// The demo subcommand (demo.h).
#include "apps/yolo_v1/demo.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "apps/yolo_v1/detect.h"
#include "apps/yolo_v1/eval.h"
#include "apps/yolo_v1/generate.h"
#include "apps/yolo_v1/overfit.h"
#include "apps/yolo_v1/progress.h"
#include "apps/yolo_v1/run_dir.h"

namespace yolo {

using namespace minidl;

DemoCommand::DemoCommand() {
  // Chosen by measurement (apps/yolo_v1/README.md): the small network (batch norm, fully
  // convolutional, an 8x8 grid of 8-pixel cells, so no two of a picture's non-overlapping shapes
  // share a cell) passes a held-out mAP@0.5 of 0.9 after one epoch of 3200 images and 0.99 after
  // three. The humble network with a dense head stopped near 0.86 after 16 epochs: its head
  // must learn every position separately, and it overfits.
  train.arch = "small";
  train.S = 8, train.B = 1, train.input = 64;
  train.epochs = 4;
  train.batch = 16;
  train.lr = 2e-3f;
  train.warmup = 100;
  train.val_limit = 200;  // the per-epoch progress check; the final evaluation uses every image
}

namespace {

// The first n images of data with their detections, each scaled to `tile` pixels, in a grid.
Image prediction_grid(const DetectionData& data, const std::vector<std::vector<Detection>>& dets,
                      const std::vector<std::string>& names, int n, int tile) {
  const int cols = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
  const int rows = (n + cols - 1) / cols, gap = 4, head = 20;
  Image grid(cols * (tile + gap) + gap, head + rows * (tile + gap) + gap, 3, 255);
  draw_text(grid, gap, 6, "yolo_v1 demo: predictions on held-out images", Rgb{40, 40, 40}, 1);
  for (int k = 0; k < n; ++k) {
    Image im = resize_bilinear(to_rgb(load_image(data.files[static_cast<size_t>(k)])), tile, tile);
    draw_detections(im, dets[static_cast<size_t>(k)], names);
    const int x0 = gap + (k % cols) * (tile + gap), y0 = head + gap + (k / cols) * (tile + gap);
    for (int y = 0; y < tile; ++y)
      for (int x = 0; x < tile; ++x)
        for (int c = 0; c < 3; ++c) grid.at(x0 + x, y0 + y)[c] = im.at(x, y)[c];
  }
  return grid;
}

}  // namespace

DemoResult run_demo(const DemoCommand& cmd, std::ostream& out) {
  const auto t0 = std::chrono::steady_clock::now();
  MINIDL_CHECK(cmd.grid >= 1, "--grid must be >= 1; got ", cmd.grid);
  const fs::path data_dir = cmd.out / "data", run_dir = cmd.out / "run";

  out << "[1/4] generating " << cmd.count << " shapes images of " << cmd.size << "x" << cmd.size
      << " into " << data_dir.string() << "\n";
  GenerateOptions g;
  g.preset = "shapes", g.count = cmd.count, g.size = cmd.size, g.out = data_dir;
  g.seed = cmd.train.seed, g.val_fraction = cmd.val_fraction, g.force = true;
  const GenerateSummary gs = generate_dataset(g);
  MINIDL_CHECK(gs.val > 0, "demo: --val-fraction leaves no held-out image");
  out << "      " << gs.train << " training and " << gs.val << " held-out images, " << gs.objects
      << " objects\n";

  out << "[2/4] training (" << run_dir.string() << ")\n" << std::flush;
  TrainOptions t = cmd.train;
  t.data = data_dir, t.out = run_dir, t.resume = false;
  remove_run(run_dir);
  train(t, out);

  // The last checkpoint, not the best: the best was chosen on these same held-out images.
  out << "[3/4] evaluating the last checkpoint on all " << gs.val << " held-out images\n";
  EvalCommand e;
  e.model = RunFiles{run_dir}.last(), e.data = data_dir, e.split = "val", e.device = t.device;
  EvalSet held_out = load_eval_set(e);
  const MapResult m = evaluate_set(held_out, out);
  const LoadedModel& lm = held_out.model;
  const DetectionData& val = held_out.data;

  DemoResult r;
  r.map_all = m.map_all_point, r.map_11 = m.map_11_point, r.held_out = static_cast<int>(val.size());
  const int n = std::min<int>(cmd.grid, static_cast<int>(val.size()));
  DetectOptions shown;
  shown.conf = cmd.conf;
  const auto dets = detect_data(*lm.model, lm.cfg, val, held_out.device, shown);
  r.grid_png = cmd.out / "predictions.png";
  save_png(r.grid_png, prediction_grid(val, dets, lm.names, n, std::max(128, 3 * cmd.size)));
  out << "[4/4] predictions on " << n << " held-out images (score > " << cmd.conf
      << "): " << r.grid_png.string() << "\n";

  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out << "\nwhere things are:\n"
      << "  dataset      " << data_dir.string() << " (yolo_v1 check-dataset " << data_dir.string()
      << ")\n"
      << "  checkpoints  " << RunFiles{run_dir}.best().string() << ", "
      << RunFiles{run_dir}.last().string() << "\n"
      << "  log, curves  " << RunFiles{run_dir}.log().string() << ", "
      << RunFiles{run_dir}.curves().string() << "\n"
      << "  predictions  " << r.grid_png.string() << "\n"
      << "  try          yolo_v1 detect --model " << run_dir.string() << " "
      << val.files[0].string() << "\n";
  char line[256];
  std::snprintf(line, sizeof line,
                "demo: mAP@0.5 on %d held-out images: VOC2010+ all-point %.4f | VOC2007 11-point "
                "%.4f  (%s, %d threads)\n",
                r.held_out, r.map_all, r.map_11, duration_str(r.seconds).c_str(), num_threads());
  out << line << std::flush;
  return r;
}

}  // namespace yolo
