// The YOLOv1 networks of minidl's apps, defined once: "humble" (the Keras article's network) and
// "tiny" (darknet's tiny YOLOv1 without batch norm), with S, B, C and the input size configurable.
// apps/bench times them at their reference sizes; apps/yolo_v1 trains them.
#pragma once

#include <minidl/minidl.h>

#include <memory>
#include <string>
#include <vector>

namespace yolo {

/// The largest S, B and C a configuration may have: the CLI's --S and --B ranges, and a class
/// count well above any detection dataset's (COCO 80, LVIS 1203, Objects365 365), so that a
/// checkpoint's metadata cannot ask for an absurd network.
constexpr int kMaxS = 64, kMaxB = 16, kMaxC = 65536;
/// The most values (parameters and batch-norm statistics) a humble, tiny or small network may
/// hold: 2^31 - 1 float32s, 8 GiB (Adam keeps two more copies).
constexpr int64_t kMaxValues = (int64_t{1} << 31) - 1;

/// What defines a network and its loss. Saved in checkpoint metadata so a run folder is enough to
/// rebuild the model (detect, eval).
struct ModelConfig {
  std::string arch = "tiny";       // "humble", "tiny" or "darknet" (a darknet .cfg's network)
  int S = 7, B = 2, C = 20;        // grid, boxes per cell, classes
  int input = 448;                 // the square input side in pixels
  std::string class_loss = "sse";  // "sse" (YOLOv1's) or "softmax" (cross-entropy)
  /// arch "darknet": the text of the .cfg file that defines the network (kept in checkpoints, so
  /// a run folder is enough to rebuild it) and its name for messages. S, B, C and input are then
  /// its [detection] side, num, classes and its [net] width (darknet_model.h).
  std::string darknet_cfg, darknet_file;
  /// Loss options for this network: S, B, C, the class loss; sqrt_wh for tiny (linear head
  /// predicts sqrt w, h), not for humble (its sigmoid head predicts w, h); the lambdas at
  /// their defaults (docs/yolo_v1_conventions.md). darknet: what its [detection] section says
  /// (darknet_loss_options). decode() needs the same options.
  minidl::YoloV1Options loss() const;
  /// Throws minidl::Error naming the field unless arch and class_loss are known, S is in
  /// [1, kMaxS], B in [1, kMaxB], C in [1, kMaxC], the input in [the arch's smallest (humble 16,
  /// tiny 64), 4096] and the network holds at most kMaxValues values; darknet: unless the fields
  /// agree with the .cfg text (check_darknet_config).
  void validate() const;
  /// "humble S=2 B=1 C=3 input=64" (and " class_loss=softmax" when not sse); darknet:
  /// "darknet FILE S=7 B=2 C=20 input=448".
  std::string str() const;
};

/// The known architectures, in the order --help lists them.
const std::vector<std::string>& arch_list();

/// The reference configuration of an architecture for C classes: humble S=2, B=1, input 64
/// (the article's network); tiny S=7, B=2, input 448 (darknet's). Throws for an unknown arch.
ModelConfig reference_config(const std::string& arch, int C);

/// Builds the network for cfg (after cfg.validate()); weights drawn from gen. Input (N, 3, in, in),
/// output (N, S, S, B*5 + C). darknet: make_darknet_model(cfg, gen).model (darknet_model.h).
///  humble: conv1x1 16, conv3x3 32, leaky 0.3, pool 2, conv3x3 16, conv3x3 32, leaky 0.3, pool 2
///          ('valid' convolutions), flatten, dense 256, sigmoid, dense S*S*(5B+C), sigmoid.
///  tiny:   six times (conv3x3 pad 1 with 16, 32, ... 512 filters, leaky 0.1, pool 2), conv3x3
///          1024, leaky 0.1, conv3x3 256, leaky 0.1, flatten, dense S*S*(5B+C) (linear).
std::shared_ptr<minidl::Sequential> make_model(
    const ModelConfig& cfg, minidl::Generator& gen = minidl::default_generator());

/// The number of values make_model(cfg) holds (parameters and buffers: what a checkpoint stores
/// under "model."), computed without building it; -1 for arch darknet (its .cfg decides).
int64_t model_value_count(const ModelConfig& cfg);

/// The config as checkpoint metadata: "yolo.arch", "yolo.S", "yolo.B", "yolo.C", "yolo.input",
/// "yolo.class_loss" (read as "sse" when absent), "yolo.darknet_cfg" and "yolo.darknet_file"
/// for arch darknet, and "yolo.names" (the class names joined by newlines) when names is not
/// empty.
minidl::Metadata config_metadata(const ModelConfig& cfg, const std::vector<std::string>& names);
/// Reads them back (names into *names when not null). Throws minidl::Error naming `file` and the
/// key when one is missing or not a valid number, or the config does not validate.
ModelConfig config_from_metadata(const minidl::Metadata& meta, const std::string& file,
                                 std::vector<std::string>* names = nullptr);
/// config_from_metadata of a checkpoint read with load_tensors, and then, before anything is
/// built from it, a check that the network it defines holds as many values as the file's
/// "model." tensors (model_value_count; not for darknet). Throws minidl::Error naming the file,
/// both counts and the metadata fields when they differ.
ModelConfig config_from_checkpoint(const minidl::TensorFile& file, const std::string& name,
                                   std::vector<std::string>* names = nullptr);
/// make_model (or make_darknet_model's model) of a config read from the checkpoint `file`, with
/// any error prefixed by the file and the metadata that defined the network.
std::shared_ptr<minidl::Sequential> make_model_from(const ModelConfig& cfg, const std::string& file,
                                                    minidl::Generator& gen);

}  // namespace yolo
