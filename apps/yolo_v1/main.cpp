// yolo_v1: the command-line app around minidl's YOLOv1 (see ../../shared/YOLO_V1.md).
// Subcommands: generate, check-dataset, train, detect, eval, overfit, demo; each one's code is in
// yolo_v1_lib (a file of its own), so this file only wires options to it.
// Bad input ends in one line naming the file, line or option, and a non-zero exit status.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <iostream>

#include "apps/yolo_v1/check.h"
#include "apps/yolo_v1/demo.h"
#include "apps/yolo_v1/detect.h"
#include "apps/yolo_v1/eval.h"
#include "apps/yolo_v1/generate.h"
#include "apps/yolo_v1/overfit.h"
#include "apps/yolo_v1/run_dir.h"
#include "apps/yolo_v1/train.h"
#include "core/minidl.h"

namespace {

void add_device_option(CLI::App* sub, std::string& device) {
  sub->add_option("--device", device, "cpu or cuda (cuda needs a CUDA build of minidl and a GPU)")
      ->capture_default_str()
      ->check(CLI::IsMember({"cpu", "cuda"}));
}

void add_detect_options(CLI::App* sub, yolo::DetectOptions& d) {
  sub->add_option("--conf", d.conf, "keep boxes with score (confidence x class) above this")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--nms-iou", d.nms_iou, "NMS drops boxes overlapping a better one by more")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  sub->add_flag("--agnostic", d.agnostic, "NMS across classes (default: per class)")
      ->capture_default_str();
}

// Flags that set TrainOptions fields indirectly; apply() copies them in after parsing.
struct Flags {
  bool no_augment = false, clip = false;
  void apply(yolo::TrainOptions& t, bool tty) const {
    t.augment.enabled = t.augment.enabled && !no_augment;
    t.mode = clip ? yolo::EdgeMode::Clip : yolo::EdgeMode::Keep;
    t.tty = tty;
  }
};

// The model and training options of train, overfit (augmentation = false) and demo, with the
// defaults already in `t`.
Flags add_training_options(CLI::App* sub, yolo::TrainOptions& t, bool augmentation) {
  Flags f;
  sub->add_option("--arch", t.arch,
                  "humble: the Keras article's network (sigmoid head); tiny: darknet's tiny "
                  "YOLOv1 without batch norm")
      ->capture_default_str()
      ->check(CLI::IsMember(yolo::arch_list()));
  sub->add_option("--S", t.S, "grid size (0: the arch's, humble 2, tiny 7)")
      ->capture_default_str()
      ->check(CLI::Range(0, 64));
  sub->add_option("--B", t.B, "boxes per cell (0: the arch's, humble 1, tiny 2)")
      ->capture_default_str()
      ->check(CLI::Range(0, 16));
  sub->add_option("--input", t.input,
                  "network input side in pixels; images are resized to it (0: humble 64, "
                  "tiny 448)")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  if (augmentation) {  // overfit sets epochs and batch from --steps and --images
    sub->add_option("--epochs", t.epochs, "epochs in all (a resumed run trains up to this many)")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000000));
    sub->add_option("--batch", t.batch, "images per step")
        ->capture_default_str()
        ->check(CLI::Range(1, 65536));
    sub->add_option("--warmup", t.warmup, "warm-up steps (at most a fifth of all steps)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
  }
  sub->add_option("--class-loss", t.class_loss,
                  "sse: YOLOv1's squared error on class scores; softmax: cross-entropy")
      ->capture_default_str()
      ->check(CLI::IsMember({"sse", "softmax"}));
  sub->add_option("--lambda-coord", t.lambda_coord, "loss weight of the box terms")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--lambda-noobj", t.lambda_noobj, "loss weight of empty predictors")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--lambda-class", t.lambda_class, "loss weight of the class term")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--lr", t.lr, "Adam learning rate (after warm-up; cosine decay)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_option("--weight-decay", t.weight_decay, "Adam's L2 weight decay")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  add_device_option(sub, t.device);
  sub->add_option("--seed", t.seed, "random seed (data, weights, shuffling, augmentation)")
      ->capture_default_str();
  sub->add_flag("--quiet", t.quiet, "no progress line (per-epoch lines stay)")
      ->capture_default_str();
  if (augmentation) {
    sub->add_flag("--no-augment", f.no_augment,
                  "train on the images as they are (default: "
                  "random flip and scale/translate jitter)")
        ->capture_default_str();
    sub->add_option("--jitter", t.augment.jitter,
                    "augmentation: random scale in [1-j, 1+j] and shift up to j of the side")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 0.9));
  }
  if (sub->get_name() == "train") {
    sub->add_flag("--resume", t.resume,
                  "continue the run in --out from last.safetensors: its step counter, epoch, "
                  "log and settings")
        ->capture_default_str();
    sub->add_option("--limit", t.limit, "use only the first N training images (0: all)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    sub->add_option("--val-limit", t.val_limit, "use only the first N validation images (0: all)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    sub->add_option("--val-split", t.val_split,
                    "split for validation mAP (train: the training images; missing: train)")
        ->capture_default_str();
    sub->add_option("--eval-every", t.eval_every, "validation mAP every N epochs (and the last)")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000000));
  }
  if (sub->get_name() != "demo") {
    sub->add_flag("--skip-bad", t.skip_bad,
                  "report bad label lines and unreadable images (file:line) and skip them; "
                  "without it the first one is an error")
        ->capture_default_str();
    sub->add_flag("--clip", f.clip, "clip boxes at the image edge instead of rejecting them")
        ->capture_default_str();
  }
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "yolo_v1: YOLOv1 object detection with minidl -- datasets, training, detection, mAP"};
  app.require_subcommand(1);
  app.failure_message(
      [](const CLI::App*, const CLI::Error& e) {  // one line, as for every bad input
        return "yolo_v1: " + std::string(e.what()) + " (see --help)\n";
      });

  yolo::GenerateOptions g;
  std::string gen_out;
  auto* gen = app.add_subcommand("generate",
                                 "write a synthetic dataset in YOLO txt format (train/ and val/)");
  gen->add_option("--preset", g.preset,
                  "shapes: coloured shapes on noise; words: 'chat'/'rat' in a 2x2 grid; fashion: "
                  "Fashion-MNIST items pasted on a canvas")
      ->capture_default_str()
      ->check(CLI::IsMember(yolo::preset_list()));
  gen->add_option("--count", g.count, "number of images")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000000));
  gen->add_option(
         "--size", g.size,
         "image side in pixels (0: the preset's default, shapes 128, words 64, fashion 128)")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  gen->add_option("--out", gen_out, "dataset folder (empty: data/<preset>)")->capture_default_str();
  gen->add_option("--seed", g.seed, "random seed (the same seed writes the same files)")
      ->capture_default_str();
  gen->add_option("--val-fraction", g.val_fraction, "share of the images put in val/")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.99));
  gen->add_flag("--force", g.force, "replace a dataset already in --out")->capture_default_str();
  std::string fashion_dir = g.fashion_dir.string();
  gen->add_option("--fashion-dir", fashion_dir,
                  "preset fashion: the Fashion-MNIST IDX files (apt-get install "
                  "dataset-fashion-mnist)")
      ->capture_default_str();

  yolo::CheckOptions c;
  std::string check_dir, names;
  bool clip = false, no_images = false;
  auto* chk = app.add_subcommand("check-dataset",
                                 "validate a dataset's labels and count what YOLOv1 will see");
  chk->add_option("dir", check_dir,
                  "dataset: a folder with images/ and labels/ (or train/ and val/), or a list file")
      ->required();
  chk->add_option("--S", c.S, "grid size for the one-object-per-cell count")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  chk->add_option("--names", names, "class names file (empty: the dataset's own .names)")
      ->capture_default_str();
  chk->add_flag("--clip", clip,
                "clip boxes at the image edge and count them, instead of rejecting centres outside")
      ->capture_default_str();
  chk->add_flag("--no-images", no_images, "skip opening the images (labels only)")
      ->capture_default_str();

  // train, overfit and demo share the model and training options, each with its own defaults.
  yolo::TrainOptions t;
  std::string train_data, train_out = t.out.string();
  auto* trn = app.add_subcommand(
      "train", "train a YOLOv1 network; writes checkpoints, log.csv and curves.png to --out");
  trn->add_option("--data", train_data, "dataset folder (train/ and val/, see check-dataset)")
      ->required();
  trn->add_option("--out", train_out,
                  "run folder: last.safetensors, best.safetensors (best val mAP), log.csv, "
                  "curves.png, classes.names")
      ->capture_default_str();
  Flags tf = add_training_options(trn, t, true);

  yolo::OverfitCommand o;
  o.train.out = "runs/overfit";
  std::string over_data, over_out = o.train.out.string();
  auto* ovr = app.add_subcommand(
      "overfit",
      "train on a few images without augmentation and evaluate on the same: the sanity check "
      "(exit status 1 below --min-map)");
  ovr->add_option("--data", over_data, "dataset folder")->required();
  ovr->add_option("--out", over_out, "run folder (a run already there is replaced)")
      ->capture_default_str();
  ovr->add_option("--images", o.images, "the first N training images")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  ovr->add_option("--steps", o.steps, "optimizer steps, each on all the images")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000000));
  ovr->add_option("--min-map", o.min_map, "the mAP@0.5 (all-point) that passes")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  Flags of = add_training_options(ovr, o.train, false);

  yolo::DemoCommand d;
  std::string demo_out = d.out.string();
  auto* dem = app.add_subcommand(
      "demo",
      "generate a shapes dataset, train, evaluate on held-out images and draw predictions "
      "(no arguments needed)");
  dem->add_option("--out", demo_out, "folder for data/, run/ and predictions.png (replaced)")
      ->capture_default_str();
  dem->add_option("--count", d.count, "images to generate")
      ->capture_default_str()
      ->check(CLI::Range(2, 10000000));
  dem->add_option("--val-fraction", d.val_fraction, "share of them held out for evaluation")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 0.99));
  dem->add_option("--size", d.size, "generated image side in pixels")
      ->capture_default_str()
      ->check(CLI::Range(16, 4096));
  dem->add_option("--grid", d.grid, "held-out images drawn into predictions.png")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  dem->add_option("--conf", d.conf, "score threshold of the boxes drawn")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  Flags df = add_training_options(dem, d.train, true);

  yolo::DetectCommand dc;
  std::string det_model, det_out = dc.out.string();
  std::vector<std::string> det_inputs;
  auto* det = app.add_subcommand(
      "detect",
      "detect objects in images: labelled boxes drawn into PNG files, detections printed");
  det->add_option("--model", det_model,
                  "run folder (its best.safetensors, else last.safetensors) or checkpoint file")
      ->required();
  det->add_option("images", det_inputs,
                  "image files (any size, grey/RGB/RGBA) or folders of images; unreadable ones "
                  "are reported and skipped (exit status 1)")
      ->required();
  det->add_option("--out", det_out, "folder for <name>.png (and labels/<name>.txt)")
      ->capture_default_str();
  add_detect_options(det, dc.det);
  det->add_flag("--json", dc.json,
                "print JSON: per image its detections' class, name, score, box_px [x0 y0 x1 y1] "
                "and normalised box [cx cy w h]")
      ->capture_default_str();
  det->add_flag("--save-txt", dc.save_txt,
                "also write the detections as YOLO labels (class cx cy w h, clipped to the image)")
      ->capture_default_str();
  add_device_option(det, dc.device);

  yolo::EvalCommand ec;
  std::string eval_model, eval_data;
  bool eval_clip = false;
  auto* evl = app.add_subcommand(
      "eval", "mAP@0.5 of a trained model on a dataset: per class, VOC2010+ and VOC2007 rules");
  evl->add_option("--model", eval_model, "run folder or checkpoint file")->required();
  evl->add_option("--data", eval_data, "dataset folder")->required();
  evl->add_option("--split", ec.split, "split to evaluate (a dataset without splits: all of it)")
      ->capture_default_str();
  evl->add_option("--limit", ec.limit, "only the first N images (0: all)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  evl->add_flag("--skip-bad", ec.skip_bad,
                "report bad label lines and unreadable images (file:line) and skip them; "
                "without it the first one is an error")
      ->capture_default_str();
  evl->add_flag("--clip", eval_clip, "clip boxes at the image edge instead of rejecting them")
      ->capture_default_str();
  add_device_option(evl, ec.device);

  int threads = 0;
  for (CLI::App* sub : {trn, ovr, dem, det, evl})
    sub->add_option("--threads", threads, "CPU threads (0: MINIDL_NUM_THREADS or all cores)")
        ->capture_default_str()
        ->check(CLI::Range(0, 4096));

  CLI11_PARSE(app, argc, argv);

  const bool tty = ::isatty(STDOUT_FILENO) == 1;
  try {
    if (threads > 0) minidl::set_num_threads(threads);
    const std::string device = *trn   ? t.device
                               : *ovr ? o.train.device
                               : *dem ? d.train.device
                               : *det ? dc.device
                               : *evl ? ec.device
                                      : "cpu";
    // stdout carries nothing but the JSON with detect --json
    std::fprintf(*det && dc.json ? stderr : stdout, "%s\n",
                 minidl::runtime_summary(yolo::parse_device(device)).c_str());
    std::fflush(stdout);
    if (*gen) {
      g.out = gen_out, g.fashion_dir = fashion_dir;
      yolo::GenerateSummary s = yolo::generate_dataset(g);
      const std::vector<std::string> cls = yolo::preset_names(g.preset);
      std::printf("wrote %d train + %d val images with %d objects to %s\n", s.train, s.val,
                  s.objects, s.out.string().c_str());
      for (size_t k = 0; k < cls.size(); ++k)
        std::printf("  %-10s %d\n", cls[k].c_str(), s.per_class[k]);
      std::printf("classes in %s; check with: yolo_v1 check-dataset %s\n",
                  s.names_file.string().c_str(), s.out.string().c_str());
      return 0;
    }
    if (*chk) {
      c.names = names;
      c.mode = clip ? yolo::EdgeMode::Clip : yolo::EdgeMode::Keep;
      c.read_images = !no_images;
      yolo::CheckReport r = yolo::check_dataset(check_dir, c, std::cout);
      return r.ok() ? 0 : 1;
    }
    if (*trn) {
      t.data = train_data, t.out = train_out;
      tf.apply(t, tty);
      yolo::train(t, std::cout);
      return 0;
    }
    if (*ovr) {
      o.train.data = over_data, o.train.out = over_out;
      of.apply(o.train, tty);
      return yolo::run_overfit(o, std::cout).last_map >= o.min_map ? 0 : 1;
    }
    if (*dem) {
      d.out = demo_out;
      df.apply(d.train, tty);
      yolo::run_demo(d, std::cout);
      return 0;
    }
    if (*det) {
      dc.model = det_model, dc.out = det_out;
      for (const std::string& p : det_inputs) dc.inputs.emplace_back(p);
      return yolo::run_detect(dc, std::cout, std::cerr).failed ? 1 : 0;
    }
    if (*evl) {
      ec.model = eval_model, ec.data = eval_data;
      ec.mode = eval_clip ? yolo::EdgeMode::Clip : yolo::EdgeMode::Keep;
      yolo::run_eval(ec, std::cout);
      return 0;
    }
  } catch (const std::exception& e) {
    if (tty) std::printf("\n");  // leave a progress line in place
    std::fflush(stdout);
    std::fprintf(stderr, "yolo_v1: %s\n", e.what());
    return 1;
  }
  return 0;
}
