// darknet's YOLOv1 networks in minidl's pipeline (arch "darknet" of ModelConfig): the mapping
// between darknet's [detection] output layout and minidl's, so that the one decoder, NMS and loss
// of losses/yolo_v1_target.h serve both; the loss options a [detection] section means; building a
// network from a .cfg for train, detect and eval; and darknet's own preprocessing for detect
// (its bilinear resize_image, without letterboxing).
#pragma once

#include <minidl/minidl.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "apps/yolo_v1/darknet.h"
#include "apps/yolo_v1/model.h"
#include "apps/yolo_v1/run_dir.h"

namespace yolo {

// ---- the output layout ------------------------------------------------------------------------

/// darknet's [detection] output (N, S*S*(5B + C)) rearranged as minidl's (N, S, S, 5B + C).
/// For cell k = row * S + col, darknet holds class c's score at k*C + c, box b's confidence at
/// S*S*C + k*B + b and its x, y, w, h at S*S*(C + B) + (k*B + b)*4 + 0..3; minidl holds, per
/// cell, [x y w h conf] for each of the B boxes, then the C class scores. A permutation of the
/// values: differentiable, so the loss trains a darknet network through it. Throws minidl::Error
/// naming the shapes when `out` is not (N, S*S*(5B + C)).
minidl::Tensor darknet_to_minidl(const minidl::Tensor& out, int S, int B, int C);
/// The inverse: minidl's (N, S, S, 5B + C) as darknet's (N, S*S*(5B + C)).
minidl::Tensor minidl_to_darknet(const minidl::Tensor& pred, int S, int B, int C);

// ---- the network ------------------------------------------------------------------------------

/// What darknet's [detection] section asks of the loss and the decoder: S = side, B = num,
/// C = classes, sqrt_wh = sqrt, rescore, lambda_coord = coord_scale, lambda_obj = object_scale,
/// lambda_noobj = noobject_scale, lambda_class = class_scale, squared error on the class scores
/// (darknet's; with softmax=1 the network itself turns them into probabilities first).
minidl::YoloV1Options darknet_loss_options(const DarknetDetection& d);
/// The same for a ModelConfig of arch "darknet" (its .cfg text is read again: it is small).
minidl::YoloV1Options darknet_loss_options(const ModelConfig& cfg);

/// The ModelConfig (arch "darknet") of a .cfg's text; `file` names it in messages and in
/// cfg.str(). S, B, C and input are the [detection] section's side, num, classes and [net]'s
/// width. Throws minidl::Error "file: reason" when the .cfg has no [detection] section, its boxes
/// are not of 4 numbers (coords), [net] is not 3 channels or not square, and the errors of
/// parse_darknet_cfg_text and read_darknet_head. The layers are checked when the network is built.
ModelConfig darknet_model_config(const std::string& text, const std::string& file);
/// The same for a .cfg file (its path as given is the name shown).
ModelConfig darknet_model_config(const fs::path& cfg);
/// Throws minidl::Error unless cfg (arch "darknet") agrees with its own .cfg text: S, B, C, input
/// and the squared-error class loss (ModelConfig::validate calls it).
void check_darknet_config(const ModelConfig& cfg);

/// A darknet network ready for minidl's pipeline.
struct DarknetModel {
  DarknetNetwork net;  // darknet's layers, for reading and writing .weights files
  /// net.model, then darknet_to_minidl: input (N, 3, input, input), output (N, S, S, 5B + C)
  /// like make_model's networks.
  std::shared_ptr<minidl::Sequential> model;
};

/// Builds the network of cfg (arch "darknet") with weights drawn from gen. Throws minidl::Error
/// naming the .cfg's file:line for a layer that does not fit (a last layer whose size is not
/// side*side*((1 + coords)*num + classes) included).
DarknetModel make_darknet_model(const ModelConfig& cfg,
                                minidl::Generator& gen = minidl::default_generator());

/// check_darknet_weights (darknet.h) of the .weights file `weights` against the layers of cfg's
/// .cfg text (arch "darknet"): its size is checked before the network is built, so a file that
/// does not fit costs no memory. Returns the header.
DarknetWeightsHeader check_darknet_weights(const ModelConfig& cfg, const fs::path& weights);

/// The config for `train --darknet-cfg`: darknet_model_config of the file, checked against the
/// dataset's C classes and the --S, --B, --input and --class-loss given (0: not given). Throws
/// minidl::Error saying what to change when they differ.
ModelConfig darknet_train_config(const fs::path& cfg, int C, int S, int B, int input,
                                 const std::string& class_loss);

/// `detect --darknet-cfg`: the network of `cfg` with the weights of `weights` (darknet's .weights
/// format), in eval mode on `device`. Class names from `names` when given, else VOC's 20 for a
/// 20-class network, else the class numbers. Throws minidl::Error for a .cfg the pipeline cannot
/// run (see darknet_model_config), weights that do not fit the network (naming the layer and the
/// byte counts), and a names file whose count is not the network's classes.
LoadedModel load_darknet_detector(const fs::path& cfg, const fs::path& weights,
                                  const fs::path& names, minidl::Device device);

// ---- darknet's preprocessing ------------------------------------------------------------------

/// darknet's resize_image on a planar float image (channels x height x width, CHW): first along
/// x, then along y, with scale (in - 1) / (out - 1) and darknet's float arithmetic and edge
/// rules, which align the corner pixels of input and output. Returns channels x out_h x out_w.
/// Where darknet divides by zero (an output side of 1) the first row or the last column is
/// taken. Requires every size >= 1.
std::vector<float> darknet_resize(const std::vector<float>& chw, int channels, int height,
                                  int width, int out_w, int out_h);

/// The network input darknet's detector makes of an image: RGB (grey copied to R, G and B, alpha
/// dropped) as floats byte / 255, resized to width x height with darknet_resize (no letterbox,
/// no aspect ratio kept). Shape (1, 3, height, width).
minidl::Tensor darknet_input(const minidl::Image& image, int width, int height);

}  // namespace yolo
