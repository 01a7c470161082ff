// CUDA runtime tests: device query, host <-> device round trips. On a machine without a GPU each
// test prints MINIDL_SKIP and ctest reports it as skipped (never as passed).
#include "support/helpers.h"

using namespace minidl;
using namespace minidl::test;

namespace {
bool skip_without_gpu() {
  if (cuda_available()) return false;
  WARN("MINIDL_SKIP: no GPU (" << cuda_device_info() << ")");
  return true;
}
}  // namespace

TEST_CASE("cuda: build and device queries agree", "[cuda]") {
  // Runs everywhere: a CPU-only build reports no devices; a CUDA build never fails to answer.
  if (!built_with_cuda()) {
    CHECK(cuda_device_count() == 0);
    CHECK_FALSE(cuda_available());
    CHECK(cuda_device_info().find("without CUDA") != std::string::npos);
  } else {
    CHECK(cuda_available() == (cuda_device_count() > 0));
    CHECK_FALSE(cuda_device_info().empty());
  }
}

TEST_CASE("cuda: tensors on a machine without a GPU give a clear error", "[cuda]") {
  if (cuda_available()) {
    WARN("MINIDL_SKIP: a GPU is present; this test is for machines without one");
    return;
  }
  CHECK_THROWS_AS(zeros({2, 2}, Device::CUDA), Error);
  CHECK_THROWS_WITH(T({1, 2}, {2}).to(Device::CUDA), Catch::Contains("CUDA"));
}

TEST_CASE("cuda: host -> device -> host round trip keeps values", "[cuda][gpu]") {
  if (skip_without_gpu()) return;
  Tensor x = R({3, 5, 7}, 7, false);
  Tensor d = x.to(Device::CUDA);
  CHECK(d.device() == Device::CUDA);
  CHECK(d.shape() == x.shape());
  CHECK_CLOSE(d.to(Device::CPU), x, 0.0, 0.0);
  // a non-contiguous view goes through a contiguous copy first
  Tensor v = x.transpose(0, 2);
  CHECK_CLOSE(v.to(Device::CUDA).to(Device::CPU), v.contiguous(), 0.0, 0.0);
}

TEST_CASE("cuda: to() is differentiable across devices", "[cuda][gpu]") {
  if (skip_without_gpu()) return;
  Tensor x = T({1, 2, 3}, {3}, true);
  Tensor back = x.to(Device::CUDA).to(Device::CPU);
  sum(back * back).backward();
  CHECK_CLOSE(x.grad(), {2, 4, 6}, {3});
}

TEST_CASE("cuda: mixing devices in one op names the op, both devices and both shapes", "[cuda][gpu]") {
  if (skip_without_gpu()) return;
  Tensor a = R({2, 3}, 1, false);
  Tensor b = R({3}, 2, false).to(Device::CUDA);
  CHECK_THROWS_WITH(add(a, b), Catch::Contains("add") && Catch::Contains("(2, 3)") &&
                                   Catch::Contains("(3)") && Catch::Contains("cpu") &&
                                   Catch::Contains("cuda"));
}
