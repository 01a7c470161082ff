// Loading a split into memory, augmentation, and batches for the loss (detection_data.h).
#include "apps/yolo_v1/detection_data.h"

#include <minidl/minidl.h>

#include <algorithm>
#include <cmath>

namespace yolo {

using namespace minidl;

const Split* find_split(const Dataset& ds, const std::string& name) {
  for (const std::string& n : {name, std::string("all")})
    for (const Split& s : ds.splits)
      if (s.name == n) return &s;
  return nullptr;
}

namespace {
// labels/.../NAME.txt -> difficult/.../NAME.txt (the last labels/ folder of the path).
fs::path difficult_path_for(const fs::path& label) {
  return swap_folder(label, {"labels"}, "difficult");
}

bool same_box(const Box& a, const Box& b) {
  return a.cls == b.cls && a.cx == b.cx && a.cy == b.cy && a.w == b.w && a.h == b.h;
}
}  // namespace

EvalTruth eval_truth(const DetectionData& data) {
  EvalTruth t;
  t.boxes = data.boxes;
  for (size_t i = 0; i < t.boxes.size(); ++i) {
    std::vector<char> flags(t.boxes[i].size(), 0);
    if (i < data.difficult.size())
      for (const Box& d : data.difficult[i]) {
        size_t k = 0;
        while (k < t.boxes[i].size() && (flags[k] || !same_box(t.boxes[i][k], d))) ++k;
        if (k == t.boxes[i].size()) {  // not in labels/: added for the evaluation alone
          t.boxes[i].push_back(d);
          flags.push_back(0);
        }
        flags[k] = 1;
      }
    t.difficult.push_back(std::move(flags));
  }
  return t;
}

DetectionData load_split(const Split& split, const LoadOptions& opt) {
  MINIDL_CHECK(opt.input >= 1 && opt.C >= 1, "load_split: input and C must be >= 1");
  DetectionData d;
  d.input = opt.input;
  const size_t n =
      opt.limit > 0 ? std::min<size_t>(opt.limit, split.samples.size()) : split.samples.size();
  const size_t bytes = static_cast<size_t>(opt.input) * opt.input * 3;
  for (size_t k = 0; k < n; ++k) {
    const Sample& s = split.samples[k];
    std::vector<std::string> problems;
    std::vector<Box> boxes = read_labels(s.label, opt.C, opt.mode, &d.stats, &problems);
    std::vector<Box> difficult =
        read_labels(difficult_path_for(s.label), opt.C, opt.mode, nullptr, &problems);
    if (!problems.empty()) {
      MINIDL_CHECK(opt.skip_bad, problems[0],
                   problems.size() > 1
                       ? minidl::str(" (and ", problems.size() - 1, " more bad lines in this file)")
                       : std::string(),
                   "; pass --skip-bad to report and skip bad lines and unreadable images");
      d.problems.insert(d.problems.end(), problems.begin(), problems.end());
    }
    Image im;
    try {
      im = load_image(s.image);
    } catch (const Error& e) {
      if (!opt.skip_bad)
        throw Error(
            minidl::str(e.what(), "; pass --skip-bad to report and skip unreadable images"));
      d.problems.push_back(minidl::str(e.what(), " (image skipped)"));
      continue;
    }
    const Image rgb = resize_bilinear(to_rgb(im), opt.input, opt.input);
    d.pixels.insert(d.pixels.end(), rgb.pixels.begin(), rgb.pixels.begin() + bytes);
    d.files.push_back(s.image);
    d.widths.push_back(im.width);
    d.heights.push_back(im.height);
    d.objects += static_cast<int>(boxes.size());
    d.boxes.push_back(std::move(boxes));
    d.difficult.push_back(std::move(difficult));
  }
  MINIDL_CHECK(!d.files.empty(), "split '", split.name, "' has no readable image");
  return d;
}

namespace {

// RGB bytes (in x in, HWC) to floats in [0, 1], CHW.
void hwc_to_chw(const uint8_t* hwc, int in, float* out) {
  const size_t plane = static_cast<size_t>(in) * in;
  for (size_t p = 0; p < plane; ++p)
    for (int c = 0; c < 3; ++c) out[c * plane + p] = hwc[p * 3 + c] / 255.f;
}

// Bilinear sample of channel c at pixel coordinates (px, py) (pixel centres at integers), or the
// fill value outside the image.
float sample(const uint8_t* hwc, int in, float px, float py, int c) {
  constexpr float fill = 0.5f;
  if (px < -0.5f || py < -0.5f || px > in - 0.5f || py > in - 0.5f) return fill;
  px = std::clamp(px, 0.f, in - 1.f), py = std::clamp(py, 0.f, in - 1.f);
  const int x0 = static_cast<int>(px), y0 = static_cast<int>(py);
  const int x1 = std::min(x0 + 1, in - 1), y1 = std::min(y0 + 1, in - 1);
  const float fx = px - x0, fy = py - y0;
  auto at = [&](int x, int y) { return hwc[(static_cast<size_t>(y) * in + x) * 3 + c]; };
  const float top = at(x0, y0) + fx * (at(x1, y0) - at(x0, y0));
  const float bottom = at(x0, y1) + fx * (at(x1, y1) - at(x0, y1));
  return (top + fy * (bottom - top)) / 255.f;
}

}  // namespace

std::vector<Box> augment_image(const uint8_t* hwc, int in, const std::vector<Box>& boxes,
                               const Augment& aug, Generator& gen, float* out) {
  if (!aug.enabled) {
    hwc_to_chw(hwc, in, out);
    return boxes;
  }
  const size_t plane = static_cast<size_t>(in) * in;
  // Output u (relative, [0, 1]) shows source u_s = (u - 0.5 - d) / s + 0.5, mirrored when flip.
  const float s = gen.uniform(1 - aug.jitter, 1 + aug.jitter);
  const float dx = gen.uniform(-aug.jitter, aug.jitter), dy = gen.uniform(-aug.jitter, aug.jitter);
  const bool flip = aug.flip && gen.uniform() < 0.5f;
  for (int y = 0; y < in; ++y)
    for (int x = 0; x < in; ++x) {
      float u = (x + 0.5f) / in, v = (y + 0.5f) / in;
      if (flip) u = 1 - u;
      const float px = ((u - 0.5f - dx) / s + 0.5f) * in - 0.5f;
      const float py = ((v - 0.5f - dy) / s + 0.5f) * in - 0.5f;
      for (int c = 0; c < 3; ++c)
        out[c * plane + static_cast<size_t>(y) * in + x] = sample(hwc, in, px, py, c);
    }
  std::vector<Box> moved;
  for (const Box& b : boxes) {
    float x0 = (b.cx - b.w / 2 - 0.5f) * s + 0.5f + dx,
          x1 = (b.cx + b.w / 2 - 0.5f) * s + 0.5f + dx;
    const float y0 = (b.cy - b.h / 2 - 0.5f) * s + 0.5f + dy;
    const float y1 = (b.cy + b.h / 2 - 0.5f) * s + 0.5f + dy;
    if (flip) std::swap(x0 = 1 - x0, x1 = 1 - x1);
    const float cx0 = std::max(x0, 0.f), cx1 = std::min(x1, 1.f);
    const float cy0 = std::max(y0, 0.f), cy1 = std::min(y1, 1.f);
    const float w = cx1 - cx0, h = cy1 - cy0;
    if (w * in < 2 || h * in < 2 || w * h < aug.min_visible * (x1 - x0) * (y1 - y0)) continue;
    moved.push_back({b.cls, (cx0 + cx1) / 2, (cy0 + cy1) / 2, w, h});
  }
  return moved;
}

DetectionDataset::DetectionDataset(const DetectionData& data, int S, int C, Augment aug,
                                   uint64_t seed)
    : data_(data), S_(S), C_(C), aug_(aug), seed_(seed) {}

Example DetectionDataset::get_batch(const std::vector<int64_t>& indices) const {
  const int in = data_.input;
  const int64_t N = static_cast<int64_t>(indices.size());
  Tensor x = Tensor::empty({N, 3, in, in});  // (N, 3, in, in)
  std::vector<std::vector<Box>> boxes(indices.size());
  const size_t per = static_cast<size_t>(3) * in * in;
  for (size_t k = 0; k < indices.size(); ++k) {
    const int64_t i = indices[k];
    MINIDL_CHECK(i >= 0 && i < size(), "DetectionDataset: index ", i, " out of range [0, ", size(),
                 ")");
    Generator gen(seed_ ^ (0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(epoch_ + 1)) ^
                  (0xC2B2AE3D27D4EB4FULL * static_cast<uint64_t>(i + 1)));
    boxes[k] = augment_image(data_.image(i), in, data_.boxes[static_cast<size_t>(i)], aug_, gen,
                             x.data() + k * per);
  }
  EncodedTargets t = encode_targets(boxes, S_, C_);  // (N, S, S, 5 + C)
  dropped_ += t.dropped;
  return {x, t.target};
}

Tensor image_batch(const DetectionData& data, int64_t first, int64_t count) {
  MINIDL_CHECK(first >= 0 && count >= 1 && first + count <= data.size(), "image_batch: [", first,
               ", ", first + count, ") outside [0, ", data.size(), ")");
  const int in = data.input;
  Tensor x = Tensor::empty({count, 3, in, in});  // (count, 3, in, in)
  for (int64_t k = 0; k < count; ++k)
    hwc_to_chw(data.image(first + k), in, x.data() + k * 3 * in * in);
  return x;
}

}  // namespace yolo
