// Training curves drawn into an image (curves.h): axes, ticks, polylines and a legend.
#include "apps/yolo_v1/curves.h"

#include <minidl/minidl.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

namespace yolo {

using minidl::Image;
using minidl::Rgb;

void draw_line(Image& im, int x0, int y0, int x1, int y1, Rgb colour) {
  const int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0);
  const int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
  for (int err = dx + dy;;) {
    minidl::put_pixel(im, x0, y0, colour);
    if (x0 == x1 && y0 == y1) break;
    const int e2 = 2 * err;
    if (e2 >= dy) err += dy, x0 += sx;
    if (e2 <= dx) err += dx, y0 += sy;
  }
}

namespace {

const Rgb kInk{40, 40, 40}, kGrid{225, 225, 225};

struct Series {
  std::string label;
  Rgb colour;
  std::function<double(const EpochRow&)> value;
  bool bold;
};

std::string tick_str(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, std::fabs(v) >= 100 ? "%.0f" : "%.3g", v);
  return buf;
}

// One panel in the rectangle (x0, y0)-(x1, y1): y from lo to hi, x over the rows' epochs.
void panel(Image& im, int x0, int y0, int x1, int y1, const std::string& title,
           const std::vector<EpochRow>& rows, const std::vector<Series>& series, double lo,
           double hi) {
  const int left = x0 + 48, right = x1 - 10, top = y0 + 22, bottom = y1 - 24;
  minidl::draw_text(im, left, y0 + 6, title, kInk, 1);
  const int e_max = rows.empty() ? 1 : std::max(1, rows.back().epoch);
  const int e_min = rows.empty() ? 0 : std::min(rows.front().epoch, e_max - 1);
  auto px = [&](double e) {
    return left + static_cast<int>(std::lround((e - e_min) / (e_max - e_min) * (right - left)));
  };
  auto py = [&](double v) {
    const double t = hi > lo ? (std::clamp(v, lo, hi) - lo) / (hi - lo) : 0;
    return bottom - static_cast<int>(std::lround(t * (bottom - top)));
  };
  for (int k = 0; k <= 4; ++k) {  // horizontal grid lines with their values
    const double v = lo + (hi - lo) * k / 4;
    draw_line(im, left, py(v), right, py(v), kGrid);
    const std::string s = tick_str(v);
    minidl::draw_text(im, left - 4 - minidl::text_width(s), py(v) - 3, s, kInk);
  }
  const int step = std::max(1, (e_max - e_min) / 8);
  for (int e = e_min; e <= e_max; e += step) {  // epoch ticks
    const std::string s = std::to_string(e);
    draw_line(im, px(e), bottom, px(e), bottom + 3, kInk);
    minidl::draw_text(im, px(e) - minidl::text_width(s) / 2, bottom + 6, s, kInk);
  }
  minidl::draw_text(im, right - minidl::text_width("epoch"), bottom + 15, "epoch", kInk);
  draw_line(im, left, top, left, bottom, kInk);
  draw_line(im, left, bottom, right, bottom, kInk);
  int legend_x = left + 8;
  for (const Series& s : series) {
    const EpochRow* prev = nullptr;  // the last row with a value (epochs not evaluated have NaN)
    for (const EpochRow& r : rows) {
      if (!std::isfinite(s.value(r))) continue;
      const int ax = px(r.epoch), ay = py(s.value(r));
      if (prev) {
        const int bx = px(prev->epoch), by = py(s.value(*prev));
        draw_line(im, bx, by, ax, ay, s.colour);
        if (s.bold) draw_line(im, bx, by - 1, ax, ay - 1, s.colour);
      }
      minidl::fill_rect(im, ax - 1, ay - 1, ax + 1, ay + 1, s.colour);
      prev = &r;
    }
    minidl::fill_rect(im, legend_x, top + 4, legend_x + 9, top + 6, s.colour);
    minidl::draw_text(im, legend_x + 12, top + 2, s.label, s.colour);
    legend_x += 12 + minidl::text_width(s.label) + 12;
  }
}

}  // namespace

Image draw_curves(const std::vector<EpochRow>& rows, int width, int height) {
  MINIDL_CHECK(width >= 320 && height >= 200, "draw_curves: size ", width, "x", height,
               " is below 320x200");
  Image im(width, height, 3, 255);
  const std::vector<Series> losses = {
      {"loss", {20, 20, 20}, [](const EpochRow& r) { return r.loss; }, true},
      {"xy", {31, 119, 180}, [](const EpochRow& r) { return r.xy; }, false},
      {"wh", {255, 127, 14}, [](const EpochRow& r) { return r.wh; }, false},
      {"obj", {44, 160, 44}, [](const EpochRow& r) { return r.obj; }, false},
      {"noobj", {214, 39, 40}, [](const EpochRow& r) { return r.noobj; }, false},
      {"cls", {148, 103, 189}, [](const EpochRow& r) { return r.cls; }, false}};
  const std::vector<Series> maps = {
      {"VOC2010+ all-point", {214, 39, 40}, [](const EpochRow& r) { return r.map_all; }, true},
      {"VOC2007 11-point", {31, 119, 180}, [](const EpochRow& r) { return r.map_11; }, false}};
  double hi = 0;
  for (const EpochRow& r : rows)
    if (std::isfinite(r.loss)) hi = std::max(hi, r.loss);
  panel(im, 0, 0, width / 2, height, "training loss (mean per epoch)", rows, losses, 0,
        hi > 0 ? hi * 1.05 : 1);
  panel(im, width / 2, 0, width, height, "validation mAP@0.5", rows, maps, 0, 1);
  return im;
}

}  // namespace yolo
