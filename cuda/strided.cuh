// Strided and broadcast operands on the GPU: the axes are coalesced on the host with the CPU's
// rule (core/kernels/strided.h), then each thread finds its operands' offsets from its output index
// by division, innermost axis first. Fully contiguous operands take a flat path instead. Internal.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "core/kernels/strided.h"
#include "cuda/common.cuh"

namespace minidl::cuda {

/// The offsets of K operands for every element of an output, passed by value to a kernel. Axes are
/// stored innermost first; I is int32_t when every index and offset fits, else int64_t.
template <std::size_t K, class I>
struct StridedIndex {
  int ndim = 0;
  I shape[kMaxDims] = {};
  I stride[K][kMaxDims] = {};

  /// off[q] = the element offset of operand q for output element i (row-major), 0 <= i < numel.
  __device__ void offsets(I i, I (&off)[K]) const {
#pragma unroll
    for (std::size_t q = 0; q < K; ++q) off[q] = 0;
    if (ndim == 0) return;
#pragma unroll
    for (int d = 0; d < kMaxDims; ++d) {  // unrolled, so every array index is a constant
      if (d == ndim - 1) {                // the outermost axis: i is already below its size
#pragma unroll
        for (std::size_t q = 0; q < K; ++q) off[q] += i * stride[q][d];
        break;
      }
      const I r = i % shape[d];
      i /= shape[d];
#pragma unroll
      for (std::size_t q = 0; q < K; ++q) off[q] += r * stride[q][d];
    }
  }
};

/// K operand layouts aligned to one output shape, with their axes coalesced (host side).
template <std::size_t K>
struct Coalesced {
  int ndim = 0;
  int64_t shape[kMaxDims] = {};
  int64_t stride[K][kMaxDims] = {};
  int64_t numel = 1;

  Coalesced(const Layout& out, const std::array<const Layout*, K>& ls) {
    std::array<int64_t*, K> st;
    for (std::size_t q = 0; q < K; ++q) st[q] = stride[q];
    ndim = coalesce<K>(out, ls, shape, st);
    for (int k = 0; k < out.ndim; ++k) numel *= out.shape[k];
  }

  /// Every operand contiguous and in output order: index i is each one's offset.
  bool flat() const {
    if (ndim > 1) return false;
    for (std::size_t q = 0; q < K && ndim == 1; ++q)
      if (stride[q][0] != 1) return false;
    return true;
  }

  /// Whether every output index and every operand offset fits 32-bit math.
  bool fits_int32() const {
    if (!::minidl::cuda::fits_int32(numel)) return false;
    for (std::size_t q = 0; q < K; ++q) {
      int64_t last = 0;  // the largest offset: strides are never negative
      for (int k = 0; k < ndim; ++k) last += (shape[k] - 1) * stride[q][k];
      if (!::minidl::cuda::fits_int32(last)) return false;
    }
    return true;
  }

  template <class I>
  StridedIndex<K, I> index() const {
    StridedIndex<K, I> ix;
    ix.ndim = ndim;
    for (int k = 0; k < ndim; ++k) {  // innermost first
      ix.shape[k] = static_cast<I>(shape[ndim - 1 - k]);
      for (std::size_t q = 0; q < K; ++q) ix.stride[q][k] = static_cast<I>(stride[q][ndim - 1 - k]);
    }
    return ix;
  }
};

}  // namespace minidl::cuda
