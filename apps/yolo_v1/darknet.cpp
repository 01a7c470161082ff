// darknet networks built from .cfg files (darknet.h; reading the text: darknet_cfg.cpp, the
// weights: darknet_weights.cpp, darknet's maxpool and detection softmax: darknet_layers.cpp) for
// the layers YOLOv1 uses. The arithmetic is darknet's, which is not PyTorch's in a few places (each
// noted where it is used):
//   [convolutional] pad=1 means padding = size / 2 (pad wins over an explicit padding=);
//   [maxpool] padding defaults to size - 1, the output is (w + padding - size) / stride + 1 and
//     the windows start at -padding / 2, so an odd padding adds its extra pixel on the right and
//     bottom only;
//   [local] pad=1 pads by one pixel;
//   leaky means slope 0.1; batch norm divides by sqrt(var) + 1e-6 (BatchNormStyle::Darknet);
//   a layer's defaults are darknet's: activation=logistic, filters=1, size=1, stride=1, pad=0.
// Layers are numbered from 0, the first section after [net], as darknet prints them.
#include "apps/yolo_v1/darknet.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <new>
#include <sstream>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include "apps/yolo_v1/darknet_layers.h"

namespace yolo {

using minidl::Shape;
using minidl::str;
using minidl::Tensor;

// ---- reading a section's keys -----------------------------------------------------------------

namespace {

// The options of one section, checked against the keys its type accepts; values parsed strictly
// (the whole value must be the number) with errors that name file:line.
class Keys {
 public:
  Keys(const DarknetConfig& cfg, const DarknetSection& s, const std::vector<std::string>& known)
      : cfg_(cfg), s_(s) {
    for (const DarknetOption& o : s.options) {
      if (std::find(known.begin(), known.end(), o.key) != known.end()) continue;
      std::string list;
      for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
      fail(o.line, str("unknown key '", darknet_clip(o.key), "' in [", s.type,
                       "] (minidl reads: ", list, ")"));
    }
  }

  [[noreturn]] void fail(int line, const std::string& why) const {
    throw minidl::Error(str(cfg_.file, ":", line, ": ", why));
  }
  /// Fails at the line of `key` when set, else at the section's line.
  [[noreturn]] void fail(const std::string& key, const std::string& why) const {
    const DarknetOption* o = find(key);
    fail(o ? o->line : s_.line, why);
  }

  bool has(const std::string& key) const { return find(key) != nullptr; }

  int64_t integer(const std::string& key, int64_t fallback, int64_t lo, int64_t hi) const {
    const DarknetOption* o = find(key);
    if (!o) return fallback;
    int64_t v = 0;
    if (!parse_int(o->value, v))
      fail(o->line, str(key, "=", darknet_clip(o->value), " is not a whole number"));
    if (v < lo || v > hi)
      fail(o->line, str(key, "=", darknet_clip(o->value), " is out of range: must be in [", lo,
                        ", ", hi, "]"));
    return v;
  }

  bool flag(const std::string& key, bool fallback) const {
    return integer(key, fallback ? 1 : 0, 0, 1) == 1;
  }

  float real(const std::string& key, float fallback, float lo, float hi,
             bool hi_open = false) const {
    const DarknetOption* o = find(key);
    if (!o) return fallback;
    float v = 0;
    if (!parse_float(o->value, v))
      fail(o->line, str(key, "=", darknet_clip(o->value), " is not a number"));
    if (!(v >= lo && (hi_open ? v < hi : v <= hi)))
      fail(o->line, str(key, "=", darknet_clip(o->value), " is out of range: must be in [", lo,
                        ", ", hi, hi_open ? ")" : "]"));
    return v;
  }

  std::string text(const std::string& key, const std::string& fallback,
                   const std::vector<std::string>& allowed) const {
    const DarknetOption* o = find(key);
    if (!o) return fallback;
    if (std::find(allowed.begin(), allowed.end(), o->value) != allowed.end()) return o->value;
    std::string list;
    for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
    fail(o->line,
         str(key, "=", darknet_clip(o->value), " is not supported (minidl reads: ", list, ")"));
  }

  /// A comma-separated list of numbers ("200,400,600").
  template <class T>
  std::vector<T> list(const std::string& key) const {
    const DarknetOption* o = find(key);
    std::vector<T> out;
    if (!o) return out;
    std::string_view rest = o->value;
    while (true) {
      const size_t comma = rest.find(',');
      const std::string item(rest.substr(0, comma));
      T v{};
      bool ok;
      if constexpr (std::is_integral_v<T>) {
        int64_t i = 0;
        ok = parse_int(item, i) && i >= std::numeric_limits<T>::min() &&
             i <= std::numeric_limits<T>::max();
        v = static_cast<T>(i);
      } else {
        ok = parse_float(item, v);
      }
      if (!ok)
        fail(o->line,
             str(key, "=", darknet_clip(o->value), ": '", darknet_clip(item), "' is not a number"));
      out.push_back(v);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    return out;
  }

 private:
  const DarknetOption* find(const std::string& key) const {
    for (const DarknetOption& o : s_.options)
      if (o.key == key) return &o;
    return nullptr;
  }

  static bool parse_int(const std::string& s, int64_t& v) {
    const char* b = s.data() + (s.size() > 1 && s[0] == '+' ? 1 : 0);
    const char* e = s.data() + s.size();
    auto [p, ec] = std::from_chars(b, e, v);
    return ec == std::errc() && p == e;
  }

  // Decimal forms such as "0.5", ".5", "5e-4"; never nan or inf.
  static bool parse_float(const std::string& s, float& v) {
    const char* b = s.data() + (s.size() > 1 && s[0] == '+' ? 1 : 0);
    const char* e = s.data() + s.size();
    auto [p, ec] = std::from_chars(b, e, v);
    return ec == std::errc() && p == e && std::isfinite(v);
  }

  const DarknetConfig& cfg_;
  const DarknetSection& s_;
};

// Generous bounds that keep every size product far from overflow; darknet itself counts in int.
constexpr int64_t kMaxSide = 1 << 16;    // width, height, channels, filters, outputs
constexpr int64_t kMaxKernel = 1 << 10;  // size, stride, padding
constexpr int64_t kMaxTensor = std::numeric_limits<int32_t>::max();  // floats in one tensor
constexpr int64_t kMaxTotal = int64_t{1} << 31;  // floats in all the weights (8 GiB; yolov1: 270M)

const std::vector<std::string> kActivations = {"leaky", "linear", "relu", "logistic"};

// How a layer followed directly by `activation` draws its weights: He (for ReLU's slope 0, within
// 0.5% of leaky's 0.1) before leaky or relu, Glorot otherwise. Decided here, not by Init::Auto,
// so that Sequential does not draw a large layer twice (yolov1.cfg's [local] layer holds 115M
// weights). Darknet's own networks are meant to be loaded from .weights files anyway.
minidl::Init init_before(const std::string& activation) {
  return activation == "leaky" || activation == "relu" ? minidl::Init::He : minidl::Init::Glorot;
}

// The module for an activation name; null for linear.
std::shared_ptr<minidl::Module> activation_module(const std::string& name) {
  if (name == "leaky") return std::make_shared<minidl::LeakyReLU>(0.1f);  // darknet's slope
  if (name == "relu") return std::make_shared<minidl::ReLU>();
  if (name == "logistic") return std::make_shared<minidl::Sigmoid>();
  return nullptr;
}

}  // namespace

const char* darknet_layer_name(DarknetLayerType type) {
  switch (type) {
    case DarknetLayerType::Convolutional:
      return "convolutional";
    case DarknetLayerType::MaxPool:
      return "maxpool";
    case DarknetLayerType::Local:
      return "local";
    case DarknetLayerType::Dropout:
      return "dropout";
    case DarknetLayerType::Connected:
      return "connected";
    case DarknetLayerType::Detection:
      return "detection";
  }
  return "?";
}

// ---- building the network ---------------------------------------------------------------------

namespace {

// The [net] section (the first): the input size and the training options.
DarknetNetwork net_section(const DarknetConfig& cfg) {
  const std::string& file = cfg.file;
  MINIDL_CHECK(!cfg.sections.empty(), file, ": no sections (a .cfg starts with [net])");
  const DarknetSection& first = cfg.sections[0];
  MINIDL_CHECK(first.type == "net" || first.type == "network", file, ":", first.line,
               ": the first section must be [net], got [", darknet_clip(first.type), "]");

  DarknetNetwork net;
  net.file = file;
  {
    Keys k(cfg, first,
           {"width", "height", "channels", "batch", "subdivisions", "learning_rate", "momentum",
            "decay", "max_batches", "policy", "steps", "scales", "saturation", "exposure", "hue"});
    for (const char* key : {"width", "height", "channels"})
      if (!k.has(key)) k.fail(first.line, str("[", first.type, "] needs ", key));
    net.width = k.integer("width", 0, 1, kMaxSide);
    net.height = k.integer("height", 0, 1, kMaxSide);
    net.channels = k.integer("channels", 0, 1, kMaxSide);
    DarknetNetOptions& o = net.net;
    o.batch = static_cast<int>(k.integer("batch", 1, 1, kMaxSide));
    o.subdivisions = static_cast<int>(k.integer("subdivisions", 1, 1, kMaxSide));
    o.max_batches = static_cast<int>(k.integer("max_batches", 0, 0, kMaxTensor));
    const float inf = std::numeric_limits<float>::infinity();
    o.learning_rate = k.real("learning_rate", o.learning_rate, 0.f, inf);
    o.momentum = k.real("momentum", o.momentum, 0.f, 1.f);
    o.decay = k.real("decay", o.decay, 0.f, inf);
    o.saturation = k.real("saturation", o.saturation, 0.f, inf);
    o.exposure = k.real("exposure", o.exposure, 0.f, inf);
    o.hue = k.real("hue", o.hue, 0.f, 1.f);
    o.policy = k.text("policy", o.policy, {"constant", "steps"});
    o.steps = k.list<int>("steps");
    o.scales = k.list<float>("scales");
    if (o.policy == "steps" && (o.steps.empty() || o.steps.size() != o.scales.size()))
      k.fail(k.has("steps") ? "steps" : "policy",
             str("policy=steps needs steps and scales of one length, got ", o.steps.size(),
                 " steps and ", o.scales.size(), " scales"));
  }
  return net;
}

// The keys of a [detection] section (the output size is checked by the caller, which knows it).
DarknetDetection detection_section(const DarknetConfig& cfg, const DarknetSection& s) {
  Keys k(cfg, s,
         {"classes", "coords", "rescore", "side", "num", "softmax", "sqrt", "jitter",
          "object_scale", "noobject_scale", "class_scale", "coord_scale"});
  DarknetDetection d;
  d.line = s.line;
  d.classes = static_cast<int>(k.integer("classes", 1, 1, kMaxSide));
  d.coords = static_cast<int>(k.integer("coords", 1, 1, kMaxSide));
  d.num = static_cast<int>(k.integer("num", 1, 1, kMaxSide));
  d.side = static_cast<int>(k.integer("side", 7, 1, kMaxSide));
  d.rescore = k.flag("rescore", false);
  d.softmax = k.flag("softmax", false);
  d.sqrt = k.flag("sqrt", false);
  const float inf = std::numeric_limits<float>::infinity();
  d.jitter = k.real("jitter", d.jitter, 0.f, 1.f);
  d.object_scale = k.real("object_scale", 1.f, 0.f, inf);
  d.noobject_scale = k.real("noobject_scale", 1.f, 0.f, inf);
  d.class_scale = k.real("class_scale", 1.f, 0.f, inf);
  d.coord_scale = k.real("coord_scale", 1.f, 0.f, inf);
  return d;
}

}  // namespace

DarknetHead read_darknet_head(const DarknetConfig& cfg) {
  const DarknetNetwork net = net_section(cfg);
  DarknetHead h;
  h.width = net.width, h.height = net.height, h.channels = net.channels;
  for (const DarknetSection& s : cfg.sections)
    if (s.type == "detection") h.detection = detection_section(cfg, s);
  return h;
}

namespace {

// Walks the layers of `cfg` as darknet builds them: checks every section, works out each layer's
// shapes and the floats its weights take in a .weights file (into `floats`), and caps them per
// tensor and in total, all without allocating. With `gen`, also builds the modules (a failure
// there, out of memory included, names the .cfg's file:line and the layer).
DarknetNetwork walk(const DarknetConfig& cfg, minidl::Generator* gen,
                    std::vector<int64_t>& floats) {
  const std::string& file = cfg.file;
  DarknetNetwork net = net_section(cfg);
  floats.clear();
  int64_t total = 0;

  if (gen) net.model = std::make_shared<minidl::Sequential>();
  Shape cur = {net.channels, net.height, net.width};  // per image: (C, H, W), or (n)
  for (size_t i = 1; i < cfg.sections.size(); ++i) {
    const DarknetSection& s = cfg.sections[i];
    const int K = static_cast<int>(i) - 1;  // darknet's layer number
    auto fail = [&](const std::string& why) {
      throw minidl::Error(str(file, ":", s.line, ": layer ", K, " [", s.type, "]: ", why));
    };
    auto need_image = [&] {
      if (cur.size() != 3) fail("needs an image input, but the layer before gives a vector");
    };
    auto check_size = [&](int64_t n, const char* what) {
      if (n > kMaxTensor) fail(str(what, " would hold ", n, " floats (at most 2^31 - 1)"));
    };
    // The layer's weights (w floats; all sizes are capped, so no product overflows): counted
    // against the network's total before anything is allocated.
    auto weights = [&](int64_t w) {
      total += w;
      if (total > kMaxTotal)
        fail(str("the network's weights would reach ", total, " floats with this layer's ", w,
                 " (minidl builds at most 2^31 floats, 8 GiB, in all)"));
      floats.push_back(w);
    };
    // Builds the layer's modules (only with gen), naming the layer when that fails.
    auto build = [&](auto&& make) {
      if (!gen) return;
      try {
        make();
      } catch (const std::bad_alloc&) {
        fail("building the layer: out of memory");
      } catch (const minidl::Error& e) {
        fail(str("building the layer: ", e.what()));
      }
    };
    if (net.detection) fail("[detection] must be the last section");
    DarknetLayer l;
    l.line = s.line;
    l.input = cur;
    const std::string& t = s.type;
    if (t == "convolutional" || t == "conv") {
      Keys k(cfg, s,
             {"batch_normalize", "filters", "size", "stride", "pad", "padding", "activation"});
      need_image();
      l.type = DarknetLayerType::Convolutional;
      const int64_t n = k.integer("filters", 1, 1, kMaxSide);
      const int64_t size = k.integer("size", 1, 1, kMaxKernel);
      const int64_t stride = k.integer("stride", 1, 1, kMaxKernel);
      int64_t padding = k.integer("padding", 0, 0, kMaxKernel);
      if (k.flag("pad", false)) padding = size / 2;  // darknet: pad=1 overrides padding=
      const bool bn = k.flag("batch_normalize", false);
      l.activation = k.text("activation", "logistic", kActivations);
      const int64_t C = cur[0], H = cur[1], W = cur[2];
      if (H + 2 * padding < size || W + 2 * padding < size)
        fail(str("the ", size, "x", size, " kernel does not fit the ", H, "x", W,
                 " input padded by ", padding));
      check_size(n * C * size * size, "the weights");
      cur = {n, (H + 2 * padding - size) / stride + 1, (W + 2 * padding - size) / stride + 1};
      check_size(cur[0] * cur[1] * cur[2], "the output");
      weights((bn ? 4 * n : n) + n * C * size * size);
      build([&] {
        auto seq = std::make_shared<minidl::Sequential>();
        // With batch norm, darknet's convolution has no bias: batch norm's beta takes its place.
        const minidl::Init init = bn ? minidl::Init::Glorot : init_before(l.activation);
        l.conv = seq->emplace<minidl::Conv2D>(C, n, size, stride, padding, !bn, init, *gen);
        if (bn) l.bn = seq->emplace<minidl::BatchNorm2d>(n, minidl::BatchNormOptions::darknet());
        if (auto act = activation_module(l.activation)) seq->add(act);
        l.module = seq;
      });
    } else if (t == "maxpool" || t == "max") {
      Keys k(cfg, s, {"size", "stride", "padding"});
      need_image();
      l.type = DarknetLayerType::MaxPool;
      const int64_t stride = k.integer("stride", 1, 1, kMaxKernel);
      const int64_t size = k.integer("size", stride, 1, kMaxKernel);  // darknet: size = stride
      // darknet's default padding is size - 1. minidl takes at most that: more would make
      // windows that lie wholly outside the input.
      const int64_t padding = k.integer("padding", size - 1, 0, size - 1);
      const int64_t H = cur[1], W = cur[2];
      if (H + padding < size || W + padding < size)
        fail(str("the ", size, "x", size, " window does not fit the ", H, "x", W,
                 " input with padding ", padding));
      cur = {cur[0], (H + padding - size) / stride + 1, (W + padding - size) / stride + 1};
      weights(0);
      build([&] { l.module = make_darknet_maxpool(size, stride, padding); });
    } else if (t == "local") {
      Keys k(cfg, s, {"filters", "size", "stride", "pad", "activation"});
      need_image();
      l.type = DarknetLayerType::Local;
      const int64_t n = k.integer("filters", 1, 1, kMaxSide);
      const int64_t size = k.integer("size", 1, 1, kMaxKernel);
      const int64_t stride = k.integer("stride", 1, 1, kMaxKernel);
      const bool pad = k.flag("pad", false);
      l.activation = k.text("activation", "logistic", kActivations);
      // darknet's local layer counts its output as (h - 1) / stride + 1 with pad=1 but pads its
      // input by exactly one pixel, which agree only for size 3.
      if (pad && size != 3)
        k.fail("pad", str("pad=1 with size=", size,
                          ": darknet's local layer then pads by one "
                          "pixel, which only fits size=3 (use size=3 or pad=0)"));
      const int64_t padding = pad ? 1 : 0;
      const int64_t C = cur[0], H = cur[1], W = cur[2];
      if (H + 2 * padding < size || W + 2 * padding < size)
        fail(str("the ", size, "x", size, " kernel does not fit the ", H, "x", W,
                 " input padded by ", padding));
      const int64_t OH = (H + 2 * padding - size) / stride + 1;
      const int64_t OW = (W + 2 * padding - size) / stride + 1;
      check_size(OH * OW * n * C * size * size, "the weights");
      weights(n * OH * OW + OH * OW * n * C * size * size);
      build([&] {
        auto seq = std::make_shared<minidl::Sequential>();
        l.local = seq->emplace<minidl::LocallyConnected2d>(C, n, H, W, size, stride, padding, true,
                                                           init_before(l.activation), *gen);
        if (auto act = activation_module(l.activation)) seq->add(act);
        l.module = seq;
      });
      cur = {n, OH, OW};
    } else if (t == "dropout") {
      Keys k(cfg, s, {"probability"});
      l.type = DarknetLayerType::Dropout;
      const float p = k.real("probability", 0.5f, 0.f, 1.f, true);
      weights(0);
      build([&] { l.module = std::make_shared<minidl::Dropout>(p, *gen); });
    } else if (t == "connected" || t == "conn") {
      Keys k(cfg, s, {"output", "activation"});
      l.type = DarknetLayerType::Connected;
      const int64_t out = k.integer("output", 1, 1, kMaxTensor);
      l.activation = k.text("activation", "logistic", kActivations);
      const int64_t in = minidl::shape_numel(cur);
      check_size(in * out, "the weights");
      weights(out + in * out);
      build([&] {
        auto seq = std::make_shared<minidl::Sequential>();
        if (cur.size() != 1) seq->emplace<minidl::Flatten>();  // (C, H, W) in darknet's order
        l.dense = seq->emplace<minidl::Dense>(in, out, true, init_before(l.activation), *gen);
        if (auto act = activation_module(l.activation)) seq->add(act);
        l.module = seq;
      });
      cur = {out};
    } else if (t == "detection") {
      l.type = DarknetLayerType::Detection;
      const DarknetDetection d = detection_section(cfg, s);
      // Each field is at most 2^16, so side*side and (1 + coords)*num + classes fit, but their
      // product may not: checked, as is any product of the cfg's numbers.
      const int64_t cells = int64_t{d.side} * d.side;
      const int64_t per_cell = (1 + int64_t{d.coords}) * d.num + d.classes;
      int64_t expect = 0;
      const bool overflow = __builtin_mul_overflow(cells, per_cell, &expect);
      const int64_t got = minidl::shape_numel(cur);
      if (overflow || expect != got)
        fail(str("side*side*((1 + coords)*num + classes) = ", d.side, "*", d.side, "*((1 + ",
                 d.coords, ")*", d.num, " + ", d.classes, ") = ",
                 overflow ? str(cells, "*", per_cell, " (more than 2^63 - 1)") : str(expect),
                 " inputs expected, the layer before gives ", got));
      weights(0);
      if (d.softmax) build([&] { l.module = make_detection_softmax(cells, d.classes); });
      net.detection = d;
    } else {
      throw minidl::Error(str(file, ":", s.line, ": unknown section [", darknet_clip(t),
                              "] (minidl reads [net], [convolutional], [maxpool], [local], "
                              "[dropout], [connected] and [detection])"));
    }
    l.output = cur;
    if (l.module) net.model->add(l.module);
    net.layers.push_back(std::move(l));
  }
  return net;
}

}  // namespace

std::vector<DarknetLayerSize> darknet_weight_sizes(const DarknetConfig& cfg) {
  std::vector<int64_t> floats;
  const DarknetNetwork net = walk(cfg, nullptr, floats);
  std::vector<DarknetLayerSize> sizes;
  for (size_t k = 0; k < net.layers.size(); ++k)
    sizes.push_back({net.layers[k].type, net.layers[k].line, floats[k]});
  return sizes;
}

DarknetNetwork build_darknet_network(const DarknetConfig& cfg, minidl::Generator& gen) {
  std::vector<int64_t> floats;
  walk(cfg, nullptr, floats);  // every check, the total size included, before allocating
  return walk(cfg, &gen, floats);
}

DarknetNetwork load_darknet_network(const std::filesystem::path& cfg, minidl::Generator& gen) {
  return build_darknet_network(parse_darknet_cfg(cfg), gen);
}

}  // namespace yolo
