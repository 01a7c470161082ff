// Modules darknet's layers need beyond minidl's own (used by build_darknet_network, darknet.cpp):
// darknet's [maxpool] padding and [detection]'s softmax over each cell's class scores.
#pragma once

#include <minidl/minidl.h>

#include <cstdint>
#include <memory>

namespace yolo {

/// darknet's [maxpool]: output (w + padding - size) / stride + 1, window o starting at
/// o * stride - padding / 2; pixels outside the input never win.
std::shared_ptr<minidl::Module> make_darknet_maxpool(int64_t size, int64_t stride, int64_t padding);

/// [detection] with softmax=1: the softmax of each cell's class scores (the first
/// cells * classes outputs); the rest passes through.
std::shared_ptr<minidl::Module> make_detection_softmax(int64_t cells, int64_t classes);

}  // namespace yolo
