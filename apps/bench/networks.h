// The two benchmark networks of torch_reference.py (beside this file), built from minidl's layers:
// "humble" (the Keras article's network) and "tiny" (darknet's tiny YOLOv1 without batch norm).
#pragma once

#include <minidl/minidl.h>

#include <memory>
#include <string>

struct BenchNetwork {
  std::shared_ptr<minidl::Sequential> model;
  minidl::Shape input;  // (C, H, W) of one image
  minidl::YoloV1Options loss;
};

/// "humble" or "tiny"; throws minidl::Error for another name.
BenchNetwork make_network(const std::string& name);
