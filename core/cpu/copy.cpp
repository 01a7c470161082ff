// CPU memory kernels: fill and strided gather/scatter (the work behind contiguous() and copy_()).
#include <array>

#include "core/cpu/kernels.h"
#include "core/cpu/parallel.h"
#include "core/kernels/strided.h"

namespace minidl::cpu {

void fill(float* y, int64_t n, float value) {
  parallel_for(n, int64_t{1} << 16, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) y[i] = value;
  });
}

void copy_strided(const float* x, const Layout& lx, float* y) {
  for_each_strided<1>(lx, {&lx},
                      [&](int64_t i, const std::array<int64_t, 1>& o) { y[i] = x[o[0]]; });
}

void scatter_strided(const float* x, float* y, const Layout& ly) {
  for_each_strided<1>(ly, {&ly},
                      [&](int64_t i, const std::array<int64_t, 1>& o) { y[o[0]] = x[i]; });
}

}  // namespace minidl::cpu
