// Tests of core/image: PNG round trips, the bilinear resize against a hand computation, grey and
// RGBA inputs, errors that name the bad file, and the drawing of boxes and text.
#include <catch2/catch.hpp>

#include "core/error.h"
#include "core/image.h"
#include "tests/apps/yolo_v1/temp_dir.h"

using namespace minidl;
using Catch::Matchers::Contains;

namespace {
Image make(int w, int h, int c, std::initializer_list<int> values) {
  Image im(w, h, c);
  size_t i = 0;
  for (int v : values) im.pixels.at(i++) = static_cast<uint8_t>(v);
  REQUIRE(i == im.pixels.size());
  return im;
}
}  // namespace

TEST_CASE("image: save_png then load_image gives back every pixel for 1 to 4 channels", "[image]") {
  yolo_test::TempDir dir("image_roundtrip");
  for (int c = 1; c <= 4; ++c) {
    Image im(3, 2, c);
    for (size_t i = 0; i < im.pixels.size(); ++i)
      im.pixels[i] = static_cast<uint8_t>(17 * i + 3 * c);
    const auto file = dir / ("im" + std::to_string(c) + ".png");
    save_png(file, im);
    Image back = load_image(file);
    CHECK(back.width == 3);
    CHECK(back.height == 2);
    CHECK(back.channels == c);
    CHECK(back.pixels == im.pixels);
    ImageInfo info = image_info(file);
    CHECK((info.width == 3 && info.height == 2 && info.channels == c));
  }
  // Atomic write: nothing but the four PNGs is left in the folder.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path)) {
    ++files;
    CHECK(e.path().extension() == ".png");
  }
  CHECK(files == 4);
}

TEST_CASE("image: bilinear resize of a 2x2 image to 4x4 matches the hand computation", "[image]") {
  // Half-pixel rule: output x samples x' = (x + 0.5) * 2/4 - 0.5 = -0.25, 0.25, 0.75, 1.25, clamped
  // to [0, 1]: weights of (left, right) are (1, 0), (0.75, 0.25), (0.25, 0.75), (0, 1). Same in y.
  // Input [[0, 40], [80, 120]]: row 0 = [0, 10, 30, 40]; row 3 = [80, 90, 110, 120];
  // row 1 = 0.75 row0 + 0.25 row3 = [20, 30, 50, 60]; row 2 = 0.25 row0 + 0.75 row3 = [60, 70, 90,
  // 100].
  const std::vector<float> expected = {0,  10, 30, 40,  20, 30, 50,  60,
                                       60, 70, 90, 100, 80, 90, 110, 120};
  Image grey = make(2, 2, 1, {0, 40, 80, 120});
  Tensor t = to_tensor(grey, 4);
  REQUIRE(t.shape() == Shape{3, 4, 4});
  std::vector<float> v = t.to_vector();
  for (int c = 0; c < 3; ++c)  // grey is copied into R, G and B
    for (int i = 0; i < 16; ++i) CHECK(v[c * 16 + i] == Approx(expected[i] / 255.f).margin(1e-6));
  Image r = resize_bilinear(grey, 4, 4);
  REQUIRE((r.width == 4 && r.height == 4 && r.channels == 1));
  for (int i = 0; i < 16; ++i)
    CHECK(static_cast<int>(r.pixels[i]) == static_cast<int>(expected[i]));
}

TEST_CASE("image: RGBA input drops alpha and grey with alpha becomes grey RGB", "[image]") {
  Image rgba = make(1, 1, 4, {51, 102, 204, 0});
  std::vector<float> v = to_tensor(rgba, 2).to_vector();  // (3, 2, 2), all four pixels the same
  for (int i = 0; i < 4; ++i) {
    CHECK(v[i] == Approx(0.2f));
    CHECK(v[4 + i] == Approx(0.4f));
    CHECK(v[8 + i] == Approx(0.8f));
  }
  Image ga = make(1, 1, 2, {255, 7});
  std::vector<float> w = to_tensor(ga, 1).to_vector();
  CHECK(w == std::vector<float>{1.f, 1.f, 1.f});
  Image rgb = to_rgb(make(2, 1, 1, {9, 200}));
  CHECK(rgb.channels == 3);
  CHECK(rgb.pixels == std::vector<uint8_t>{9, 9, 9, 200, 200, 200});
}

TEST_CASE("image: unreadable files give errors that name them", "[image]") {
  yolo_test::TempDir dir("image_bad");
  yolo_test::write_text(dir / "garbage.png", "this is not a PNG file at all");
  CHECK_THROWS_WITH(load_image(dir / "garbage.png"),
                    Contains("garbage.png") && Contains("not an image"));
  CHECK_THROWS_WITH(image_info(dir / "garbage.png"), Contains("garbage.png"));
  // A valid PNG cut short.
  save_png(dir / "whole.png", Image(8, 8, 3, 128));
  std::string bytes = yolo_test::slurp(dir / "whole.png");
  yolo_test::write_text(dir / "cut.png", bytes.substr(0, bytes.size() / 2));
  CHECK_THROWS_WITH(load_image(dir / "cut.png"), Contains("cut.png"));
  yolo_test::write_text(dir / "empty.jpg", "");
  CHECK_THROWS_WITH(load_image(dir / "empty.jpg"), Contains("empty.jpg"));
  CHECK_THROWS_WITH(load_image(dir / "missing.png"),
                    Contains("missing.png") && Contains("cannot open"));
  CHECK_THROWS_WITH(load_image(dir.path), Contains("directory"));
  CHECK_THROWS_WITH(save_png(dir / "no_such_dir" / "x.png", Image(2, 2, 3)), Contains("x.png"));
  CHECK_THROWS_AS(save_png(dir / "empty_image.png", Image()), Error);
}

// Regressions from tests/fuzz (fuzz_image): stb 2.27 decodes a PNM header without a height to an
// image of 255x0 pixels, overflows an int on a huge size, and ignores truncated pixel data; and a
// header alone must not make the decoder allocate what it declares.
TEST_CASE("image: headers with no pixels or too many are rejected before decoding", "[image]") {
  yolo_test::TempDir dir("image_header");
  yolo_test::write_text(dir / "no_height.ppm", "P6\n# a comm 2\n255\n\x7f\x7f\x7f\x83\x7f\x7f");
  CHECK_THROWS_WITH(load_image(dir / "no_height.ppm"),
                    Contains("no_height.ppm") && Contains("255x0 pixels"));
  CHECK_THROWS_WITH(image_info(dir / "no_height.ppm"), Contains("255x0 pixels"));
  // 9000 x 9000 = 81 Mpixel: over the 64 Mpixel limit although each side is allowed.
  yolo_test::write_text(dir / "huge.pgm", "P5\n9000 9000\n255\n");
  CHECK_THROWS_WITH(load_image(dir / "huge.pgm"),
                    Contains("huge.pgm") && Contains("9000x9000") && Contains("larger than"));
  CHECK_THROWS_WITH(image_info(dir / "huge.pgm"), Contains("larger than"));
  // A size past 2^31 - 1 overflowed an int inside stb 2.27 (UBSan; cmake/stb.cmake stops it).
  yolo_test::write_text(dir / "overflow.pgm", "P5\n6666666666 1\n255\n");
  CHECK_THROWS_WITH(load_image(dir / "overflow.pgm"), Contains("overflow.pgm"));
  yolo_test::write_text(dir / "wide.pgm", "P5\n40000 1\n255\n");
  CHECK_THROWS_WITH(load_image(dir / "wide.pgm"), Contains("40000x1") && Contains("32768"));
  // stb 2.27 ignores a short read of a PNM's pixels: a truncated file is an error here.
  yolo_test::write_text(dir / "short.pgm", "P5\n# comment\n3 2 255\nabcde");
  CHECK_THROWS_WITH(load_image(dir / "short.pgm"),
                    Contains("short.pgm") && Contains("truncated") && Contains("6 bytes"));
  yolo_test::write_text(dir / "whole.pgm", "P5\n# comment\n3 2 255\nabcdef");
  CHECK(load_image(dir / "whole.pgm").pixels == std::vector<uint8_t>{'a', 'b', 'c', 'd', 'e', 'f'});
  yolo_test::write_text(dir / "short16.ppm", "P6 1 1 65535 " + std::string(5, '\x01'));
  CHECK_THROWS_WITH(load_image(dir / "short16.ppm"), Contains("truncated") && Contains("6 bytes"));
}

// Regression from tests/fuzz (fuzz_image): stb 2.27 wrote past its Huffman table for a JPEG DHT
// segment declaring more than 256 codes (cmake/stb.cmake adds the check).
TEST_CASE("image: a JPEG Huffman table with too many codes is an error, not an overflow",
          "[image]") {
  yolo_test::TempDir dir("image_dht");
  const int n = 16 * 255;  // every code length used 255 times
  const int L = 2 + 17 + n;
  // SOI, a baseline SOF for one 1x1 grey component (so the header reads), then the DHT segment.
  std::string jpeg("\xFF\xD8\xFF\xC0\x00\x0B\x08\x00\x01\x00\x01\x01\x01\x11\x00\xFF\xC4", 17);
  jpeg += static_cast<char>(L >> 8);
  jpeg += static_cast<char>(L & 0xFF);
  jpeg += '\x00';                   // a DC table, number 0
  jpeg += std::string(16, '\xFF');  // the 16 counts
  jpeg += std::string(n, '\x01');   // the values
  jpeg += "\xFF\xD9";
  yolo_test::write_text(dir / "dht.jpg", jpeg);
  CHECK_THROWS_WITH(load_image(dir / "dht.jpg"), Contains("dht.jpg") && Contains("bad DHT header"));
  CHECK(image_info(dir / "dht.jpg").width == 1);  // the header itself is fine
}

// Regression from tests/fuzz (fuzz_image): an empty first IDAT chunk made stb 2.27 compute
// null + 0 (undefined behaviour, UBSan; cmake/stb.cmake skips empty chunks).
TEST_CASE("image: a PNG with an empty IDAT chunk and no data is an error", "[image]") {
  yolo_test::TempDir dir("image_idat");
  auto chunk = [](const std::string& type, const std::string& data) {
    const uint32_t n = static_cast<uint32_t>(data.size());
    std::string c{char(n >> 24), char(n >> 16), char(n >> 8), char(n)};
    return c + type + data + std::string(4, '\0');  // stb does not check the CRC
  };
  const std::string ihdr("\x00\x00\x00\x05\x00\x00\x00\x03\x08\x02\x00\x00\x00", 13);  // 5x3 RGB
  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) +
                          chunk("IDAT", "") + chunk("IEND", "");
  yolo_test::write_text(dir / "empty_idat.png", png);
  CHECK_THROWS_WITH(load_image(dir / "empty_idat.png"),
                    Contains("empty_idat.png") && Contains("not an image stb can read"));
}

// Regression from tests/fuzz (fuzz_image): a JPEG whose entropy-coded data runs out mid-block let
// stb 2.27's bit count go negative, and the next refill shifted by 32 (undefined behaviour, caught
// by UBSan in tests/sanitize.sh; cmake/stb.cmake reads zero bits instead, as stb 2.28 does).
TEST_CASE("image: a JPEG that runs out of entropy-coded bits is an error, not undefined behaviour",
          "[image]") {
  const std::filesystem::path file =
      std::filesystem::path(MINIDL_FUZZ_CORPUS_DIR) / "image" / "jpeg_out_of_bits.jpg";
  REQUIRE(std::filesystem::exists(file));
  // With zero bits the block decodes to garbage and the next marker is missing: a clear error.
  CHECK_THROWS_WITH(load_image(file),
                    Contains("jpeg_out_of_bits.jpg") && Contains("not an image stb can read"));
}

// Regression from tests/fuzz (fuzz_image): a 5x3 PNG whose second IDAT chunk declares about 2^31
// bytes made stb 2.27 grow its buffer to 2 GiB before reading them (out of memory under the
// fuzzer's limit). cmake/stb.cmake now refuses more compressed data than the image can need.
TEST_CASE("image: a PNG chunk longer than its image can need is an error before any allocation",
          "[image]") {
  const std::filesystem::path file =
      std::filesystem::path(MINIDL_FUZZ_CORPUS_DIR) / "image" / "png_idat_length.png";
  REQUIRE(std::filesystem::exists(file));
  CHECK_THROWS_WITH(load_image(file), Contains("png_idat_length.png") &&
                                          Contains("not an image stb can read") &&
                                          Contains("too much IDAT"));
}

TEST_CASE("image: draw_box outlines and draw_text writes the font's pixels", "[image]") {
  Image im(6, 6, 3, 0);
  const Rgb red{255, 0, 0};
  draw_box(im, 1, 1, 4, 4, red, 1);
  for (int y = 0; y < 6; ++y)
    for (int x = 0; x < 6; ++x) {
      const bool border =
          (x >= 1 && x <= 4 && y >= 1 && y <= 4) && (x == 1 || x == 4 || y == 1 || y == 4);
      INFO("pixel " << x << ", " << y);
      CHECK(im.at(x, y)[0] == (border ? 255 : 0));
      CHECK(im.at(x, y)[1] == 0);
    }
  // Thickness 2 on a 6x6 box fills everything but the 2x2 centre; parts outside are clipped.
  Image thick(6, 6, 1, 0);
  draw_box(thick, 0, 0, 5, 5, Rgb{90, 90, 90}, 2);
  CHECK(thick.at(2, 2)[0] == 0);
  CHECK(thick.at(3, 3)[0] == 0);
  CHECK(thick.at(1, 3)[0] == 90);
  draw_box(thick, -3, -3, 20, 20, Rgb{30, 30, 30}, 1);  // no write outside: would crash under ASan

  // 'I' is rows 0x0E, 0x04 x5, 0x0E: columns 1-3 on the top and bottom rows, column 2 between.
  Image t(5, 7, 1, 0);
  draw_text(t, 0, 0, "I", Rgb{255, 255, 255});
  for (int y = 0; y < 7; ++y)
    for (int x = 0; x < 5; ++x) {
      const bool on = (y == 0 || y == 6) ? (x >= 1 && x <= 3) : x == 2;
      INFO("pixel " << x << ", " << y);
      CHECK(t.at(x, y)[0] == (on ? 255 : 0));
    }
  CHECK(text_width("chat") == 4 * 6 - 1);
  CHECK(text_width("rat", 2) == (3 * 6 - 1) * 2);
  CHECK(text_height("a\nb") == 15);
  CHECK(font_glyph('\x01') == font_glyph('?'));
}
