// Model files and training checkpoints: a Module's parameters (and an optimizer's state) saved as
// safetensors files (core/serialize.h) and loaded back into a model built the same way. Writes are
// atomic; loads reject a file that does not fit the model, naming the file and every difference.
#pragma once

#include <cstdint>
#include <filesystem>

#include "core/optim.h"
#include "core/serialize.h"
#include "layers/module.h"

namespace minidl {

/// save_tensors(path, model.parameters(), metadata): parameter names as Module::parameters()
/// gives them ("0.weight", "block.1.bias").
void save_model(const std::filesystem::path& path, const Module& model,
                const Metadata& metadata = {});

/// Loads the parameters of `model` from a file written by save_model (or any safetensors file
/// with the same names): every parameter must be present with the same shape and dtype F32, and
/// the file must hold nothing else. Otherwise throws minidl::Error naming the file and listing
/// every difference in one message (missing names, unexpected names, shape and dtype mismatches),
/// and the model is unchanged. Values are copied into the existing parameters (on their device).
/// Returns the file's metadata.
Metadata load_model(const std::filesystem::path& path, Module& model);

/// Writes a training checkpoint: the model's parameters as "model.<name>", the optimizer's
/// state() as "optim.<name>", and metadata `extra` plus "format": "minidl-checkpoint",
/// "version": "1", "step": step and "optimizer": optimizer.name(). Requires step >= 0 and no
/// reserved key in `extra`. Atomic like save_tensors.
void save_checkpoint(const std::filesystem::path& path, const Module& model,
                     const Optimizer& optimizer, int64_t step, const Metadata& extra = {});

/// Restores a checkpoint written by save_checkpoint into `model` and `optimizer` (built the same
/// way as when it was saved) and returns the step. Checks the format, version and optimizer name,
/// then the model entries as load_model does, then the optimizer state (Optimizer::load_state);
/// on any error throws minidl::Error naming the file, and neither the model nor the optimizer
/// changes. When `metadata` is not null it receives the file's metadata.
int64_t load_checkpoint(const std::filesystem::path& path, Module& model, Optimizer& optimizer,
                        Metadata* metadata = nullptr);

}  // namespace minidl
