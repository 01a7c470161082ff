// Tensor creation: constants, ranges, random values (from a Generator, on the host) and host data.
#include "core/ops/creation.h"

#include <cmath>

#include "core/cpu/kernels.h"
#include "core/ops/op_util.h"

namespace minidl {

namespace {
// A tensor of `shape` filled with `value`; errors name `op`.
Tensor filled(const char* op, const Shape& shape, float value, Device device) {
  detail::checked_numel(op, shape);
  Tensor y = Tensor::empty(shape, device);
  MINIDL_DISPATCH(device, fill, y.data(), y.numel(), value);
  return y;
}
Tensor filled_like(const char* op, const Tensor& x, float value) {
  detail::check_defined(op, x);
  return filled(op, x.shape(), value, x.device());
}
}  // namespace

Tensor full(const Shape& shape, float value, Device device) {
  return filled("full", shape, value, device);
}
Tensor zeros(const Shape& shape, Device device) { return filled("zeros", shape, 0.f, device); }
Tensor ones(const Shape& shape, Device device) { return filled("ones", shape, 1.f, device); }
Tensor zeros_like(const Tensor& x) { return filled_like("zeros_like", x, 0.f); }
Tensor ones_like(const Tensor& x) { return filled_like("ones_like", x, 1.f); }
Tensor full_like(const Tensor& x, float value) { return filled_like("full_like", x, value); }
Tensor scalar(float value, Device device) { return full({}, value, device); }

Tensor from_vector(const std::vector<float>& values, const Shape& shape, Device device) {
  MINIDL_CHECK(static_cast<int64_t>(values.size()) == detail::checked_numel("from_vector", shape),
               "from_vector: ", values.size(), " values do not fill shape ", shape_str(shape), " (",
               shape_numel(shape), " elements)");
  Tensor y = Tensor::empty(shape, device);
  copy_bytes(y.data(), device, values.data(), Device::CPU, values.size() * sizeof(float));
  return y;
}

Tensor from_vector(const std::vector<float>& values, Device device) {
  return from_vector(values, {static_cast<int64_t>(values.size())}, device);
}

Tensor arange(float start, float end, float step, Device device) {
  MINIDL_CHECK(step != 0.f && std::isfinite(start) && std::isfinite(end) && std::isfinite(step),
               "arange: needs finite start, end and a non-zero step; got (", start, ", ", end, ", ",
               step, ")");
  double n = std::ceil((static_cast<double>(end) - start) / step);
  MINIDL_CHECK(n <= static_cast<double>(int64_t{1} << 40), "arange: (", start, ", ", end, ", ",
               step, ") would make ", n, " elements");
  std::vector<float> v(n > 0 ? static_cast<size_t>(n) : 0);
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = static_cast<float>(start + static_cast<double>(i) * step);
  // In float32 the count can come out one too high (0.3f / 0.1f = 3.0000001) and the last value
  // round onto the end (float(3 * 0.1f) == 0.3f); the end is never included.
  while (!v.empty() && (step > 0 ? v.back() >= end : v.back() <= end)) v.pop_back();
  return from_vector(v, device);
}

Tensor rand(const Shape& shape, Generator& gen, float lo, float hi, Device device) {
  MINIDL_CHECK(lo <= hi, "rand: lo (", lo, ") must not exceed hi (", hi, ")");
  detail::checked_numel("rand", shape);
  Tensor y = Tensor::empty(shape);  // on the host, where the generator runs
  float* p = y.data();
  for (int64_t i = 0; i < y.numel(); ++i) p[i] = gen.uniform(lo, hi);
  return y.to(device);
}

Tensor randn(const Shape& shape, Generator& gen, float mean, float stddev, Device device) {
  MINIDL_CHECK(stddev >= 0, "randn: stddev must be >= 0, got ", stddev);
  detail::checked_numel("randn", shape);
  Tensor y = Tensor::empty(shape);  // on the host, where the generator runs
  float* p = y.data();
  for (int64_t i = 0; i < y.numel(); ++i) p[i] = mean + stddev * gen.normal();
  return y.to(device);
}

}  // namespace minidl
