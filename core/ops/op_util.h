// Helpers shared by the op front ends: argument checks with clear messages, broadcasting,
// kernel layouts and device dispatch. Internal (not installed).
#pragma once

#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/cpu/kernels.h"
#include "core/error.h"
#include "core/kernel_types.h"
#include "core/tensor.h"

namespace minidl {

/// What a backward closure (Node::BackwardFn, core/autograd.h) returns, one gradient per input
/// (an undefined Tensor where none is needed), and its argument saying which inputs need one.
using Grads = std::vector<Tensor>;
using Needs = std::vector<bool>;

[[noreturn]] void throw_no_cuda(const char* what);  // storage.cpp

namespace detail {

/// The element count of a tensor of `shape`. Throws, naming the op and the shape, unless every
/// size is >= 0, there are at most kMaxDims axes, and the count, the strides of a contiguous
/// layout and the byte size all fit in int64 (so no product of sizes can overflow later).
int64_t checked_numel(const char* op, const Shape& shape);
/// Throws unless x is defined; names the op and the argument.
void check_defined(const char* op, const Tensor& x, const char* arg = "input");
/// Throws unless all tensors live on one device; names the op, both devices and both shapes.
void check_same_device(const char* op, const std::vector<Tensor>& xs);
/// Maps a possibly negative axis into [0, ndim); throws naming the op and the shape.
int64_t normalize_axis(const char* op, int64_t axis, const Shape& shape);
/// The broadcast shape of a and b; throws naming the op and both shapes.
Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b);
/// x's layout aligned to `out` (a shape x broadcasts to): stride 0 on stretched/missing axes.
Layout broadcast_layout(const Tensor& x, const Shape& out);
/// x's own shape and strides.
Layout layout_of(const Tensor& x);
/// y = op(x) for the UnaryOp family (a, b: the op's scalars), recorded with the backward
/// dx = gy * op'(x) of the unary_backward kernel (core/kernels/elementwise_math.h has the
/// formulas).
Tensor unary_op(const char* name, UnaryOp op, const Tensor& x, float a = 0.f, float b = 0.f);

}  // namespace detail

}  // namespace minidl

// The CUDA twins are declared (and exist) only in a CUDA build; MINIDL_HAS_CUDA is the library's
// private compile definition, so this header is for the library's own sources.
#if MINIDL_HAS_CUDA
#include "cuda/kernels.h"
#define MINIDL_DISPATCH_CUDA_(fn, ...) ::minidl::cuda::fn(__VA_ARGS__)
#define MINIDL_DISPATCH_CUDA_RESULT_(result, fn, ...) result = ::minidl::cuda::fn(__VA_ARGS__)
#else
#define MINIDL_DISPATCH_CUDA_(fn, ...) ::minidl::throw_no_cuda(#fn)
#define MINIDL_DISPATCH_CUDA_RESULT_(result, fn, ...) ::minidl::throw_no_cuda(#fn)
#endif

/// Calls cpu::fn(args...) for a CPU tensor and cuda::fn(args...), its twin with the same signature
/// on device pointers, for a CUDA one. In a CPU-only build the CUDA arm throws "minidl was built
/// without CUDA" and references no CUDA symbol.
#define MINIDL_DISPATCH(device, fn, ...)      \
  do {                                        \
    if ((device) == ::minidl::Device::CPU) {  \
      ::minidl::cpu::fn(__VA_ARGS__);         \
    } else {                                  \
      MINIDL_DISPATCH_CUDA_(fn, __VA_ARGS__); \
    }                                         \
  } while (0)

/// result = cpu::fn(args...) or cuda::fn(args...), chosen as by MINIDL_DISPATCH.
#define MINIDL_DISPATCH_RESULT(device, result, fn, ...)      \
  do {                                                       \
    if ((device) == ::minidl::Device::CPU) {                 \
      result = ::minidl::cpu::fn(__VA_ARGS__);               \
    } else {                                                 \
      MINIDL_DISPATCH_CUDA_RESULT_(result, fn, __VA_ARGS__); \
    }                                                        \
  } while (0)
