// The CUDA context of minidl: one stream and one cuBLAS handle, made on first use (function-local
// statics, so the first use from several threads is safe) and kept for the life of the process.
#include <dlfcn.h>

#include <string>

#include "cuda/common.cuh"

namespace minidl::cuda {

namespace {

// The cuBLAS library by its soname (the toolkit's major version, from the build), then by the
// path it had in the toolkit minidl was built with (for a system whose loader does not search
// there). Set by CMakeLists.txt.
const char* const kCublasFiles[] = {MINIDL_CUBLAS_SONAME, MINIDL_CUBLAS_PATH};

#define MINIDL_NAME2(f) #f
#define MINIDL_NAME(f) MINIDL_NAME2(f)  // the symbol after cublas_v2.h's renames (cublasCreate_v2)

// Looks up one function of cuBLAS; a missing one throws, naming it and the file.
template <class Fn>
void resolve(void* lib, const char* file, const char* name, Fn& fn) {
  dlerror();  // clears an older error
  fn = reinterpret_cast<Fn>(dlsym(lib, name));
  if (fn != nullptr) return;
  const char* e = dlerror();
  throw Error(detail::cat("cuBLAS: ", file, " has no ", name, " (", e ? e : "a null symbol", ")"));
}

struct Loaded {
  Cublas api;
  std::string file;
};

const Loaded& loaded() {
  static const Loaded l = [] {
    Loaded out{};
    void* lib = nullptr;
    std::string why;
    for (const char* file : kCublasFiles) {
      lib = dlopen(file, RTLD_NOW | RTLD_LOCAL);
      if (lib != nullptr) {
        out.file = file;
        break;
      }
      const char* e = dlerror();
      why += detail::cat(why.empty() ? "" : "; ", e ? e : file);
    }
    if (lib == nullptr)
      throw Error(detail::cat("cuBLAS could not be loaded (", why,
                              "): minidl's CUDA backend needs the CUDA Toolkit's cuBLAS library ",
                              MINIDL_CUBLAS_SONAME, " on the loader's path (LD_LIBRARY_PATH)"));
    const char* f = out.file.c_str();
    Cublas& a = out.api;
    try {
      resolve(lib, f, MINIDL_NAME(cublasCreate), a.cublasCreate);
      resolve(lib, f, MINIDL_NAME(cublasSetStream), a.cublasSetStream);
      resolve(lib, f, MINIDL_NAME(cublasSetPointerMode), a.cublasSetPointerMode);
      resolve(lib, f, MINIDL_NAME(cublasSetMathMode), a.cublasSetMathMode);
      resolve(lib, f, MINIDL_NAME(cublasSgemm), a.cublasSgemm);
      resolve(lib, f, MINIDL_NAME(cublasGetStatusName), a.cublasGetStatusName);
      resolve(lib, f, MINIDL_NAME(cublasGetStatusString), a.cublasGetStatusString);
    } catch (...) {
      dlclose(lib);  // the next call tries again from the start
      throw;
    }
    return out;  // the library stays loaded for the life of the process
  }();
  return l;
}

}  // namespace

const Cublas& cublas_api() { return loaded().api; }

std::string load_cublas() { return loaded().file; }

bool cublas_loaded() {
  for (const char* file : kCublasFiles)
    if (void* lib = dlopen(file, RTLD_LAZY | RTLD_NOLOAD)) {  // only finds it, loads nothing
      dlclose(lib);
      return true;
    }
  return false;
}

cudaStream_t stream() {
  // Non-blocking: never implicitly ordered with the legacy default stream, which minidl does not
  // use (every copy goes through this stream too, see runtime.cu). Never destroyed: the driver
  // releases it at exit, after which destroying it would fail.
  static const cudaStream_t s = [] {
    cudaStream_t st = nullptr;
    CUDA_CHECK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
    return st;
  }();
  return s;
}

cublasHandle_t cublas() {
  static const cublasHandle_t h = [] {
    cublasHandle_t handle = nullptr;
    const Cublas& api = cublas_api();
    CUBLAS_CHECK(api.cublasCreate(&handle));
    CUBLAS_CHECK(api.cublasSetStream(handle, stream()));
    // alpha and beta are host floats; FP32 math only (no TF32), like the CPU's sgemm.
    CUBLAS_CHECK(api.cublasSetPointerMode(handle, CUBLAS_POINTER_MODE_HOST));
    CUBLAS_CHECK(api.cublasSetMathMode(handle, CUBLAS_DEFAULT_MATH));
    return handle;
  }();
  return h;
}

}  // namespace minidl::cuda
