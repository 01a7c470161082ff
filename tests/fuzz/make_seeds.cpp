// Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/ (committed; run
// again after a format change: build-asan/tests/fuzz/fuzz_make_seeds tests/fuzz/corpus). Small
// valid files of every kind each reader accepts, plus a few near misses.
// A private copy of stb's encoders for the BMP, TGA and JPEG seeds (minidl itself writes PNG only).
// Its JPEG encoder shifts negative ints (UBSan: shift-base), harmless here: this target is built
// with -fno-sanitize=shift-base, the library is not.
#define STB_IMAGE_WRITE_STATIC
#define STB_IMAGE_WRITE_IMPLEMENTATION
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wmissing-field-initializers"
#pragma clang diagnostic ignored "-Wunused-function"
#include <stb_image_write.h>
#pragma clang diagnostic pop
#include <zlib.h>

#include <cstdio>
#include <fstream>

#include "core/image.h"
#include "core/minidl.h"
#include "core/serialize.h"
#include "layers/layers.h"
#include "layers/serialize_model.h"

namespace fs = std::filesystem;
using namespace minidl;

namespace {

void write(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

std::string gzip(const std::string& bytes) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // 15 + 16: a gzip header
  std::string out(deflateBound(&z, bytes.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string be32(uint32_t v) { return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; }

// An IDX file of `type` with `shape` whose element bytes are 0, 1, 2, ... (big-endian garbage for
// the wider types is fine: any bytes are a value).
std::string idx(int type, const std::vector<uint32_t>& shape, int elem_size) {
  std::string s{0, 0, char(type), char(shape.size())};
  size_t n = 1;
  for (uint32_t d : shape) s += be32(d), n *= d;
  for (size_t i = 0; i < n * elem_size; ++i) s += char(i * 37 + 1);
  return s;
}

// A safetensors file written by hand: an entry per (name, dtype, shape, bytes).
struct Raw {
  std::string name, dtype, shape;
  std::string bytes;
};
std::string safetensors(const std::vector<Raw>& entries, const std::string& metadata) {
  std::string header = "{" + metadata, data;
  for (const Raw& e : entries) {
    if (header.size() > 1) header += ",";
    header += "\"" + e.name + "\":{\"dtype\":\"" + e.dtype + "\",\"shape\":" + e.shape +
              ",\"data_offsets\":[" + std::to_string(data.size()) + "," +
              std::to_string(data.size() + e.bytes.size()) + "]}";
    data += e.bytes;
  }
  header += "}";
  std::string size(8, '\0');
  for (int i = 0; i < 8; ++i) size[i] = char(uint64_t(header.size()) >> (8 * i));
  return size + header + data;
}

std::shared_ptr<Sequential> fuzz_model() {  // the model of fuzz_model.cpp
  Generator gen(7);
  auto m = std::make_shared<Sequential>();
  m->emplace<Dense>(3, 2, true, Init::Auto, gen);
  m->emplace<ReLU>();
  m->emplace<Dense>(2, 1, true, Init::Auto, gen);
  return m;
}

void stb_sink(void* ctx, void* data, int size) {
  static_cast<std::string*>(ctx)->append(static_cast<char*>(data), size);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_seeds CORPUS_DIR\n");
    return 2;
  }
  const fs::path root = argv[1];
  for (const char* t : {"labels", "image", "idx", "model"}) fs::create_directories(root / t);

  // labels: darknet lines (CRLF, blanks, signs, exponents), edge boxes, bad lines, .names files.
  const fs::path L = root / "labels";
  write(L / "good.txt", "0 0.5 0.5 0.25 0.125\r\n\n2 +0.1 9e-1 1e-2 0.3\n  1\t0.0 1.0 0.5 0.5  \n");
  write(L / "edge.txt", "0 0.05 0.95 0.2 0.2\n1 1 1 0.5 0.5\n2 0.5 0.5 3.0 0.001\n");
  write(L / "bad.txt",
        "3 0.5 0.5 0.1 0.1\n0 nan 0.5 0.1 0.1\n0 0.5 0.5 -1 0.1\n0 0.5 0.5 0.1\n"
        "x 0.5 0.5 0.1 0.1\n0 1.5 0.5 0.1 0.1\n0 0.5 0.5 0.1 0.1 7\n");
  write(L / "names.txt", "person\n  bicycle \r\ncar\n\n\n");
  write(L / "names_bad.txt", "cat\n\ndog\ncat\n");

  // images: each format stb reads here, small, in each channel count save_png writes.
  const fs::path I = root / "image";
  for (int c = 1; c <= 4; ++c) {
    Image im(5, 3, c);
    for (size_t k = 0; k < im.pixels.size(); ++k) im.pixels[k] = uint8_t(k * 29);
    save_png(I / ("c" + std::to_string(c) + ".png"), im);
  }
  Image rgb(6, 4, 3);
  for (size_t k = 0; k < rgb.pixels.size(); ++k) rgb.pixels[k] = uint8_t(k * 13);
  for (const char* kind : {"bmp", "tga", "jpg"}) {
    std::string bytes;
    const int w = rgb.width, h = rgb.height, c = rgb.channels;
    const void* px = rgb.pixels.data();
    if (std::string(kind) == "bmp") stbi_write_bmp_to_func(stb_sink, &bytes, w, h, c, px);
    if (std::string(kind) == "tga") stbi_write_tga_to_func(stb_sink, &bytes, w, h, c, px);
    if (std::string(kind) == "jpg") stbi_write_jpg_to_func(stb_sink, &bytes, w, h, c, px, 90);
    write(I / (std::string("rgb.") + kind), bytes);
  }
  write(I / "grey.pgm",
        "P5\n4 3\n255\n" + std::string("\x01\x40\x80\xff\x00\x10\x20\x30\x90\xa0\xb0\xc0", 12));
  write(I / "rgb.ppm", "P6\n# a comment\n2 2\n255\n" + std::string(12, '\x7f'));
  write(I / "dot.gif", std::string("GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00"
                                   "!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01"
                                   "\x00\x00\x02\x02\x44\x01\x00;",
                                   43));

  // IDX: every element type, 1 to 3 axes, plain and gzip.
  const fs::path X = root / "idx";
  write(X / "ubyte_2x3", idx(0x08, {2, 3}, 1));
  write(X / "byte_4", idx(0x09, {4}, 1));
  write(X / "int16_2x2", idx(0x0B, {2, 2}, 2));
  write(X / "int32_3", idx(0x0C, {3}, 4));
  write(X / "float32_1x2x2", idx(0x0D, {1, 2, 2}, 4));
  write(X / "float64_2", idx(0x0E, {2}, 8));
  write(X / "ubyte_2x3.gz", gzip(idx(0x08, {2, 3}, 1)));
  write(X / "float32_2x2.gz", gzip(idx(0x0D, {2, 2}, 4)));

  // model files: a checkpoint and a model of the fuzz target's model, tensors with metadata, and
  // a hand-written file with every dtype.
  const fs::path M = root / "model";
  auto model = fuzz_model();
  Adam adam(model->parameters(), 0.01f);
  Tensor x = from_vector({0.5f, -1.f, 2.f, 1.f, 0.f, -0.5f}, {2, 3});
  Tensor loss = mean(square((*model)(x)));
  loss.backward();
  adam.step();
  save_checkpoint(M / "checkpoint.safetensors", *model, adam, 1, {{"epoch", "0"}});
  save_model(M / "model.safetensors", *model, {{"note", "seed"}});
  save_tensors(M / "tensors.safetensors",
               {{"a", from_vector({1, 2, 3, 4, 5, 6}, {2, 3})},
                {"empty", zeros({0, 4})},
                {"s", scalar(3.5f)}},
               {{"k", "v"}});
  write(M / "dtypes.safetensors",
        safetensors({{"f16", "F16", "[2]", std::string("\x00\x3c\x00\xc0", 4)},
                     {"bf16", "BF16", "[1]", std::string("\x80\x3f", 2)},
                     {"f64", "F64", "[1]", std::string("\x00\x00\x00\x00\x00\x00\xf0\x3f", 8)},
                     {"i64", "I64", "[1]", std::string("\x05\x00\x00\x00\x00\x00\x00\x00", 8)},
                     {"i32", "I32", "[1,1]", std::string("\xff\xff\xff\xff", 4)},
                     {"i16", "I16", "[1]", std::string("\x02\x00", 2)},
                     {"i8", "I8", "[2]", std::string("\x80\x7f", 2)},
                     {"u8", "U8", "[1]", std::string("\xff", 1)},
                     {"bool", "BOOL", "[2]", std::string("\x00\x01", 2)}},
                    "\"__metadata__\":{\"format\":\"x\"}"));
  std::printf("seeds written to %s\n", root.c_str());
  return 0;
}
