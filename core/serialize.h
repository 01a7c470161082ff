// Model files in the safetensors layout (readable by Python's safetensors package): named tensors
// with string metadata, models (Module parameters) and training checkpoints (model + optimizer +
// step). Writes are atomic; reads reject damaged or mismatched files naming the file and problem.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace minidl {

class Module;
class Optimizer;

/// String-to-string metadata stored in a file's "__metadata__" entry.
using Metadata = std::map<std::string, std::string>;

/// What load_tensors() returns: the tensors in header order, the dtype each was stored with
/// (dtypes[i] belongs to tensors[i]: "F32", "F16", ...), and the metadata (empty when absent).
struct TensorFile {
  std::vector<NamedTensor> tensors;
  std::vector<std::string> dtypes;
  Metadata metadata;
};

/// Writes `tensors` (in this order) and `metadata` to `path` as a safetensors file: an 8-byte
/// little-endian header size N, N bytes of JSON
///   {"__metadata__": {...}, "<name>": {"dtype": "F32", "shape": [...], "data_offsets": [b, e]},
///   ...}
/// (padded with spaces to a multiple of 8), then the little-endian float32 data, contiguous and in
/// header order. CUDA tensors are copied to the host; views are written as contiguous data.
/// Requires every tensor to be defined and every name to be non-empty, unique and not
/// "__metadata__". The write is atomic: the file goes to a temporary file in the same directory,
/// is flushed and fsync'ed, then renamed over `path`; on any failure the temporary file is removed,
/// an existing file at `path` is left untouched, and minidl::Error names the file and the cause.
void save_tensors(const std::filesystem::path& path, const std::vector<NamedTensor>& tensors,
                  const Metadata& metadata = {});

/// Reads a safetensors file into CPU float32 tensors. Dtypes F32, F64, F16, BF16, I64, I32, I16,
/// I8, U8 and BOOL are read and converted to float32 (TensorFile::dtypes says what was stored).
/// Throws minidl::Error naming the file and the problem when the file cannot be read, is
/// truncated, its header size exceeds the file, the JSON is bad (with its position) or not of the
/// layout above, a name repeats, a dtype is unknown, a shape disagrees with its offsets, offsets
/// run out of the data section, overlap or leave gaps, or bytes follow the last tensor.
TensorFile load_tensors(const std::filesystem::path& path);

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
