// The consumer project's program: an outside program that uses an installed minidl the way a user
// would, through <minidl/minidl.h> alone. Against a static and a shared install (ctest
// consumer.find_package and consumer.shared.find_package) it
//   1. trains a Dense -> ReLU -> Dense network on y = x^2 - x/2 with Adam and the MSE loss, on
//      shuffled mini-batches from a DataLoader over a TensorDataset;
//   2. after 20 epochs saves a checkpoint (model, Adam's state, the step and an "epoch" key) and a
//      model file;
//   3. loads the checkpoint into a fresh model and optimizer, initialised differently, and the
//      model file into a third model: all three give the same outputs, bit for bit;
//   4. trains the original and the restored pair 20 epochs more, side by side: every loss and the
//      final outputs are equal bit for bit (Adam's moments and step count came back, and the
//      loader resumes the same order), and the loss ends below a tenth of where it started;
//   5. gets a minidl::Error, naming the file, for a checkpoint loaded as a model file;
//   6. writes a small IDX file with write_file_atomic and reads it back with read_idx;
//   7. checks that minidl::version() is the version find_package(minidl) found.
// It exits non-zero, saying which check failed, when any of them does.
#include <minidl/minidl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

using namespace minidl;
namespace fs = std::filesystem;

namespace {

int failures = 0;
void check(bool ok, const std::string& what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAIL", what.c_str());
  if (!ok) ++failures;
}

// The architecture of main()'s model, for the fresh models a checkpoint is loaded into; `seed`
// sets their initial weights.
std::unique_ptr<Sequential> make_model(uint64_t seed) {
  Generator gen(seed);
  auto model = std::make_unique<Sequential>();
  model->emplace<Dense>(1, 32, true, Init::Auto, gen);
  model->emplace<ReLU>();
  model->emplace<Dense>(32, 1, true, Init::Auto, gen);
  return model;
}

// One epoch over the loader; returns the loss of every step.
std::vector<float> train_epoch(Module& model, Optimizer& opt, DataLoader& loader) {
  std::vector<float> losses;
  for (const Example& batch : loader) {
    const Tensor& x = batch.input;   // (32, 1)
    const Tensor& y = batch.target;  // (32, 1)
    Tensor loss = mse_loss(model(x), y);
    opt.zero_grad();
    loss.backward();
    opt.step();
    losses.push_back(loss.item());
  }
  return losses;
}

std::vector<float> outputs(Module& model, const Tensor& x) {
  NoGradGuard no_grad;
  return model(x).to_vector();
}

float full_loss(Module& model, const Tensor& x, const Tensor& y) {
  NoGradGuard no_grad;
  return mse_loss(model(x), y).item();
}

}  // namespace

int main() {
  set_num_threads(1);  // tiny matrices; one thread also makes every run bit for bit the same
  std::printf("minidl %s\n%s\n", version(), runtime_summary(Device::CPU).c_str());
  const fs::path dir =
      fs::temp_directory_path() / ("minidl_consumer_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);

  Generator gen(7);
  Tensor x = rand({256, 1}, gen, -1.f, 1.f);  // (N, 1)
  Tensor y = square(x) - 0.5f * x;            // (N, 1) the function to learn
  auto data = std::make_shared<TensorDataset>(x, y);
  const int64_t batch = 32, epochs = 20;
  const uint64_t shuffle_seed = 11;

  // 1. Train for 20 epochs of 8 batches.
  Sequential model;
  model.emplace<Dense>(1, 32, true, Init::Auto, gen);
  model.emplace<ReLU>();
  model.emplace<Dense>(32, 1, true, Init::Auto, gen);
  Adam opt(model.parameters(), 0.02f);
  DataLoader loader(data, batch, /*shuffle=*/true, shuffle_seed);
  check(loader.size() == 8, "the loader cuts 256 examples into 8 batches of 32");
  const float first = full_loss(model, x, y);
  int64_t step = 0;
  for (int64_t e = 0; e < epochs; ++e)
    step += static_cast<int64_t>(train_epoch(model, opt, loader).size());
  check(step == epochs * 8, "20 epochs are 160 steps");

  // 2. Save a checkpoint and a model file.
  const fs::path ckpt = dir / "checkpoint.safetensors", weights = dir / "model.safetensors";
  save_checkpoint(ckpt, model, opt, step, {{"epoch", std::to_string(loader.epoch())}});
  save_model(weights, model, {{"note", "consumer test"}});
  const std::vector<float> saved = outputs(model, x);

  // 3. Load them into fresh models, initialised from other seeds.
  auto restored = make_model(2);
  Adam restored_opt(restored->parameters(), 0.5f);  // lr and moments come from the checkpoint
  check(outputs(*restored, x) != saved, "a fresh model differs before loading");
  Metadata meta;
  const int64_t restored_step = load_checkpoint(ckpt, *restored, restored_opt, &meta);
  check(restored_step == step && meta["epoch"] == "20" && meta["optimizer"] == "Adam",
        "load_checkpoint returns step 160 and the metadata (epoch 20, optimizer Adam)");
  check(outputs(*restored, x) == saved, "the restored model's outputs equal the saved model's");
  auto reloaded = make_model(3);
  check(load_model(weights, *reloaded)["note"] == "consumer test",
        "load_model returns the model file's metadata");
  check(outputs(*reloaded, x) == saved, "the model file's outputs equal the saved model's");

  // 4. Continue training both, side by side.
  DataLoader restored_loader(data, batch, true, shuffle_seed);
  restored_loader.set_epoch(std::stoll(meta["epoch"]));
  bool same_losses = true;
  for (int64_t e = 0; e < epochs; ++e)
    same_losses =
        train_epoch(model, opt, loader) == train_epoch(*restored, restored_opt, restored_loader) &&
        same_losses;
  check(same_losses, "20 more epochs: the restored run's losses equal the original's");
  check(outputs(*restored, x) == outputs(model, x),
        "and their outputs after training are equal bit for bit");
  const float last = full_loss(*restored, x, y);
  std::printf("mse: %.5f before training, %.5f after 40 epochs\n", first, last);
  check(last < 0.1f * first, "the loss fell below a tenth of where it started");

  // 5. The wrong loader for a file: a minidl::Error (thrown inside libminidl) that names it.
  std::string message;
  try {
    load_model(ckpt, *reloaded);
  } catch (const Error& e) {
    message = e.what();
  }
  check(message.find(ckpt.string()) != std::string::npos &&
            message.find("load it with load_checkpoint") != std::string::npos,
        "load_model on a checkpoint throws minidl::Error naming the file: " + message);

  // 6. An IDX file (the MNIST format) written with write_file_atomic: magic 0 0 8 (unsigned
  // bytes) 2 (axes), the sizes 2 and 3 big-endian, then six values.
  const fs::path idx = dir / "tiny-idx2-ubyte";
  const std::string bytes{0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, char(250)};
  write_file_atomic(idx, bytes);
  Tensor t = read_idx(idx);
  check(t.shape() == Shape{2, 3} && t.to_vector() == std::vector<float>{1, 2, 3, 4, 5, 250},
        "read_idx reads back the (2, 3) values 1 2 3 4 5 250");
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++entries;
  check(entries == 3, "the writes left their three files and no temporary file");

  // 7. The library's version is the package's.
  check(std::string(version()) == MINIDL_EXPECTED_VERSION,
        std::string("minidl::version() is ") + version() + ", find_package(minidl) found " +
            MINIDL_EXPECTED_VERSION);

  fs::remove_all(dir);
  std::printf(failures ? "FAILED: %d check(s)\n" : "OK: all checks passed\n", failures);
  return failures ? 1 : 0;
}
