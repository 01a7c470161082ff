// darknet's own YOLOv1 networks in minidl: a reader for darknet .cfg files (the sections YOLOv1
// uses), a builder that turns one into a minidl Sequential with darknet's arithmetic, and a reader
// and writer of darknet .weights files. Where darknet's arithmetic differs from PyTorch's, the
// comments of darknet.cpp say how, next to the code. apps/yolo_v1/cfg/ holds darknet's
// yolov1.cfg and yolov1-tiny.cfg.
#pragma once

#include <minidl/minidl.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace yolo {

// ---- the .cfg file as text --------------------------------------------------------------------

/// One `key=value` line of a section (darknet removes every space and tab from a line first, so
/// "output= 1715" is output=1715).
struct DarknetOption {
  std::string key, value;
  int line = 0;
};

/// One `[type]` section and its options, in file order.
struct DarknetSection {
  std::string type;  // without the brackets: "net", "convolutional", ...
  int line = 0;      // the line of "[type]"
  std::vector<DarknetOption> options;
};

/// A .cfg file split into sections. Nothing is checked but the syntax; build_darknet_network
/// checks the sections, keys and values.
struct DarknetConfig {
  std::string file;  // the name used in messages ("file:line: ...")
  std::vector<DarknetSection> sections;
};

/// Reads a darknet .cfg file. Lines are stripped of all spaces, tabs and carriage returns; empty
/// lines and lines starting with '#' or ';' are skipped; "[type]" opens a section; anything else
/// must be key=value (split at the first '='). Throws minidl::Error "file:line: reason" for a line
/// that is none of these, a key=value before the first section, an empty key or value, a key
/// repeated in one section, and "cannot read 'file': reason" when the file cannot be read.
DarknetConfig parse_darknet_cfg(const std::filesystem::path& path);
/// The same on text in memory; `file` is used in messages only.
DarknetConfig parse_darknet_cfg_text(const std::string& text, const std::string& file);

/// Text from a .cfg as error messages quote it: at most 80 characters, bytes outside printable
/// ASCII as \xNN (a backslash as \\), and "..." when cut.
std::string darknet_clip(std::string_view s);

// ---- the network ------------------------------------------------------------------------------

/// [net] keys kept for training (minidl's detection does not use them). Defaults are darknet's.
struct DarknetNetOptions {
  int batch = 1, subdivisions = 1, max_batches = 0;
  float learning_rate = 0.001f, momentum = 0.9f, decay = 0.0001f;
  float saturation = 1.f, exposure = 1.f, hue = 0.f;
  std::string policy = "constant";  // "constant" or "steps"
  std::vector<int> steps;           // with policy=steps: iterations ...
  std::vector<float> scales;        // ... and the factor applied to the learning rate at each
};

/// The [detection] section: how darknet reads the last layer's outputs, and its loss weights.
/// The network's output (N, side * side * ((1 + coords) * num + classes)) holds, in this order:
/// the class scores of each cell (side*side*classes), each cell's `num` confidences
/// (side*side*num), then each cell's `num` boxes of `coords` numbers (side*side*num*coords).
struct DarknetDetection {
  int classes = 1, coords = 1, side = 7, num = 1;
  bool rescore = false, softmax = false, sqrt = false;
  float object_scale = 1.f, noobject_scale = 1.f, class_scale = 1.f, coord_scale = 1.f;
  float jitter = 0.2f;  // training-time crop jitter
  int line = 0;         // the section's line in the .cfg
};

enum class DarknetLayerType { Convolutional, MaxPool, Local, Dropout, Connected, Detection };

/// "convolutional", "maxpool", "local", "dropout", "connected", "detection".
const char* darknet_layer_name(DarknetLayerType type);

/// One darknet layer (one section after [net]) and the minidl modules that compute it.
struct DarknetLayer {
  DarknetLayerType type = DarknetLayerType::Convolutional;
  int line = 0;                 // the section's line in the .cfg
  minidl::Shape input, output;  // per image: (C, H, W), or (n) after [connected]
  std::string activation;       // "leaky", "linear", "relu" or "logistic" (where it applies)
  std::shared_ptr<minidl::Module> module;  // model child: what forward() runs for this layer
  // The modules whose tensors a .weights file holds (null where the layer has none):
  std::shared_ptr<minidl::Conv2D> conv;               // [convolutional]; no bias when bn is set
  std::shared_ptr<minidl::BatchNorm2d> bn;            // [convolutional] with batch_normalize=1
  std::shared_ptr<minidl::LocallyConnected2d> local;  // [local]
  std::shared_ptr<minidl::Dense> dense;               // [connected]
};

/// A darknet network built in minidl.
struct DarknetNetwork {
  std::string file;                             // the .cfg's name, for messages
  int64_t width = 0, height = 0, channels = 0;  // the input image
  DarknetNetOptions net;
  /// Input (N, channels, height, width) -> the last layer's output. Child K computes darknet's
  /// layer K (the K-th section after [net]); [detection] adds a child only with softmax=1
  /// (darknet then takes the softmax of each cell's class scores). Freshly built modules are in
  /// training mode: call model->eval() before inference (batch norm on its running statistics,
  /// dropout off).
  std::shared_ptr<minidl::Sequential> model;
  std::vector<DarknetLayer> layers;  // darknet's layers in order, [detection] included
  std::optional<DarknetDetection> detection;

  /// The floats a .weights file holds after its header, layer by layer, for this network.
  int64_t weight_floats() const;
};

/// Builds the network a parsed .cfg describes, with weights drawn from `gen` (batch norm starts
/// at gamma 1, beta 0, running mean 0, running variance 1). Accepts:
///   [net] or [network] (first): width, height, channels (required), and batch, subdivisions,
///     learning_rate, momentum, decay, max_batches, policy (constant|steps), steps, scales,
///     saturation, exposure, hue;
///   [convolutional] or [conv]: batch_normalize, filters, size, stride, pad, padding, activation;
///   [maxpool] or [max]: size, stride, padding;
///   [local]: filters, size, stride, pad, activation;
///   [dropout]: probability;
///   [connected] or [conn]: output, activation;
///   [detection] (last): classes, coords, rescore, side, num, softmax, sqrt, jitter,
///     object_scale, noobject_scale, class_scale, coord_scale.
/// Defaults and sizes are darknet's (see darknet.cpp). Throws minidl::Error "file:line: reason"
/// for an unknown section or key, a value that is not a number of the right kind or is out of
/// range, a layer that does not fit its input, a tensor of more than 2^31 - 1 floats, and weights
/// of more than 2^31 floats (8 GiB) in all ("file:line: layer K [type]: the network's weights
/// would reach N floats ..."), all checked before anything is allocated; a layer that cannot be
/// built (out of memory) is "file:line: layer K [type]: building the layer: reason".
DarknetNetwork build_darknet_network(const DarknetConfig& cfg,
                                     minidl::Generator& gen = minidl::default_generator());

/// The weights of one layer as a .weights file holds them.
struct DarknetLayerSize {
  DarknetLayerType type = DarknetLayerType::Convolutional;
  int line = 0;        // the section's line in the .cfg
  int64_t floats = 0;  // 0 for a layer without weights
};
/// Each layer's weights (in order, [detection] included), worked out from the .cfg alone:
/// nothing is allocated. Checks what build_darknet_network checks, with its errors.
std::vector<DarknetLayerSize> darknet_weight_sizes(const DarknetConfig& cfg);

/// What a .cfg says about the network's input and output, read without building the network
/// (yolov1.cfg's layers hold 270M weights): [net]'s width, height and channels, and the
/// [detection] section when there is one, each checked as build_darknet_network checks it.
struct DarknetHead {
  int64_t width = 0, height = 0, channels = 0;
  std::optional<DarknetDetection> detection;
};
DarknetHead read_darknet_head(const DarknetConfig& cfg);

/// build_darknet_network(parse_darknet_cfg(cfg), gen).
DarknetNetwork load_darknet_network(const std::filesystem::path& cfg,
                                    minidl::Generator& gen = minidl::default_generator());

// ---- .weights files ---------------------------------------------------------------------------

/// The header of a .weights file.
struct DarknetWeightsHeader {
  int32_t major = 0, minor = 2, revision = 0;
  int64_t seen = 0;  // images seen in training
};

/// Loads a darknet .weights file into `net` (built from the matching .cfg): the header (three
/// int32, then `seen` as int64 when major * 10 + minor >= 2 and major, minor < 1000, else as
/// int32), then per layer in order: convolutional = biases[n], with batch_normalize scales[n],
/// rolling_mean[n], rolling_variance[n], then weights[n*c*size*size]; connected = biases[out],
/// weights[out*in] (stored transposed, in*out, when major or minor > 1000); local =
/// biases[n*OH*OW], weights[OH*OW*n*c*size*size]. Little-endian float32 throughout.
/// Throws minidl::Error when the file is too short for its header ("file: header: expected at
/// least 16 bytes, file has M", or "expected 20 bytes" once the version asks for a 64-bit
/// `seen`), or too short or too long for the network: "file: layer K (type): expected N bytes,
/// file has M" (N = the bytes up to the end of layer K); and when a value is NaN or infinite:
/// "file: layer K (type): tensor i has a non-finite value (nan) at float offset N (byte B)"
/// (tensor i of the layer in file order, N within it). `net` is unchanged on any error.
/// Returns the header.
DarknetWeightsHeader load_darknet_weights(const std::filesystem::path& path, DarknetNetwork& net);

/// Checks, before a network is built, that the .weights file at `path` has the size the layers
/// `sizes` (darknet_weight_sizes) ask for: reads its header only, and throws the errors of
/// load_darknet_weights for a header or a file too short or too long. Returns the header.
DarknetWeightsHeader check_darknet_weights(const std::filesystem::path& path,
                                           const std::vector<DarknetLayerSize>& sizes);

/// Writes `net`'s tensors as a darknet .weights file (header major 0, minor 2, revision 0, then
/// `seen` as int64), in the order load_darknet_weights reads, so a file written here reads back
/// bit for bit, here and in darknet. Atomic (minidl::write_file_atomic).
void save_darknet_weights(const std::filesystem::path& path, const DarknetNetwork& net,
                          int64_t seen = 0);

}  // namespace yolo
