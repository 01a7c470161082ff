// One plane of max pooling with its rows `ld` floats apart, for kernels that pool a buffer of
// their own (the convolution of conv2d_max_pool2d pools each band of its output while it is in
// cache, core/cpu/conv_shift.cpp). Internal.
#pragma once

#include <cstdint>

namespace minidl::cpu {

/// y_p (OH, OW) = the max over each kernel x kernel window at stride kernel, without padding, of
/// the plane x_p (H rows of ld floats, OH * kernel <= H, OW * kernel <= ld), by max_pool2d's rule
/// (ties to the first in row-major order, a NaN wins); a_p = the winner's index h * ld + w.
void max_pool2d_rows(const float* x_p, int64_t H, int64_t ld, int64_t kernel, int64_t OH,
                     int64_t OW, float* y_p, int32_t* a_p);

}  // namespace minidl::cpu
