// The IDX reader: zlib's gz* functions read gzip-compressed and plain files alike; the data is
// read in chunks (so a lying header cannot make us allocate before the bytes exist) and decoded
// from big-endian into float32.
#include "core/idx.h"

#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"

namespace minidl {

namespace {

struct GzFile {
  gzFile f;
  explicit GzFile(gzFile f) : f(f) {}
  ~GzFile() {
    if (f) gzclose(f);
  }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;
};

// zlib's description of the last error on f, or "" when there is none.
std::string gz_error(gzFile f) {
  int errnum = Z_OK;
  const char* msg = gzerror(f, &errnum);
  if (errnum == Z_OK) return "";
  if (errnum == Z_ERRNO) return std::strerror(errno);
  return msg ? msg : "zlib error";
}

// Appends up to n bytes from f to out; returns how many arrived (fewer at the end of the file).
// Throws on a zlib error other than the end of a truncated gzip stream.
size_t read_into(gzFile f, std::vector<unsigned char>& out, size_t n, const std::string& where) {
  size_t got = 0;
  while (got < n) {
    const size_t chunk = std::min<size_t>(n - got, size_t(1) << 20);
    const size_t at = out.size();
    out.resize(at + chunk);
    int k = gzread(f, out.data() + at, static_cast<unsigned>(chunk));
    if (k < 0) {
      out.resize(at);
      int errnum = Z_OK;
      gzerror(f, &errnum);
      if (errnum == Z_BUF_ERROR) break;  // truncated gzip stream: reported by the caller
      throw Error(where + ": cannot read: " + gz_error(f));
    }
    out.resize(at + static_cast<size_t>(k));
    got += static_cast<size_t>(k);
    if (k == 0) break;
  }
  return got;
}

// A short read: says how far the file got and, for gzip, zlib's reason.
[[noreturn]] void truncated(gzFile f, const std::string& where, const std::string& what,
                            size_t expected, size_t got) {
  std::string why = gz_error(f);
  throw Error(detail::cat(where, ": truncated ", what, ": expected ", expected, " bytes, got ", got,
                          why.empty() ? "" : " (" + why + ")"));
}

uint64_t big_endian(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

struct IdxType {
  int code, size;
  const char* name;
};
constexpr IdxType kTypes[] = {{0x08, 1, "unsigned byte"}, {0x09, 1, "signed byte"},
                              {0x0B, 2, "int16"},         {0x0C, 4, "int32"},
                              {0x0D, 4, "float32"},       {0x0E, 8, "float64"}};

// Element i of type `code` stored big-endian at p.
float decode(int code, const unsigned char* p) {
  switch (code) {
    case 0x08:
      return static_cast<float>(p[0]);
    case 0x09:
      return static_cast<float>(static_cast<int8_t>(p[0]));
    case 0x0B:
      return static_cast<float>(static_cast<int16_t>(big_endian(p, 2)));
    case 0x0C:
      return static_cast<float>(static_cast<int32_t>(big_endian(p, 4)));
    case 0x0D:
      return std::bit_cast<float>(static_cast<uint32_t>(big_endian(p, 4)));
    default:
      return static_cast<float>(std::bit_cast<double>(big_endian(p, 8)));
  }
}

}  // namespace

Tensor read_idx(const std::filesystem::path& path) {
  const std::string where = "read_idx: '" + path.string() + "'";
  std::error_code ec;
  MINIDL_CHECK(!std::filesystem::is_directory(path, ec), where, ": is a directory, not a file");
  errno = 0;
  GzFile file(gzopen(path.c_str(), "rb"));
  MINIDL_CHECK(file.f, where, ": cannot open: ", errno ? std::strerror(errno) : "out of memory");

  std::vector<unsigned char> head;
  size_t got = read_into(file.f, head, 4, where);
  if (got < 4) truncated(file.f, where, "header (the 4-byte magic)", 4, got);
  MINIDL_CHECK(head[0] == 0 && head[1] == 0, where, ": bad magic: the file starts with bytes 0x",
               std::hex, int(head[0]), " 0x", int(head[1]), std::dec,
               ", an IDX file starts with two zero bytes, a type code and the number of "
               "dimensions (is it an IDX file?)");
  const IdxType* type = nullptr;
  for (const auto& t : kTypes)
    if (t.code == head[2]) type = &t;
  MINIDL_CHECK(type, where, ": unknown data type code 0x", std::hex, int(head[2]), std::dec,
               " (IDX defines 0x08 ubyte, 0x09 byte, 0x0B int16, 0x0C int32, 0x0D float32, "
               "0x0E float64)");
  const int ndims = head[3];
  MINIDL_CHECK(ndims >= 1, where, ": the header declares 0 dimensions");

  head.clear();
  got = read_into(file.f, head, 4 * size_t(ndims), where);
  if (got < 4 * size_t(ndims))
    truncated(file.f, where, detail::cat("header (", ndims, " dimension sizes)"), 4 * ndims, got);
  Shape shape;
  uint64_t numel = 1;
  const uint64_t limit = static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / 8;
  bool overflow = false;
  for (int d = 0; d < ndims; ++d) {
    const uint64_t n = big_endian(head.data() + 4 * d, 4);
    shape.push_back(static_cast<int64_t>(n));
    overflow |= n != 0 && numel > limit / n;
    numel = overflow ? 1 : numel * n;
  }
  MINIDL_CHECK(!overflow, where, ": the product of the dimension sizes ", shape_str(shape),
               " overflows (too large for a tensor)");

  const size_t bytes = static_cast<size_t>(numel) * static_cast<size_t>(type->size);
  std::vector<unsigned char> data;
  got = read_into(file.f, data, bytes, where);
  if (got < bytes)
    truncated(file.f, where, detail::cat("data (shape ", shape_str(shape), " of ", type->name, ")"),
              bytes, got);
  std::vector<unsigned char> extra;
  MINIDL_CHECK(read_into(file.f, extra, 1, where) == 0, where,
               ": extra bytes after the data (the header's shape ", shape_str(shape), " of ",
               type->name, " accounts for ", bytes, " bytes)");

  Tensor t = Tensor::empty(shape);
  float* out = t.data();
  for (uint64_t i = 0; i < numel; ++i) out[i] = decode(type->code, data.data() + i * type->size);
  return t;
}

}  // namespace minidl
