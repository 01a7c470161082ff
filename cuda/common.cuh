// Error checks for CUDA and cuBLAS calls: failures become minidl::Error naming the call and place.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "core/error.h"

#define CUDA_CHECK(call)                                                                       \
  do {                                                                                         \
    cudaError_t err_ = (call);                                                                 \
    if (err_ != cudaSuccess)                                                                   \
      throw ::minidl::Error(::minidl::detail::cat("CUDA error in ", #call, " at ", __FILE__, ":", \
                                                  __LINE__, ": ", cudaGetErrorString(err_)));  \
  } while (0)

#define CUBLAS_CHECK(call)                                                                    \
  do {                                                                                        \
    cublasStatus_t st_ = (call);                                                              \
    if (st_ != CUBLAS_STATUS_SUCCESS)                                                         \
      throw ::minidl::Error(::minidl::detail::cat("cuBLAS error in ", #call, " at ", __FILE__, \
                                                  ":", __LINE__, ": status ",                 \
                                                  static_cast<int>(st_)));                    \
  } while (0)
