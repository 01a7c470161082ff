// The training loop of the yolo_v1 app (train.h).
#include "apps/yolo_v1/train.h"

#include <cmath>
#include <cstdio>

#include "apps/yolo_v1/curves.h"
#include "apps/yolo_v1/evaluate.h"
#include "apps/yolo_v1/progress.h"
#include "apps/yolo_v1/run_dir.h"
#include "apps/yolo_v1/train_log.h"

namespace yolo {

using namespace minidl;

std::string non_finite_terms(double total, const double t[5]) {
  static const char* const names[5] = {"xy", "wh", "obj", "noobj", "cls"};
  std::string s;
  for (int k = 0; k < 5; ++k)
    if (!std::isfinite(t[k])) s += detail::cat(s.empty() ? "" : ", ", names[k], " = ", t[k]);
  if (!std::isfinite(total)) s += detail::cat(s.empty() ? "" : ", ", "total = ", total);
  return s;
}

namespace {

double meta_number(const Metadata& m, const std::string& key, const fs::path& file) {
  auto it = m.find(key);
  MINIDL_CHECK(it != m.end(), file.string(), ": metadata has no '", key,
               "' (not a checkpoint written by yolo_v1 train)");
  try {
    return std::stod(it->second);
  } catch (const std::exception&) {
    throw Error(
        detail::cat(file.string(), ": metadata '", key, "' is '", it->second, "', not a number"));
  }
}

ModelConfig config_from_options(const TrainOptions& o, int C) {
  ModelConfig cfg = reference_config(o.arch, C);
  if (o.S > 0) cfg.S = o.S;
  if (o.B > 0) cfg.B = o.B;
  if (o.input > 0) cfg.input = o.input;
  cfg.class_loss = o.class_loss;
  cfg.validate();
  return cfg;
}

// The run's state in a checkpoint's metadata.
struct RunState {
  int epoch = 0, best_epoch = 0;
  double best_map = -1, map_all = 0, map_11 = 0;
  uint64_t seed = 1;
  double lambda_coord = 5, lambda_noobj = 0.5, lambda_class = 1;
};

Metadata state_metadata(const ModelConfig& cfg, const std::vector<std::string>& names,
                        const RunState& s) {
  Metadata m = config_metadata(cfg, names);
  m["yolo.epoch"] = std::to_string(s.epoch);
  m["yolo.best_epoch"] = std::to_string(s.best_epoch);
  m["yolo.best_map"] = detail::cat(s.best_map);
  m["yolo.val_map_all_point"] = detail::cat(s.map_all);
  m["yolo.val_map_11_point"] = detail::cat(s.map_11);
  m["yolo.seed"] = std::to_string(s.seed);
  m["yolo.lambda_coord"] = detail::cat(s.lambda_coord);
  m["yolo.lambda_noobj"] = detail::cat(s.lambda_noobj);
  m["yolo.lambda_class"] = detail::cat(s.lambda_class);
  return m;
}

}  // namespace

TrainResult train(const TrainOptions& o, std::ostream& out) {
  MINIDL_CHECK(o.epochs >= 1, "--epochs must be >= 1; got ", o.epochs);
  MINIDL_CHECK(o.batch >= 1, "--batch must be >= 1; got ", o.batch);
  MINIDL_CHECK(o.lr > 0 && std::isfinite(o.lr), "--lr must be > 0; got ", o.lr);
  MINIDL_CHECK(o.eval_every >= 1, "--eval-every must be >= 1; got ", o.eval_every);
  const Device device = parse_device(o.device);
  const RunFiles run{o.out};
  std::error_code ec;
  if (o.resume)
    MINIDL_CHECK(fs::exists(run.last(), ec), "--resume: '", run.last().string(),
                 "' does not exist (nothing to resume)");
  else
    MINIDL_CHECK(!fs::exists(run.last(), ec), "'", o.out.string(),
                 "' already holds a run (last.safetensors): pass --resume to continue it, or "
                 "choose another --out");

  const Dataset ds = discover_dataset(o.data);
  MINIDL_CHECK(!ds.names.empty(), "dataset '", o.data.string(),
               "' has no .names file (one class name per line)");
  const std::vector<std::string>& names = ds.names;
  const int C = static_cast<int>(names.size());
  RunState st;
  st.seed = o.seed;
  st.lambda_coord = o.lambda_coord, st.lambda_noobj = o.lambda_noobj;
  st.lambda_class = o.lambda_class;
  ModelConfig cfg;
  if (o.resume) {  // the run's own configuration, whatever the options say
    const Metadata meta = load_tensors(run.last()).metadata;
    cfg = config_from_metadata(meta, run.last().string());
    st.seed = static_cast<uint64_t>(meta_number(meta, "yolo.seed", run.last()));
    st.lambda_coord = meta_number(meta, "yolo.lambda_coord", run.last());
    st.lambda_noobj = meta_number(meta, "yolo.lambda_noobj", run.last());
    st.lambda_class = meta_number(meta, "yolo.lambda_class", run.last());
    MINIDL_CHECK(cfg.C == C, run.last().string(), ": the run has ", cfg.C,
                 " classes but the dataset has ", C);
  } else {
    cfg = config_from_options(o, C);
  }

  const Split* train_split = find_split(ds, o.train_split);
  MINIDL_CHECK(train_split, "dataset '", o.data.string(), "' has no '", o.train_split, "' split");
  LoadOptions lo;
  lo.input = cfg.input, lo.C = C, lo.mode = o.mode, lo.skip_bad = o.skip_bad, lo.limit = o.limit;
  const DetectionData train_data = load_split(*train_split, lo);
  const Split* val_split = find_split(ds, o.val_split);
  DetectionData val_storage;
  if (val_split && val_split != train_split) {
    lo.limit = o.val_limit;
    val_storage = load_split(*val_split, lo);
  }
  const DetectionData& val_data = val_split && val_split != train_split ? val_storage : train_data;
  for (const DetectionData* d : {&train_data, static_cast<const DetectionData*>(&val_storage)})
    for (const std::string& p : d->problems) out << "skipped: " << p << "\n";
  out << "data: " << train_data.size() << " training images (" << train_data.objects
      << " objects) from '" << train_split->name << "'";
  if (&val_data == &train_data)
    out << (o.val_split == train_split->name
                ? "; validating on the training images"
                : "; no '" + o.val_split + "' split: validating on the training images");
  else
    out << ", " << val_data.size() << " validation images from '" << val_split->name << "'";
  out << "; classes: " << C << "\n";
  if (train_data.stats.clipped || train_data.stats.dropped)
    out << "--clip: " << train_data.stats.clipped << " training boxes clipped at the image edge, "
        << train_data.stats.dropped << " dropped (nothing of them inside)\n";
  const int dropped = encode_targets(train_data.boxes, cfg.S, C).dropped;
  if (dropped)
    out << "note: " << dropped << " training boxes share a cell with a larger one at S=" << cfg.S
        << " and are not learned (one object per cell)\n";

  Generator gen(st.seed);
  auto model = make_model(cfg, gen);
  out << "model: " << cfg.str() << "\n" << summary(*model, {1, 3, cfg.input, cfg.input});
  model->to(device);
  Adam adam(model->parameters(), o.lr, 0.9f, 0.999f, 1e-8f, o.weight_decay);
  int64_t step = 0;
  if (o.resume) {
    Metadata meta;
    step = load_checkpoint(run.last(), *model, adam, &meta);
    st.epoch = static_cast<int>(meta_number(meta, "yolo.epoch", run.last()));
    st.best_epoch = static_cast<int>(meta_number(meta, "yolo.best_epoch", run.last()));
    st.best_map = meta_number(meta, "yolo.best_map", run.last());
    st.map_all = meta_number(meta, "yolo.val_map_all_point", run.last());
    st.map_11 = meta_number(meta, "yolo.val_map_11_point", run.last());
    out << "resuming " << run.last().string() << " after epoch " << st.epoch << " (step " << step
        << ")\n";
  }
  fs::create_directories(o.out, ec);
  MINIDL_CHECK(!ec, "cannot create '", o.out.string(), "': ", ec.message());
  write_names(run.names(), names);

  auto dataset = std::make_shared<DetectionDataset>(train_data, cfg.S, C, o.augment, st.seed);
  DataLoader loader(dataset, o.batch, true, st.seed);
  const int64_t per_epoch = loader.size(), total_steps = per_epoch * o.epochs;
  const int64_t warmup = std::min<int64_t>(o.warmup, total_steps / 5);
  const WarmupLR schedule(
      warmup, std::make_shared<CosineLR>(o.lr, std::max<int64_t>(1, total_steps - warmup),
                                         o.lr * o.min_lr_factor));
  YoloV1Options loss_opt = cfg.loss();
  loss_opt.lambda_coord = static_cast<float>(st.lambda_coord);
  loss_opt.lambda_noobj = static_cast<float>(st.lambda_noobj);
  loss_opt.lambda_class = static_cast<float>(st.lambda_class);
  const YoloV1Loss loss_fn(loss_opt);
  TrainLog log(run.log(), st.epoch);
  out << "training: Adam lr " << o.lr << " (warm-up " << warmup << " steps, cosine to "
      << o.lr * o.min_lr_factor << "), batch " << o.batch << ", " << per_epoch
      << " steps per epoch, epochs " << st.epoch + 1 << ".." << o.epochs << ", augmentation "
      << (o.augment.enabled ? "on" : "off") << ", log " << run.log().string() << "\n"
      << std::flush;
  if (st.epoch >= o.epochs)
    out << "the run has already trained " << st.epoch << " epochs; raise --epochs to go on\n";

  for (int epoch = st.epoch + 1; epoch <= o.epochs; ++epoch) {
    loader.set_epoch(epoch - 1);
    dataset->set_epoch(epoch - 1);
    Progress progress(out, o.tty, epoch, o.epochs, per_epoch,
                      (o.epochs - epoch) * train_data.size());
    double sum = 0, terms[5] = {0, 0, 0, 0, 0};
    int64_t batches = 0, images = 0;
    for (const Example& b : loader) {
      schedule.apply(adam, step);
      const Tensor x = b.input.to(device), target = b.target.to(device);
      YoloV1LossResult r = loss_fn((*model)(x), target);
      const double t[5] = {r.xy.item(), r.wh.item(), r.obj.item(), r.noobj.item(), r.cls.item()};
      const double total = r.total.item();
      const std::string bad = non_finite_terms(total, t);
      MINIDL_CHECK(bad.empty(), "non-finite loss at epoch ", epoch, ", batch ", batches + 1, "/",
                   per_epoch, " (step ", step + 1, "): ", bad, "; stopped before the update (",
                   st.epoch ? "checkpoints of epoch " + std::to_string(st.epoch) + " are intact"
                            : "no checkpoint was written yet",
                   "); try a lower --lr");
      adam.zero_grad();
      r.total.backward();
      adam.step();
      ++step, ++batches, images += x.size(0), sum += total;
      for (int k = 0; k < 5; ++k) terms[k] += t[k];
      if (!o.quiet) {
        double mean[5];
        for (int k = 0; k < 5; ++k) mean[k] = terms[k] / batches;
        progress.update(batches, images, sum / batches, mean);
      }
    }
    const double secs = progress.seconds();
    EpochRow row{epoch,
                 step,
                 adam.lr(),
                 sum / batches,
                 terms[0] / batches,
                 terms[1] / batches,
                 terms[2] / batches,
                 terms[3] / batches,
                 terms[4] / batches,
                 NAN,
                 NAN,
                 secs,
                 images / std::max(secs, 1e-9)};
    const bool evaluate = epoch % o.eval_every == 0 || epoch == o.epochs;
    bool best = false;
    if (evaluate) {
      const MapResult m = evaluate_model(*model, cfg, val_data, device);
      row.map_all = st.map_all = m.map_all_point;
      row.map_11 = st.map_11 = m.map_11_point;
      best = m.map_all_point > st.best_map;
      if (best) st.best_map = m.map_all_point, st.best_epoch = epoch;
    }
    st.epoch = epoch;
    // Log first: a crash before the checkpoint leaves a row that the resumed run drops.
    log.append(row);
    if (best) save_checkpoint(run.best(), *model, adam, step, state_metadata(cfg, names, st));
    save_checkpoint(run.last(), *model, adam, step, state_metadata(cfg, names, st));
    save_png(run.curves(), draw_curves(log.rows()));
    char line[256];
    std::snprintf(line, sizeof line, "epoch %d/%d loss %.4f  %.1f img/s  %.1fs", epoch, o.epochs,
                  row.loss, row.images_per_s, secs);
    out << line;
    if (evaluate) {
      std::snprintf(line, sizeof line,
                    "  val mAP@0.5 VOC2010+ all-point %.4f | VOC2007 11-point %.4f%s", row.map_all,
                    row.map_11, best ? "  (best: saved)" : "");
      out << line;
    }
    out << "\n" << std::flush;
  }

  TrainResult res;
  res.cfg = cfg, res.epochs = st.epoch, res.steps = step;
  res.last_map = st.map_all, res.last_map_11 = st.map_11;
  res.best_map = st.best_map, res.best_epoch = st.best_epoch;
  char best[64];
  std::snprintf(best, sizeof best, "%.4f at epoch %d", res.best_map, res.best_epoch);
  out << "run folder " << o.out.string() << ": best.safetensors (val mAP@0.5 " << best
      << "), last.safetensors, log.csv, curves.png, classes.names\n";
  return res;
}

}  // namespace yolo
