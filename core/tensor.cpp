// Tensor handle: metadata accessors, host transfers, printing, and the member shortcuts.
#include "core/tensor.h"

#include <cmath>
#include <cstring>
#include <sstream>

#include "core/autograd.h"
#include "core/cpu/kernels.h"
#include "core/error.h"
#include "core/ops/creation.h"
#include "core/ops/op_util.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"

namespace minidl {

std::string shape_str(const Shape& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + ")";
}

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  int64_t s = 1;
  for (size_t k = shape.size(); k-- > 0;) {
    strides[k] = s;
    s *= std::max<int64_t>(shape[k], 1);
  }
  return strides;
}

Tensor Tensor::empty(const Shape& shape, Device device, HostMemory host) {
  const int64_t numel = detail::checked_numel("Tensor::empty", shape);
  num_threads();  // applies MINIDL_NUM_THREADS before the first kernel runs
  auto impl = std::make_shared<TensorImpl>();
  impl->storage =
      std::make_shared<Storage>(static_cast<size_t>(numel) * sizeof(float), device, host);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  return Tensor(std::move(impl));
}

Tensor Tensor::view_of(std::shared_ptr<Storage> storage, const Shape& shape, const Shape& strides,
                       int64_t offset) {
  MINIDL_CHECK(storage && shape.size() == strides.size() && offset >= 0,
               "view_of: bad view (shape ", shape_str(shape), ", strides ", shape_str(strides),
               ", offset ", offset, ")");
  detail::checked_numel("view_of", shape);  // sizes >= 0, at most 2^60 elements
  // The last element's index, offset + sum (size - 1) * stride, overflow-checked: every element
  // lies in [offset, last] because strides are >= 0 (a negative one would read before offset).
  int64_t last = offset;
  bool empty = false;
  for (size_t k = 0; k < shape.size(); ++k) {
    MINIDL_CHECK(strides[k] >= 0, "view_of: strides must be >= 0, got strides ", shape_str(strides),
                 " for shape ", shape_str(shape));
    empty |= shape[k] == 0;
    int64_t step = 0;
    const bool overflow =
        shape[k] > 0 && (__builtin_mul_overflow(shape[k] - 1, strides[k], &step) ||
                         __builtin_add_overflow(last, step, &last));
    MINIDL_CHECK(!overflow, "view_of: view of shape ", shape_str(shape), " with strides ",
                 shape_str(strides), " and offset ", offset, " overflows int64");
  }
  MINIDL_CHECK(empty || last < static_cast<int64_t>(storage->nbytes() / sizeof(float)),
               "view_of: view of shape ", shape_str(shape), " with strides ", shape_str(strides),
               " and offset ", offset, " reaches past the end of its storage");
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::move(storage);
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = offset;
  return Tensor(std::move(impl));
}

const TensorImpl& Tensor::checked() const {
  MINIDL_CHECK(impl_, "operation on an undefined tensor");
  return *impl_;
}

const Shape& Tensor::shape() const { return checked().shape; }
const Shape& Tensor::strides() const { return checked().strides; }
int64_t Tensor::offset() const { return checked().offset; }
Device Tensor::device() const { return checked().storage->device(); }
const std::shared_ptr<Storage>& Tensor::storage() const { return checked().storage; }
float* Tensor::data() const {
  // An empty storage has no buffer (null): a view into it (select on an empty axis keeps an
  // offset) holds no element either, and null + offset would be undefined behaviour.
  float* base = static_cast<float*>(storage()->data());
  return base ? base + offset() : nullptr;
}

int64_t Tensor::size(int64_t axis) const {
  return shape()[detail::normalize_axis("size", axis, shape())];
}

bool Tensor::is_contiguous() const {
  const auto& s = shape();
  if (shape_numel(s) == 0) return true;  // no elements: any strides describe the same (empty) data
  int64_t expected = 1;
  for (size_t k = s.size(); k-- > 0;) {
    if (s[k] != 1 && strides()[k] != expected) return false;
    expected *= s[k];
  }
  return true;
}

bool Tensor::requires_grad() const { return checked().requires_grad; }

Tensor& Tensor::requires_grad_(bool value) {
  MINIDL_CHECK(is_leaf(),
               "requires_grad_: only leaf tensors can be marked; this one is the result "
               "of op '",
               impl_->grad_fn->name, "' (use detach() first)");
  impl_->requires_grad = value;
  return *this;
}

Tensor Tensor::grad() const { return checked().grad ? Tensor(impl_->grad) : Tensor(); }

void Tensor::set_grad(const Tensor& g) const {
  checked();
  if (g.defined())
    MINIDL_CHECK(g.shape() == shape() && g.device() == device(), "set_grad: gradient of shape ",
                 shape_str(g.shape()), " on ", device_name(g.device()), " for a tensor of shape ",
                 shape_str(shape()), " on ", device_name(device()));
  impl_->grad = g.impl_ptr();
}

void Tensor::zero_grad() const { checked(), impl_->grad.reset(); }

const std::shared_ptr<Node>& Tensor::grad_fn() const { return checked().grad_fn; }

void Tensor::backward(bool retain_graph) const { run_backward(*this, Tensor(), retain_graph); }
void Tensor::backward(const Tensor& grad, bool retain_graph) const {
  run_backward(*this, grad, retain_graph);
}

Tensor Tensor::detach() const { return view_of(storage(), shape(), strides(), offset()); }

float Tensor::item() const {
  MINIDL_CHECK(numel() == 1, "item(): tensor of shape ", shape_str(shape()),
               " does not hold exactly one element");
  float v;
  copy_bytes(&v, Device::CPU, data(), device(), sizeof(float));
  return v;
}

std::vector<float> Tensor::to_vector() const {
  Tensor c = minidl::contiguous(detach());
  std::vector<float> out(c.numel());
  copy_bytes(out.data(), Device::CPU, c.data(), c.device(), out.size() * sizeof(float));
  return out;
}

Tensor Tensor::contiguous() const { return minidl::contiguous(*this); }

int64_t first_non_finite(const Tensor& t) {
  const std::vector<float> v = t.to_vector();
  for (size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i])) return static_cast<int64_t>(i);
  return -1;
}

Tensor Tensor::clone() const {
  detail::check_defined("clone", *this);
  Tensor src = minidl::contiguous(detach());
  Tensor y = empty(shape(), device());
  copy_bytes(y.data(), device(), src.data(), device(), numel() * sizeof(float));
  return record("clone", y, {*this},
                [](const Tensor& gy, const std::vector<bool>&) { return std::vector<Tensor>{gy}; });
}

Tensor Tensor::to(Device target) const {
  detail::check_defined("to", *this);
  if (device() == target) return *this;
  Tensor src = minidl::contiguous(detach());
  Tensor y = empty(shape(), target);
  copy_bytes(y.data(), target, src.data(), device(), numel() * sizeof(float));
  Device from = device();
  return record("to", y, {*this}, [from](const Tensor& gy, const std::vector<bool>&) {
    return std::vector<Tensor>{gy.to(from)};
  });
}

Tensor Tensor::pin_memory() const {
  detail::check_defined("pin_memory", *this);
  MINIDL_CHECK(device() == Device::CPU, "pin_memory: the tensor ", shape_str(shape()), " is on ",
               device_name(device()), "; only CPU tensors can be pinned");
  if (is_pinned()) return *this;
  Tensor src = minidl::contiguous(detach());
  Tensor y = empty(shape(), Device::CPU, HostMemory::Pinned);
  copy_bytes(y.data(), Device::CPU, src.data(), Device::CPU, numel() * sizeof(float));
  return record("pin_memory", y, {*this},
                [](const Tensor& gy, const std::vector<bool>&) { return std::vector<Tensor>{gy}; });
}

bool Tensor::is_pinned() const { return checked().storage->pinned(); }

namespace {
// Writes the contiguous `src` (dst's shape, on dst's device) into dst's elements in order.
void write_into(const Tensor& dst, const Tensor& src) {
  if (dst.is_contiguous()) {
    copy_bytes(dst.data(), dst.device(), src.data(), dst.device(), dst.numel() * sizeof(float));
  } else {
    Layout l = detail::layout_of(dst);
    MINIDL_DISPATCH(dst.device(), scatter_strided, src.data(), dst.data(), l);
  }
}
}  // namespace

// Writing one value is well defined even where elements share a location (an expand()'s view),
// so fill_ writes directly instead of going through copy_, which rejects such views.
const Tensor& Tensor::fill_(float value) const {
  checked();
  if (is_contiguous()) {
    MINIDL_DISPATCH(device(), fill, data(), numel(), value);
  } else {
    write_into(*this, full(shape(), value, device()));
  }
  return *this;
}

const Tensor& Tensor::copy_(const Tensor& src) const {
  detail::check_defined("copy_", src, "source");
  MINIDL_CHECK(src.shape() == shape(), "copy_: source of shape ", shape_str(src.shape()),
               " into a tensor of shape ", shape_str(shape()));
  // Several elements at one location (stride 0 along an axis of size > 1, as expand() gives)
  // would keep whichever write came last: rejected, as PyTorch does.
  for (int64_t k = 0; k < dim(); ++k)
    MINIDL_CHECK(strides()[k] != 0 || shape()[k] <= 1, "copy_: more than one element of the ",
                 "destination (shape ", shape_str(shape()), ", strides ", shape_str(strides()),
                 ") refers to a single memory location (stride 0 along axis ", k, ")");
  Tensor s = src.detach().to(device());
  // A source that shares storage with this tensor (x[1:] = x[:-1]) is read completely before
  // anything is written: the strided scatter below would otherwise read elements it already wrote.
  s = s.storage() == storage() ? s.clone() : minidl::contiguous(s);
  write_into(*this, s);
  return *this;
}

std::string Tensor::str() const {
  if (!defined()) return "Tensor(undefined)";
  std::ostringstream s;
  s << "Tensor" << shape_str(shape()) << " " << device_name(device());
  if (requires_grad()) s << " requires_grad";
  if (grad_fn()) s << " grad_fn=" << grad_fn()->name;
  if (numel() <= 16) {
    s << " [";
    auto v = to_vector();
    for (size_t i = 0; i < v.size(); ++i) s << (i ? ", " : "") << v[i];
    s << "]";
  }
  return s.str();
}

Tensor Tensor::reshape(const Shape& s) const { return minidl::reshape(*this, s); }
Tensor Tensor::view(const Shape& s) const { return minidl::view(*this, s); }
Tensor Tensor::flatten(int64_t a, int64_t b) const { return minidl::flatten(*this, a, b); }
Tensor Tensor::slice(int64_t axis, int64_t start, int64_t end, int64_t step) const {
  return minidl::slice(*this, axis, start, end, step);
}
Tensor Tensor::select(int64_t axis, int64_t index) const {
  return minidl::select(*this, axis, index);
}
Tensor Tensor::transpose(int64_t a, int64_t b) const { return minidl::transpose(*this, a, b); }
Tensor Tensor::permute(const Shape& dims) const { return minidl::permute(*this, dims); }
Tensor Tensor::sum() const { return minidl::sum(*this); }
Tensor Tensor::mean() const { return minidl::mean(*this); }

}  // namespace minidl
