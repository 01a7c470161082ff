// The training loop of the yolo_v1 app (train.h): a Run is opened (options, data, model, optimiser,
// log), trains one epoch at a time, and finishes with the result.
#include "apps/yolo_v1/train.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "apps/common/training_run.h"
#include "apps/yolo_v1/curves.h"
#include "apps/yolo_v1/darknet_model.h"
#include "apps/yolo_v1/evaluate.h"
#include "apps/yolo_v1/progress.h"
#include "apps/yolo_v1/run_dir.h"
#include "apps/yolo_v1/train_log.h"

namespace yolo {

using namespace minidl;

LossTerms LossTerms::of(const YoloV1LossResult& r) {
  return {r.xy.item(), r.wh.item(), r.obj.item(), r.noobj.item(), r.cls.item()};
}

LossTerms& LossTerms::operator+=(const LossTerms& t) {
  xy += t.xy, wh += t.wh, obj += t.obj, noobj += t.noobj, cls += t.cls;
  return *this;
}

LossTerms LossTerms::operator/(double n) const {
  return {xy / n, wh / n, obj / n, noobj / n, cls / n};
}

std::string non_finite_terms(double total, const LossTerms& terms) {
  static const char* const names[5] = {"xy", "wh", "obj", "noobj", "cls"};
  const std::array<double, 5> t = terms.values();
  // "nan" whatever its sign bit (x86 makes -nan of invalid operations), "inf" or "-inf".
  const auto show = [](double v) { return std::isnan(v) ? std::string("nan") : str(v); };
  std::string s;
  for (int k = 0; k < 5; ++k)
    if (!std::isfinite(t[k])) s += str(s.empty() ? "" : ", ", names[k], " = ", show(t[k]));
  if (!std::isfinite(total)) s += str(s.empty() ? "" : ", ", "total = ", show(total));
  return s;
}

std::string non_finite_terms(double total, const double t[5]) {
  return non_finite_terms(total, LossTerms{t[0], t[1], t[2], t[3], t[4]});
}

namespace {

// A number of the checkpoint's metadata (minidl_apps::meta_number), naming this writer.
double meta_number(const Metadata& m, const std::string& key, const fs::path& file) {
  return minidl_apps::meta_number(m, key, file, "yolo_v1 train");
}

ModelConfig config_from_options(const TrainOptions& o, int C) {
  ModelConfig cfg = reference_config(o.arch, C);
  if (o.S > 0) cfg.S = o.S;
  if (o.B > 0) cfg.B = o.B;
  if (o.input > 0) cfg.input = o.input;
  if (cfg.arch == "small" && o.S <= 0) cfg.S = cfg.input / 8;  // its grid follows its input
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
  m["yolo.best_map"] = str(s.best_map);
  m["yolo.val_map_all_point"] = str(s.map_all);
  m["yolo.val_map_11_point"] = str(s.map_11);
  m["yolo.seed"] = std::to_string(s.seed);
  m["yolo.lambda_coord"] = str(s.lambda_coord);
  m["yolo.lambda_noobj"] = str(s.lambda_noobj);
  m["yolo.lambda_class"] = str(s.lambda_class);
  return m;
}

void check_options(const TrainOptions& o) {
  MINIDL_CHECK(o.epochs >= 1, "--epochs must be >= 1; got ", o.epochs);
  MINIDL_CHECK(o.batch >= 1, "--batch must be >= 1; got ", o.batch);
  MINIDL_CHECK(o.lr > 0 && std::isfinite(o.lr), "--lr must be > 0; got ", o.lr);
  MINIDL_CHECK(o.eval_every >= 1, "--eval-every must be >= 1; got ", o.eval_every);
}

// The first parameter of `model` holding a NaN or an infinity, as "NAME holds VALUE"; empty when
// all are finite. One pass over the values (copied to the host for CUDA, as a checkpoint is).
std::string non_finite_parameter(const Module& model) {
  for (const auto& [name, t] : model.parameters())
    if (const int64_t i = first_non_finite(t); i >= 0)
      return str("'", name, "' holds ", t.reshape({-1}).to_vector()[static_cast<size_t>(i)]);
  return "";
}

// Where the run's checkpoints stand, for a message about stopping.
std::string checkpoints_on_disk(int epochs_done) {
  return epochs_done ? "the checkpoints of epoch " + std::to_string(epochs_done) + " are intact"
                     : "no checkpoint was written yet";
}

// What an epoch's batches add up to.
struct EpochSums {
  int64_t batches = 0, images = 0;
  double loss = 0;
  LossTerms terms;
  double seconds = 0;
};

// Every process's batches of the epoch weigh the same (the sampler gives each as many examples),
// so the mean of the processes' mean losses is the loss over the global batches.
void average_over_ranks(EpochSums& s) {
  const int n = dist::world_size();
  if (n == 1) return;
  const std::array<double, 5> t = s.terms.values();
  std::vector<float> v = {static_cast<float>(s.loss)};
  for (double x : t) v.push_back(static_cast<float>(x));
  dist::allreduce_sum(v);
  s.loss = v[0] / n;
  s.terms = LossTerms{v[1], v[2], v[3], v[4], v[5]} / n;
}

// A run opened for training: options checked, data loaded, the model built (or restored with its
// optimiser and state by --resume), the schedule, loss and log ready; then one epoch at a time.
// Neither copied nor moved: the dataset refers to the training data and Adam to the parameters.
class Run {
 public:
  Run(const TrainOptions& o, std::ostream& out);
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  int epochs_done() const { return st_.epoch; }
  /// Trains epoch `epoch` (1-based), evaluates when due, then logs, checkpoints and prints it.
  void train_epoch(int epoch);
  /// The result, after a last line on what the run folder holds.
  TrainResult finish();

 private:
  void configure();  // the model and state: from the options, or the checkpoint
  void load_data(const Dataset& ds);
  void build_model();   // and the optimiser; --resume restores both and the state
  void prepare_loop();  // batches, schedule, loss and log
  EpochSums run_batches(int epoch);
  void record_epoch(int epoch, const EpochSums& s);

  const TrainOptions& o_;
  std::ostream& out_;
  Device device_ = Device::CPU;
  RunFiles run_;
  std::vector<std::string> names_;
  RunState st_;
  ModelConfig cfg_;
  DetectionData train_data_, val_storage_;
  const DetectionData* val_data_ = &train_data_;  // val_storage_ when a distinct split exists
  std::shared_ptr<Sequential> model_;
  std::optional<Adam> adam_;
  int64_t step_ = 0, per_epoch_ = 0;
  std::shared_ptr<DetectionDataset> dataset_;
  // Data-parallel (mpirun): this process's share of every --batch, its batches of each epoch,
  // and the averaging of gradients over the processes. One process: the whole batch.
  int64_t rank_batch_ = 0;
  std::optional<dist::DistributedSampler> sampler_;
  std::optional<dist::GradSync> sync_;
  std::optional<WarmupLR> schedule_;
  std::optional<YoloV1Loss> loss_fn_;
  std::optional<TrainLog> log_;
  std::optional<DarknetModel> darknet_;  // arch darknet: its layers, for the .weights files
};

Run::Run(const TrainOptions& o, std::ostream& out) : o_(o), out_(out), run_{o.out} {
  check_options(o);
  rank_batch_ = dist::per_rank_batch(o.batch, "--batch");
  device_ = parse_device(o.device);
  minidl_apps::check_checkpoint_rule(run_.last(), o.out, o.resume);
  const Dataset ds = discover_dataset(o.data);
  MINIDL_CHECK(!ds.names.empty(), "dataset '", o.data.string(),
               "' has no .names file (one class name per line)");
  names_ = ds.names;
  configure();
  load_data(ds);
  build_model();
  prepare_loop();
}

void Run::configure() {
  const int C = static_cast<int>(names_.size());
  st_.seed = o_.seed;
  st_.lambda_coord = o_.lambda_coord, st_.lambda_noobj = o_.lambda_noobj;
  st_.lambda_class = o_.lambda_class;
  MINIDL_CHECK(o_.darknet_weights.empty() || !o_.darknet_cfg.empty(),
               "--darknet-weights needs --darknet-cfg (the network the weights belong to)");
  if (!o_.resume && !o_.darknet_cfg.empty()) {
    cfg_ = darknet_train_config(o_.darknet_cfg, C, o_.S, o_.B, o_.input, o_.class_loss);
    // The .weights file's size against the .cfg's layers now, before the data are read and
    // the network takes its memory.
    if (!o_.darknet_weights.empty()) check_darknet_weights(cfg_, o_.darknet_weights);
    const YoloV1Options d = cfg_.loss();  // the [detection] section's scales
    st_.lambda_coord = d.lambda_coord, st_.lambda_noobj = d.lambda_noobj;
    st_.lambda_class = d.lambda_class;
    return;
  }
  if (!o_.resume) {
    cfg_ = config_from_options(o_, C);
    return;
  }
  // The run's own configuration, whatever the options say.
  const fs::path last = run_.last();
  const TensorFile file = load_tensors(last);
  const Metadata& meta = file.metadata;
  cfg_ = config_from_checkpoint(file, last.string());  // sized against its tensors
  st_.seed = minidl_apps::meta_count(meta, "yolo.seed", last, "yolo_v1 train");
  st_.lambda_coord = meta_number(meta, "yolo.lambda_coord", last);
  st_.lambda_noobj = meta_number(meta, "yolo.lambda_noobj", last);
  st_.lambda_class = meta_number(meta, "yolo.lambda_class", last);
  MINIDL_CHECK(cfg_.C == C, last.string(), ": the run has ", cfg_.C,
               " classes but the dataset has ", C);
}

void Run::load_data(const Dataset& ds) {
  const Split* train_split = find_split(ds, o_.train_split);
  MINIDL_CHECK(train_split, "dataset '", o_.data.string(), "' has no '", o_.train_split, "' split");
  LoadOptions lo;
  lo.input = cfg_.input, lo.C = cfg_.C, lo.mode = o_.mode, lo.skip_bad = o_.skip_bad;
  lo.limit = o_.limit;
  train_data_ = load_split(*train_split, lo);
  const Split* val_split = find_split(ds, o_.val_split);
  if (val_split && val_split != train_split) {
    lo.limit = o_.val_limit;
    val_storage_ = load_split(*val_split, lo);
    val_data_ = &val_storage_;
  }
  for (const DetectionData* d : {&train_data_, &val_storage_})
    for (const std::string& p : d->problems) out_ << "skipped: " << p << "\n";
  out_ << "data: " << train_data_.size() << " training images (" << train_data_.objects
       << " objects) from '" << train_split->name << "'";
  if (val_data_ == &train_data_)
    out_ << (o_.val_split == train_split->name
                 ? "; validating on the training images"
                 : "; no '" + o_.val_split + "' split: validating on the training images");
  else
    out_ << ", " << val_storage_.size() << " validation images from '" << val_split->name << "'";
  out_ << "; classes: " << cfg_.C << "\n";
  if (train_data_.stats.clipped || train_data_.stats.dropped)
    out_ << "--clip: " << train_data_.stats.clipped << " training boxes clipped at the image edge, "
         << train_data_.stats.dropped << " dropped (nothing of them inside)\n";
  const int dropped = encode_targets(train_data_.boxes, cfg_.S, cfg_.C).dropped;
  if (dropped)
    out_ << "note: " << dropped << " training boxes share a cell with a larger one at S=" << cfg_.S
         << " and are not learned (one object per cell)\n";
}

void Run::build_model() {
  Generator gen(st_.seed);
  if (cfg_.arch == "darknet") {
    try {
      darknet_.emplace(make_darknet_model(cfg_, gen));
    } catch (const Error& e) {  // --resume: the .cfg text is the checkpoint's metadata
      if (!o_.resume) throw;
      throw Error(str(run_.last().string(), ": cannot build the network of its metadata (",
                      "yolo.darknet_cfg of ", cfg_.darknet_file, "): ", e.what()));
    }
    model_ = darknet_->model;
    if (!o_.resume && !o_.darknet_weights.empty()) {
      const DarknetWeightsHeader h = load_darknet_weights(o_.darknet_weights, darknet_->net);
      out_ << "weights: " << o_.darknet_weights.string() << " (darknet " << h.major << "."
           << h.minor << "." << h.revision << ", " << h.seen << " images seen)\n";
    }
  } else {
    model_ = o_.resume ? make_model_from(cfg_, run_.last().string(), gen) : make_model(cfg_, gen);
  }
  out_ << "model: " << cfg_.str() << "\n" << summary(*model_, {1, 3, cfg_.input, cfg_.input});
  model_->to(device_);
  adam_.emplace(model_->parameters(), o_.lr, 0.9f, 0.999f, 1e-8f, o_.weight_decay);
  if (o_.resume) {
    const fs::path last = run_.last();
    const minidl_apps::Restored r =
        minidl_apps::restore_checkpoint(last, *model_, *adam_, "yolo.epoch", "yolo_v1 train");
    const Metadata& meta = r.metadata;
    step_ = r.step, st_.epoch = r.epoch;
    st_.best_epoch = static_cast<int>(meta_number(meta, "yolo.best_epoch", last));
    st_.best_map = meta_number(meta, "yolo.best_map", last);
    st_.map_all = meta_number(meta, "yolo.val_map_all_point", last);
    st_.map_11 = meta_number(meta, "yolo.val_map_11_point", last);
    out_ << r.line(last) << "\n";
  }
  // Every process starts from rank 0's weights and Adam state; the checkpoint holds that one
  // global state, so a run resumes with any number of processes.
  dist::replicate_from_rank0(model_->parameters(), model_->buffers(), &*adam_);
  sync_.emplace(model_->parameters());
  if (!dist::is_main()) return;  // rank 0 alone writes the run folder
  std::error_code ec;
  fs::create_directories(o_.out, ec);
  MINIDL_CHECK(!ec, "cannot create '", o_.out.string(), "': ", ec.message());
  write_names(run_.names(), names_);
}

void Run::prepare_loop() {
  dataset_ = std::make_shared<DetectionDataset>(train_data_, cfg_.S, cfg_.C, o_.augment, st_.seed);
  // With one process the sampler's batches are DataLoader's (the same shuffle, same batches).
  sampler_.emplace(train_data_.size(), dist::rank(), dist::world_size(), true, st_.seed);
  per_epoch_ = sampler_->num_batches(rank_batch_);
  const int64_t total_steps = per_epoch_ * o_.epochs;
  const int64_t warmup = std::min<int64_t>(o_.warmup, total_steps / 5);
  schedule_.emplace(warmup,
                    std::make_shared<CosineLR>(o_.lr, std::max<int64_t>(1, total_steps - warmup),
                                               o_.lr * o_.min_lr_factor));
  YoloV1Options loss_opt = cfg_.loss();
  loss_opt.lambda_coord = static_cast<float>(st_.lambda_coord);
  loss_opt.lambda_noobj = static_cast<float>(st_.lambda_noobj);
  loss_opt.lambda_class = static_cast<float>(st_.lambda_class);
  loss_fn_.emplace(loss_opt);
  if (dist::is_main()) log_.emplace(run_.log(), st_.epoch);
  out_ << "training: Adam lr " << o_.lr << " (warm-up " << warmup << " steps, cosine to "
       << o_.lr * o_.min_lr_factor << "), batch " << o_.batch
       << (dist::world_size() > 1
               ? str(" (", rank_batch_, " on each of ", dist::world_size(), " processes)")
               : "")
       << ", " << per_epoch_ << " steps per epoch, epochs " << st_.epoch + 1 << ".." << o_.epochs
       << ", augmentation " << (o_.augment.enabled ? "on" : "off") << ", log "
       << run_.log().string() << "\n"
       << std::flush;
  if (st_.epoch >= o_.epochs) out_ << minidl_apps::nothing_left_line(st_.epoch) << "\n";
}

EpochSums Run::run_batches(int epoch) {
  dataset_->set_epoch(epoch - 1);
  Progress progress(out_, o_.tty, epoch, o_.epochs, per_epoch_,
                    (o_.epochs - epoch) * train_data_.size());
  EpochSums s;
  for (const std::vector<int64_t>& batch : sampler_->batches(epoch - 1, rank_batch_)) {
    const Example b = dataset_->get_batch(batch);
    schedule_->apply(*adam_, step_);
    const Tensor x = b.input.to(device_), target = b.target.to(device_);
    YoloV1LossResult r = (*loss_fn_)((*model_)(x), target);
    const LossTerms terms = LossTerms::of(r);
    const double total = r.total.item();
    const std::string bad = non_finite_terms(total, terms);
    MINIDL_CHECK(bad.empty(), "non-finite loss at epoch ", epoch, ", batch ", s.batches + 1, "/",
                 per_epoch_, " (step ", step_ + 1, "): ", bad, "; stopped before the update (",
                 checkpoints_on_disk(st_.epoch),
                 "); try a lower --lr, or, after --resume, the checkpoint's weights or optimizer "
                 "state may be damaged");
    adam_->zero_grad();
    sync_->backward(r.total);  // gradients averaged over the processes
    adam_->step();
    ++step_, ++s.batches, s.images += x.size(0) * dist::world_size(), s.loss += total;
    s.terms += terms;
    if (!o_.quiet)
      progress.update(s.batches, s.images, s.loss / s.batches,
                      (s.terms / static_cast<double>(s.batches)).values().data());
  }
  s.seconds = progress.seconds();
  average_over_ranks(s);
  return s;
}

void Run::record_epoch(int epoch, const EpochSums& s) {
  if (!dist::is_main()) {  // rank 0 evaluates and writes; the others go on to the next epoch
    st_.epoch = epoch;
    return;
  }
  const LossTerms mean = s.terms / static_cast<double>(s.batches);
  EpochRow row;
  row.epoch = epoch, row.step = step_, row.lr = adam_->lr(), row.loss = s.loss / s.batches;
  row.xy = mean.xy, row.wh = mean.wh, row.obj = mean.obj, row.noobj = mean.noobj;
  row.cls = mean.cls;
  row.map_all = row.map_11 = NAN;  // epochs without an evaluation
  row.seconds = s.seconds, row.images_per_s = s.images / std::max(s.seconds, 1e-9);
  const bool evaluate = epoch % o_.eval_every == 0 || epoch == o_.epochs;
  bool best = false;
  if (evaluate) {
    const MapResult m = evaluate_model(*model_, cfg_, *val_data_, device_);
    row.map_all = st_.map_all = m.map_all_point;
    row.map_11 = st_.map_11 = m.map_11_point;
    best = m.map_all_point > st_.best_map;
    if (best) st_.best_map = m.map_all_point, st_.best_epoch = epoch;
  }
  st_.epoch = epoch;
  // Log first: a crash before the checkpoint leaves a row that the resumed run drops.
  log_->append(row);
  if (best) save_checkpoint(run_.best(), *model_, *adam_, step_, state_metadata(cfg_, names_, st_));
  save_checkpoint(run_.last(), *model_, *adam_, step_, state_metadata(cfg_, names_, st_));
  if (darknet_) {  // the same weights for darknet; `seen` counts images as darknet does
    const int64_t seen = step_ * o_.batch;
    if (best) save_darknet_weights(o_.out / "best.weights", darknet_->net, seen);
    save_darknet_weights(o_.out / "last.weights", darknet_->net, seen);
  }
  save_png(run_.curves(), draw_curves(log_->rows()));
  char line[256];
  std::snprintf(line, sizeof line, "epoch %d/%d loss %.4f  %.1f img/s  %.1fs", epoch, o_.epochs,
                row.loss, row.images_per_s, s.seconds);
  out_ << line;
  if (evaluate) {
    std::snprintf(line, sizeof line,
                  "  val mAP@0.5 VOC2010+ all-point %.4f | VOC2007 11-point %.4f%s", row.map_all,
                  row.map_11, best ? "  (best: saved)" : "");
    out_ << line;
  }
  out_ << "\n" << std::flush;
}

void Run::train_epoch(int epoch) {
  const EpochSums s = run_batches(epoch);
  // Nothing non-finite is evaluated or saved over the last good checkpoint.
  const std::string bad = non_finite_parameter(*model_);
  MINIDL_CHECK(bad.empty(), "epoch ", epoch, ": the update produced non-finite parameters (", bad,
               " after step ", step_, "); stopped before writing checkpoints (",
               checkpoints_on_disk(st_.epoch),
               "). Possible causes: a corrupted optimizer state in the resumed checkpoint (Adam's "
               "exp_avg, exp_avg_sq), or a --lr too high for the data");
  record_epoch(epoch, s);
}

TrainResult Run::finish() {
  TrainResult res;
  res.cfg = cfg_, res.epochs = st_.epoch, res.steps = step_;
  res.last_map = st_.map_all, res.last_map_11 = st_.map_11;
  res.best_map = st_.best_map, res.best_epoch = st_.best_epoch;
  char best[64];
  std::snprintf(best, sizeof best, "%.4f at epoch %d", res.best_map, res.best_epoch);
  out_ << "run folder " << o_.out.string() << ": best.safetensors (val mAP@0.5 " << best
       << "), last.safetensors, log.csv, curves.png, classes.names"
       << (darknet_ ? ", best.weights and last.weights (darknet's format)" : "") << "\n";
  return res;
}

}  // namespace

TrainResult train(const TrainOptions& o, std::ostream& out) {
  if (o.distributed) dist::init();  // a world of one unless mpirun (or srun) started us
  std::ostream silent(nullptr);     // ranks other than 0 print nothing
  Run run(o, dist::is_main() ? out : silent);
  for (int epoch = run.epochs_done() + 1; epoch <= o.epochs; ++epoch) run.train_epoch(epoch);
  TrainResult result = run.finish();
  // Only after success: a rank that fails exits without it, and the launcher stops the others.
  if (o.distributed) dist::finalize();
  return result;
}

}  // namespace yolo
