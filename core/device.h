// Devices, run-time CUDA queries and the thread count of the CPU backend.
// A device is a property of each tensor; these functions answer what the machine has.
#pragma once

#include <string>

namespace minidl {

enum class Device { CPU, CUDA };

/// "cpu" or "cuda".
const char* device_name(Device d);

/// True when minidl was compiled with its CUDA backend (says nothing about the machine).
bool built_with_cuda();
/// True when minidl was built with CUDA and at least one usable GPU is present.
bool cuda_available();
/// Number of CUDA devices (0 in a CPU-only build or on a machine without a GPU).
int cuda_device_count();
/// One line about GPU 0 ("NVIDIA H100 80GB HBM3, sm_90, 79.1 GiB") or why there is none.
std::string cuda_device_info();
/// Waits until every GPU operation queued so far has finished (CUDA work is asynchronous: time it
/// with this before reading a clock). Does nothing in a CPU-only build or without a GPU.
void cuda_synchronize();

/// True when `host_ptr` lies in page-locked host memory, by the CUDA driver's own account (false
/// in a build without CUDA, without a GPU, or for a null pointer).
bool is_pinned_memory(const void* host_ptr);

/// Threads used by the CPU backend: one pool of n threads (the caller's included) runs every
/// parallel loop, gemm's too (OpenBLAS itself runs on one thread). The default is the environment
/// variable MINIDL_NUM_THREADS, else the number of cores. Requires n >= 1; call it while no op
/// runs.
void set_num_threads(int n);
int num_threads();

/// One line that names the BLAS library, its configuration and the kernels it runs (on a CPU that
/// OpenBLAS does not know, minidl re-picks them: core/cpu/blas_kernels.h).
std::string blas_info();
/// One line for apps to print on start: device, BLAS and threads.
std::string runtime_summary(Device d);

}  // namespace minidl
