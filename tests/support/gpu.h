// The GPU tests' guard: without a usable GPU a test warns "MINIDL_SKIP: ..." and returns, and
// ctest (SKIP_REGULAR_EXPRESSION in tests/CMakeLists.txt) reports it as skipped, never passed.
#pragma once

#include <catch2/catch.hpp>

#include "core/device.h"

namespace minidl::test {

/// True (after warning MINIDL_SKIP with the reason) when no GPU can run the test.
inline bool skip_without_gpu() {
  if (cuda_available()) return false;
  WARN("MINIDL_SKIP: no GPU (" << cuda_device_info() << ")");
  return true;
}

}  // namespace minidl::test
