// Creating tensors: constants, ranges, random values and tensors from host data.
#pragma once

#include <vector>

#include "core/random.h"
#include "core/tensor.h"

namespace minidl {

Tensor zeros(const Shape& shape, Device device = Device::CPU);
Tensor ones(const Shape& shape, Device device = Device::CPU);
Tensor full(const Shape& shape, float value, Device device = Device::CPU);
Tensor zeros_like(const Tensor& x);
Tensor ones_like(const Tensor& x);
Tensor full_like(const Tensor& x, float value);
/// A 0-dimensional tensor holding `value`.
Tensor scalar(float value, Device device = Device::CPU);
/// [start, start + step, ...) up to but excluding end; requires step != 0.
Tensor arange(float start, float end, float step = 1.f, Device device = Device::CPU);
/// Uniform in [lo, hi) from `gen`.
Tensor rand(const Shape& shape, Generator& gen = default_generator(), float lo = 0.f,
            float hi = 1.f, Device device = Device::CPU);
/// Normal with the given mean and standard deviation from `gen`.
Tensor randn(const Shape& shape, Generator& gen = default_generator(), float mean = 0.f,
             float stddev = 1.f, Device device = Device::CPU);
/// A tensor holding `values` (row-major) with `shape`; requires values.size() == numel(shape).
Tensor from_vector(const std::vector<float>& values, const Shape& shape,
                   Device device = Device::CPU);
/// A 1-D tensor holding `values`.
Tensor from_vector(const std::vector<float>& values, Device device = Device::CPU);

}  // namespace minidl
