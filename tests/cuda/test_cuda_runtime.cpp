// CUDA runtime tests: device query, host <-> device round trips. On a machine without a GPU each
// test prints MINIDL_SKIP and ctest reports it as skipped (never as passed).
#include "cuda/loader.h"
#include "support/gpu.h"
#include "support/helpers.h"

using namespace minidl;
using namespace minidl::test;

TEST_CASE("cuda: build and device queries agree", "[cuda]") {
  // Runs everywhere: a CPU-only build reports no devices; a CUDA build never fails to answer.
  CHECK_NOTHROW(cuda_synchronize());  // a no-op without a GPU
  if (!built_with_cuda()) {
    CHECK(cuda_device_count() == 0);
    CHECK_FALSE(cuda_available());
    CHECK(cuda_device_info().find("without CUDA") != std::string::npos);
  } else {
    CHECK(cuda_available() == (cuda_device_count() > 0));
    CHECK_FALSE(cuda_device_info().empty());
  }
}

TEST_CASE("cuda: cuBLAS is loaded on first use, not with the program", "[cuda]") {
  // Linked, CUDA 13's cuBLAS cost every program about 150 MB of resident memory at start. Needs
  // no GPU: the library loads (and its functions are found) on any machine with the toolkit.
  if (!built_with_cuda()) {
    CHECK_FALSE(detail::cublas_loaded());
    CHECK_THROWS_WITH(detail::load_cublas(), Catch::Contains("without CUDA"));
    WARN("MINIDL_SKIP: minidl was built without CUDA");
    return;
  }
  if (detail::cublas_loaded()) {  // ctest runs each case alone; a run of many may have used it
    WARN("MINIDL_SKIP: cuBLAS was loaded by an earlier test in this process");
    return;
  }
  Tensor a = R({8, 5}, 1, false), b = R({5, 3}, 2, false);
  CHECK(matmul(a, b).shape() == Shape{8, 3});  // CPU work does not load it
  CHECK_FALSE(detail::cublas_loaded());
  const std::string file = detail::load_cublas();  // every function it calls is found, or throws
  INFO("loaded from " << file);
  CHECK(file.find("libcublas") != std::string::npos);
  CHECK(detail::cublas_loaded());
  CHECK(detail::load_cublas() == file);  // a second call finds it loaded
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

TEST_CASE("cuda: mixing devices in one op names the op, both devices and both shapes",
          "[cuda][gpu]") {
  if (skip_without_gpu()) return;
  Tensor a = R({2, 3}, 1, false);
  Tensor b = R({3}, 2, false).to(Device::CUDA);
  CHECK_THROWS_WITH(add(a, b), Catch::Contains("add") && Catch::Contains("(2, 3)") &&
                                   Catch::Contains("(3)") && Catch::Contains("cpu") &&
                                   Catch::Contains("cuda"));
  // every op family with more than one tensor input names itself and both shapes
  auto names = [](const char* op, const char* sa, const char* sb) {
    return Catch::Contains(op) && Catch::Contains(sa) && Catch::Contains(sb) &&
           Catch::Contains("cpu") && Catch::Contains("cuda");
  };
  Tensor m = R({3, 4}, 3, false).to(Device::CUDA);
  CHECK_THROWS_WITH(matmul(a, m), names("matmul", "(2, 3)", "(3, 4)"));
  CHECK_THROWS_WITH(linear(a, m.transpose(0, 1)), names("linear", "(2, 3)", "(4, 3)"));
  CHECK_THROWS_WITH(where(a > 0.f, a, b), names("where", "(2, 3)", "(3)"));
  CHECK_THROWS_WITH(concat({a, a.to(Device::CUDA)}, 0), names("concat", "(2, 3)", "(2, 3)"));
  Tensor x = R({1, 2, 5, 5}, 4, false), w = R({3, 2, 3, 3}, 5, false).to(Device::CUDA);
  CHECK_THROWS_WITH(conv2d(x, w), names("conv2d", "(1, 2, 5, 5)", "(3, 2, 3, 3)"));
  CHECK_THROWS_WITH(mse_loss(a, R({2, 3}, 6, false).to(Device::CUDA)),
                    names("mse_loss", "(2, 3)", "(2, 3)"));
  YoloV1Options o;
  o.S = 1, o.B = 1, o.C = 1;
  CHECK_THROWS_WITH(yolo_v1_loss(zeros({1, 1, 1, 6}), zeros({1, 1, 1, 6}, Device::CUDA), o),
                    names("yolo_v1_loss", "(1, 1, 1, 6)", "(1, 1, 1, 6)"));
}
