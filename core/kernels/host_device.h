// MINIDL_HD marks the inline math that the CPU kernels and their CUDA twins share: __host__
// __device__ when nvcc compiles it, nothing for the C++ compiler. Internal.
#pragma once

#ifdef __CUDACC__
#define MINIDL_HD __host__ __device__
#else
#define MINIDL_HD
#endif
