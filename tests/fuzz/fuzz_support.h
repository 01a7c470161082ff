// What every libFuzzer target of tests/fuzz shares: the input written to a file (minidl's readers
// take paths) and FUZZ_ASSERT for the properties a target checks beyond "no crash". A reader may
// throw minidl::Error on bad input and nothing else: any other exception escapes the target,
// terminates it, and libFuzzer reports the input as a crash.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace minidl_fuzz {

/// Writes the input to this process's scratch file (under $TMPDIR) and returns its path.
inline const std::filesystem::path& input_file(const uint8_t* data, size_t size) {
  static const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("minidl_fuzz_" + std::to_string(::getpid()));
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f || std::fwrite(data, 1, size, f) != size || std::fclose(f) != 0) {
    std::fprintf(stderr, "fuzz: cannot write the scratch file %s\n", path.c_str());
    std::abort();
  }
  return path;
}

}  // namespace minidl_fuzz

/// Aborts (a crash libFuzzer reports, with the input) when `cond` is false.
#define FUZZ_ASSERT(cond)                                                                 \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "%s:%d: FUZZ_ASSERT(%s) failed\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)
