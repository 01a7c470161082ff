// Argument checks, broadcasting and layouts for the op front ends (see op_util.h).
#include "core/ops/op_util.h"

#include <algorithm>
#include <array>

#include "core/cpu/kernels.h"
#include "core/ops/shape.h"
#include "core/profile.h"

namespace minidl {

namespace detail {

int64_t checked_numel(const char* op, const Shape& shape) {
  MINIDL_CHECK(shape.size() <= static_cast<size_t>(kMaxDims), op, ": tensors have at most ",
               kMaxDims, " dimensions, got shape ", shape_str(shape));
  // The strides of a contiguous layout multiply the sizes with empty axes counted as 1, so that
  // product is bounded, not only the element count; 2^60 elements keeps the bytes within int64.
  constexpr int64_t kMaxElements = int64_t{1} << 60;
  int64_t extent = 1;
  bool empty = false;
  for (int64_t d : shape) {
    MINIDL_CHECK(d >= 0, op, ": cannot create a tensor of shape ", shape_str(shape),
                 ": negative size");
    empty |= d == 0;
    MINIDL_CHECK(d <= 1 || extent <= kMaxElements / d, op, ": cannot create a tensor of shape ",
                 shape_str(shape), ": more than 2^60 elements");
    extent *= std::max<int64_t>(d, 1);
  }
  return empty ? 0 : extent;
}

void check_defined(const char* op, const Tensor& x, const char* arg) {
  MINIDL_CHECK(x.defined(), op, ": ", arg, " is an undefined tensor");
}

void check_same_device(const char* op, const std::vector<Tensor>& xs) {
  for (size_t i = 1; i < xs.size(); ++i)
    MINIDL_CHECK(xs[i].device() == xs[0].device(), op,
                 ": tensors on different devices: ", shape_str(xs[0].shape()), " on ",
                 device_name(xs[0].device()), " and ", shape_str(xs[i].shape()), " on ",
                 device_name(xs[i].device()), "; move one with .to(Device::...)");
}

int64_t normalize_axis(const char* op, int64_t axis, const Shape& shape) {
  int64_t n = static_cast<int64_t>(shape.size());
  MINIDL_CHECK(axis >= -n && axis < n, op, ": axis ", axis,
               " is out of range for a tensor of shape ", shape_str(shape));
  return axis < 0 ? axis + n : axis;
}

Shape broadcast_shapes(const char* op, const Shape& a, const Shape& b) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t k = 0; k < n; ++k) {
    int64_t da = k < n - a.size() ? 1 : a[k - (n - a.size())];
    int64_t db = k < n - b.size() ? 1 : b[k - (n - b.size())];
    MINIDL_CHECK(da == db || da == 1 || db == 1, op, ": shapes ", shape_str(a), " and ",
                 shape_str(b), " cannot be broadcast together (axis ", k, ": ", da, " vs ", db,
                 ")");
    out[k] = da == 1 ? db : da;
  }
  return out;
}

Layout broadcast_layout(const Tensor& x, const Shape& out) {
  MINIDL_CHECK(out.size() <= static_cast<size_t>(kMaxDims), "tensors have at most ", kMaxDims,
               " dimensions, got shape ", shape_str(out));
  Layout l;
  l.ndim = static_cast<int>(out.size());
  size_t lead = out.size() - x.shape().size();
  for (size_t k = 0; k < out.size(); ++k) {
    l.shape[k] = out[k];
    if (k < lead) {
      l.stride[k] = 0;
    } else {
      int64_t d = x.shape()[k - lead];
      l.stride[k] = (d == 1 && out[k] != 1) ? 0 : x.strides()[k - lead];
    }
  }
  return l;
}

Layout layout_of(const Tensor& x) { return broadcast_layout(x, x.shape()); }

// y = op(x) for the UnaryOp family; backward dx = gy * op'(x) via the unary_backward kernel (the
// derivatives sit next to their forward formulas in core/kernels/elementwise_math.h).
Tensor unary_op(const char* name, UnaryOp op, const Tensor& x, float a, float b) {
  profile::Timer timer(profile::Category::Elementwise);  // its node's backward counts here too
  check_defined(name, x);
  Tensor xc = contiguous(x.detach());
  Tensor y = Tensor::empty(x.shape(), x.device());
  MINIDL_DISPATCH(x.device(), unary, op, x.numel(), xc.data(), y.data(), a, b);
  return record(name, y, {x}, [op, a, b, xc, yd = y.detach()](const Tensor& gy, const Needs&) {
    Tensor g = contiguous(gy);
    Tensor dx = Tensor::empty(xc.shape(), xc.device());
    MINIDL_DISPATCH(xc.device(), unary_backward, op, xc.numel(), xc.data(), yd.data(), g.data(),
                    dx.data(), a, b);
    return Grads{dx};
  });
}

// ---- every kernel contract, on every device compiled in ----------------------------------------
// The kernels of core/kernels/kernel_list.h as tables of function pointers, one per device, each
// filled with the address of every kernel. Nothing calls through them: they are here so that a
// kernel listed there but not defined for a device (or defined with another signature, which is
// another overload) fails the link of every program that runs an op, with "undefined reference
// to minidl::cpu::<name>" (or minidl::cuda::<name> in a CUDA build), even before any op
// dispatches to it. External linkage keeps the compiler from dropping the tables.
struct KernelTable {
#define MINIDL_KERNEL(ret, name, params) ret(*name) params
#include "core/kernels/kernel_list.h"
#undef MINIDL_KERNEL
};

#if MINIDL_HAS_CUDA
#define MINIDL_ON_CUDA_(...) __VA_ARGS__
#else
#define MINIDL_ON_CUDA_(...) (void)0
#endif
/// [0]: the CPU's kernels; [1]: CUDA's (left null in a build without CUDA).
extern const std::array<KernelTable, 2> kKernelTables;
const std::array<KernelTable, 2> kKernelTables = [] {
  std::array<KernelTable, 2> t{};
#define MINIDL_KERNEL(ret, name, params) \
  t[0].name = &cpu::name;                \
  MINIDL_ON_CUDA_(t[1].name = &cuda::name)
#include "core/kernels/kernel_list.h"
#undef MINIDL_KERNEL
  return t;
}();
#undef MINIDL_ON_CUDA_

}  // namespace detail
}  // namespace minidl
