// Test helpers: tensors from literals, closeness checks with readable failure messages, and a
// one-line gradcheck assertion. Used by every test file.
#pragma once

#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "core/minidl.h"

namespace minidl::test {

/// Tensor from values and a shape; requires_grad when asked.
inline Tensor T(const std::vector<float>& v, const Shape& s, bool grad = false) {
  Tensor t = from_vector(v, s);
  if (grad) t.requires_grad_();
  return t;
}

/// Random tensor in [lo, hi) with a fixed generator seed; requires_grad when asked.
inline Tensor R(const Shape& s, uint64_t seed, bool grad = true, float lo = -1.f, float hi = 1.f) {
  Generator g(seed);
  Tensor t = rand(s, g, lo, hi);
  if (grad) t.requires_grad_();
  return t;
}

/// Empty string when a and b have the same shape and are elementwise close, else what differs.
/// With nan_matches, a NaN expected value asks for a NaN (which is otherwise never close).
inline std::string mismatch(const Tensor& a, const std::vector<float>& expected, const Shape& shape,
                            double atol = 1e-5, double rtol = 1e-5, bool nan_matches = false) {
  if (a.shape() != shape)
    return "shape " + shape_str(a.shape()) + " != expected " + shape_str(shape);
  auto v = a.to_vector();
  for (size_t i = 0; i < v.size(); ++i) {
    const bool both_nan = nan_matches && std::isnan(v[i]) && std::isnan(expected[i]);
    if (!both_nan && !(std::fabs(v[i] - expected[i]) <= atol + rtol * std::fabs(expected[i])))
      return "element " + std::to_string(i) + ": " + std::to_string(v[i]) + " != expected " +
             std::to_string(expected[i]);
  }
  return "";
}

inline std::string mismatch(const Tensor& a, const Tensor& b, double atol = 1e-5,
                            double rtol = 1e-5) {
  return mismatch(a, b.to_vector(), b.shape(), atol, rtol);
}

/// As mismatch, but a NaN in `expected` asks for a NaN there (and a number elsewhere).
inline std::string mismatch_nan(const Tensor& a, const std::vector<float>& expected,
                                const Shape& shape, double atol = 1e-5, double rtol = 1e-5) {
  return mismatch(a, expected, shape, atol, rtol, true);
}

}  // namespace minidl::test

/// CHECK_CLOSE(tensor, {values}, shape[, atol, rtol])
#define CHECK_CLOSE(t, ...)                                      \
  do {                                                           \
    std::string why_ = ::minidl::test::mismatch(t, __VA_ARGS__); \
    INFO(why_);                                                  \
    CHECK(why_.empty());                                         \
  } while (0)

/// CHECK_CLOSE_NAN(tensor, {values}, shape[, atol, rtol]): CHECK_CLOSE where a NaN value asks for
/// a NaN.
#define CHECK_CLOSE_NAN(t, ...)                                      \
  do {                                                               \
    std::string why_ = ::minidl::test::mismatch_nan(t, __VA_ARGS__); \
    INFO(why_);                                                      \
    CHECK(why_.empty());                                             \
  } while (0)

/// CHECK_GRADS(f, inputs[, options]): finite-difference check of f's gradients.
#define CHECK_GRADS(f, ...)                          \
  do {                                               \
    auto res_ = ::minidl::gradcheck(f, __VA_ARGS__); \
    INFO(res_.message);                              \
    CHECK(res_.ok);                                  \
  } while (0)
