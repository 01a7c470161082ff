// A training run's folder: what `train` writes there (checkpoints, log, curves, class names) and
// loading a trained model back from it for detect and eval, plus choosing the compute device.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "apps/yolo_v1/model.h"

namespace yolo {

namespace fs = std::filesystem;

/// The files of a run folder.
struct RunFiles {
  fs::path dir;
  fs::path last() const { return dir / "last.safetensors"; }  // checkpoint after the last epoch
  fs::path best() const { return dir / "best.safetensors"; }  // checkpoint of the best val mAP
  fs::path log() const { return dir / "log.csv"; }
  fs::path curves() const { return dir / "curves.png"; }
  fs::path names() const { return dir / "classes.names"; }
};

/// "cpu" or "cuda" as a Device. Throws minidl::Error for another name, and for "cuda" when minidl
/// was built without CUDA or no GPU is usable (saying which).
minidl::Device parse_device(const std::string& name);

/// A trained network, ready for inference.
struct LoadedModel {
  std::shared_ptr<minidl::Sequential> model;
  ModelConfig cfg;
  std::vector<std::string> names;  // C class names
  minidl::Metadata metadata;       // the checkpoint's
  fs::path file;                   // the checkpoint read
};

/// Loads a model from a checkpoint file, or from a run folder (its best checkpoint, else its last).
/// The network is rebuilt from the checkpoint's metadata (model.h) and moved to `device`; class
/// names come from the metadata, else the folder's classes.names, else are the class numbers.
/// Throws minidl::Error naming the path when there is no checkpoint or it does not load.
LoadedModel load_trained(const fs::path& where, minidl::Device device);

}  // namespace yolo
