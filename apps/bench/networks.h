// The two benchmark networks of ../shared/bench/torch_reference.py, built from minidl's layers:
// "humble" (the Keras article's network) and "tiny" (darknet's tiny YOLOv1 without batch norm).
#pragma once

#include <memory>
#include <string>

#include "core/minidl.h"

struct BenchNetwork {
  std::shared_ptr<minidl::Sequential> model;
  minidl::Shape input;  // (C, H, W) of one image
  minidl::YoloV1Options loss;
};

/// "humble" or "tiny"; throws minidl::Error for another name.
BenchNetwork make_network(const std::string& name);
