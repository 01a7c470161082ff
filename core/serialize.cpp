// Safetensors reading and writing (header JSON via nlohmann-json; the file is written by
// write_file_atomic). See serialize.h for the contracts and docs/model_format.md for the layout;
// models and checkpoints on top of this are in layers/serialize_model.cpp.
#include "core/serialize.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "core/autograd.h"
#include "core/error.h"
#include "core/file.h"

namespace minidl {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;  // keeps the header's order: tensors come back as written

namespace {

std::string quoted(const fs::path& p) { return detail::cat("'", p.string(), "'"); }

// ---- dtypes -----------------------------------------------------------------------------------

// Element decoders: the little-endian bytes at p (the host is little-endian, see below) to float.
template <class T>
float as(const unsigned char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return static_cast<float>(v);
}
// IEEE 754 half precision (exact in float).
float f16(const unsigned char* p) {
  const uint16_t h = static_cast<uint16_t>(p[0] | p[1] << 8);
  const uint32_t sign = uint32_t(h >> 15) << 31, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  if (exp == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (mant << 13));       // inf, nan
  if (exp != 0) return std::bit_cast<float>(sign | ((exp + 112) << 23) | (mant << 13));  // normal
  const float f = std::ldexp(static_cast<float>(mant), -24);  // zero or subnormal: mant * 2^-24
  return sign ? -f : f;
}
float bf16(const unsigned char* p) {
  return std::bit_cast<float>(uint32_t(p[0] | p[1] << 8) << 16);
}
float boolean(const unsigned char* p) { return *p ? 1.f : 0.f; }

struct DtypeInfo {
  const char* name;
  int size;  // bytes per element
  float (*get)(const unsigned char*);
};
constexpr DtypeInfo kDtypes[] = {{"F32", 4, as<float>},   {"F64", 8, as<double>},
                                 {"F16", 2, f16},         {"BF16", 2, bf16},
                                 {"I64", 8, as<int64_t>}, {"I32", 4, as<int32_t>},
                                 {"I16", 2, as<int16_t>}, {"I8", 1, as<int8_t>},
                                 {"U8", 1, as<uint8_t>},  {"BOOL", 1, boolean}};
static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; minidl reads and writes it with memcpy");

const DtypeInfo* find_dtype(const std::string& name) {
  for (const auto& d : kDtypes)
    if (name == d.name) return &d;
  return nullptr;
}

// Little-endian unsigned 64-bit integer at p.
uint64_t read_u64_le(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// ---- header parsing ---------------------------------------------------------------------------

struct Entry {
  std::string name, dtype;
  const DtypeInfo* info = nullptr;
  Shape shape;
  uint64_t begin = 0, end = 0;
};

// Text quoted in an error message, cut to `most` characters; a header value: at most 60 of its
// JSON text. (The parser has already refused values nested deeper than kMaxDepth, so dump()
// cannot run out of stack on one.)
std::string cut(std::string text, size_t most = 60) {
  if (text.size() > most) text = text.substr(0, most - 3) + "...";
  return text;
}
std::string brief(const json& j) {
  return cut(j.dump(-1, ' ', true, json::error_handler_t::replace));
}

// The deepest nesting a header may have: a safetensors header is 3 levels deep (the header
// object, a tensor's object, its shape array). nlohmann's dump() recurses, so a value nested
// 100,000 deep in a 400 KB file overflowed the stack when an error message quoted it.
constexpr int kMaxDepth = 64;

// A JSON number that is a non-negative integer, or nothing.
bool as_u64(const json& j, uint64_t& out) {
  if (!j.is_number_unsigned() && !(j.is_number_integer() && j.get<int64_t>() >= 0)) return false;
  out = j.get<uint64_t>();
  return true;
}

// Validates one tensor entry of the header and returns it.
Entry parse_entry(const std::string& where, const std::string& name, const json& j) {
  const std::string at = where + ": tensor '" + name + "': ";
  MINIDL_CHECK(j.is_object(), at, "expected an object with dtype, shape and data_offsets, got ",
               brief(j));
  for (const char* key : {"dtype", "shape", "data_offsets"})
    MINIDL_CHECK(j.contains(key), at, "missing \"", key, "\"");
  Entry e;
  e.name = name;
  MINIDL_CHECK(j["dtype"].is_string(), at, "dtype must be a string, got ", brief(j["dtype"]));
  e.dtype = j["dtype"].get<std::string>();
  const DtypeInfo* dt = e.info = find_dtype(e.dtype);
  MINIDL_CHECK(dt, at, "unknown dtype '", e.dtype,
               "' (minidl reads F32, F64, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
  const json& shape = j["shape"];
  MINIDL_CHECK(shape.is_array(), at, "shape must be an array, got ", brief(shape));
  // The product of the sizes other than 0 stays within 2^60 (as Tensor's), so every size fits an
  // int64_t, and a 0 among them cannot hide a size of 2^64 - 1.
  uint64_t nonzero = 1;
  bool empty = false;
  const uint64_t limit = uint64_t{1} << 60;
  for (const json& d : shape) {
    uint64_t v = 0;
    MINIDL_CHECK(as_u64(d, v), at, "shape must hold non-negative integers, got ", brief(shape));
    MINIDL_CHECK(v == 0 || nonzero <= limit / v, at, "shape ", brief(shape),
                 " has too many elements (more than 2^60)");
    empty |= v == 0;
    if (v != 0) nonzero *= v;
    e.shape.push_back(static_cast<int64_t>(v));
  }
  const uint64_t numel = empty ? 0 : nonzero;
  const json& off = j["data_offsets"];
  MINIDL_CHECK(off.is_array() && off.size() == 2 && as_u64(off[0], e.begin) &&
                   as_u64(off[1], e.end) && e.begin <= e.end,
               at, "data_offsets must be [begin, end] with 0 <= begin <= end, got ", brief(off));
  const uint64_t bytes = numel * static_cast<uint64_t>(dt->size);
  MINIDL_CHECK(e.end - e.begin == bytes, at, "shape ", shape_str(e.shape), " of ", e.dtype,
               " needs ", bytes, " bytes but data_offsets ", brief(off), " hold ", e.end - e.begin);
  return e;
}

// Checks that the entries tile [0, data_size) exactly: no overlap, no gap, nothing past the end.
void check_layout(const std::string& where, std::vector<Entry> entries, uint64_t data_size) {
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t pos = 0;
  const Entry* prev = nullptr;
  for (const Entry& e : entries) {
    MINIDL_CHECK(e.end <= data_size, where, ": tensor '", e.name, "': data_offsets [", e.begin,
                 ", ", e.end, "] run past the end of the data section (", data_size,
                 " bytes): the file is truncated or the offsets are wrong");
    MINIDL_CHECK(e.begin >= pos, where, ": tensors '", prev ? prev->name : "", "' and '", e.name,
                 "' overlap (data_offsets [", prev ? prev->begin : 0, ", ", pos, "] and [", e.begin,
                 ", ", e.end, "])");
    MINIDL_CHECK(e.begin == pos, where, ": data is not contiguous: bytes [", pos, ", ", e.begin,
                 ") before tensor '", e.name, "' belong to no tensor");
    pos = e.end;
    prev = &e;
  }
  MINIDL_CHECK(pos == data_size, where, ": ", data_size - pos,
               " extra bytes after the last tensor's data (the data section holds ", data_size,
               " bytes, the tensors ", pos, ")");
}

struct File {
  std::FILE* f;
  explicit File(std::FILE* f) : f(f) {}
  ~File() {
    if (f) std::fclose(f);
  }
};

}  // namespace

// ---- tensors ----------------------------------------------------------------------------------

void save_tensors(const fs::path& path, const std::vector<NamedTensor>& tensors,
                  const Metadata& metadata) {
  const std::string who = detail::cat("save_tensors: ", quoted(path));
  std::set<std::string> seen;
  std::vector<Tensor> host;  // contiguous float32 on the CPU, in order
  json header = json::object();
  if (!metadata.empty()) {
    json m = json::object();
    for (const auto& [k, v] : metadata) m[k] = v;
    header["__metadata__"] = m;
  }
  uint64_t offset = 0;
  {
    NoGradGuard no_grad;
    for (const auto& [name, t] : tensors) {
      MINIDL_CHECK(!name.empty(), who, ": a tensor has an empty name");
      MINIDL_CHECK(name != "__metadata__", who, ": '__metadata__' is reserved, not a tensor name");
      MINIDL_CHECK(seen.insert(name).second, who, ": tensor name '", name, "' appears twice");
      MINIDL_CHECK(t.defined(), who, ": tensor '", name, "' is undefined");
      Tensor c = t.detach().to(Device::CPU).contiguous();
      const uint64_t bytes = static_cast<uint64_t>(c.numel()) * 4;
      header[name] = {
          {"dtype", "F32"}, {"shape", c.shape()}, {"data_offsets", {offset, offset + bytes}}};
      offset += bytes;
      host.push_back(c);
    }
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const json::exception& e) {
    throw Error(who + ": a tensor name or metadata string is not valid UTF-8 (" + e.what() + ")");
  }
  text.append((8 - text.size() % 8) % 8, ' ');  // the data starts 8-byte aligned
  unsigned char size_le[8];
  for (int i = 0; i < 8; ++i)
    size_le[i] = static_cast<unsigned char>(uint64_t(text.size()) >> (8 * i));

  std::vector<std::string_view> pieces = {
      std::string_view(reinterpret_cast<const char*>(size_le), 8), text};
  for (const Tensor& c : host)
    if (c.numel() > 0)
      pieces.emplace_back(reinterpret_cast<const char*>(c.data()),
                          static_cast<size_t>(c.numel()) * 4);
  try {
    write_file_atomic(path, pieces);
  } catch (const Error& e) {
    throw Error(std::string("save_tensors: ") + e.what());
  }
}

TensorFile load_tensors(const fs::path& path) {
  const std::string where = detail::cat("load_tensors: ", quoted(path));
  std::error_code ec;
  MINIDL_CHECK(!fs::is_directory(path, ec), where, ": is a directory, not a file");
  File file(std::fopen(path.c_str(), "rb"));
  MINIDL_CHECK(file.f, where, ": cannot open: ", std::strerror(errno));
  const uint64_t size = fs::file_size(path, ec);
  MINIDL_CHECK(!ec, where, ": cannot read its size: ", ec.message());

  unsigned char size_le[8];
  MINIDL_CHECK(size >= 8 && std::fread(size_le, 1, 8, file.f) == 8, where,
               ": truncated: the file has ", size,
               " bytes, fewer than the 8-byte header size that starts a safetensors file");
  const uint64_t N = read_u64_le(size_le);
  MINIDL_CHECK(N <= size - 8, where, ": header size ", N, " is larger than the file (only ",
               size - 8, " bytes follow the size field): truncated, or not a safetensors file");
  std::string text(N, '\0');
  MINIDL_CHECK(std::fread(text.data(), 1, N, file.f) == N, where, ": cannot read the header");

  // Parse, noting any tensor name that repeats (JSON would silently keep only the last).
  std::string duplicate;
  std::set<std::string> keys;
  json::parser_callback_t note_keys = [&](int depth, json::parse_event_t event, json& parsed) {
    MINIDL_CHECK(depth <= kMaxDepth, where, ": the JSON header nests deeper than ", kMaxDepth,
                 " levels (a safetensors header has 3): not a safetensors file");
    if (event == json::parse_event_t::key && depth == 1 &&
        !keys.insert(parsed.get<std::string>()).second && duplicate.empty())
      duplicate = parsed.get<std::string>();
    return true;
  };
  json header;
  try {
    header = json::parse(text, note_keys);
  } catch (const json::parse_error& e) {
    throw Error(detail::cat(where, ": bad JSON header at byte ", e.byte, " of ", N, ": ",
                            cut(e.what(), 200)));
  } catch (const json::exception& e) {  // e.g. a number too large for a double (out_of_range)
    throw Error(detail::cat(where, ": bad JSON header: ", cut(e.what(), 200)));
  }
  MINIDL_CHECK(header.is_object(), where, ": the JSON header must be an object, got ",
               header.type_name());
  MINIDL_CHECK(duplicate.empty(), where, ": name '", duplicate, "' appears twice in the header");

  TensorFile out;
  std::vector<Entry> entries;
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      MINIDL_CHECK(value.is_object(), where, ": __metadata__ must be an object of strings");
      for (const auto& [k, v] : value.items()) {
        MINIDL_CHECK(v.is_string(), where, ": __metadata__ value of '", k,
                     "' must be a string, got ", brief(v));
        out.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    entries.push_back(parse_entry(where, name, value));
  }
  check_layout(where, entries, size - 8 - N);

  std::vector<unsigned char> buf;
  for (const Entry& e : entries) {
    Tensor t;
    try {
      t = Tensor::empty(e.shape);
    } catch (const Error& err) {  // out of memory, most likely
      throw Error(detail::cat(where, ": tensor '", e.name, "' of shape ", shape_str(e.shape), ": ",
                              err.what()));
    }
    const uint64_t bytes = e.end - e.begin;
    if (bytes > 0) {
      buf.resize(bytes);
      MINIDL_CHECK(std::fseek(file.f, static_cast<long>(8 + N + e.begin), SEEK_SET) == 0 &&
                       std::fread(buf.data(), 1, bytes, file.f) == bytes,
                   where, ": cannot read the data of tensor '", e.name, "'");
      float* dst = t.data();
      if (e.dtype == "F32")
        std::memcpy(dst, buf.data(), bytes);
      else
        for (int64_t k = 0; k < t.numel(); ++k) dst[k] = e.info->get(buf.data() + k * e.info->size);
    }
    out.tensors.emplace_back(e.name, t);
    out.dtypes.push_back(e.dtype);
  }
  return out;
}

}  // namespace minidl
