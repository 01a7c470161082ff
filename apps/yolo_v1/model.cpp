// The humble and tiny YOLOv1 networks (model.h), and their configuration as checkpoint metadata.
#include "apps/yolo_v1/model.h"

#include <algorithm>
#include <charconv>

#include "apps/yolo_v1/darknet_model.h"

namespace yolo {

using namespace minidl;

const std::vector<std::string>& arch_list() {
  static const std::vector<std::string> archs = {"humble", "tiny", "small"};
  return archs;
}

static int min_input(const std::string& arch) { return arch == "tiny" ? 64 : 16; }

// The values of one (N, 5B + C)-wide head row, and of the whole S x S head, in 64 bits.
static int64_t per_cell(const ModelConfig& c) { return 5 * static_cast<int64_t>(c.B) + c.C; }
static int64_t head_size(const ModelConfig& c) {
  return static_cast<int64_t>(c.S) * c.S * per_cell(c);
}
// The side after `pools` 2x2 max pools (MaxPool2D's floor) of a side that convolutions keep.
static int64_t pooled(int64_t side, int pools) {
  for (int k = 0; k < pools; ++k) side /= 2;
  return side;
}

int64_t model_value_count(const ModelConfig& c) {
  if (c.arch == "darknet") return -1;
  auto conv = [](int64_t in, int64_t out, int64_t k, bool bias) {
    return in * out * k * k + (bias ? out : 0);
  };
  if (c.arch == "humble") {  // 'valid' 3x3 convolutions: in -> in - 2 -> / 2 -> - 2 - 2 -> / 2
    const int64_t side = ((c.input - 2) / 2 - 4) / 2;
    const int64_t features = 32 * side * side;
    return conv(3, 16, 1, true) + conv(16, 32, 3, true) + conv(32, 16, 3, true) +
           conv(16, 32, 3, true) + features * 256 + 256 + 256 * head_size(c) + head_size(c);
  }
  int64_t n = 0, in = 3;
  if (c.arch == "small") {  // no bias; batch norm's weight, bias, running mean and variance
    for (int64_t f : {16, 32, 64, 128, 128}) n += conv(in, f, 3, false) + 4 * f, in = f;
    return n + conv(in, per_cell(c), 1, true);
  }
  for (int64_t f : {16, 32, 64, 128, 256, 512}) n += conv(in, f, 3, true), in = f;
  n += conv(512, 1024, 3, true) + conv(1024, 256, 3, true);
  const int64_t side = pooled(c.input, 6);
  return n + 256 * side * side * head_size(c) + head_size(c);
}

void ModelConfig::validate() const {
  if (arch == "darknet") return check_darknet_config(*this);
  const auto& all = arch_list();
  MINIDL_CHECK(std::find(all.begin(), all.end(), arch) != all.end(), "unknown architecture '", arch,
               "' (known: humble, tiny, small)");
  MINIDL_CHECK(class_loss == "sse" || class_loss == "softmax", "unknown class loss '", class_loss,
               "' (sse or softmax)");
  MINIDL_CHECK(S >= 1 && S <= kMaxS, "S (the grid) must be in [1, ", kMaxS, "]; got ", S);
  MINIDL_CHECK(B >= 1 && B <= kMaxB, "B (boxes per cell) must be in [1, ", kMaxB, "]; got ", B);
  MINIDL_CHECK(C >= 1 && C <= kMaxC, "C (the number of classes) must be in [1, ", kMaxC, "]; got ",
               C);
  MINIDL_CHECK(arch != "small" || (input % 8 == 0 && S == input / 8),
               "the small network's grid is its input / 8 (three 2x2 pools): input ", input,
               " needs a multiple of 8 and S = input / 8; got S=", S);
  MINIDL_CHECK(input >= min_input(arch) && input <= 4096, "input size for ", arch, " must be in [",
               min_input(arch), ", 4096]; got ", input);
  const int64_t n = model_value_count(*this);
  MINIDL_CHECK(n <= kMaxValues, "the network ", str(), " would hold ", n,
               " values (parameters and statistics); at most ", kMaxValues,
               " (8 GiB of float32): lower S, B, C or the input size");
}

YoloV1Options ModelConfig::loss() const {
  if (arch == "darknet") return darknet_loss_options(*this);
  YoloV1Options o;
  o.S = S, o.B = B, o.C = C;
  o.sqrt_wh = arch != "humble";
  o.class_loss = class_loss == "softmax" ? YoloClassLoss::SoftmaxCE : YoloClassLoss::SSE;
  return o;
}

std::string ModelConfig::str() const {
  return minidl::str(arch, arch == "darknet" ? " " + darknet_file : "", " S=", S, " B=", B,
                     " C=", C, " input=", input,
                     class_loss == "sse" ? "" : " class_loss=" + class_loss);
}

ModelConfig reference_config(const std::string& arch, int C) {
  ModelConfig c;
  c.arch = arch, c.C = C;
  if (arch == "humble") c.S = 2, c.B = 1, c.input = 64;
  if (arch == "small") c.S = 8, c.B = 1, c.input = 64;
  c.validate();
  return c;
}

std::shared_ptr<Sequential> make_model(const ModelConfig& cfg, Generator& gen) {
  if (cfg.arch == "darknet") return make_darknet_model(cfg, gen).model;
  cfg.validate();
  const int64_t out = head_size(cfg);
  auto m = std::make_shared<Sequential>();
  if (cfg.arch == "humble") {  // 'valid' convolutions: 64 -> 62 -> 31 -> 29 -> 27 -> 13
    m->emplace<Conv2D>(3, 16, 1, 1, 0, true, Init::Auto, gen);
    m->emplace<Conv2D>(16, 32, 3, 1, 0, true, Init::Auto, gen);
    m->emplace<LeakyReLU>(0.3f);
    m->emplace<MaxPool2D>(2);
    m->emplace<Conv2D>(32, 16, 3, 1, 0, true, Init::Auto, gen);
    m->emplace<Conv2D>(16, 32, 3, 1, 0, true, Init::Auto, gen);
    m->emplace<LeakyReLU>(0.3f);
    m->emplace<MaxPool2D>(2);
    m->emplace<Flatten>();
    const int64_t features = m->output_shape({1, 3, cfg.input, cfg.input})[1];  // 32 * 13 * 13
    m->emplace<Dense>(features, 256, true, Init::Auto, gen);
    m->emplace<Sigmoid>();
    m->emplace<Dense>(256, out, true, Init::Auto, gen);
    m->emplace<Sigmoid>();
  } else if (cfg.arch == "small") {
    // Darknet-style and fully convolutional: 3x3 convolutions with batch norm and leaky ReLU,
    // three 2x2 pools (64 -> 8), and a 1x1 convolution that predicts each cell from its own
    // column of features. Every output is squashed to (0, 1) like humble's.
    int64_t c = 3;
    for (int64_t f : {16, 32, 64, 128, 128}) {
      m->emplace<Conv2D>(c, f, 3, 1, 1, false, Init::Auto, gen);
      m->emplace<BatchNorm2d>(f);
      m->emplace<LeakyReLU>(0.1f);
      if (f <= 64) m->emplace<MaxPool2D>(2);
      c = f;
    }
    m->emplace<Conv2D>(c, per_cell(cfg), 1, 1, 0, true, Init::Auto, gen);
    m->emplace<Permute>(Shape{2, 3, 1});  // (N, 5B + C, S, S) -> (N, S, S, 5B + C)
    m->emplace<Sigmoid>();
    return m;
  } else {  // tiny: 448 -> 224 -> ... -> 7 after six pools
    int64_t c = 3;
    for (int64_t f : {16, 32, 64, 128, 256, 512}) {
      m->emplace<Conv2D>(c, f, 3, 1, 1, true, Init::Auto, gen);
      m->emplace<LeakyReLU>(0.1f);
      m->emplace<MaxPool2D>(2);
      c = f;
    }
    m->emplace<Conv2D>(512, 1024, 3, 1, 1, true, Init::Auto, gen);
    m->emplace<LeakyReLU>(0.1f);
    m->emplace<Conv2D>(1024, 256, 3, 1, 1, true, Init::Auto, gen);
    m->emplace<LeakyReLU>(0.1f);
    m->emplace<Flatten>();
    const int64_t features = m->output_shape({1, 3, cfg.input, cfg.input})[1];  // 256 * 7 * 7
    m->emplace<Dense>(features, out, true, Init::Auto, gen);
  }
  m->emplace<Reshape>(Shape{cfg.S, cfg.S, per_cell(cfg)});
  return m;
}

Metadata config_metadata(const ModelConfig& cfg, const std::vector<std::string>& names) {
  Metadata m{{"yolo.arch", cfg.arch},
             {"yolo.S", std::to_string(cfg.S)},
             {"yolo.B", std::to_string(cfg.B)},
             {"yolo.C", std::to_string(cfg.C)},
             {"yolo.input", std::to_string(cfg.input)},
             {"yolo.class_loss", cfg.class_loss}};
  if (cfg.arch == "darknet") {
    m["yolo.darknet_cfg"] = cfg.darknet_cfg;
    m["yolo.darknet_file"] = cfg.darknet_file;
  }
  if (!names.empty()) {
    std::string joined;
    for (const std::string& n : names) joined += (joined.empty() ? "" : "\n") + n;
    m["yolo.names"] = joined;
  }
  return m;
}

ModelConfig config_from_metadata(const Metadata& meta, const std::string& file,
                                 std::vector<std::string>* names) {
  auto get = [&](const std::string& key) -> const std::string& {
    auto it = meta.find(key);
    MINIDL_CHECK(it != meta.end(), file, ": metadata has no '", key,
                 "' (not a checkpoint written by yolo_v1 train)");
    return it->second;
  };
  auto number = [&](const std::string& key) {
    const std::string& s = get(key);
    int v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    MINIDL_CHECK(ec == std::errc() && p == s.data() + s.size(), file, ": metadata '", key, "' is '",
                 s, "', not an integer");
    return v;
  };
  ModelConfig c;
  c.arch = get("yolo.arch");
  c.S = number("yolo.S"), c.B = number("yolo.B"), c.C = number("yolo.C");
  c.input = number("yolo.input");
  if (auto it = meta.find("yolo.class_loss"); it != meta.end()) c.class_loss = it->second;
  if (c.arch == "darknet") {
    c.darknet_cfg = get("yolo.darknet_cfg");
    c.darknet_file = get("yolo.darknet_file");
  }
  try {
    c.validate();
  } catch (const Error& e) {
    throw Error(minidl::str(file, ": metadata (yolo.*): ", e.what()));
  }
  if (names) {
    names->clear();
    auto it = meta.find("yolo.names");
    if (it != meta.end()) {
      size_t a = 0;
      for (size_t b; (b = it->second.find('\n', a)) != std::string::npos; a = b + 1)
        names->push_back(it->second.substr(a, b - a));
      names->push_back(it->second.substr(a));
    }
  }
  return c;
}

ModelConfig config_from_checkpoint(const TensorFile& f, const std::string& file,
                                   std::vector<std::string>* names) {
  const ModelConfig cfg = config_from_metadata(f.metadata, file, names);
  const int64_t want = model_value_count(cfg);
  if (want < 0) return cfg;  // darknet: the .cfg text decides; load_checkpoint compares names
  int64_t have = 0;
  for (const auto& [name, t] : f.tensors)
    if (name.rfind("model.", 0) == 0) have += t.numel();
  MINIDL_CHECK(have == want, file,
               ": the metadata (yolo.arch, yolo.S, yolo.B, yolo.C, yolo.input: ", cfg.str(),
               ") defines a network of ", want, " values, but the file's model. tensors hold ",
               have, ": the metadata does not belong to these weights");
  return cfg;
}

std::shared_ptr<Sequential> make_model_from(const ModelConfig& cfg, const std::string& file,
                                            Generator& gen) {
  try {
    return make_model(cfg, gen);
  } catch (const Error& e) {
    throw Error(minidl::str(
        file, ": cannot build the network of its metadata (",
        cfg.arch == "darknet" ? "yolo.darknet_cfg of " + cfg.darknet_file : "yolo.arch " + cfg.arch,
        "): ", e.what()));
  }
}

}  // namespace yolo
