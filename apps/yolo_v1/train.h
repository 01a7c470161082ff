// `yolo_v1 train`: trains a YOLOv1 network on a dataset into a run folder (run_dir.h), with a
// progress line, a per-epoch CSV log, validation mAP, `last` and `best` checkpoints, a curves PNG,
// augmentation, resuming, and a stop naming the term and batch on the first non-finite loss.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>

#include "apps/yolo_v1/detection_data.h"
#include "apps/yolo_v1/model.h"

namespace yolo {

struct TrainOptions {
  fs::path data;                // dataset (any layout discover_dataset accepts)
  fs::path out = "runs/train";  // run folder
  std::string arch = "tiny";
  int S = 0, B = 0, input = 0;  // 0: the arch's reference (humble 2, 1, 64; tiny 7, 2, 448)
  // Instead of arch: the network of a darknet .cfg (darknet_train_config; its [detection]
  // section sets S, B, input and the loss weights), optionally starting from darknet .weights.
  // The run also writes last.weights and best.weights. A resumed run keeps its own network.
  fs::path darknet_cfg, darknet_weights;
  int epochs = 30;  // total, counting epochs done before a resume
  int batch = 32;
  float lr = 1e-3f;  // Adam; linear warm-up, then cosine decay to lr * min_lr_factor
  float min_lr_factor = 0.05f;
  int warmup = 100;                // warm-up steps (capped at a fifth of all steps)
  float weight_decay = 0.f;        // Adam's L2 term
  std::string class_loss = "sse";  // see ModelConfig
  float lambda_coord = 5.f, lambda_noobj = 0.5f, lambda_class = 1.f;  // loss weights
  std::string device = "cpu";
  uint64_t seed = 1;
  bool resume = false;  // continue the run in `out` from its last checkpoint
  Augment augment;
  bool skip_bad = false;  // see LoadOptions
  EdgeMode mode = EdgeMode::Keep;
  int limit = 0, val_limit = 0;  // use only the first N train / val images (0: all)
  std::string train_split = "train", val_split = "val";  // a missing val split: validate on train
  int eval_every = 1;  // validation mAP every N epochs (and after the last)
  bool tty = false;    // redraw the progress line in place
  bool quiet = false;  // no progress lines (the per-epoch lines stay)
  // Join the MPI job when mpirun or srun started this process (`train` only): each of the N
  // processes trains on batch / N examples of every step and the gradients are averaged
  // (core/dist.h); rank 0 alone prints, evaluates and writes the run folder.
  bool distributed = false;
};

struct TrainResult {
  ModelConfig cfg;
  int epochs = 0;                        // epochs done in all
  int64_t steps = 0;                     // optimizer steps in all
  double last_map = 0, last_map_11 = 0;  // validation mAP of the last evaluation
  double best_map = 0;  // the best all-point validation mAP (the `best` checkpoint's)
  int best_epoch = 0;
};

/// Trains as TrainOptions says, writing the run folder and progress to `out`. Throws minidl::Error
/// for bad options, data (see load_split), a run folder that already holds a checkpoint without
/// --resume (or none with it), and on the first non-finite loss (naming the terms, epoch, batch
/// and step; the checkpoints of the epochs before it stay intact).
/// With opt.distributed it joins the MPI job (dist::init) and leaves it (dist::finalize) on
/// success; a --batch that the world size does not divide is an error naming both.
TrainResult train(const TrainOptions& opt, std::ostream& out);

/// The five terms of the YOLOv1 loss (losses/yolo_v1_loss.h) as numbers: of one batch, or summed
/// or averaged over an epoch's batches.
struct LossTerms {
  double xy = 0, wh = 0, obj = 0, noobj = 0, cls = 0;
  /// The terms of a computed loss (each a scalar tensor, read back to the CPU).
  static LossTerms of(const minidl::YoloV1LossResult& r);
  LossTerms& operator+=(const LossTerms& t);
  LossTerms operator/(double n) const;
  /// {xy, wh, obj, noobj, cls}: the order of the log's columns and of the progress line.
  std::array<double, 5> values() const { return {xy, wh, obj, noobj, cls}; }
};

/// "" when the total and every term are finite, else the non-finite ones, e.g. "wh = nan,
/// total = nan".
std::string non_finite_terms(double total, const LossTerms& terms);
/// The same with the terms in LossTerms::values() order.
std::string non_finite_terms(double total, const double terms[5]);

}  // namespace yolo
