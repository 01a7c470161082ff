// cuBLAS is loaded on first use (cuda/context.cu), not with the program; these let tests see it.
// In a build without CUDA, cublas_loaded() is false and load_cublas() throws minidl::Error.
// Internal.
#pragma once

#include <string>

namespace minidl::detail {

/// True when cuBLAS is in this process (loads nothing).
bool cublas_loaded();
/// Loads cuBLAS now if it is not yet; returns the file it came from. Throws minidl::Error naming
/// the library when it cannot be loaded.
std::string load_cublas();

}  // namespace minidl::detail
