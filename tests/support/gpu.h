// Helpers for the GPU tests. The guard: without a usable GPU a test warns "MINIDL_SKIP: ..." and
// returns, and ctest (SKIP_REGULAR_EXPRESSION in tests/CMakeLists.txt) reports it as skipped,
// never passed. And the comparison of a CUDA result with the same computation on the CPU.
#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "core/device.h"
#include "support/helpers.h"

namespace minidl::test {

/// True (after warning MINIDL_SKIP with the reason) when no GPU can run the test.
inline bool skip_without_gpu() {
  if (cuda_available()) return false;
  WARN("MINIDL_SKIP: no GPU (" << cuda_device_info() << ")");
  return true;
}

/// Checks that `gpu`, a CUDA tensor, equals its CPU counterpart `cpu` within atol + rtol * |cpu|
/// elementwise (same shape); `what` names the pair in a failure.
inline void check_twin(const std::string& what, const Tensor& gpu, const Tensor& cpu,
                       double atol = 1e-5, double rtol = 1e-5) {
  INFO(what);
  REQUIRE(gpu.defined());
  REQUIRE(cpu.defined());
  CHECK(gpu.device() == Device::CUDA);
  CHECK_CLOSE(gpu, cpu, atol, rtol);  // mismatch() copies the CUDA tensor to the host
}

}  // namespace minidl::test
