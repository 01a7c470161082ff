// Images for apps and tests: load (stb_image: PNG, JPEG, BMP, TGA, GIF, PNM), save PNG
// atomically (stb_image_write), bilinear resize to a float (3, size, size) tensor, and drawing of
// boxes and text with a small built-in 5x7 bitmap font (for detections and for generated datasets).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace minidl {

/// An 8-bit image, rows top to bottom, pixels interleaved: pixel (x, y), channel c lives at
/// pixels[(y * width + x) * channels + c]. channels is 1 (grey), 2 (grey + alpha), 3 (RGB) or
/// 4 (RGBA).
struct Image {
  int width = 0, height = 0, channels = 0;
  std::vector<uint8_t> pixels;

  Image() = default;
  /// A width x height image with `channels` channels, every byte set to `fill`.
  /// Throws minidl::Error unless width, height >= 1 and channels is 1 to 4.
  Image(int width, int height, int channels, uint8_t fill = 0);
  uint8_t* at(int x, int y) {
    return pixels.data() + (static_cast<size_t>(y) * width + x) * channels;
  }
  const uint8_t* at(int x, int y) const {
    return pixels.data() + (static_cast<size_t>(y) * width + x) * channels;
  }
};

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};

/// The largest image load_image decodes: at most kMaxImageSide pixels a side and kMaxImagePixels
/// pixels in all (64 Mpixel, 256 MiB as RGBA).
inline constexpr int kMaxImageSide = 1 << 15;
inline constexpr int64_t kMaxImagePixels = int64_t{1} << 26;

/// Reads an image file as stored (1 to 4 channels, 16-bit files reduced to 8 bits): PNG, JPEG,
/// BMP, TGA, GIF (the first frame) or PNM. Throws minidl::Error naming the file when it cannot be
/// opened, naming the file and stb's reason when it is not an image stb can decode, and naming the
/// file and its size when its header declares no pixels or more than the limits above (checked
/// before decoding, so a small file cannot make the decoder allocate gigabytes).
Image load_image(const std::filesystem::path& path);

/// Width, height and channel count from the file's header only (no decode). Throws like load_image
/// (a header load_image would reject, for its size or for no pixels, is an error here too).
struct ImageInfo {
  int width = 0, height = 0, channels = 0;
};
ImageInfo image_info(const std::filesystem::path& path);

/// Writes `image` (1 to 4 channels) as a PNG file, atomically (write_file_atomic, core/file.h):
/// `path` is never left half-written. Throws minidl::Error naming the file when the image is
/// empty or malformed or the file cannot be written.
void save_png(const std::filesystem::path& path, const Image& image);

/// The same picture with 3 channels: grey copied into R, G and B; alpha dropped (not blended).
Image to_rgb(const Image& image);

/// Resizes to width x height with bilinear interpolation on pixel centres (half-pixel
/// convention, edges clamped: output pixel x samples input x' = (x + 0.5) * in_w / out_w - 0.5),
/// rounding to the nearest byte. Keeps the channel count. Requires width, height >= 1.
Image resize_bilinear(const Image& image, int width, int height);

/// The image as a float tensor (3, size, size) with values in [0, 1]: resized with the same
/// bilinear rule as resize_bilinear but without rounding, grey expanded to RGB, alpha dropped.
/// Requires size >= 1 and a non-empty image.
Tensor to_tensor(const Image& image, int size);
/// The same values written to out[0 .. 3 * size * size) in CHW order (for filling a batch).
void to_chw(const Image& image, int size, float* out);

/// Draws the outline of the pixel rectangle [x0, x1] x [y0, y1] (inclusive corners; either order)
/// with lines `thickness` pixels wide growing inwards; parts outside the image are clipped.
/// Grey images receive the colour's mean; alpha, where present, is set to 255.
void draw_box(Image& image, int x0, int y0, int x1, int y1, Rgb colour, int thickness = 1);
/// Fills the pixel rectangle [x0, x1] x [y0, y1] (inclusive), clipped to the image.
void fill_rect(Image& image, int x0, int y0, int x1, int y1, Rgb colour);
/// Sets one pixel when (x, y) is inside the image (no-op otherwise).
void put_pixel(Image& image, int x, int y, Rgb colour);

/// Glyph cell of the built-in font: 5 x 7 pixels plus one pixel of spacing to the right.
inline constexpr int kFontWidth = 5, kFontHeight = 7, kFontAdvance = 6;
/// Draws `text` with its top-left corner at (x, y), each font pixel a scale x scale square,
/// clipped to the image. Printable ASCII is drawn; '\n' starts a new line; other bytes draw '?'.
void draw_text(Image& image, int x, int y, const std::string& text, Rgb colour, int scale = 1);
/// Width and height in pixels that draw_text covers for `text` (last glyph without spacing).
int text_width(const std::string& text, int scale = 1);
int text_height(const std::string& text, int scale = 1);
/// The 7 rows of the glyph for `c` (bit 4 is the leftmost column); '?' for non-printable bytes.
const uint8_t* font_glyph(char c);

}  // namespace minidl
