// Dataset generators of the yolo_v1 app (generate.h): each object is drawn into a mask first, and
// its label is the mask's tight bounding box, so the labels describe exactly the pixels drawn.
#include "apps/yolo_v1/generate.h"

#include <minidl/minidl.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "apps/yolo_v1/fashion.h"
#include "apps/yolo_v1/labels.h"

namespace yolo {

using minidl::Generator;
using minidl::Image;
using minidl::Rgb;

namespace {

struct Rect {
  int x0, y0, x1, y1;  // inclusive pixel corners
};

int randint(Generator& g, int lo, int hi) {  // uniform in [lo, hi]
  return lo + static_cast<int>(g.below(static_cast<uint64_t>(hi - lo + 1)));
}

Image noisy_background(int size, Generator& g, int lo, int hi, int noise) {
  Image im(size, size, 3);
  int base[3];
  for (int& b : base) b = randint(g, lo, hi);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x)
      for (int c = 0; c < 3; ++c)
        im.at(x, y)[c] =
            static_cast<uint8_t>(std::clamp(base[c] + randint(g, -noise, noise), 0, 255));
  return im;
}

Rgb bright_colour(Generator& g) {  // HSV with V = 1, S in [0.6, 1]
  const float h = g.uniform(0.f, 6.f), s = g.uniform(0.6f, 1.f);
  const int sector = static_cast<int>(h);
  const float f = h - sector;
  const float p = 1 - s, q = 1 - s * f, t = 1 - s * (1 - f);
  const float rgb[6][3] = {{1, t, p}, {q, 1, p}, {p, 1, t}, {p, q, 1}, {t, p, 1}, {1, p, q}};
  const float* v = rgb[std::min(sector, 5)];
  auto byte = [](float x) { return static_cast<uint8_t>(std::lround(x * 255)); };
  return {byte(v[0]), byte(v[1]), byte(v[2])};
}

// Copies the mask's set pixels (value > 0) inside r onto im, and returns the relative box of them
// (cls set by the caller); false when the mask is empty there.
bool stamp(Image& im, const Image& mask, Rect r, Rgb colour, Box& box) {
  int bx0 = im.width, by0 = im.height, bx1 = -1, by1 = -1;
  for (int y = r.y0; y <= r.y1; ++y)
    for (int x = r.x0; x <= r.x1; ++x)
      if (mask.at(x, y)[0]) {
        minidl::put_pixel(im, x, y, colour);
        bx0 = std::min(bx0, x), by0 = std::min(by0, y), bx1 = std::max(bx1, x),
        by1 = std::max(by1, y);
      }
  if (bx1 < 0) return false;
  const float W = static_cast<float>(im.width), H = static_cast<float>(im.height);
  box.cx = (bx0 + bx1 + 1) / 2.f / W;
  box.cy = (by0 + by1 + 1) / 2.f / H;
  box.w = (bx1 - bx0 + 1) / W;
  box.h = (by1 - by0 + 1) / H;
  return true;
}

// Membership of the pixel centre (u, v) in a shape of side s (coordinates inside its square).
bool in_shape(int cls, float u, float v, float s) {
  const float r = s / 2, du = std::fabs(u - r), dv = std::fabs(v - r);
  switch (cls) {
    case 0:
      return du * du + dv * dv <= r * r;  // circle
    case 1:
      return true;  // square
    case 2:
      return du <= r * v / s;  // triangle, apex up
    case 3:
      return du + dv <= r;  // diamond
    default:
      return du <= s / 6 || dv <= s / 6;  // cross
  }
}

bool apart(const Rect& a, const Rect& b, int gap) {
  return a.x1 + gap < b.x0 || b.x1 + gap < a.x0 || a.y1 + gap < b.y0 || b.y1 + gap < a.y0;
}

// A random s x s square inside the image, at least 2 px from every square in `taken` (100 tries);
// false when there is no room.
bool place(Generator& g, int size, int s, const std::vector<Rect>& taken, Rect& r) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    r.x0 = randint(g, 0, size - s), r.y0 = randint(g, 0, size - s);
    r.x1 = r.x0 + s - 1, r.y1 = r.y0 + s - 1;
    if (std::all_of(taken.begin(), taken.end(), [&](const Rect& t) { return apart(r, t, 2); }))
      return true;
  }
  return false;
}

void check_preset(const std::string& preset) {
  const auto& all = preset_list();
  MINIDL_CHECK(std::find(all.begin(), all.end(), preset) != all.end(), "unknown preset '", preset,
               "' (known: shapes, words, fashion)");
}

}  // namespace

const std::vector<std::string>& preset_list() {
  static const std::vector<std::string> presets = {"shapes", "words", "fashion"};
  return presets;
}

std::vector<std::string> preset_names(const std::string& preset) {
  check_preset(preset);
  if (preset == "words") return {"chat", "rat"};
  if (preset == "fashion") return fashion_names();
  return {"circle", "square", "triangle", "diamond", "cross"};
}

int default_size(const std::string& preset) {
  check_preset(preset);
  return preset == "words" ? 64 : 128;  // shapes and fashion
}

int min_size(const std::string& preset) {
  check_preset(preset);
  return preset == "words" ? 48 : preset == "fashion" ? 32 : 16;
}

GeneratedImage render_shapes(int size, Generator& g) {
  MINIDL_CHECK(size >= 16, "shapes: image size must be >= 16; got ", size);
  GeneratedImage out{noisy_background(size, g, 20, 100, 16), {}};
  Image mask(size, size, 1, 0);
  std::vector<Rect> taken;
  const int n = randint(g, 1, 4);
  const int lo = std::max(6, static_cast<int>(std::lround(0.15 * size)));
  const int hi = std::max(lo, static_cast<int>(std::lround(0.45 * size)));
  for (int k = 0; k < n; ++k) {
    const int cls = randint(g, 0, 4), s = randint(g, lo, hi);
    Rect r{};
    if (!place(g, size, s, taken, r)) break;
    for (int y = r.y0; y <= r.y1; ++y)
      for (int x = r.x0; x <= r.x1; ++x)
        mask.at(x, y)[0] =
            in_shape(cls, x - r.x0 + 0.5f, y - r.y0 + 0.5f, static_cast<float>(s)) ? 255 : 0;
    Box box;
    box.cls = cls;
    if (stamp(out.image, mask, r, bright_colour(g), box)) {
      taken.push_back(r);
      out.boxes.push_back(box);
    }
  }
  return out;
}

GeneratedImage render_words(int size, Generator& g) {
  MINIDL_CHECK(size >= 48, "words: image size must be >= 48; got ", size);
  GeneratedImage out{noisy_background(size, g, 200, 245, 10), {}};
  const std::vector<std::string> words = preset_names("words");
  const int scale = std::max(1, size / 64), cell = size / 2;
  int cells[4] = {0, 1, 2, 3};
  for (int i = 3; i > 0; --i) std::swap(cells[i], cells[g.below(i + 1)]);  // shuffle
  const int n = randint(g, 1, 4);
  Image mask(size, size, 1, 0);
  for (int k = 0; k < n; ++k) {
    const int cls = randint(g, 0, 1);
    const std::string& word = words[cls];
    const int tw = minidl::text_width(word, scale), th = minidl::text_height(word, scale);
    const int cx0 = (cells[k] % 2) * cell, cy0 = (cells[k] / 2) * cell;
    const int x = randint(g, cx0, cx0 + cell - tw), y = randint(g, cy0, cy0 + cell - th);
    minidl::draw_text(mask, x, y, word, Rgb{255, 255, 255}, scale);
    const uint8_t dark = static_cast<uint8_t>(randint(g, 0, 60));
    Box box;
    box.cls = cls;
    if (stamp(out.image, mask, Rect{x, y, x + tw - 1, y + th - 1}, Rgb{dark, dark, dark}, box))
      out.boxes.push_back(box);
  }
  return out;
}

GeneratedImage render_fashion(int size, Generator& g, const FashionItems& source) {
  MINIDL_CHECK(size >= 32, "fashion: image size must be >= 32; got ", size);
  MINIDL_CHECK(!source.items.empty() && source.items.size() == source.labels.size(),
               "fashion: no items to paste");
  GeneratedImage out{noisy_background(size, g, 20, 100, 16), {}};
  std::vector<Rect> taken;
  const int n = randint(g, 1, 4);
  const int lo = std::max(12, static_cast<int>(std::lround(0.25 * size)));
  const int hi = std::max(lo, static_cast<int>(std::lround(0.5 * size)));
  for (int k = 0; k < n; ++k) {
    const size_t item = g.below(source.items.size());
    const int s = randint(g, lo, hi);
    Rect r{};
    if (!place(g, size, s, taken, r)) break;
    const Image scaled = minidl::resize_bilinear(source.items[item], s, s);
    const Rgb tint = bright_colour(g);
    const float light = g.uniform(0.7f, 1.f);  // how much of the tint's brightness is kept
    int bx0 = size, by0 = size, bx1 = -1, by1 = -1;
    for (int y = 0; y < s; ++y)
      for (int x = 0; x < s; ++x) {
        const uint8_t v = scaled.at(x, y)[0];
        uint8_t* p = out.image.at(r.x0 + x, r.y0 + y);
        const float a = v / 255.f;
        const uint8_t c[3] = {tint.r, tint.g, tint.b};
        for (int ch = 0; ch < 3; ++ch)
          p[ch] = static_cast<uint8_t>(std::lround(p[ch] * (1 - a) + c[ch] * light * a));
        if (v > 40)
          bx0 = std::min(bx0, r.x0 + x), by0 = std::min(by0, r.y0 + y),
          bx1 = std::max(bx1, r.x0 + x), by1 = std::max(by1, r.y0 + y);
      }
    if (bx1 < 0) continue;  // an empty item: nothing drawn worth a label
    taken.push_back(r);
    out.boxes.push_back({source.labels[item], (bx0 + bx1 + 1) / 2.f / size,
                         (by0 + by1 + 1) / 2.f / size, (bx1 - bx0 + 1) / static_cast<float>(size),
                         (by1 - by0 + 1) / static_cast<float>(size)});
  }
  return out;
}

GeneratedImage render_sample(const std::string& preset, int size, uint64_t seed, int64_t index,
                             const FashionItems* fashion) {
  check_preset(preset);
  Generator g(seed ^ (0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(index + 1)));
  if (preset == "fashion") {
    MINIDL_CHECK(fashion != nullptr, "render_sample: the fashion preset needs its items");
    return render_fashion(size, g, *fashion);
  }
  return preset == "words" ? render_words(size, g) : render_shapes(size, g);
}

GenerateSummary generate_dataset(const GenerateOptions& opt) {
  check_preset(opt.preset);
  const int size = opt.size == 0 ? default_size(opt.preset) : opt.size;
  MINIDL_CHECK(opt.count >= 1, "--count must be >= 1; got ", opt.count);
  MINIDL_CHECK(size >= min_size(opt.preset) && size <= 4096, "--size for preset ", opt.preset,
               " must be in [", min_size(opt.preset), ", 4096]; got ", size);
  MINIDL_CHECK(opt.val_fraction >= 0 && opt.val_fraction < 1,
               "--val-fraction must be in [0, 1); got ", opt.val_fraction);
  const int n_val =
      static_cast<int>(std::lround(opt.count * static_cast<double>(opt.val_fraction)));
  const int n_train = opt.count - n_val;
  MINIDL_CHECK(n_train >= 1, "--val-fraction ", opt.val_fraction, " leaves no training image of ",
               opt.count);

  FashionItems fashion[2];  // the items of train/ and of val/, read before anything is replaced
  if (opt.preset == "fashion") {
    fashion[0] = load_fashion(opt.fashion_dir, "train");
    if (n_val > 0) fashion[1] = load_fashion(opt.fashion_dir, "t10k");
  }

  GenerateSummary sum;
  sum.out = opt.out.empty() ? fs::path("data") / opt.preset : opt.out;
  const std::vector<std::string> names = preset_names(opt.preset);
  std::error_code ec;
  std::vector<fs::path> existing;
  for (const char* p : {"train", "val", "train.txt", "val.txt"})
    if (fs::exists(sum.out / p, ec)) existing.push_back(sum.out / p);
  for (auto it = fs::directory_iterator(sum.out, ec); !ec && it != fs::end(it); it.increment(ec))
    if (it->path().extension() == ".names") existing.push_back(it->path());
  if (!existing.empty()) {
    MINIDL_CHECK(opt.force, "'", sum.out.string(), "' already holds a dataset ('",
                 existing[0].string(), "'): pass --force to replace it, or choose another --out");
    for (const fs::path& p : existing) {
      fs::remove_all(p, ec);
      MINIDL_CHECK(!ec, "cannot remove '", p.string(), "': ", ec.message());
    }
  }

  sum.per_class.assign(names.size(), 0);
  sum.names_file = sum.out / (opt.preset + ".names");
  std::string lists[2];
  for (int split = 0; split < 2; ++split) {
    const int first = split == 0 ? 0 : n_train, last = split == 0 ? n_train : opt.count;
    if (first == last) continue;
    const std::string name = split == 0 ? "train" : "val";
    fs::create_directories(sum.out / name / "images", ec);
    MINIDL_CHECK(!ec, "cannot create '", (sum.out / name / "images").string(), "': ", ec.message());
    fs::create_directories(sum.out / name / "labels", ec);
    MINIDL_CHECK(!ec, "cannot create '", (sum.out / name / "labels").string(), "': ", ec.message());
    for (int i = first; i < last; ++i) {
      char stem[32];
      std::snprintf(stem, sizeof stem, "%06d", i);
      GeneratedImage gi = render_sample(opt.preset, size, opt.seed, i, &fashion[split]);
      minidl::save_png(sum.out / name / "images" / (std::string(stem) + ".png"), gi.image);
      write_labels(sum.out / name / "labels" / (std::string(stem) + ".txt"), gi.boxes);
      lists[split] += name + "/images/" + stem + ".png\n";
      for (const Box& b : gi.boxes) ++sum.per_class[b.cls];
      sum.objects += static_cast<int>(gi.boxes.size());
    }
    minidl::write_file_atomic(sum.out / (name + ".txt"), lists[split]);
    (split == 0 ? sum.train : sum.val) = last - first;
  }
  write_names(sum.names_file, names);
  return sum;
}

}  // namespace yolo
