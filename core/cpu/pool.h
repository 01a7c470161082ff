// Max pooling of a plane that a kernel keeps in a buffer of its own (the convolution of
// conv2d_max_pool2d pools each band of its output while it is in cache, core/cpu/conv_shift.cpp),
// with each winner's place stored as a one-byte code in its window, and the way back. Internal.
#pragma once

#include <cstdint>

namespace minidl::cpu {

/// A leaky ReLU after such a pool: none, or one of slope >= 0.
struct PoolLeaky {
  bool on = false;
  float slope = 0.f;
};

/// A pooled output's code, one byte: the winner's place in its k x k window, dh * k + dw (bits
/// 0-6, so k <= kMaxCodedPool), and kSlopeBit when a leaky ReLU after the pool took its slope
/// there (its output is not > 0), so that backward needs neither the input nor the output.
constexpr int64_t kMaxCodedPool = 11;
constexpr uint8_t kSlopeBit = 0x80, kPlaceBits = 0x7F;

/// y_p (OH, OW) = the max over each k x k window at stride k, without padding, of the plane
/// x_p + bias (OH * k rows of ld floats, OW * k <= ld; each value rounded as y = x + bias would
/// be), by max_pool2d's rule (ties to the first in row-major order, a NaN wins); c_p = the
/// winner's place in its window, dh * k + dw. Requires k <= kMaxCodedPool. With act.on, the
/// output then goes through leaky_rows (the same bits), in the same pass where it can: the fused
/// convolution's pool and leaky ReLU.
void max_pool2d_codes(const float* x_p, int64_t ld, int64_t k, int64_t OH, int64_t OW, float bias,
                      float* y_p, uint8_t* c_p, PoolLeaky act = {});

/// In place on n pooled values: v > 0 ? v : slope * v (leaky_relu's formula), and kSlopeBit set in
/// codes (n of them) where the slope was taken.
void leaky_rows(float* v, uint8_t* codes, int64_t n, float slope);

/// Row dh (< k) of the gradient of such a pool's input, for one row of windows with gradients g
/// and codes (OW each): out[w] = g[w / k] where codes[w / k]'s place is dh * k + w % k, else 0,
/// for w < width (>= OW * k; zeros past OW * k). A -0 in g is written as is. With leaky, the
/// pool's output went through a leaky ReLU of slope >= 0 (leaky_rows): g[j] is first taken
/// through its gradient, as leaky_relu's backward computes it (g * 1 where the output is
/// positive, which is where the input is, else g * slope: where codes[j] has kSlopeBit).
void unpool_row(const float* g, const uint8_t* codes, int64_t OW, int64_t k, int64_t dh, float* out,
                int64_t width, bool leaky = false, float slope = 0.f);
/// Both rows of a 2 x 2 pool's input gradient at once: unpool_row with k = 2 and dh = 0 into out0,
/// dh = 1 into out1 (which must not overlap), the same values, reading g and codes once (with
/// AVX-512 where the CPU has it).
void unpool_row_pair(const float* g, const uint8_t* codes, int64_t OW, float* out0, float* out1,
                     int64_t width, bool leaky = false, float slope = 0.f);

}  // namespace minidl::cpu
