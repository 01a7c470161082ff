// duration_str: how the apps print a run time or an ETA ("1h02m", "3m05s", "42s"); shared by
// apps/yolo_v1 and apps/fashion_mnist.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace minidl_apps {

/// seconds (negative counts as 0) rounded to the second: "XhYYm" from an hour, "XmYYs" from a
/// minute, else "Xs".
inline std::string duration_str(double seconds) {
  const long s = std::lround(std::max(0.0, seconds));
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, s / 60 % 60);
  else if (s >= 60)
    std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%lds", s);
  return buf;
}

}  // namespace minidl_apps
