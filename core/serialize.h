// Tensor files in the safetensors layout (readable by Python's safetensors package): named tensors
// with string metadata. Writes are atomic (write_file_atomic); reads reject damaged files naming
// the file and the problem. Models and training checkpoints, built on these, are in
// layers/serialize_model.h.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace minidl {

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
/// "__metadata__". The write is atomic (write_file_atomic, core/file.h): on any failure an
/// existing file at `path` is left untouched, no temporary file is left behind, and
/// minidl::Error names the file and the cause.
void save_tensors(const std::filesystem::path& path, const std::vector<NamedTensor>& tensors,
                  const Metadata& metadata = {});

/// Reads a safetensors file into CPU float32 tensors. Dtypes F32, F64, F16, BF16, I64, I32, I16,
/// I8, U8 and BOOL are read and converted to float32 (TensorFile::dtypes says what was stored).
/// Throws minidl::Error naming the file and the problem when the file cannot be read, is
/// truncated, its header size exceeds the file, the JSON is bad (with its position) or not of the
/// layout above, a name repeats, a dtype is unknown, a shape disagrees with its offsets, offsets
/// run out of the data section, overlap or leave gaps, or bytes follow the last tensor.
TensorFile load_tensors(const std::filesystem::path& path);

}  // namespace minidl
