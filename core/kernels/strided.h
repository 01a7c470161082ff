// Strided operands, shared by both devices: coalesce() merges the axes that every operand can walk
// as one (the CPU kernels, and cuda/strided.cuh on the host before a launch), and the CPU kernels'
// for_each_strided calls f(offsets...) for every element of an output shape in row-major order,
// with each operand's element offset, so that contiguous data runs as one flat loop. Internal.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "core/kernel_types.h"

namespace minidl {

/// Merges neighbouring axes that every operand can walk as one; drops size-1 axes.
template <std::size_t K>
int coalesce(const Layout& out, const std::array<const Layout*, K>& ls, int64_t* shape,
             std::array<int64_t*, K> strides) {
  int n = 0;
  for (int k = 0; k < out.ndim; ++k) {
    if (out.shape[k] == 1) continue;
    bool merge = n > 0;
    for (std::size_t i = 0; i < K && merge; ++i)
      merge = strides[i][n - 1] == ls[i]->stride[k] * out.shape[k];
    if (merge) {
      shape[n - 1] *= out.shape[k];
      for (std::size_t i = 0; i < K; ++i) strides[i][n - 1] = ls[i]->stride[k];
    } else {
      shape[n] = out.shape[k];
      for (std::size_t i = 0; i < K; ++i) strides[i][n] = ls[i]->stride[k];
      ++n;
    }
  }
  return n;
}

/// Visits every element of `out` (row-major): f(i, off) with i the output index and off[q] the
/// element offset of operand q.
template <std::size_t K, class F>
void for_each_strided(const Layout& out, const std::array<const Layout*, K>& ls, F&& f) {
  int64_t shape[kMaxDims];
  int64_t st[K][kMaxDims];
  std::array<int64_t*, K> strides;
  for (std::size_t q = 0; q < K; ++q) strides[q] = st[q];
  int n = coalesce(out, ls, shape, strides);
  int64_t total = 1;
  for (int k = 0; k < out.ndim; ++k) total *= out.shape[k];
  if (total == 0) return;
  std::array<int64_t, K> base{}, cur{};
  if (n == 0) {  // a single element
    f(int64_t{0}, base);
    return;
  }
  int64_t idx[kMaxDims] = {};
  const int64_t inner = shape[n - 1];
  for (int64_t i = 0; i < total; i += inner) {
    for (int64_t j = 0; j < inner; ++j) {
      for (std::size_t q = 0; q < K; ++q) cur[q] = base[q] + j * strides[q][n - 1];
      f(i + j, cur);
    }
    for (int k = n - 2; k >= 0; --k) {  // advance the outer index
      for (std::size_t q = 0; q < K; ++q) base[q] += strides[q][k];
      if (++idx[k] < shape[k]) break;
      for (std::size_t q = 0; q < K; ++q) base[q] -= strides[q][k] * shape[k];
      idx[k] = 0;
    }
  }
}

}  // namespace minidl
