// Which CPU convolution kernels run, and how the im2col kernels cut their work. conv.cpp asks
// conv_forward_path / conv_backward_path for a path, then calls the kernels of conv_reference.cpp
// (the readable loop), conv_1x1.cpp, conv_shift.cpp or conv_im2col.cpp; the last take the plans
// below. The tuned constants are all here, each with the reason for its value; the measurements
// behind them are in apps/bench/README.md ("Why conv2d's CPU constants have their values").
// Internal.
#pragma once

#include <cstdint>

#include "core/kernel_types.h"

namespace minidl::cpu {

/// ceil(a / b) for a >= 0, b > 0.
inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// ---- tuned constants ----------------------------------------------------------------------------

/// A thread's span of a col matrix holds about this many floats (4 MB), so that it is still in
/// cache when the gemm reads back what im2col has just written...
constexpr int64_t kTileFloats = 1 << 20;
/// ...but is never narrower than this many columns: narrower gemm calls spend their time
/// re-packing W. Images with fewer columns (late layers) are put side by side up to this width:
/// measured on tiny's 14x14 and 7x7 layers, OpenBLAS ran well below its rate on one image's
/// narrow gemm.
constexpr int64_t kWideCols = 512;
/// Spans cut finer only to give every thread work stay at least this many columns wide.
constexpr int64_t kMinCols = 64;
/// 1x1 convolutions with at most this many input channels skip gemm (conv_1x1.cpp): for so few
/// products per output gemm spends its time writing y twice. Measured on 64x64 and 224x224
/// images: with 6 or 8 channels gemm is the faster again.
constexpr int64_t kShallowK = 4;
/// Stride-1 convolutions with at least kShiftMinC input channels and at most kShiftMaxFC input
/// plus output channels run by shifted views (conv_shift.h). Measured with 2 threads on humble's
/// and tiny's layers: faster than im2col, forward and backward, up to 48 channels; with one
/// input channel and a 5x5 kernel, slower. At 96 (tiny's 32->64 at 112x112) the forward is
/// faster, dW and dx a little slower, about even in all; but the shifted views let the leaky
/// ReLU and max pool after the layer run in the same pass (conv_pool.h): 0.94x the three layers'
/// time, and two outputs of the full size never written. At 192 (64->128) im2col is faster.
constexpr int64_t kShiftMinC = 3, kShiftMaxFC = 96;
/// Per-thread (or per-group) copies of dW, which sum dW over the batch without locks and in a
/// fixed order, are kept only up to this many floats in all (16 MB); above it dW is cut into
/// blocks of its columns instead.
constexpr int64_t kConvAccFloats = 1 << 22;
// The block sizes inside a kernel stay with it: kShallowCols in conv_1x1.cpp, kBandFloats in
// conv_shift.cpp.

// ---- the mode: fast kernels or the reference
// -----------------------------------------------------

/// Fast: the kernels chosen per shape below (the default). Reference: every conv2d forward and
/// backward runs conv_reference.cpp, the plain loop the fast kernels are tested against.
enum class ConvMode { Fast, Reference };
/// The mode the environment variable MINIDL_CONV asks for: unset or "fast" gives Fast,
/// "reference" gives Reference; any other value throws an Error naming the variable and value.
ConvMode conv_mode_from_env(const char* value);
/// The mode in force: conv_mode_from_env(getenv("MINIDL_CONV")), read on the first call, unless
/// set_conv_mode changed it.
ConvMode conv_mode();
/// For tests: sets the mode for the next calls. Not while a convolution runs (its workspace
/// was sized for the mode it started with).
void set_conv_mode(ConvMode mode);

// ---- the path of one call -----------------------------------------------------------------------

enum class ConvPath {
  Reference,   // ConvMode::Reference: conv_reference.cpp
  Empty,       // no image, filter, output pixel or input channel: y = b, the gradients are 0
  Shallow1x1,  // forward of a 1x1 convolution with at most kShallowK channels: conv_1x1.cpp
  Shift,       // stride 1 with few channels (kShiftMinC, kShiftMaxFC): conv_shift.h
  Im2col,      // anything else: the span kernels of conv_im2col.h, as planned below
};
ConvPath conv_forward_path(const ConvParams& g);
/// The same for the backward pass, which has no Shallow1x1 path (a 1x1 takes Im2col).
ConvPath conv_backward_path(const ConvParams& g);

// ---- the plans of the im2col kernels -----------------------------------------------------------

/// A span of the batch's col matrices: images [n0, n0 + ng), columns [p0, p0 + pc) of each, side
/// by side (image n0 + i at columns i * pc of the span): either a tile of one image (ng = 1) or,
/// when one image has few columns (the late layers), several whole images, so that each gemm is
/// wide.
struct Span {
  int64_t n0, ng, p0, pc;
  int64_t width() const { return ng * pc; }
};

/// How the batch is cut into spans: `group` whole images per span, or (group = 1) `per_image`
/// tiles of `cols` columns per image.
struct Spans {
  int64_t group = 1, per_image = 1, cols = 1;
  int64_t count(int64_t N) const { return group > 1 ? ceil_div(N, group) : N * per_image; }
  Span at(int64_t i, int64_t N, int64_t P) const;
  int64_t max_width() const { return group * cols; }
};

/// Spans of at most kTileFloats floats for `rows` rows (but kWideCols wide), cut finer when the
/// batch has fewer images than the T threads, so that the count is a multiple of T when possible;
/// images with fewer than kWideCols columns are grouped (when `group` allows it).
Spans make_spans(int64_t N, int64_t P, int64_t rows, int64_t T, bool memory_bound, bool group);

/// An even split of n things into `blocks` blocks: block i is [i * size, i * size + size) ∩ [0, n).
struct Blocks {
  int64_t count = 1, size = 1;
};
Blocks split(int64_t n, int64_t blocks);

/// Forward: items (span, block of filters), each an im2col of the span and one gemm. Filters are
/// split only when there are fewer spans than threads (one image with few columns, late in a
/// network); the threads would then each unroll the same span, so when the spans are tiles of one
/// image (shared_col) every span is unrolled once, by all the threads, into one shared col matrix
/// before the gemms.
struct ForwardPlan {
  Spans spans;
  Blocks filters;
  bool shared_col = false;
  int64_t slot = 0;  // workspace floats per thread: the span's col matrix (+ its output if grouped)
  int64_t workspace(const ConvParams& g, int64_t T) const {
    return shared_col ? spans.count(g.N) * g.K() * spans.max_width() : T * slot;
  }
};
ForwardPlan forward_plan(const ConvParams& g);

/// Backward: dW is summed over the batch either by spans, in groups that each add into their own
/// copy of dW, added up at the end in group order (small dW, many spans), or by blocks of its
/// columns (rows of the col matrices), each thread unrolling only its rows of every image. dx is
/// computed by span and block of channels (a channel's rows of col only ever add into that
/// channel's plane of dx).
struct BackwardPlan {
  bool dW_by_spans = false;  // per-group copies of dW over spans; else blocks of rows
  Spans w_spans;             // the spans of either dW scheme
  Blocks w_rows;             // the rows of dW's blocks of rows
  int64_t w_slot = 0;        // per-thread scratch floats for dW: col (+ gy of a grouped span)
  Blocks x_chans;            // channels per dx item
  Spans x_spans;             // the spans of dx
  int64_t x_slot = 0;        // per-thread scratch floats for dx
  int64_t workspace(const ConvParams& g, bool dx, bool dW, int64_t T) const;
};
BackwardPlan backward_plan(const ConvParams& g);

}  // namespace minidl::cpu
