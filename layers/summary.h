// summary(): a Keras-style table of a Sequential model: each layer, its output shape for a given
// input, its parameter count, and the totals.
#pragma once

#include <string>

#include "layers/sequential.h"

namespace minidl {

/// The table for `model` fed `input_shape` (batch axis included, e.g. (1, 3, 448, 448)); shapes
/// come from each layer's output_shape(), so nothing is computed on tensors. Ends with
///   Total params: 1,234 / Trainable params: ... / Non-trainable params: ...
/// (trainable = requires_grad). Throws minidl::Error "summary: layer i: <name>: ..." when the
/// input does not fit a layer.
std::string summary(Sequential& model, const Shape& input_shape);

}  // namespace minidl
