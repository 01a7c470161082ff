// darknet networks in minidl's YOLOv1 pipeline (darknet_model.h). The network keeps darknet's
// output layout; one module at its end rearranges it into minidl's, so that the decoder, NMS,
// loss, mAP and checkpoints are the ones the other networks use.
#include "apps/yolo_v1/darknet_model.h"

#include <cmath>

#include "apps/yolo_v1/convert.h"
#include "apps/yolo_v1/labels.h"

namespace yolo {

using minidl::Shape;
using minidl::str;
using minidl::Tensor;

// ---- the output layout ------------------------------------------------------------------------

Tensor darknet_to_minidl(const Tensor& out, int S, int B, int C) {
  const int64_t cells = int64_t{S} * S, per_cell = 5 * int64_t{B} + C;
  MINIDL_CHECK(out.dim() == 2 && out.shape()[1] == cells * per_cell,
               "darknet's [detection] output for side=", S, " num=", B, " classes=", C, " is (N, ",
               cells * per_cell, "), got ", minidl::shape_str(out.shape()));
  const int64_t n = out.shape()[0], k_cls = cells * C, k_conf = k_cls + cells * B;
  const Tensor cls = out.slice(1, 0, k_cls).reshape({n, S, S, C});
  const Tensor conf = out.slice(1, k_cls, k_conf).reshape({n, S, S, B, 1});
  const Tensor box = out.slice(1, k_conf, cells * per_cell).reshape({n, S, S, B, 4});
  const Tensor boxes = minidl::concat({box, conf}, 4).reshape({n, S, S, 5 * int64_t{B}});
  return minidl::concat({boxes, cls}, 3);
}

Tensor minidl_to_darknet(const Tensor& pred, int S, int B, int C) {
  const int64_t per_cell = 5 * int64_t{B} + C;
  MINIDL_CHECK(pred.dim() == 4 && pred.shape()[1] == S && pred.shape()[2] == S &&
                   pred.shape()[3] == per_cell,
               "minidl's YOLOv1 output for S=", S, " B=", B, " C=", C, " is (N, ", S, ", ", S, ", ",
               per_cell, "), got ", minidl::shape_str(pred.shape()));
  const int64_t n = pred.shape()[0], cells = int64_t{S} * S;
  const Tensor boxes = pred.slice(3, 0, 5 * int64_t{B}).reshape({n, S, S, B, 5});
  const Tensor box = boxes.slice(4, 0, 4).reshape({n, cells * B * 4});
  const Tensor conf = boxes.slice(4, 4, 5).reshape({n, cells * B});
  const Tensor cls = pred.slice(3, 5 * int64_t{B}, per_cell).reshape({n, cells * C});
  return minidl::concat({cls, conf, box}, 1);
}

namespace {

// The last module of a darknet model: darknet's layout in, minidl's out.
class DarknetLayout : public minidl::Module {
 public:
  DarknetLayout(int S, int B, int C) : S_(S), B_(B), C_(C) {}
  Tensor forward(const Tensor& x) override { return darknet_to_minidl(x, S_, B_, C_); }
  std::string name() const override {
    return str("DarknetLayout(side ", S_, ", num ", B_, ", classes ", C_, ")");
  }
  Shape output_shape(const Shape& s) override {
    const int64_t size = int64_t{S_} * S_ * (5 * int64_t{B_} + C_);
    MINIDL_CHECK(s.size() == 2 && s[1] == size, "expects (N, ", size, "), got ",
                 minidl::shape_str(s));
    return {s[0], S_, S_, 5 * int64_t{B_} + C_};
  }

 private:
  int S_, B_, C_;
};

DarknetHead head_of(const ModelConfig& cfg) {
  return read_darknet_head(parse_darknet_cfg_text(cfg.darknet_cfg, cfg.darknet_file));
}

}  // namespace

// ---- the network ------------------------------------------------------------------------------

minidl::YoloV1Options darknet_loss_options(const DarknetDetection& d) {
  minidl::YoloV1Options o;
  o.S = d.side, o.B = d.num, o.C = d.classes;
  o.sqrt_wh = d.sqrt;
  o.rescore = d.rescore;
  o.lambda_coord = d.coord_scale, o.lambda_obj = d.object_scale;
  o.lambda_noobj = d.noobject_scale, o.lambda_class = d.class_scale;
  o.class_loss = minidl::YoloClassLoss::SSE;
  return o;
}

minidl::YoloV1Options darknet_loss_options(const ModelConfig& cfg) {
  const DarknetHead h = head_of(cfg);
  MINIDL_CHECK(h.detection, cfg.darknet_file, ": no [detection] section");
  return darknet_loss_options(*h.detection);
}

ModelConfig darknet_model_config(const std::string& text, const std::string& file) {
  const DarknetHead h = read_darknet_head(parse_darknet_cfg_text(text, file));
  MINIDL_CHECK(h.detection, file,
               ": no [detection] section: minidl reads the output of darknet's YOLOv1 detection "
               "layer (as in yolov1.cfg and yolov1-tiny.cfg)");
  const DarknetDetection& d = *h.detection;
  MINIDL_CHECK(d.coords == 4, file, ":", d.line, ": coords=", d.coords,
               ": a YOLOv1 box is 4 numbers (x, y, w, h); minidl reads coords=4");
  MINIDL_CHECK(h.channels == 3, file, ": [net] channels=", h.channels,
               ": minidl feeds RGB images (channels=3)");
  MINIDL_CHECK(h.width == h.height && h.width <= 4096, file, ": [net] width=", h.width,
               " height=", h.height, ": minidl's pipeline takes a square input of at most 4096");
  ModelConfig c;
  c.arch = "darknet";
  c.S = d.side, c.B = d.num, c.C = d.classes;
  c.input = static_cast<int>(h.width);
  c.class_loss = "sse";
  c.darknet_cfg = text;
  c.darknet_file = file;
  return c;
}

ModelConfig darknet_model_config(const fs::path& cfg) {
  return darknet_model_config(read_file(cfg), cfg.string());
}

void check_darknet_config(const ModelConfig& cfg) {
  MINIDL_CHECK(!cfg.darknet_cfg.empty(), "arch darknet needs the text of its .cfg file");
  const ModelConfig ref = darknet_model_config(cfg.darknet_cfg, cfg.darknet_file);
  MINIDL_CHECK(cfg.S == ref.S && cfg.B == ref.B && cfg.C == ref.C && cfg.input == ref.input,
               cfg.darknet_file, ": S=", cfg.S, " B=", cfg.B, " C=", cfg.C, " input=", cfg.input,
               " differ from the .cfg's side=", ref.S, " num=", ref.B, " classes=", ref.C,
               " width=", ref.input);
  MINIDL_CHECK(cfg.class_loss == "sse", cfg.darknet_file, ": class_loss=", cfg.class_loss,
               ": a darknet [detection] layer trains its class scores with squared error (set "
               "softmax=1 in the .cfg for probabilities)");
}

DarknetModel make_darknet_model(const ModelConfig& cfg, minidl::Generator& gen) {
  cfg.validate();
  DarknetModel m;
  m.net = build_darknet_network(parse_darknet_cfg_text(cfg.darknet_cfg, cfg.darknet_file), gen);
  m.model = std::make_shared<minidl::Sequential>();
  m.model->add(m.net.model);
  m.model->emplace<DarknetLayout>(cfg.S, cfg.B, cfg.C);
  return m;
}

DarknetWeightsHeader check_darknet_weights(const ModelConfig& cfg, const fs::path& weights) {
  return check_darknet_weights(
      weights, darknet_weight_sizes(parse_darknet_cfg_text(cfg.darknet_cfg, cfg.darknet_file)));
}

ModelConfig darknet_train_config(const fs::path& cfg, int C, int S, int B, int input,
                                 const std::string& class_loss) {
  ModelConfig c = darknet_model_config(cfg);
  const std::string file = cfg.string();
  MINIDL_CHECK(c.C == C, file, ": [detection] classes=", c.C, " but the dataset has ", C,
               " classes: set classes=", C, " and the last [connected] layer's output=", c.S, "*",
               c.S, "*(5*", c.B, " + ", C, ") = ", int64_t{c.S} * c.S * (5 * int64_t{c.B} + C));
  MINIDL_CHECK(S == 0 || S == c.S, "--S ", S, " differs from ", file, "'s side=", c.S,
               " (leave --S out: the .cfg sets it)");
  MINIDL_CHECK(B == 0 || B == c.B, "--B ", B, " differs from ", file, "'s num=", c.B,
               " (leave --B out: the .cfg sets it)");
  MINIDL_CHECK(input == 0 || input == c.input, "--input ", input, " differs from ", file,
               "'s width=", c.input, " (leave --input out: the .cfg sets it)");
  MINIDL_CHECK(class_loss == "sse", "--class-loss ", class_loss, " with --darknet-cfg: ",
               "darknet's [detection] layer trains its class scores with squared error (sse)");
  return c;
}

LoadedModel load_darknet_detector(const fs::path& cfg, const fs::path& weights,
                                  const fs::path& names, minidl::Device device) {
  LoadedModel lm;
  lm.cfg = darknet_model_config(cfg);
  check_darknet_weights(lm.cfg, weights);  // before the network takes its memory
  DarknetModel dm = make_darknet_model(lm.cfg);
  load_darknet_weights(weights, dm.net);
  lm.model = dm.model;
  lm.file = weights;
  if (!names.empty()) {
    lm.names = read_names(names);
    MINIDL_CHECK(static_cast<int>(lm.names.size()) == lm.cfg.C, names.string(), ": ",
                 lm.names.size(), " class names, but ", cfg.string(), " has classes=", lm.cfg.C);
  } else if (lm.cfg.C == static_cast<int>(voc_names().size())) {
    lm.names = voc_names();  // darknet's published YOLOv1 networks are trained on VOC
  } else {
    for (int c = 0; c < lm.cfg.C; ++c) lm.names.push_back(std::to_string(c));
  }
  lm.model->to(device);
  lm.model->eval();
  return lm;
}

// ---- darknet's preprocessing ------------------------------------------------------------------

std::vector<float> darknet_resize(const std::vector<float>& chw, int channels, int height,
                                  int width, int out_w, int out_h) {
  MINIDL_CHECK(channels >= 1 && height >= 1 && width >= 1 && out_w >= 1 && out_h >= 1,
               "darknet_resize: sizes must be >= 1; got ", channels, "x", height, "x", width,
               " to ", out_w, "x", out_h);
  MINIDL_CHECK(chw.size() == static_cast<size_t>(channels) * height * width,
               "darknet_resize: ", chw.size(), " values for ", channels, "x", height, "x", width);
  // darknet computes the scales and positions in float; so does this code, because a position
  // that float rounding puts just below a whole number changes which pixels are read. The
  // last column copies the input's last column. The last row is (1 - dy) times row iy only:
  // when float rounding leaves its position just below height - 1, that row comes out darker
  // in darknet, and so it does here.
  const float w_scale = out_w > 1 ? static_cast<float>(width - 1) / (out_w - 1) : 0.f;
  const float h_scale = out_h > 1 ? static_cast<float>(height - 1) / (out_h - 1) : 0.f;
  auto in = [&](int k, int y, int x) {
    return chw[(static_cast<size_t>(k) * height + y) * width + x];
  };
  std::vector<float> part(static_cast<size_t>(channels) * height * out_w);  // resized along x
  for (int k = 0; k < channels; ++k)
    for (int r = 0; r < height; ++r)
      for (int c = 0; c < out_w; ++c) {
        float v;
        if (c == out_w - 1 || width == 1) {
          v = in(k, r, width - 1);
        } else {
          const float sx = static_cast<float>(c) * w_scale;
          const int ix = static_cast<int>(sx);
          const float dx = sx - static_cast<float>(ix);
          v = (1 - dx) * in(k, r, ix) + dx * in(k, r, ix + 1);
        }
        part[(static_cast<size_t>(k) * height + r) * out_w + c] = v;
      }
  std::vector<float> out(static_cast<size_t>(channels) * out_h * out_w);
  for (int k = 0; k < channels; ++k)
    for (int r = 0; r < out_h; ++r) {
      const float sy = static_cast<float>(r) * h_scale;
      const int iy = static_cast<int>(sy);
      const float dy = sy - static_cast<float>(iy);
      const float* p0 = part.data() + (static_cast<size_t>(k) * height + iy) * out_w;
      float* o = out.data() + (static_cast<size_t>(k) * out_h + r) * out_w;
      for (int c = 0; c < out_w; ++c) o[c] = (1 - dy) * p0[c];
      if (r == out_h - 1 || height == 1 || iy + 1 >= height) continue;
      for (int c = 0; c < out_w; ++c) o[c] += dy * p0[out_w + c];
    }
  return out;
}

Tensor darknet_input(const minidl::Image& image, int width, int height) {
  const minidl::Image rgb = image.channels == 3 ? image : minidl::to_rgb(image);
  const int W = rgb.width, H = rgb.height;
  std::vector<float> chw(static_cast<size_t>(3) * H * W);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x)
      for (int k = 0; k < 3; ++k)  // darknet: (float)byte / 255., a division in double
        chw[(static_cast<size_t>(k) * H + y) * W + x] = static_cast<float>(rgb.at(x, y)[k] / 255.);
  return minidl::from_vector(darknet_resize(chw, 3, H, W, width, height), {1, 3, height, width});
}

}  // namespace yolo
