// The yolo_v1 app's tests use the shared file helpers of tests/support/files.h through these
// names (the app's tests live in namespace yolo_test, not minidl::test).
#pragma once

#include <filesystem>
#include <string>

#include "support/files.h"

namespace yolo_test {

using minidl::test::B;
using minidl::test::TempDir;
using minidl::test::write_bytes;
using minidl::test::write_text;

/// The whole file as bytes.
inline std::string slurp(const std::filesystem::path& file) {
  return minidl::test::read_bytes(file);
}

}  // namespace yolo_test
