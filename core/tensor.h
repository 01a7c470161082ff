// Tensor: a cheap handle to a strided float32 view of a Storage, plus its autograd state.
// Copies of a Tensor share everything (data, grad, grad_fn); views share the Storage only.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/device.h"
#include "core/storage.h"

namespace minidl {

using Shape = std::vector<int64_t>;

/// "(2, 3, 4)"; "()" for a scalar.
std::string shape_str(const Shape& shape);
/// Product of the sizes (1 for a scalar shape).
int64_t shape_numel(const Shape& shape);
/// Row-major element strides of a contiguous tensor of this shape.
Shape contiguous_strides(const Shape& shape);

struct Node;
struct BackwardOptions;

/// The shared state behind a Tensor handle. Users rarely touch it directly.
struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;       // in elements, may be 0 (expanded) but never negative
  int64_t offset = 0;  // in elements, from the start of storage
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;  // accumulated gradient of a leaf
  std::shared_ptr<Node> grad_fn;     // the op that produced this tensor (null for leaves)
};

class Tensor {
 public:
  /// An undefined tensor (defined() == false); most operations on it throw.
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  /// A new contiguous tensor with uninitialised contents; HostMemory::Pinned (CPU only) puts it
  /// in page-locked memory, which needs a CUDA build and a GPU (see pin_memory()).
  static Tensor empty(const Shape& shape, Device device = Device::CPU,
                      HostMemory host = HostMemory::Pageable);
  /// A view of existing storage (no copy). Requires sizes >= 0, strides >= 0, offset >= 0 and
  /// every element to lie inside the storage (minidl::Error otherwise).
  static Tensor view_of(std::shared_ptr<Storage> storage, const Shape& shape, const Shape& strides,
                        int64_t offset);

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  int64_t dim() const { return static_cast<int64_t>(shape().size()); }
  /// Size along `axis`; negative axes count from the end.
  int64_t size(int64_t axis) const;
  int64_t numel() const { return shape_numel(shape()); }
  const Shape& strides() const;
  int64_t offset() const;
  Device device() const;
  bool is_contiguous() const;
  const std::shared_ptr<Storage>& storage() const;
  /// Pointer to element (0, ..., 0); element idx lives at data()[sum(idx[k] * strides()[k])].
  /// On a CUDA tensor this is a device pointer. May be null when the tensor holds no element.
  float* data() const;

  // ---- autograd -----------------------------------------------------------------------------
  bool requires_grad() const;
  /// Marks a leaf as a parameter whose gradient backward() accumulates. Throws on a non-leaf.
  Tensor& requires_grad_(bool value = true);
  /// The accumulated gradient (undefined until a backward pass reaches this leaf).
  Tensor grad() const;
  void set_grad(const Tensor& g) const;
  /// Drops the accumulated gradient (grad() becomes undefined).
  void zero_grad() const;
  const std::shared_ptr<Node>& grad_fn() const;
  bool is_leaf() const { return grad_fn() == nullptr; }
  /// Reverse-mode differentiation from this tensor. Without `grad` the tensor must hold one
  /// element and the seed is 1. The graph is freed afterwards unless retain_graph is true.
  void backward(bool retain_graph = false) const;
  void backward(const Tensor& grad, bool retain_graph = false) const;
  /// The same data, cut from the graph (no grad_fn, requires_grad false).
  Tensor detach() const;

  // ---- data ---------------------------------------------------------------------------------
  /// The single element of a one-element tensor. Throws otherwise.
  float item() const;
  /// All elements in row-major order, copied to the host.
  std::vector<float> to_vector() const;
  /// This tensor if already contiguous, else a contiguous copy (differentiable).
  Tensor contiguous() const;
  /// A contiguous copy with its own storage (differentiable).
  Tensor clone() const;
  /// The same values on `device` (differentiable; this tensor when already there).
  Tensor to(Device device) const;
  /// A CPU tensor in page-locked ("pinned") host memory, the kind copies to and from a GPU run at
  /// full speed from: this tensor when it already is, else a contiguous copy (differentiable).
  /// Throws minidl::Error on a CUDA tensor, in a build without CUDA, or on a machine without GPU.
  Tensor pin_memory() const;
  /// True when the tensor's storage is pinned host memory.
  bool is_pinned() const;
  /// Writes `value` into every element in place (no autograd; for initialisation and optimizer
  /// steps). Like every member, it acts on the shared data: const refers to the handle.
  const Tensor& fill_(float value) const;
  /// Copies src's values into this tensor in place (same shape; no autograd). src may overlap
  /// this tensor (x[1:] = x[:-1]): it is read completely before anything is written. This tensor
  /// must not have several elements at one memory location (a stride 0 along an axis of size > 1,
  /// as an expand() gives): minidl::Error, as in PyTorch. fill_ accepts such views.
  const Tensor& copy_(const Tensor& src) const;
  /// "Tensor(2, 3) cpu" and, for small tensors, the values.
  std::string str() const;

  // ---- views and common ops as members (the same as the free functions) ----------------------
  Tensor reshape(const Shape& shape) const;
  Tensor view(const Shape& shape) const;
  Tensor flatten(int64_t start_axis = 0, int64_t end_axis = -1) const;
  Tensor slice(int64_t axis, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor select(int64_t axis, int64_t index) const;
  Tensor transpose(int64_t axis0, int64_t axis1) const;
  Tensor permute(const Shape& dims) const;
  Tensor sum() const;
  Tensor mean() const;

  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  /// True when both handles refer to the same tensor.
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

 private:
  const TensorImpl& checked() const;
  std::shared_ptr<TensorImpl> impl_;
};

/// A tensor with a name: model parameters ("0.weight") and optimizer state entries.
using NamedTensor = std::pair<std::string, Tensor>;

/// The flat (row-major) index of t's first NaN or infinite element, or -1 when all are finite.
/// Copies a CUDA tensor to the host to look.
int64_t first_non_finite(const Tensor& t);

}  // namespace minidl
