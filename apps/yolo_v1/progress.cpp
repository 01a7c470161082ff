// The progress line of training (progress.h).
#include "apps/yolo_v1/progress.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace yolo {

Progress::Progress(std::ostream& out, bool tty, int epoch, int epochs, int64_t batches,
                   int64_t later_images)
    : out_(out),
      tty_(tty),
      epoch_(epoch),
      epochs_(epochs),
      batches_(std::max<int64_t>(batches, 1)),
      later_(later_images),
      start_(Clock::now()),
      last_(start_) {}

double Progress::seconds() const {
  return std::chrono::duration<double>(Clock::now() - start_).count();
}

void Progress::update(int64_t done, int64_t images, double loss, const double t[5]) {
  const auto now = Clock::now();
  const bool end = done >= batches_;
  const int decile = static_cast<int>(10 * done / batches_);
  if (tty_ && !end && now - last_ < std::chrono::milliseconds(100)) return;
  if (!tty_ && !end && decile == last_decile_) return;
  last_ = now, last_decile_ = decile;
  const double secs = seconds(), rate = secs > 0 ? images / secs : 0;
  // images left: the rest of this epoch (estimated from the batches) and the later epochs
  const double left = static_cast<double>(images) / done * (batches_ - done) + later_;
  const int width = 20, filled = static_cast<int>(width * done / batches_);
  const std::string bar = std::string(filled, '=') + (filled < width ? ">" : "") +
                          std::string(std::max(0, width - filled - 1), ' ');
  char line[320];
  std::snprintf(line, sizeof line,
                "%sepoch %d/%d [%s] %lld/%lld loss %.4f (xy %.3f wh %.3f obj %.3f noobj %.3f "
                "cls %.3f) %.1f img/s ETA %s%s",
                tty_ ? "\r" : "", epoch_, epochs_, bar.c_str(), static_cast<long long>(done),
                static_cast<long long>(batches_), loss, t[0], t[1], t[2], t[3], t[4], rate,
                rate > 0 ? duration_str(left / rate).c_str() : "?", tty_ && !end ? "  " : "\n");
  out_ << line << std::flush;
}

}  // namespace yolo
