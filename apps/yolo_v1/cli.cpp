// The yolo_v1 command line (cli.h). Every option writes into a field of its command's options
// struct, directly or through a small function; nothing is copied after parsing, so no option can
// be registered on a variable that is gone by the time CLI11 fills it in.
#include "apps/yolo_v1/cli.h"

#include <cstdio>

namespace yolo {

namespace {

// Paths go through their text, and --help shows the path's own text as the default (CLI11 would
// take it from operator<<, which quotes a std::filesystem::path).
CLI::Option* add_path_option(CLI::App* sub, const std::string& name, fs::path& p,
                             const std::string& help) {
  return sub
      ->add_option_function<std::string>(
          name, [&p](const std::string& text) { p = text; }, help)
      ->default_str(p.string());
}

// A flag that sets a field to something other than true: `set` runs when the flag is given.
CLI::Option* add_flag_setting(CLI::App* sub, const std::string& name, std::function<void()> set,
                              const std::string& help) {
  return sub->add_flag_callback(name, std::move(set), help);
}

void add_device_option(CLI::App* sub, std::string& device) {
  sub->add_option("--device", device, "cpu or cuda (cuda needs a CUDA build of minidl and a GPU)")
      ->capture_default_str()
      ->check(CLI::IsMember({"cpu", "cuda"}));
}

void add_threads_option(CLI::App* sub, int& threads) {
  sub->add_option("--threads", threads, "CPU threads (0: MINIDL_NUM_THREADS or all cores)")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
}

// train, eval and overfit read labels the same way.
void add_bad_input_options(CLI::App* sub, bool& skip_bad, EdgeMode& mode) {
  sub->add_flag("--skip-bad", skip_bad,
                "report bad label lines and unreadable images (file:line) and skip them; "
                "without it the first one is an error")
      ->capture_default_str();
  add_flag_setting(
      sub, "--clip", [&mode] { mode = EdgeMode::Clip; },
      "clip boxes at the image edge instead of rejecting them");
}

// The network of train, overfit and demo.
void add_network_options(CLI::App* sub, TrainOptions& t) {
  sub->add_option("--arch", t.arch,
                  "humble: the Keras article's network (sigmoid head); tiny: darknet's tiny "
                  "YOLOv1 without batch norm; small: darknet-style, batch norm, fully "
                  "convolutional, grid = input / 8 (the demo's)")
      ->capture_default_str()
      ->check(CLI::IsMember(arch_list()));
  sub->add_option("--S", t.S, "grid size (0: the arch's, humble 2, tiny 7, small input/8)")
      ->capture_default_str()
      ->check(CLI::Range(0, 64));
  sub->add_option("--B", t.B, "boxes per cell (0: the arch's, humble 1, tiny 2, small 1)")
      ->capture_default_str()
      ->check(CLI::Range(0, 16));
  sub->add_option("--input", t.input,
                  "network input side in pixels; images are resized to it (0: humble 64, "
                  "tiny 448, small 64)")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
}

// How long train and demo train (overfit derives these from --steps and --images).
void add_schedule_options(CLI::App* sub, TrainOptions& t) {
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

// The loss, the optimiser, the device, the seed and --quiet of train, overfit and demo.
void add_optimisation_options(CLI::App* sub, TrainOptions& t) {
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
}

// Augmentation of train and demo (overfit never augments).
void add_augment_options(CLI::App* sub, Augment& a) {
  add_flag_setting(
      sub, "--no-augment", [&a] { a.enabled = false; },
      "train on the images as they are (default: random flip and scale/translate jitter)");
  sub->add_option("--jitter", a.jitter,
                  "augmentation: random scale in [1-j, 1+j] and shift up to j of the side")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.9));
}

void add_detect_options(CLI::App* sub, DetectOptions& d) {
  sub->add_option("--conf", d.conf, "keep boxes with score (confidence x class) above this")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--nms-iou", d.nms_iou, "NMS drops boxes overlapping a better one by more")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  sub->add_flag("--agnostic", d.agnostic, "NMS across classes (default: per class)")
      ->capture_default_str();
}

int print_generated(const GenerateOptions& g, std::ostream& out) {
  const GenerateSummary s = generate_dataset(g);
  const std::vector<std::string> cls = preset_names(g.preset);
  out << "wrote " << s.train << " train + " << s.val << " val images with " << s.objects
      << " objects to " << s.out.string() << "\n";
  char line[256];
  for (size_t k = 0; k < cls.size(); ++k) {
    std::snprintf(line, sizeof line, "  %-10s %d\n", cls[k].c_str(), s.per_class[k]);
    out << line;
  }
  out << "classes in " << s.names_file.string() << "; check with: yolo_v1 check-dataset "
      << s.out.string() << "\n";
  return 0;
}

}  // namespace

Subcommand add_generate(CLI::App& app, GenerateOptions& g) {
  CLI::App* sub = app.add_subcommand(
      "generate", "write a synthetic dataset in YOLO txt format (train/ and val/)");
  sub->add_option("--preset", g.preset,
                  "shapes: coloured shapes on noise; words: 'chat'/'rat' in a 2x2 grid; fashion: "
                  "Fashion-MNIST items pasted on a canvas")
      ->capture_default_str()
      ->check(CLI::IsMember(preset_list()));
  sub->add_option("--count", g.count, "number of images")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000000));
  sub->add_option(
         "--size", g.size,
         "image side in pixels (0: the preset's default, shapes 128, words 64, fashion 128)")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  add_path_option(sub, "--out", g.out, "dataset folder (empty: data/<preset>)");
  sub->add_option("--seed", g.seed, "random seed (the same seed writes the same files)")
      ->capture_default_str();
  sub->add_option("--val-fraction", g.val_fraction, "share of the images put in val/")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.99));
  sub->add_flag("--force", g.force, "replace a dataset already in --out")->capture_default_str();
  add_path_option(sub, "--fashion-dir", g.fashion_dir,
                  "preset fashion: the Fashion-MNIST IDX files (apt-get install "
                  "dataset-fashion-mnist)");
  return {sub, nullptr, nullptr,
          [&g](const RunContext& ctx) { return print_generated(g, ctx.out); }};
}

Subcommand add_check_dataset(CLI::App& app, CheckCommand& c) {
  CLI::App* sub = app.add_subcommand("check-dataset",
                                     "validate a dataset's labels and count what YOLOv1 will see");
  add_path_option(sub, "dir", c.dir,
                  "dataset: a folder with images/ and labels/ (or train/ and val/), or a list file")
      ->required();
  sub->add_option("--S", c.opt.S, "grid size for the one-object-per-cell count")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  add_path_option(sub, "--names", c.opt.names,
                  "class names file (empty: the dataset's own .names)");
  add_flag_setting(
      sub, "--clip", [&c] { c.opt.mode = EdgeMode::Clip; },
      "clip boxes at the image edge and count them, instead of rejecting centres outside");
  add_flag_setting(
      sub, "--no-images", [&c] { c.opt.read_images = false; },
      "skip opening the images (labels only)");
  return {sub, nullptr, nullptr, [&c](const RunContext& ctx) {
            return check_dataset(c.dir, c.opt, ctx.out).ok() ? 0 : 1;
          }};
}

Subcommand add_convert(CLI::App& app, ConvertOptions& c) {
  CLI::App* sub = app.add_subcommand(
      "convert",
      "convert Pascal VOC or COCO annotations into a YOLO txt dataset (images/, labels/, "
      "classes.names)");
  sub->add_option("--from", c.from, "voc: Pascal VOC XML; coco: COCO instances JSON")
      ->required()
      ->check(CLI::IsMember({"voc", "coco"}));
  add_path_option(sub, "source", c.source,
                  "voc: the folder with Annotations/ and JPEGImages/ (e.g. VOCdevkit/VOC2007); "
                  "coco: the instances JSON file")
      ->required();
  add_path_option(sub, "--out", c.out,
                  "dataset folder to write: images/ (links, or copies with --copy-images), "
                  "labels/, classes.names")
      ->required();
  add_path_option(sub, "--names", c.names,
                  "class names file: when it exists every class must be in it; when it does not, "
                  "it is written (voc: VOC's 20 classes; coco: the categories in id order)");
  add_path_option(sub, "--image-dir", c.image_dir,
                  "the images' folder (default voc: SOURCE/JPEGImages; coco: the JSON's folder)");
  sub->add_flag("--skip-difficult", c.skip_difficult,
                "voc: leave objects marked <difficult>1</difficult> out of labels/ (default: "
                "they are kept in labels/; either way they are listed in difficult/)")
      ->capture_default_str();
  sub->add_flag("--copy-images", c.copy_images,
                "copy the images into images/ (default: symbolic links to them)")
      ->capture_default_str();
  return {sub, nullptr, nullptr, [&c](const RunContext& ctx) {
            convert_dataset(c, ctx.out);
            return 0;
          }};
}

Subcommand add_train(CLI::App& app, TrainOptions& t, int& threads) {
  CLI::App* sub = app.add_subcommand(
      "train",
      "train a YOLOv1 network; writes checkpoints, log.csv and curves.png to --out (under "
      "`mpirun -np N`: data-parallel, --batch / N images on each process)");
  add_path_option(sub, "--data", t.data, "dataset folder (train/ and val/, see check-dataset)")
      ->required();
  add_path_option(sub, "--out", t.out,
                  "run folder: last.safetensors, best.safetensors (best val mAP), log.csv, "
                  "curves.png, classes.names");
  add_network_options(sub, t);
  add_schedule_options(sub, t);
  add_optimisation_options(sub, t);
  add_augment_options(sub, t.augment);
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
  add_path_option(sub, "--darknet-cfg", t.darknet_cfg,
                  "train the network of this darknet .cfg instead of --arch (a [detection] net "
                  "such as yolov1-tiny.cfg with classes= the dataset's); its [detection] section "
                  "sets S, B, input and the loss weights (--lambda-* are not used); also writes "
                  "last.weights and best.weights in darknet's format");
  add_path_option(sub, "--darknet-weights", t.darknet_weights,
                  "with --darknet-cfg: start from these darknet .weights (every layer must fit)");
  add_bad_input_options(sub, t.skip_bad, t.mode);
  add_threads_option(sub, threads);
  Subcommand cmd{sub, &t.device, nullptr, [&t](const RunContext& ctx) {
                   TrainOptions run = t;
                   run.tty = ctx.tty;
                   run.distributed = true;  // `mpirun -np N yolo_v1 train`: data-parallel
                   train(run, ctx.out);
                   return 0;
                 }};
  cmd.distributed = true;
  return cmd;
}

Subcommand add_overfit(CLI::App& app, OverfitCommand& o, int& threads) {
  CLI::App* sub = app.add_subcommand(
      "overfit",
      "train on a few images without augmentation and evaluate on the same: the sanity check "
      "(exit status 1 below --min-map)");
  add_path_option(sub, "--data", o.train.data, "dataset folder")->required();
  add_path_option(sub, "--out", o.train.out, "run folder (a run already there is replaced)");
  sub->add_option("--images", o.images, "the first N training images")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  sub->add_option("--steps", o.steps, "optimizer steps, each on all the images")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000000));
  sub->add_option("--min-map", o.min_map, "the mAP@0.5 (all-point) that passes")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  add_network_options(sub, o.train);
  add_optimisation_options(sub, o.train);
  add_bad_input_options(sub, o.train.skip_bad, o.train.mode);
  add_threads_option(sub, threads);
  return {sub, &o.train.device, nullptr, [&o](const RunContext& ctx) {
            OverfitCommand run = o;
            run.train.tty = ctx.tty;
            return run_overfit(run, ctx.out).last_map >= run.min_map ? 0 : 1;
          }};
}

Subcommand add_demo(CLI::App& app, DemoCommand& d, int& threads) {
  CLI::App* sub = app.add_subcommand(
      "demo",
      "generate a shapes dataset, train, evaluate on held-out images and draw predictions "
      "(no arguments needed)");
  add_path_option(sub, "--out", d.out, "folder for data/, run/ and predictions.png (replaced)");
  sub->add_option("--count", d.count, "images to generate")
      ->capture_default_str()
      ->check(CLI::Range(2, 10000000));
  sub->add_option("--val-fraction", d.val_fraction, "share of them held out for evaluation")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 0.99));
  sub->add_option("--size", d.size, "generated image side in pixels")
      ->capture_default_str()
      ->check(CLI::Range(16, 4096));
  sub->add_option("--grid", d.grid, "held-out images drawn into predictions.png")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  sub->add_option("--conf", d.conf, "score threshold of the boxes drawn")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  add_network_options(sub, d.train);
  add_schedule_options(sub, d.train);
  add_optimisation_options(sub, d.train);
  add_augment_options(sub, d.train.augment);
  add_threads_option(sub, threads);
  return {sub, &d.train.device, nullptr, [&d](const RunContext& ctx) {
            DemoCommand run = d;
            run.train.tty = ctx.tty;
            run_demo(run, ctx.out);
            return 0;
          }};
}

Subcommand add_detect(CLI::App& app, DetectCommand& d, int& threads) {
  CLI::App* sub = app.add_subcommand(
      "detect",
      "detect objects in images: labelled boxes drawn into PNG files, detections printed");
  add_path_option(sub, "--model", d.model,
                  "run folder (its best.safetensors, else last.safetensors) or checkpoint file; "
                  "required unless --darknet-cfg is given");
  add_path_option(sub, "--darknet-cfg", d.darknet_cfg,
                  "instead of --model: a darknet .cfg with a [detection] layer (yolov1.cfg, "
                  "yolov1-tiny.cfg); images get darknet's preprocessing (its bilinear resize, no "
                  "letterbox)");
  add_path_option(sub, "--darknet-weights", d.darknet_weights,
                  "with --darknet-cfg: its darknet .weights file");
  add_path_option(sub, "--names", d.names,
                  "with --darknet-cfg: class names, one per line (default: VOC's 20 for a "
                  "20-class network, else the class numbers)");
  // One of --model and --darknet-cfg: checked here for the message CLI11 gives a required option.
  sub->callback([&d] {
    if (d.model.empty() && d.darknet_cfg.empty())
      throw CLI::RequiredError(
          "--model is required (or --darknet-cfg with --darknet-weights for a darknet network)",
          CLI::ExitCodes::RequiredError);
  });
  sub->add_option_function<std::vector<std::string>>(
         "images",
         [&d](const std::vector<std::string>& files) {
           d.inputs.assign(files.begin(), files.end());
         },
         "image files (any size, grey/RGB/RGBA) or folders of images; unreadable ones are "
         "reported and skipped (exit status 1)")
      ->required();
  add_path_option(sub, "--out", d.out, "folder for <name>.png (and labels/<name>.txt)");
  add_detect_options(sub, d.det);
  sub->add_flag("--json", d.json,
                "print JSON: per image its detections' class, name, score, box_px [x0 y0 x1 y1] "
                "and normalised box [cx cy w h]")
      ->capture_default_str();
  sub->add_flag("--save-txt", d.save_txt,
                "also write the detections as YOLO labels (class cx cy w h, clipped to the image)")
      ->capture_default_str();
  add_device_option(sub, d.device);
  add_threads_option(sub, threads);
  return {sub, &d.device, &d.json,
          [&d](const RunContext& ctx) { return run_detect(d, ctx.out, ctx.err).failed ? 1 : 0; }};
}

Subcommand add_eval(CLI::App& app, EvalCommand& e, int& threads) {
  CLI::App* sub = app.add_subcommand(
      "eval", "mAP@0.5 of a trained model on a dataset: per class, VOC2010+ and VOC2007 rules");
  add_path_option(sub, "--model", e.model, "run folder or checkpoint file")->required();
  add_path_option(sub, "--data", e.data, "dataset folder")->required();
  sub->add_option("--split", e.split, "split to evaluate (a dataset without splits: all of it)")
      ->capture_default_str();
  sub->add_option("--limit", e.limit, "only the first N images (0: all)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  add_bad_input_options(sub, e.skip_bad, e.mode);
  add_device_option(sub, e.device);
  add_threads_option(sub, threads);
  return {sub, &e.device, nullptr, [&e](const RunContext& ctx) {
            run_eval(e, ctx.out);
            return 0;
          }};
}

Cli::Cli()
    : app_{"yolo_v1: YOLOv1 object detection with minidl -- datasets, training, detection, mAP"} {
  app_.require_subcommand(1);
  app_.failure_message(
      [](const CLI::App*, const CLI::Error& e) {  // one line, as for every bad input
        return "yolo_v1: " + std::string(e.what()) + " (see --help)\n";
      });
  subs_ = {add_generate(app_, cmd_.generate),
           add_check_dataset(app_, cmd_.check),
           add_convert(app_, cmd_.convert),
           add_train(app_, cmd_.train, cmd_.threads),
           add_overfit(app_, cmd_.overfit, cmd_.threads),
           add_demo(app_, cmd_.demo, cmd_.threads),
           add_detect(app_, cmd_.detect, cmd_.threads),
           add_eval(app_, cmd_.eval, cmd_.threads)};
}

void Cli::parse(int argc, const char* const* argv) { app_.parse(argc, argv); }

void Cli::parse(const std::vector<std::string>& args) {
  std::vector<const char*> argv{"yolo_v1"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  parse(static_cast<int>(argv.size()), argv.data());
}

const Subcommand& Cli::chosen() const {
  for (const Subcommand& s : subs_)
    if (s.app->parsed()) return s;
  throw CLI::RequiredError::Subcommand(1);  // parse() has not run, or failed
}

}  // namespace yolo
