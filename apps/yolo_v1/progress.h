// The training progress line of the yolo_v1 app: a bar, the running loss and its five terms,
// images per second and the time left. On a terminal it redraws itself in place.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

#include "apps/common/duration.h"

namespace yolo {

using minidl_apps::duration_str;  // "12s", "3m05s", "1h02m"

class Progress {
 public:
  /// Epoch `epoch` of `epochs`, `batches` batches of images; `later_images` are the images of the
  /// epochs still to come after this one (for the ETA). tty: redraw with '\r' at most ten times a
  /// second; otherwise write a full line at every 10% of the epoch.
  Progress(std::ostream& out, bool tty, int epoch, int epochs, int64_t batches,
           int64_t later_images);
  /// After batch `done` (1-based) with `images` images seen in this epoch and the running means.
  void update(int64_t done, int64_t images, double loss, const double terms[5]);
  /// Seconds since construction.
  double seconds() const;

 private:
  using Clock = std::chrono::steady_clock;
  std::ostream& out_;
  bool tty_;
  int epoch_, epochs_;
  int64_t batches_, later_;
  Clock::time_point start_, last_;
  int last_decile_ = 0;
};

}  // namespace yolo
