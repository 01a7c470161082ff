// Tests for core/idx: small IDX files written byte by byte (plain and gzip-compressed with zlib)
// with hand-known values for every element type, and bad files each rejected naming the problem.
#include <zlib.h>

#include <filesystem>
#include <string>

#include "core/idx.h"
#include "support/files.h"
#include "support/helpers.h"

using namespace minidl;
using namespace minidl::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

void write_gzip(const fs::path& p, const std::string& bytes) {
  gzFile f = gzopen(p.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) ==
          static_cast<int>(bytes.size()));
  REQUIRE(gzclose(f) == Z_OK);
}

// A (2, 2, 3) ubyte image stack: magic 00 00 08 03, sizes 2, 2, 3 big-endian, 12 values.
const std::string kImages = B({0, 0, 8, 3, 0, 0, 0,   2,   0,   0,   0,   2,  0, 0, 0, 3,  //
                               0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255});
const std::vector<float> kImageValues = {0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255};

}  // namespace

TEST_CASE("idx: a plain ubyte file reads with its shape and values as stored", "[idx]") {
  TempDir dir;
  write_bytes(dir / "images-idx3-ubyte", kImages);
  CHECK_CLOSE(read_idx(dir / "images-idx3-ubyte"), kImageValues, {2, 2, 3}, 0, 0);
  // Labels: magic 00 00 08 01, one size (5), five bytes.
  write_bytes(dir / "labels-idx1-ubyte", B({0, 0, 8, 1, 0, 0, 0, 5, 9, 0, 3, 7, 1}));
  CHECK_CLOSE(read_idx(dir / "labels-idx1-ubyte"), {9, 0, 3, 7, 1}, {5}, 0, 0);
}

TEST_CASE("idx: a gzip-compressed file reads the same whatever its name", "[idx]") {
  TempDir dir;
  write_gzip(dir / "images-idx3-ubyte.gz", kImages);
  REQUIRE(read_bytes(dir / "images-idx3-ubyte.gz").substr(0, 2) == B({0x1f, 0x8b}));  // gzip magic
  CHECK_CLOSE(read_idx(dir / "images-idx3-ubyte.gz"), kImageValues, {2, 2, 3}, 0, 0);
  write_gzip(dir / "no-suffix", kImages);
  CHECK_CLOSE(read_idx(dir / "no-suffix"), kImageValues, {2, 2, 3}, 0, 0);
}

TEST_CASE("idx: every element type decodes big-endian values", "[idx]") {
  TempDir dir;
  struct Case {
    const char* what;
    std::string bytes;
    std::vector<float> values;
  };
  const std::vector<Case> cases = {
      {"0x09 signed byte", B({0, 0, 0x09, 1, 0, 0, 0, 3, 0xff, 0x80, 0x7f}), {-1, -128, 127}},
      {"0x0B int16", B({0, 0, 0x0B, 1, 0, 0, 0, 2, 0xff, 0xfe, 0x01, 0x00}), {-2, 256}},
      {"0x0C int32",
       B({0, 0, 0x0C, 1, 0, 0, 0, 2, 0, 1, 0, 0, 0xff, 0xff, 0xff, 0x9c}),
       {65536, -100}},
      {"0x0D float32",
       B({0, 0, 0x0D, 1, 0, 0, 0, 2, 0x3f, 0xc0, 0, 0, 0xc1, 0x20, 0, 0}),
       {1.5f, -10.f}},
      {"0x0E float64",
       B({0, 0, 0x0E, 1, 0, 0, 0, 1, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18}),
       {3.14159265358979f}},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    write_bytes(dir / "t.idx", c.bytes);
    CHECK_CLOSE(read_idx(dir / "t.idx"), c.values, {int64_t(c.values.size())}, 0, 0);
  }
}

TEST_CASE("idx: bad files are rejected naming the file and the problem", "[idx]") {
  TempDir dir;
  struct Case {
    const char* what;
    std::string bytes;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {"empty", "", "truncated header (the 4-byte magic): expected 4 bytes, got 0"},
      {"bad magic", B({0x1f, 0x00, 8, 1, 0, 0, 0, 1, 5}),
       "bad magic: the file starts with bytes 0x1f 0x0"},
      {"text file", "hello world", "bad magic"},
      {"unknown type", B({0, 0, 0x0A, 1, 0, 0, 0, 1, 5}), "unknown data type code 0xa"},
      {"no dimensions", B({0, 0, 8, 0, 5}), "declares 0 dimensions"},
      {"cut in the sizes", B({0, 0, 8, 3, 0, 0, 0, 2, 0, 0}),
       "truncated header (3 dimension sizes): expected 12 bytes, got 6"},
      {"cut in the data", kImages.substr(0, kImages.size() - 5),
       "truncated data (shape (2, 2, 3) of unsigned byte): expected 12 bytes, got 7"},
      {"sizes overflow", B({0,    0,    0x0E, 4,    0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
       "the product of the dimension sizes (4294967295, 4294967295, 4294967295"},
      {"extra bytes", kImages + "xy", "extra bytes after the data"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    const fs::path p = dir / "bad-idx";
    write_bytes(p, c.bytes);
    CHECK_THAT(error_of([&] { read_idx(p); }),
               Contains("read_idx: '" + p.string() + "'") && Contains(c.expected));
  }
  CHECK_THAT(error_of([&] { read_idx(dir / "absent.gz"); }),
             Contains("absent.gz") && Contains("cannot open: No such file or directory"));
  CHECK_THAT(error_of([&] { read_idx(dir.path); }), Contains("is a directory"));

  // A gzip stream cut short, and one whose compressed bytes were damaged.
  std::string big = B({0, 0, 8, 1, 0, 0, 0x10, 0});  // 4096 pseudo-random bytes
  uint32_t s = 1;
  for (int i = 0; i < 4096; ++i) big += static_cast<char>((s = s * 1103515245u + 12345u) >> 24);
  write_gzip(dir / "whole.gz", big);
  REQUIRE(read_idx(dir / "whole.gz").numel() == 4096);
  const std::string gz = read_bytes(dir / "whole.gz");
  write_bytes(dir / "cut.gz", gz.substr(0, gz.size() / 2));
  CHECK_THAT(error_of([&] { read_idx(dir / "cut.gz"); }), Contains("cut.gz") &&
                                                              Contains("truncated data") &&
                                                              Contains("unexpected end of file"));
  std::string damaged = gz;
  for (size_t i = 20; i < 60; ++i) damaged[i] = static_cast<char>(damaged[i] ^ 0x5a);
  write_bytes(dir / "damaged.gz", damaged);
  CHECK_THAT(error_of([&] { read_idx(dir / "damaged.gz"); }), Contains("damaged.gz"));
}
