// check-dataset decodes every image in full (apps/yolo_v1/check.h verify_image): a PNG and a JPEG
// written here and then cut short pass the header-only check but are reported, by file name, as
// unreadable; the complete files pass.
#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "apps/yolo_v1/check.h"
#include "tests/apps/yolo_v1/temp_dir.h"

// stb's JPEG writer, compiled into this test alone: minidl itself writes only PNG.
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#endif
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

using namespace yolo;
using Catch::Matchers::Contains;
using yolo_test::slurp;
using yolo_test::TempDir;
using yolo_test::write_text;

namespace {

// A 64x48 picture with some structure, so that the compressed data is not trivially short.
minidl::Image picture() {
  minidl::Image im(64, 48, 3);
  for (int y = 0; y < 48; ++y)
    for (int x = 0; x < 64; ++x) {
      uint8_t* p = im.at(x, y);
      p[0] = static_cast<uint8_t>(x * 4), p[1] = static_cast<uint8_t>(y * 5);
      p[2] = static_cast<uint8_t>((x * y) % 256);
    }
  return im;
}

std::string jpeg_of(const minidl::Image& im) {
  std::string bytes;
  stbi_write_jpg_to_func(
      [](void* ctx, void* data, int n) { static_cast<std::string*>(ctx)->append((char*)data, n); },
      &bytes, im.width, im.height, im.channels, im.pixels.data(), 90);
  return bytes;
}

}  // namespace

TEST_CASE("yolo_v1 check-dataset: a truncated PNG or JPEG is reported by name", "[yolo_check]") {
  TempDir dir("check_decode");
  const fs::path images = dir / "ds" / "images";
  fs::create_directories(images);
  const minidl::Image im = picture();
  minidl::save_png(images / "good.png", im);
  const std::string png = slurp(images / "good.png"), jpg = jpeg_of(im);
  REQUIRE(jpg.size() > 500);
  write_text(images / "good.jpg", jpg);
  write_text(images / "cut.png", png.substr(0, png.size() / 2));  // cut inside the pixel data
  write_text(images / "cut.jpg", jpg.substr(0, jpg.size() * 3 / 4));
  write_text(images / "end.png", png.substr(0, png.size() - 4));  // only the IEND CRC missing
  write_text(dir / "ds" / "x.names", "thing\n");
  for (const char* f : {"cut.png", "cut.jpg", "end.png"})  // the headers alone look fine
    CHECK(minidl::image_info(images / f).width == 64);

  CHECK(verify_image(images / "good.png").width == 64);
  CHECK(verify_image(images / "good.jpg").height == 48);
  CHECK_THAT(minidl::test::error_of([&] { verify_image(images / "end.png"); }),
             Contains("end.png' is truncated: the PNG does not end with its IEND chunk"));

  std::ostringstream out;
  const CheckReport r = check_dataset(dir / "ds", {}, out);
  INFO(out.str());
  CHECK(r.images == 5);
  CHECK(r.unreadable == 3);
  CHECK_FALSE(r.ok());
  CHECK_THAT(out.str(), Contains("unreadable images: 3"));
  for (const char* f : {"cut.png", "cut.jpg", "end.png"}) CHECK_THAT(out.str(), Contains(f));
  CHECK_THAT(out.str(), !Contains("good.png") && !Contains("good.jpg"));

  // --no-images skips the decoding (and so the report).
  CheckOptions labels_only;
  labels_only.read_images = false;
  std::ostringstream quiet;
  CHECK(check_dataset(dir / "ds", labels_only, quiet).ok());
}
