// Device names, run-time CUDA queries and the CPU thread count (minidl's thread pool; OpenBLAS
// runs each gemm on the thread that calls it, see core/cpu/parallel.h).
#include "core/device.h"

#include <cblas.h>

#include <cstdlib>
#include <string>
#include <thread>

#include "core/cpu/blas_kernels.h"
#include "core/cpu/parallel.h"
#include "core/error.h"
#include "cuda/loader.h"
#if MINIDL_HAS_CUDA
#include "cuda/runtime.h"
#endif

namespace minidl {

const char* device_name(Device d) { return d == Device::CPU ? "cpu" : "cuda"; }

bool built_with_cuda() { return MINIDL_HAS_CUDA; }

int cuda_device_count() {
#if MINIDL_HAS_CUDA
  return cuda::device_count();
#else
  return 0;
#endif
}

bool cuda_available() { return cuda_device_count() > 0; }

std::string cuda_device_info() {
#if MINIDL_HAS_CUDA
  return cuda::device_info();
#else
  return "minidl was built without CUDA";
#endif
}

void cuda_synchronize() {
#if MINIDL_HAS_CUDA
  if (cuda_available()) cuda::synchronize();
#endif
}

bool is_pinned_memory(const void* host_ptr) {
#if MINIDL_HAS_CUDA
  return cuda::is_pinned(host_ptr);
#else
  (void)host_ptr;
  return false;
#endif
}

namespace detail {

bool cublas_loaded() {
#if MINIDL_HAS_CUDA
  return cuda::cublas_loaded();
#else
  return false;
#endif
}

std::string load_cublas() {
#if MINIDL_HAS_CUDA
  return cuda::load_cublas();
#else
  throw Error("minidl was built without CUDA: there is no cuBLAS to load");
#endif
}

}  // namespace detail

namespace {
int default_threads() {
  if (const char* env = std::getenv("MINIDL_NUM_THREADS")) {
    char* end = nullptr;
    long n = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && n >= 1 && n <= 4096) return static_cast<int>(n);
    throw Error(detail::cat("MINIDL_NUM_THREADS='", env, "' is not a whole number from 1 to 4096"));
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw ? static_cast<int>(hw) : 1;
}

int& thread_setting() {
  static int n = [] {
    int t = default_threads();
    cpu::pick_blas_kernels();     // before the first product (see core/cpu/blas_kernels.cpp)
    openblas_set_num_threads(1);  // minidl cuts big products into per-thread pieces itself
    cpu::set_pool_threads(t);
    return t;
  }();
  return n;
}
}  // namespace

void set_num_threads(int n) {
  MINIDL_CHECK(n >= 1, "set_num_threads: n must be >= 1, got ", n);
  thread_setting() = n;
  cpu::set_pool_threads(n);
}

int num_threads() { return thread_setting(); }

std::string blas_info() {
  const char* parallel[] = {"sequential", "pthreads", "OpenMP"};
  int p = openblas_get_parallel();
  num_threads();  // OpenBLAS's kernels are final once the thread pool is set up
  const std::string from = cpu::blas_repicked_from();
  return detail::cat(
      "OpenBLAS (", openblas_get_config(), "; ", (p >= 0 && p <= 2) ? parallel[p] : "?",
      from.empty() ? "" : "; kernels re-picked by minidl, OpenBLAS chose " + from, ")");
}

std::string runtime_summary(Device d) {
  std::string s = detail::cat("minidl: device ", device_name(d));
  if (d == Device::CUDA) s += detail::cat(" (", cuda_device_info(), ")");
  return s + detail::cat(", BLAS ", blas_info(), ", ", num_threads(), " threads");
}

}  // namespace minidl
