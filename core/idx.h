// IDX files, the format of MNIST and Fashion-MNIST: a 4-byte magic (0, 0, type, ndims), ndims
// big-endian u32 sizes, then the values big-endian in row-major order; gzip-compressed or not.
#pragma once

#include <filesystem>

#include "core/tensor.h"

namespace minidl {

/// Reads an IDX file, plain or gzip-compressed (detected from the content, not the name), into a
/// CPU float32 tensor of the stored shape holding the values as stored (no scaling: pixels stay
/// 0..255). Element types: 0x08 unsigned byte, 0x09 signed byte, 0x0B int16, 0x0C int32,
/// 0x0D float32, 0x0E float64 (converted to float32). Requires ndims >= 1.
/// Throws minidl::Error naming the file and the problem: cannot open, bad magic (the first two
/// bytes are not zero), unknown type code, ndims 0, a truncated header or data (with the byte
/// counts), a product of sizes too large to address, bytes after the data, or a damaged gzip
/// stream (zlib's message).
Tensor read_idx(const std::filesystem::path& path);

}  // namespace minidl
