// fashion_mnist_synthetic: writes a tiny stand-in for Fashion-MNIST (the four IDX files, training
// files gzip-compressed, test files plain) so that the app's tests need no 30 MB package. Class k
// is a bright 6x6 block in cell k of a 3x4 grid, jittered by a pixel, on a noisy background.
#include <minidl/minidl.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace {

// A big-endian IDX header: 0, 0, 0x08 (ubyte), ndims, then the sizes.
std::vector<unsigned char> idx_header(const std::vector<uint32_t>& dims) {
  std::vector<unsigned char> h = {0, 0, 0x08, static_cast<unsigned char>(dims.size())};
  for (uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) h.push_back(static_cast<unsigned char>(d >> s));
  return h;
}

// Writes `bytes` to `p` (through minidl::write_file_atomic), gzip-compressed when `gz`.
void write_file(const std::filesystem::path& p, const std::vector<unsigned char>& bytes, bool gz) {
  std::string out(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (gz) {
    z_stream z{};
    // windowBits 15 + 16: a gzip header and trailer around the deflate stream, as gzip(1) writes.
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      throw minidl::Error("zlib: deflateInit2 failed");
    std::string packed(deflateBound(&z, static_cast<uLong>(bytes.size())), '\0');
    z.next_in = const_cast<Bytef*>(bytes.data());
    z.avail_in = static_cast<uInt>(bytes.size());
    z.next_out = reinterpret_cast<Bytef*>(packed.data());
    z.avail_out = static_cast<uInt>(packed.size());
    const int rc = deflate(&z, Z_FINISH);
    packed.resize(z.total_out);
    deflateEnd(&z);
    if (rc != Z_STREAM_END) throw minidl::Error("zlib: deflate failed");
    out = std::move(packed);
  }
  minidl::write_file_atomic(p, out);
}

void write_split(const std::filesystem::path& dir, const std::string& prefix, uint32_t n,
                 uint32_t& state, bool gz) {
  auto next = [&state] { return (state = state * 1664525u + 1013904223u) >> 24; };  // 0..255
  std::vector<unsigned char> images = idx_header({n, 28, 28}), labels = idx_header({n});
  for (uint32_t i = 0; i < n; ++i) {
    const int k = static_cast<int>(i % 10);
    const int y0 = 1 + 9 * (k / 4) + static_cast<int>(next() % 3) - 1;
    const int x0 = 2 + 7 * (k % 4) + static_cast<int>(next() % 3) - 1;
    for (int y = 0; y < 28; ++y)
      for (int x = 0; x < 28; ++x) {
        const bool on = y >= y0 && y < y0 + 6 && x >= x0 && x < x0 + 6;
        images.push_back(static_cast<unsigned char>(on ? 200 + next() % 56 : next() % 48));
      }
    labels.push_back(static_cast<unsigned char>(k));
  }
  const std::string ext = gz ? ".gz" : "";
  write_file(dir / (prefix + "-images-idx3-ubyte" + ext), images, gz);
  write_file(dir / (prefix + "-labels-idx1-ubyte" + ext), labels, gz);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: fashion_mnist_synthetic DIR [TRAIN_COUNT [TEST_COUNT]]\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  const uint32_t n_train = argc > 2 ? static_cast<uint32_t>(std::stoul(argv[2])) : 300;
  const uint32_t n_test = argc > 3 ? static_cast<uint32_t>(std::stoul(argv[3])) : 100;
  try {
    std::filesystem::create_directories(dir);
    uint32_t state = 12345;
    write_split(dir, "train", n_train, state, true);
    write_split(dir, "t10k", n_test, state, false);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fashion_mnist_synthetic: %s\n", e.what());
    return 1;
  }
  std::printf("wrote %u training and %u test images to %s\n", n_train, n_test,
              dir.string().c_str());
  return 0;
}
