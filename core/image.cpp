// Image I/O through stb (load any format stb reads, save PNG through write_file_atomic), bilinear
// resizing, and drawing of boxes and text with a 5x7 bitmap font of our own (see image.h for the
// contracts).
#include "core/image.h"

#include <stb_image.h>
#include <stb_image_write.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/error.h"
#include "core/file.h"

namespace minidl {

namespace fs = std::filesystem;

Image::Image(int w, int h, int c, uint8_t fill) : width(w), height(h), channels(c) {
  MINIDL_CHECK(w >= 1 && h >= 1 && c >= 1 && c <= 4,
               "Image: need width, height >= 1 and 1 to 4 channels; got ", w, "x", h, "x", c);
  pixels.assign(static_cast<size_t>(w) * h * c, fill);
}

namespace {

// Opens `path` for reading, or throws naming it and the system's reason.
FILE* open_for_read(const fs::path& path, const char* who) {
  std::error_code ec;
  MINIDL_CHECK(!fs::is_directory(path, ec), who, ": '", path.string(),
               "' is a directory, not an image");
  FILE* f = std::fopen(path.c_str(), "rb");
  MINIDL_CHECK(f != nullptr, who, ": cannot open '", path.string(), "': ", std::strerror(errno));
  return f;
}

void check_image(const Image& im, const char* who) {
  MINIDL_CHECK(im.width >= 1 && im.height >= 1 && im.channels >= 1 && im.channels <= 4 &&
                   im.pixels.size() == static_cast<size_t>(im.width) * im.height * im.channels,
               who, ": malformed image ", im.width, "x", im.height, "x", im.channels, " holding ",
               im.pixels.size(), " bytes");
}

// Bilinear taps along one axis: output o reads i0, i1 with weight (1 - f), f.
struct Taps {
  std::vector<int> i0, i1;
  std::vector<float> f;
};
Taps make_taps(int in, int out) {
  Taps t;
  t.i0.resize(out);
  t.i1.resize(out);
  t.f.resize(out);
  const double scale = static_cast<double>(in) / out;
  for (int o = 0; o < out; ++o) {
    double s = std::clamp((o + 0.5) * scale - 0.5, 0.0, static_cast<double>(in - 1));
    int i0 = static_cast<int>(std::floor(s));
    t.i0[o] = i0;
    t.i1[o] = std::min(i0 + 1, in - 1);
    t.f[o] = static_cast<float>(s - i0);
  }
  return t;
}

// Calls put(x, y, c, value) for every output pixel and channel of a bilinear resize (unrounded).
template <class Put>
void bilinear(const Image& im, int out_w, int out_h, Put put) {
  Taps tx = make_taps(im.width, out_w), ty = make_taps(im.height, out_h);
  for (int y = 0; y < out_h; ++y) {
    const float fy = ty.f[y];
    for (int x = 0; x < out_w; ++x) {
      const float fx = tx.f[x];
      const uint8_t *a = im.at(tx.i0[x], ty.i0[y]), *b = im.at(tx.i1[x], ty.i0[y]);
      const uint8_t *c = im.at(tx.i0[x], ty.i1[y]), *d = im.at(tx.i1[x], ty.i1[y]);
      for (int k = 0; k < im.channels; ++k) {
        float top = a[k] + fx * (b[k] - a[k]), bottom = c[k] + fx * (d[k] - c[k]);
        put(x, y, k, top + fy * (bottom - top));
      }
    }
  }
}

// The 5x7 font for ASCII 32..126: seven rows per glyph, bit 4 is the leftmost column.
// clang-format off
constexpr uint8_t kFont[95][7] = {
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, {0x04, 0x04, 0x04, 0x04, 0x04, 0x00, 0x04},  //   !
    {0x0A, 0x0A, 0x0A, 0x00, 0x00, 0x00, 0x00}, {0x0A, 0x0A, 0x1F, 0x0A, 0x1F, 0x0A, 0x0A},  // " #
    {0x04, 0x0F, 0x14, 0x0E, 0x05, 0x1E, 0x04}, {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03},  // $ %
    {0x0C, 0x12, 0x14, 0x08, 0x15, 0x12, 0x0D}, {0x04, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00},  // & '
    {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02}, {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08},  // ( )
    {0x00, 0x04, 0x15, 0x0E, 0x15, 0x04, 0x00}, {0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00},  // * +
    {0x00, 0x00, 0x00, 0x00, 0x0C, 0x04, 0x08}, {0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00},  // , -
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C}, {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00},  // . /
    {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}, {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E},  // 0 1
    {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}, {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E},  // 2 3
    {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}, {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E},  // 4 5
    {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}, {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08},  // 6 7
    {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}, {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C},  // 8 9
    {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00}, {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x04, 0x08},  // : ;
    {0x02, 0x04, 0x08, 0x10, 0x08, 0x04, 0x02}, {0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00},  // < =
    {0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08}, {0x0E, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04},  // > ?
    {0x0E, 0x11, 0x01, 0x0D, 0x15, 0x15, 0x0E}, {0x0E, 0x11, 0x11, 0x11, 0x1F, 0x11, 0x11},  // @ A
    {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E}, {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E},  // B C
    {0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C}, {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F},  // D E
    {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10}, {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F},  // F G
    {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}, {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E},  // H I
    {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C}, {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11},  // J K
    {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F}, {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11},  // L M
    {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}, {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E},  // N O
    {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10}, {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D},  // P Q
    {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11}, {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E},  // R S
    {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}, {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E},  // T U
    {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04}, {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A},  // V W
    {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11}, {0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04},  // X Y
    {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F}, {0x0E, 0x08, 0x08, 0x08, 0x08, 0x08, 0x0E},  // Z [
    {0x00, 0x10, 0x08, 0x04, 0x02, 0x01, 0x00}, {0x0E, 0x02, 0x02, 0x02, 0x02, 0x02, 0x0E},  // \ ]
    {0x04, 0x0A, 0x11, 0x00, 0x00, 0x00, 0x00}, {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F},  // ^ _
    {0x08, 0x04, 0x02, 0x00, 0x00, 0x00, 0x00}, {0x00, 0x00, 0x0E, 0x01, 0x0F, 0x11, 0x0F},  // ` a
    {0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x1E}, {0x00, 0x00, 0x0E, 0x10, 0x10, 0x11, 0x0E},  // b c
    {0x01, 0x01, 0x0D, 0x13, 0x11, 0x11, 0x0F}, {0x00, 0x00, 0x0E, 0x11, 0x1F, 0x10, 0x0E},  // d e
    {0x06, 0x09, 0x08, 0x1C, 0x08, 0x08, 0x08}, {0x00, 0x0F, 0x11, 0x11, 0x0F, 0x01, 0x0E},  // f g
    {0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x11}, {0x04, 0x00, 0x0C, 0x04, 0x04, 0x04, 0x0E},  // h i
    {0x02, 0x00, 0x06, 0x02, 0x02, 0x12, 0x0C}, {0x10, 0x10, 0x12, 0x14, 0x18, 0x14, 0x12},  // j k
    {0x0C, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}, {0x00, 0x00, 0x1A, 0x15, 0x15, 0x11, 0x11},  // l m
    {0x00, 0x00, 0x16, 0x19, 0x11, 0x11, 0x11}, {0x00, 0x00, 0x0E, 0x11, 0x11, 0x11, 0x0E},  // n o
    {0x00, 0x00, 0x1E, 0x11, 0x1E, 0x10, 0x10}, {0x00, 0x00, 0x0D, 0x13, 0x0F, 0x01, 0x01},  // p q
    {0x00, 0x00, 0x16, 0x19, 0x10, 0x10, 0x10}, {0x00, 0x00, 0x0E, 0x10, 0x0E, 0x01, 0x1E},  // r s
    {0x08, 0x08, 0x1C, 0x08, 0x08, 0x09, 0x06}, {0x00, 0x00, 0x11, 0x11, 0x11, 0x13, 0x0D},  // t u
    {0x00, 0x00, 0x11, 0x11, 0x11, 0x0A, 0x04}, {0x00, 0x00, 0x11, 0x11, 0x15, 0x15, 0x0A},  // v w
    {0x00, 0x00, 0x11, 0x0A, 0x04, 0x0A, 0x11}, {0x00, 0x00, 0x11, 0x11, 0x0F, 0x01, 0x0E},  // x y
    {0x00, 0x00, 0x1F, 0x02, 0x04, 0x08, 0x1F}, {0x02, 0x04, 0x04, 0x08, 0x04, 0x04, 0x02},  // z {
    {0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}, {0x08, 0x04, 0x04, 0x02, 0x04, 0x04, 0x08},  // | }
    {0x00, 0x00, 0x08, 0x15, 0x02, 0x00, 0x00},                                              // ~
};
// clang-format on

}  // namespace

namespace {

const char* stb_reason() {
  return stbi_failure_reason() ? stbi_failure_reason() : "unknown reason";
}

// Reads the header of the open file `f` (leaving its position) and checks the size against the
// limits before anything is decoded. stb 2.27 accepts some damaged headers (a PNM without a
// height) as an image with no pixels: those are errors here too.
ImageInfo checked_header(FILE* f, const fs::path& path, const char* who) {
  ImageInfo info;
  MINIDL_CHECK(stbi_info_from_file(f, &info.width, &info.height, &info.channels), who, ": '",
               path.string(), "' is not an image stb can read (", stb_reason(), ")");
  const int w = info.width, h = info.height, n = info.channels;
  MINIDL_CHECK(w >= 1 && h >= 1 && n >= 1 && n <= 4, who, ": '", path.string(),
               "' is not an image minidl can use: its header says ", w, "x", h, " pixels with ", n,
               " channels");
  MINIDL_CHECK(
      w <= kMaxImageSide && h <= kMaxImageSide && static_cast<int64_t>(w) * h <= kMaxImagePixels,
      who, ": '", path.string(), "' is ", w, "x", h, " pixels, larger than minidl loads (at most ",
      kMaxImageSide, " a side and ", kMaxImagePixels, " pixels)");
  return info;
}

// stb 2.27 reads a PNM's pixels with one read whose shortfall it ignores, so a file cut short
// would decode to whatever the buffer held. Its binary header (P5 / P6, three numbers, comments
// from '#' to the end of a line, one whitespace byte after the last number) is measured here as
// stb reads it; returns the bytes that follow it, or -1 when `f` holds no such header. Leaves the
// file position where it was.
int64_t pnm_data_bytes(FILE* f) {
  const long start = std::ftell(f);
  auto finish = [&](int64_t result) {
    std::fseek(f, start, SEEK_SET);
    return result;
  };
  if (std::fgetc(f) != 'P') return finish(-1);
  const int kind = std::fgetc(f);
  if (kind != '5' && kind != '6') return finish(-1);
  auto space = [](int c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  int c = std::fgetc(f);
  for (int number = 0; number < 3; ++number) {
    for (;;) {  // whitespace and comments
      while (c != EOF && space(c)) c = std::fgetc(f);
      if (c != '#') break;
      while (c != EOF && c != '\n' && c != '\r') c = std::fgetc(f);
    }
    if (c == EOF || c < '0' || c > '9') return finish(-1);
    while (c >= '0' && c <= '9') c = std::fgetc(f);
  }
  // c is the byte after the last number, which ends the header (EOF: nothing follows).
  const long header = std::ftell(f);
  std::fseek(f, 0, SEEK_END);
  const long end = std::ftell(f);
  return finish(header < 0 || end < header ? -1 : end - header);
}

}  // namespace

Image load_image(const fs::path& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(open_for_read(path, "load_image"), std::fclose);
  const ImageInfo header = checked_header(f.get(), path, "load_image");
  if (const int64_t have = pnm_data_bytes(f.get()); have >= 0) {
    const int64_t need = static_cast<int64_t>(header.width) * header.height * header.channels *
                         (stbi_is_16_bit_from_file(f.get()) ? 2 : 1);
    MINIDL_CHECK(have >= need, "load_image: '", path.string(), "' is truncated: its header says ",
                 header.width, "x", header.height, "x", header.channels, " (", need,
                 " bytes of pixels) but ", have, " bytes follow it");
  }
  int w = 0, h = 0, n = 0;
  std::unique_ptr<uint8_t, void (*)(void*)> data(stbi_load_from_file(f.get(), &w, &h, &n, 0),
                                                 stbi_image_free);
  MINIDL_CHECK(data != nullptr, "load_image: '", path.string(), "' is not an image stb can read (",
               stb_reason(), ")");
  MINIDL_CHECK(w == header.width && h == header.height && n == header.channels, "load_image: '",
               path.string(), "' decodes to ", w, "x", h, "x", n, " but its header says ",
               header.width, "x", header.height, "x", header.channels);
  Image im;
  im.width = w;
  im.height = h;
  im.channels = n;
  im.pixels.assign(data.get(), data.get() + static_cast<size_t>(w) * h * n);
  return im;
}

ImageInfo image_info(const fs::path& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(open_for_read(path, "image_info"), std::fclose);
  return checked_header(f.get(), path, "image_info");
}

void save_png(const fs::path& path, const Image& image) {
  check_image(image, ("save_png '" + path.string() + "'").c_str());
  std::vector<uint8_t> bytes;
  auto sink = [](void* ctx, void* data, int size) {
    auto* v = static_cast<std::vector<uint8_t>*>(ctx);
    v->insert(v->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
  };
  int ok = stbi_write_png_to_func(sink, &bytes, image.width, image.height, image.channels,
                                  image.pixels.data(), image.width * image.channels);
  MINIDL_CHECK(ok && !bytes.empty(), "save_png: cannot encode '", path.string(), "'");
  try {
    write_file_atomic(path,
                      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  } catch (const Error& e) {
    throw Error(std::string("save_png: ") + e.what());
  }
}

Image to_rgb(const Image& image) {
  check_image(image, "to_rgb");
  Image out(image.width, image.height, 3);
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x) {
      const uint8_t* p = image.at(x, y);
      uint8_t* q = out.at(x, y);
      for (int c = 0; c < 3; ++c) q[c] = image.channels >= 3 ? p[c] : p[0];
    }
  return out;
}

Image resize_bilinear(const Image& image, int width, int height) {
  check_image(image, "resize_bilinear");
  MINIDL_CHECK(width >= 1 && height >= 1, "resize_bilinear: size must be >= 1; got ", width, "x",
               height);
  Image out(width, height, image.channels);
  bilinear(image, width, height, [&](int x, int y, int c, float v) {
    out.at(x, y)[c] = static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
  });
  return out;
}

void to_chw(const Image& image, int size, float* out) {
  check_image(image, "to_tensor");
  MINIDL_CHECK(size >= 1, "to_tensor: size must be >= 1; got ", size);
  const size_t plane = static_cast<size_t>(size) * size;
  const bool grey = image.channels < 3;
  bilinear(image, size, size, [&](int x, int y, int c, float v) {
    const size_t i = static_cast<size_t>(y) * size + x;
    v /= 255.f;
    if (grey && c == 0) {
      out[i] = out[plane + i] = out[2 * plane + i] = v;
    } else if (!grey && c < 3) {
      out[c * plane + i] = v;
    }
  });
}

Tensor to_tensor(const Image& image, int size) {
  MINIDL_CHECK(size >= 1, "to_tensor: size must be >= 1; got ", size);
  Tensor t = Tensor::empty({3, size, size});  // (3, size, size)
  to_chw(image, size, t.data());
  return t;
}

void put_pixel(Image& image, int x, int y, Rgb colour) {
  if (x < 0 || y < 0 || x >= image.width || y >= image.height) return;
  uint8_t* p = image.at(x, y);
  switch (image.channels) {
    case 1:
      p[0] = static_cast<uint8_t>((colour.r + colour.g + colour.b) / 3);
      break;
    case 2:
      p[0] = static_cast<uint8_t>((colour.r + colour.g + colour.b) / 3);
      p[1] = 255;
      break;
    case 4:
      p[3] = 255;
      [[fallthrough]];
    case 3:
      p[0] = colour.r;
      p[1] = colour.g;
      p[2] = colour.b;
      break;
    default:
      break;
  }
}

void fill_rect(Image& image, int x0, int y0, int x1, int y1, Rgb colour) {
  if (x0 > x1) std::swap(x0, x1);
  if (y0 > y1) std::swap(y0, y1);
  x0 = std::max(x0, 0), y0 = std::max(y0, 0);
  x1 = std::min(x1, image.width - 1), y1 = std::min(y1, image.height - 1);
  for (int y = y0; y <= y1; ++y)
    for (int x = x0; x <= x1; ++x) put_pixel(image, x, y, colour);
}

void draw_box(Image& image, int x0, int y0, int x1, int y1, Rgb colour, int thickness) {
  if (x0 > x1) std::swap(x0, x1);
  if (y0 > y1) std::swap(y0, y1);
  const int t = std::max(thickness, 1) - 1;
  fill_rect(image, x0, y0, x1, std::min(y0 + t, y1), colour);  // top
  fill_rect(image, x0, std::max(y1 - t, y0), x1, y1, colour);  // bottom
  fill_rect(image, x0, y0, std::min(x0 + t, x1), y1, colour);  // left
  fill_rect(image, std::max(x1 - t, x0), y0, x1, y1, colour);  // right
}

const uint8_t* font_glyph(char c) {
  const int i = static_cast<unsigned char>(c);
  return kFont[(i >= 32 && i <= 126) ? i - 32 : '?' - 32];
}

void draw_text(Image& image, int x, int y, const std::string& text, Rgb colour, int scale) {
  scale = std::max(scale, 1);
  int cx = x;
  for (char ch : text) {
    if (ch == '\n') {
      cx = x;
      y += (kFontHeight + 1) * scale;
      continue;
    }
    const uint8_t* g = font_glyph(ch);
    for (int r = 0; r < kFontHeight; ++r)
      for (int col = 0; col < kFontWidth; ++col)
        if (g[r] & (0x10 >> col))
          fill_rect(image, cx + col * scale, y + r * scale, cx + (col + 1) * scale - 1,
                    y + (r + 1) * scale - 1, colour);
    cx += kFontAdvance * scale;
  }
}

int text_width(const std::string& text, int scale) {
  scale = std::max(scale, 1);
  size_t longest = 0, len = 0;
  for (char ch : text) {
    len = ch == '\n' ? 0 : len + 1;
    longest = std::max(longest, len);
  }
  return longest == 0 ? 0 : static_cast<int>(longest) * kFontAdvance * scale - scale;
}

int text_height(const std::string& text, int scale) {
  scale = std::max(scale, 1);
  if (text.empty()) return 0;
  const int lines = 1 + static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  return lines * (kFontHeight + 1) * scale - scale;
}

}  // namespace minidl
