// fashion_mnist: trains the Fashion-MNIST benchmark's "2 Conv+pooling" network (TensorFlow
// reference: 0.916 test accuracy) with minidl on Debian's dataset-fashion-mnist, saving the model
// and a checkpoint after every epoch; --resume continues an interrupted run from its checkpoint,
// and --eval scores a saved model. Bad input ends in one line and exit status 2.
// Under `mpirun -np N` it trains data-parallel (core/dist.h): each process takes --batch / N
// images of every step, gradients are averaged, the test set is scored in N shards, and rank 0
// alone prints and saves. A checkpoint resumes with any number of processes.
#include <minidl/minidl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "apps/common/duration.h"
#include "apps/common/training_run.h"
#include "model.h"

using namespace minidl;
namespace fs = std::filesystem;

namespace {

const char* const kClasses[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                  "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
const char* const kModelFile = "fashion_mnist.safetensors";
const char* const kCheckpointFile = "checkpoint.safetensors";
const char* const kWriter = "fashion_mnist";

struct Split {
  Tensor images;  // (N, 1, 28, 28), pixels scaled to [0, 1]
  Tensor labels;  // (N), class indices 0..9 as floats
};

// dir/base.gz, else dir/base; when neither exists, says which command installs the data set.
fs::path find_file(const fs::path& dir, const std::string& base) {
  for (const fs::path& p : {dir / (base + ".gz"), dir / base})
    if (fs::exists(p)) return p;
  throw Error("missing " + (dir / (base + ".gz")).string() +
              " (nor the uncompressed file): install Fashion-MNIST with "
              "`apt-get install dataset-fashion-mnist` (it puts the files in "
              "/usr/share/datasets/fashion-mnist), or pass --data DIR");
}

// Reads `prefix`-images-idx3-ubyte and `prefix`-labels-idx1-ubyte, keeping the first `limit`
// examples when limit > 0, and checks that they are 28x28 images with labels 0..9.
Split load_split(const fs::path& dir, const std::string& prefix, int64_t limit) {
  const fs::path ip = find_file(dir, prefix + "-images-idx3-ubyte");
  const fs::path lp = find_file(dir, prefix + "-labels-idx1-ubyte");
  Tensor images = read_idx(ip), labels = read_idx(lp);
  MINIDL_CHECK(images.dim() == 3 && images.size(1) == 28 && images.size(2) == 28, ip.string(),
               ": expected images of shape (N, 28, 28), got ", shape_str(images.shape()));
  MINIDL_CHECK(labels.dim() == 1 && labels.size(0) == images.size(0), lp.string(),
               ": expected one label per image (", images.size(0), "), got shape ",
               shape_str(labels.shape()));
  const std::vector<float> l = labels.to_vector();
  for (size_t i = 0; i < l.size(); ++i)
    MINIDL_CHECK(l[i] >= 0 && l[i] <= 9 && l[i] == std::floor(l[i]), lp.string(), ": label ", i,
                 " is ", l[i], ", Fashion-MNIST classes are 0..9");
  int64_t N = images.size(0);
  if (limit > 0 && limit < N) N = limit;
  NoGradGuard no_grad;
  return {images.slice(0, 0, N).reshape({N, 1, 28, 28}) * (1.f / 255.f),
          labels.slice(0, 0, N).contiguous()};
}

// Number of rows whose argmax equals the label.
int64_t count_hits(const Tensor& logits, const Tensor& labels, std::vector<int64_t>* per_class_hits,
                   std::vector<int64_t>* per_class_total) {
  const std::vector<float> pred = argmax(logits, 1).to_vector(), y = labels.to_vector();
  int64_t hits = 0;
  for (size_t i = 0; i < pred.size(); ++i) {
    const bool hit = pred[i] == y[i];
    hits += hit;
    if (per_class_hits) {
      (*per_class_hits)[static_cast<size_t>(y[i])] += hit;
      (*per_class_total)[static_cast<size_t>(y[i])] += 1;
    }
  }
  return hits;
}

// Sums counts over the processes (exact: float holds whole numbers up to 2^24).
void sum_over_ranks(std::vector<int64_t>& counts) {
  std::vector<float> f(counts.begin(), counts.end());
  dist::allreduce_sum(f);
  for (size_t i = 0; i < f.size(); ++i) counts[i] = static_cast<int64_t>(f[i]);
}

// Test accuracy in eval mode (no dropout, no graph); per-class counts when asked. Each of N
// processes scores the images i with i % N == its rank, and the counts are summed.
double evaluate(Sequential& model, const Split& test, Device device,
                std::vector<int64_t>* per_class_hits = nullptr,
                std::vector<int64_t>* per_class_total = nullptr) {
  NoGradGuard no_grad;
  model.eval();
  const TensorDataset data(test.images, test.labels);
  std::vector<int64_t> mine;
  for (int64_t i = dist::rank(); i < data.size(); i += dist::world_size()) mine.push_back(i);
  std::vector<int64_t> counts(21, 0);  // hits, then per-class hits and totals
  std::vector<int64_t> class_hits(10, 0), class_total(10, 0);
  for (size_t start = 0; start < mine.size(); start += 500) {
    const Example b = data.get_batch(std::vector<int64_t>(
        mine.begin() + start, mine.begin() + std::min(mine.size(), start + 500)));
    counts[0] += count_hits(model(b.input.to(device)), b.target, &class_hits, &class_total);
  }
  std::copy(class_hits.begin(), class_hits.end(), counts.begin() + 1);
  std::copy(class_total.begin(), class_total.end(), counts.begin() + 11);
  sum_over_ranks(counts);
  for (int k = 0; k < 10 && per_class_hits; ++k) {
    (*per_class_hits)[k] += counts[1 + k];
    (*per_class_total)[k] += counts[11 + k];
  }
  model.train();
  return static_cast<double>(counts[0]) / static_cast<double>(test.images.size(0));
}

using minidl_apps::duration_str;

// The progress line of one epoch. On a terminal it redraws itself in place (\r) up to ten times a
// second; into a file or pipe it writes a full line every 10% of the epoch.
class Progress {
 public:
  Progress(int epoch, int epochs, int64_t total)
      : epoch_(epoch),
        epochs_(epochs),
        total_(total),
        tty_(::isatty(STDOUT_FILENO) == 1),
        start_(Clock::now()),
        last_(start_) {}

  void update(int64_t done, double loss, double acc) {
    const auto now = Clock::now();
    const bool end = done >= total_;
    if (tty_ && !end && now - last_ < std::chrono::milliseconds(100)) return;
    const int decile = static_cast<int>(10 * done / std::max<int64_t>(total_, 1));
    if (!tty_ && !end && decile == last_decile_) return;
    last_ = now;
    last_decile_ = decile;
    const double secs = std::chrono::duration<double>(now - start_).count();
    const double rate = secs > 0 ? done / secs : 0;
    const int width = 24, filled = static_cast<int>(width * done / std::max<int64_t>(total_, 1));
    std::string bar = std::string(filled, '=') + (filled < width ? ">" : "") +
                      std::string(std::max(0, width - filled - 1), ' ');
    std::printf("%sepoch %d/%d [%s] %lld/%lld  loss %.4f  acc %.3f  %.0f img/s  ETA %s   %s",
                tty_ ? "\r" : "", epoch_, epochs_, bar.c_str(), static_cast<long long>(done),
                static_cast<long long>(total_), loss, acc, rate,
                rate > 0 ? duration_str((total_ - done) / rate).c_str() : "?",
                tty_ && !end ? "" : "\n");
    std::fflush(stdout);
  }

 private:
  using Clock = std::chrono::steady_clock;
  int epoch_, epochs_;
  int64_t total_;
  bool tty_;
  Clock::time_point start_, last_;
  int last_decile_ = 0;
};

struct Options {
  std::string data = "/usr/share/datasets/fashion-mnist", out = ".", eval, device = "cpu",
              schedule = "cosine";
  int epochs = 10, threads = 0;
  int64_t batch = 64, limit = 0, test_limit = 0;
  float lr = 1e-3f, min_accuracy = 0.f;
  uint64_t seed = 1;
  bool resume = false;
};

int run_eval(const Options& o, Device device) {
  Split test = load_split(o.data, "t10k", o.test_limit);
  Generator gen(o.seed);
  auto model = fashion::make_network(gen).model;
  Metadata meta = load_model(o.eval, *model);
  model->to(device);
  std::vector<int64_t> hits(10, 0), total(10, 0);
  const double acc = evaluate(*model, test, device, &hits, &total);
  for (int k = 0; k < 10; ++k)
    if (total[k])
      std::printf("  %-12s %.3f (%lld images)\n", kClasses[k], double(hits[k]) / total[k],
                  static_cast<long long>(total[k]));
  std::printf("test accuracy %.4f on %lld images (%s%s)\n", acc,
              static_cast<long long>(test.images.size(0)), o.eval.c_str(),
              meta.count("epoch") ? (", epoch " + meta["epoch"]).c_str() : "");
  return acc >= o.min_accuracy ? 0 : 1;
}

// What a checkpoint holds beside the weights, Adam's state and the step (save_checkpoint): the
// epochs done, and what fixes the steps still to come, so that a resumed run takes exactly the
// steps of an uninterrupted one. None of it belongs to one rank.
Metadata checkpoint_metadata(int epoch, uint64_t seed, int64_t batch, int64_t images, double acc) {
  return {{"fashion_mnist.epoch", std::to_string(epoch)},
          {"fashion_mnist.seed", std::to_string(seed)},
          {"fashion_mnist.batch", std::to_string(batch)},
          {"fashion_mnist.train_images", std::to_string(images)},
          {"fashion_mnist.test_accuracy", str(acc)}};
}

// --resume: the run's seed (it drew the weights, and fixes the shuffles and dropout masks to come),
// after checking that the checkpoint trained on the same global batch and number of training
// images (--batch and --limit), which fix every step's examples.
uint64_t resumed_seed(const Options& o, const fs::path& file, int64_t images) {
  const Metadata meta = load_tensors(file).metadata;
  auto count = [&](const char* key) { return minidl_apps::meta_count(meta, key, file, kWriter); };
  const uint64_t batch = count("fashion_mnist.batch"), n = count("fashion_mnist.train_images");
  MINIDL_CHECK(batch == static_cast<uint64_t>(o.batch), file.string(),
               ": the run trains with --batch ", batch,
               " (the global batch, whatever the number of processes), not ", o.batch);
  MINIDL_CHECK(n == static_cast<uint64_t>(images), file.string(), ": the run trains on ", n,
               " images, not ", images, " (resume it with the same --limit and data)");
  return count("fashion_mnist.seed");
}

int run_train(const Options& o, Device device) {
  const int world = dist::world_size();
  const int64_t rank_batch = dist::per_rank_batch(o.batch, "--batch");
  const fs::path model_path = fs::path(o.out) / kModelFile;
  const fs::path checkpoint = fs::path(o.out) / kCheckpointFile;
  minidl_apps::check_checkpoint_rule(checkpoint, o.out, o.resume);
  Split train = load_split(o.data, "train", o.limit);
  Split test = load_split(o.data, "t10k", o.test_limit);
  const int64_t N = train.images.size(0);
  std::printf("data: %lld training and %lld test images from %s\n", static_cast<long long>(N),
              static_cast<long long>(test.images.size(0)), o.data.c_str());

  // Every rank builds the same network (the same weights, and dropout masks drawn per global
  // batch); replicate_from_rank0 then makes sure they all start from rank 0's state.
  const uint64_t seed = o.resume ? resumed_seed(o, checkpoint, N) : o.seed;
  Generator gen(seed);
  const fashion::Network net = fashion::make_network(gen);
  Sequential& model = *net.model;
  std::printf("%s", summary(model, {1, 1, 28, 28}).c_str());
  model.to(device);
  Adam adam(model.parameters(), o.lr);
  int64_t step = 0;
  int done = 0;  // epochs
  double acc = 0;
  if (o.resume) {
    const minidl_apps::Restored r =
        minidl_apps::restore_checkpoint(checkpoint, model, adam, "fashion_mnist.epoch", kWriter);
    step = r.step, done = r.epoch;
    acc = minidl_apps::meta_number(r.metadata, "fashion_mnist.test_accuracy", checkpoint, kWriter);
    std::printf("%s\n", r.line(checkpoint).c_str());
  }
  dist::replicate_from_rank0(model.parameters(), model.buffers(), &adam);
  dist::GradSync sync(model.parameters());
  if (dist::is_main()) fs::create_directories(o.out);
  // One process: the sampler's batches are those of DataLoader(data, batch, shuffle, seed).
  const TensorDataset dataset(train.images, train.labels);
  const dist::DistributedSampler sampler(N, dist::rank(), world, true, seed);
  const int64_t per_epoch = sampler.num_batches(rank_batch);
  // The learning rate per step: constant, or cosine from --lr down to 0 over all the steps (the
  // last epochs fine-tune at small rates, which steadies the final test accuracy).
  std::unique_ptr<LRSchedule> schedule;
  const int64_t total_steps = int64_t(o.epochs) * per_epoch;
  if (o.schedule == "cosine") schedule = std::make_unique<CosineLR>(o.lr, total_steps);
  std::printf(
      "training: Adam lr %g (%s), batch %lld%s, epochs %d..%d, %lld batches per epoch, "
      "checkpoint %s\n",
      o.lr, o.schedule == "cosine" ? "cosine decay to 0" : "constant",
      static_cast<long long>(o.batch),
      world > 1 ? str(" (", rank_batch, " on each of ", world, " processes)").c_str() : "",
      done + 1, o.epochs, static_cast<long long>(per_epoch), checkpoint.string().c_str());
  if (done >= o.epochs) std::printf("%s\n", minidl_apps::nothing_left_line(done).c_str());
  std::fflush(stdout);

  for (int epoch = done + 1; epoch <= o.epochs; ++epoch) {
    const auto t0 = std::chrono::steady_clock::now();
    Progress progress(epoch, o.epochs, sampler.per_rank() * world);
    double loss_sum = 0;
    int64_t seen = 0, hits = 0;
    for (const std::vector<int64_t>& idx : sampler.batches(epoch - 1, rank_batch)) {
      const Example b = dataset.get_batch(idx);
      const Tensor x = b.input.to(device), y = b.target.to(device);
      net.dropout->set_step(step, dist::rank(), world);
      Tensor logits = model(x);
      Tensor loss = cross_entropy_loss(logits, y);
      adam.zero_grad();
      sync.backward(loss);  // gradients averaged over the processes
      if (schedule) schedule->apply(adam, step);
      adam.step();
      ++step;
      const int64_t B = x.size(0);
      {
        NoGradGuard no_grad;
        hits += count_hits(logits, b.target, nullptr, nullptr);
      }
      loss_sum += loss.item() * B;
      seen += B;
      progress.update(seen * world, loss_sum / seen, double(hits) / seen);  // rank 0's share
    }
    if (world > 1) {  // the epoch's figures over every process's examples
      std::vector<float> sums = {static_cast<float>(loss_sum), static_cast<float>(hits),
                                 static_cast<float>(seen)};
      dist::allreduce_sum(sums);
      loss_sum = sums[0], hits = static_cast<int64_t>(sums[1]),
      seen = static_cast<int64_t>(sums[2]);
    }
    const double train_secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto t1 = std::chrono::steady_clock::now();
    acc = evaluate(model, test, device);
    const double eval_secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    if (dist::is_main()) {  // both atomic; the checkpoint last, so it never runs ahead of the model
      save_model(model_path, model,
                 {{"model", "fashion_mnist 2conv"},
                  {"epoch", std::to_string(epoch)},
                  {"test_accuracy", std::to_string(acc)},
                  {"seed", std::to_string(seed)}});
      save_checkpoint(checkpoint, model, adam, step,
                      checkpoint_metadata(epoch, seed, o.batch, N, acc));
    }
    std::printf(
        "epoch %d/%d  train loss %.4f  train acc %.4f  test acc %.4f  train %.1fs "
        "(%.0f img/s)  test %.1fs  saved %s\n",
        epoch, o.epochs, loss_sum / seen, double(hits) / seen, acc, train_secs, seen / train_secs,
        eval_secs, model_path.string().c_str());
    std::fflush(stdout);
  }
  return acc >= o.min_accuracy ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "fashion_mnist: train the Fashion-MNIST \"2 Conv+pooling\" benchmark network with "
      "minidl (conv5x5x32-pool-conv5x5x64-pool-dense1024-dropout0.4-dense10, Adam)"};
  Options o;
  app.add_option("--data", o.data, "folder with the four IDX files (.gz or plain)")
      ->capture_default_str();
  app.add_option("--epochs", o.epochs, "passes over the training set")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  app.add_option("--batch", o.batch, "mini-batch size")
      ->capture_default_str()
      ->check(CLI::Range(int64_t(1), int64_t(1) << 20));
  app.add_option("--lr", o.lr, "Adam learning rate")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--schedule", o.schedule,
                 "learning rate per step: cosine (from --lr to 0 over all steps) or constant")
      ->capture_default_str()
      ->check(CLI::IsMember({"cosine", "constant"}));
  app.add_option("--seed", o.seed, "random seed (weights, dropout, shuffling)")
      ->capture_default_str();
  app.add_option("--threads", o.threads, "CPU threads (0: MINIDL_NUM_THREADS or all cores)")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  app.add_option("--device", o.device, "cpu or cuda")
      ->capture_default_str()
      ->check(CLI::IsMember({"cpu", "cuda"}));
  app.add_option("--out", o.out,
                 "folder for the model file (" + std::string(kModelFile) +
                     ") and the checkpoint (" + kCheckpointFile +
                     "), both rewritten atomically by rank 0 after every epoch")
      ->capture_default_str();
  app.add_flag("--resume", o.resume,
               "continue the run in --out from " + std::string(kCheckpointFile) +
                   " (its weights, Adam state, step, epoch and seed; same --batch and --limit, "
                   "any number of processes)");
  app.add_option("--eval", o.eval, "only evaluate this saved model on the test set");
  app.add_option("--limit", o.limit, "use only the first N training images (0: all)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--test-limit", o.test_limit, "use only the first N test images (0: all)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--min-accuracy", o.min_accuracy,
                 "exit with status 1 when the final test accuracy is lower (for tests)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    if (o.threads > 0) set_num_threads(o.threads);
    // A world of one unless mpirun (or srun) started several of us; then only rank 0 prints.
    const dist::World& world = dist::init();
    minidl_apps::quiet_unless_rank0();  // errors still reach stderr from every rank
    const Device device = o.device == "cuda" ? Device::CUDA : Device::CPU;
    std::printf("%s%s\n", runtime_summary(device).c_str(),
                world.size > 1 ? str(", ", world.size, " processes (MPI)").c_str() : "");
    std::fflush(stdout);
    const int status = o.eval.empty() ? run_train(o, device) : run_eval(o, device);
    dist::finalize();  // only after success: a failed rank exits and mpirun stops the others
    return status;
  } catch (const std::exception& e) {
    if (::isatty(STDOUT_FILENO)) std::printf("\n");  // leave a progress line in place
    std::fflush(stdout);
    std::fprintf(stderr, "fashion_mnist: %s\n", e.what());
    return 2;
  }
}
