// How tests/dist compares two trainings: per tensor, ||a - b|| / ||b|| (Euclidean norms, in
// double), which ignores rounding noise in the smallest elements and catches any real difference.
#pragma once

#include <minidl/minidl.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace dist_test {

/// ||a - b|| / ||b|| over the elements of two tensors of the same shape (0 when both are zero).
inline double relative_difference(const minidl::Tensor& a, const minidl::Tensor& b) {
  const std::vector<float> x = a.to_vector(), y = b.to_vector();
  double diff = 0, norm = 0;
  for (size_t k = 0; k < x.size(); ++k) {
    diff += (double(x[k]) - y[k]) * (double(x[k]) - y[k]);
    norm += double(y[k]) * y[k];
  }
  return diff == 0 ? 0 : std::sqrt(diff) / std::max(std::sqrt(norm), 1e-30);
}

/// The largest relative_difference over tensors paired by position, and the name of that tensor.
/// A NaN difference (a NaN in either tensor, or infinities in both) is returned at once as the
/// largest, so that `worst <= rtol` fails; an infinity in one tensor gives +inf, which fails too.
inline std::pair<double, std::string> worst(const std::vector<minidl::NamedTensor>& a,
                                            const std::vector<minidl::NamedTensor>& b) {
  std::pair<double, std::string> w{0, a.empty() ? "" : a[0].first};
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    const double rel = relative_difference(a[i].second, b[i].second);
    if (std::isnan(rel)) return {rel, a[i].first};
    if (rel > w.first) w = {rel, a[i].first};
  }
  return w;
}

}  // namespace dist_test
