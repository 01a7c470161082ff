// darknet .weights files (darknet.h): the header, then each layer's tensors in file order, as
// darknet's parser reads and writes them; a file too short or too long for the network, or a
// NaN or infinite value, is an error naming the layer, and a failed load leaves the network
// unchanged.
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "apps/yolo_v1/darknet.h"

namespace yolo {

using minidl::str;
using minidl::Tensor;

// .weights files are little-endian, like every machine darknet runs on; minidl writes and reads
// host floats directly.
static_assert(std::endian::native == std::endian::little,
              "darknet .weights files are little-endian; this reader assumes a little-endian host");

namespace {

// The tensors a .weights file holds for a layer, in file order (none for layers without weights).
std::vector<Tensor> weight_tensors(const DarknetLayer& l) {
  switch (l.type) {
    case DarknetLayerType::Convolutional:
      if (l.bn)  // darknet's "biases" of a batch-normalised convolution are batch norm's beta
        return {l.bn->bias(), l.bn->weight(), l.bn->running_mean(), l.bn->running_var(),
                l.conv->weight()};
      return {l.conv->bias(), l.conv->weight()};
    case DarknetLayerType::Connected:
      return {l.dense->bias(), l.dense->weight()};
    case DarknetLayerType::Local:
      return {l.local->bias(), l.local->weight()};
    default:
      return {};
  }
}

std::string layer_label(size_t k, DarknetLayerType type) {
  return str("layer ", k, " (", darknet_layer_name(type), ")");
}

std::vector<DarknetLayerSize> sizes_of(const DarknetNetwork& net) {
  std::vector<DarknetLayerSize> sizes;
  for (const DarknetLayer& l : net.layers) {
    int64_t floats = 0;
    for (const Tensor& t : weight_tensors(l)) floats += t.numel();
    sizes.push_back({l.type, l.line, floats});
  }
  return sizes;
}

// An open .weights file, its size, and its header once read.
struct WeightsFile {
  std::string file;
  int64_t have = 0;  // the file's size in bytes
  std::ifstream in;
  DarknetWeightsHeader h;
  int64_t header = 0;  // the header's bytes: 16 or 20
  bool transpose = false;

  explicit WeightsFile(const std::filesystem::path& path) : file(path.string()) {
    std::error_code ec;
    const auto file_size = std::filesystem::file_size(path, ec);
    MINIDL_CHECK(!ec, "cannot read '", file, "': ", ec.message());
    have = static_cast<int64_t>(file_size);
    in.open(path, std::ios::binary);
    MINIDL_CHECK(in, "cannot read '", file, "': ", std::strerror(errno));
    // major, minor and revision as int32, then `seen`: 16 bytes at least.
    MINIDL_CHECK(have >= 16, file, ": header: expected at least 16 bytes, file has ", have);
    read(&h.major, 4);
    read(&h.minor, 4);
    read(&h.revision, 4);
    // darknet: `seen` is a size_t from version 0.2 on (and an int before, or with the old
    // transposed files' huge version numbers). In 64 bits: darknet's int may overflow here.
    const int64_t version = int64_t{h.major} * 10 + h.minor;
    const bool seen64 = version >= 2 && h.major < 1000 && h.minor < 1000;
    header = seen64 ? 20 : 16;
    MINIDL_CHECK(have >= header, file, ": header: expected ", header, " bytes, file has ", have);
    if (seen64) {
      read(&h.seen, 8);
    } else {
      int32_t seen = 0;
      read(&seen, 4);
      h.seen = seen;
    }
    transpose = h.major > 1000 || h.minor > 1000;
  }

  void read(void* dst, int64_t bytes) {
    in.read(static_cast<char*>(dst), bytes);
    MINIDL_CHECK(in.gcount() == bytes, "cannot read '", file, "': read failed");
  }

  // The file's size against the layers' weights: "layer K (type): expected N bytes, ...".
  void check_size(const std::vector<DarknetLayerSize>& sizes) const {
    int64_t end = header;
    int last = -1;
    for (size_t k = 0; k < sizes.size(); ++k) {
      if (sizes[k].floats == 0) continue;
      end += sizes[k].floats * 4;
      last = static_cast<int>(k);
      MINIDL_CHECK(end <= have, file, ": ", layer_label(k, sizes[k].type), ": expected ", end,
                   " bytes, file has ", have);
    }
    if (end == have) return;
    if (last < 0)
      throw minidl::Error(str(file, ": the network has no weights: expected ", end,
                              " bytes (the header), file has ", have));
    throw minidl::Error(str(file, ": ", layer_label(last, sizes[last].type), ": expected ", end,
                            " bytes, file has ", have, " (", have - end,
                            " bytes after the last layer with weights)"));
  }
};

}  // namespace

int64_t DarknetNetwork::weight_floats() const {
  int64_t n = 0;
  for (const DarknetLayer& l : layers)
    for (const Tensor& t : weight_tensors(l)) n += t.numel();
  return n;
}

// ---- .weights files ---------------------------------------------------------------------------

DarknetWeightsHeader check_darknet_weights(const std::filesystem::path& path,
                                           const std::vector<DarknetLayerSize>& sizes) {
  WeightsFile f(path);
  f.check_size(sizes);
  return f.h;
}

DarknetWeightsHeader load_darknet_weights(const std::filesystem::path& path, DarknetNetwork& net) {
  WeightsFile f(path);
  f.check_size(sizes_of(net));  // the sizes first, so that a file that does not fit changes nothing

  std::vector<std::pair<Tensor, std::vector<float>>> staged;
  int64_t pos = f.header;
  for (size_t k = 0; k < net.layers.size(); ++k) {
    const DarknetLayer& l = net.layers[k];
    const std::vector<Tensor> tensors = weight_tensors(l);
    for (size_t i = 0; i < tensors.size(); ++i) {
      const Tensor& t = tensors[i];
      std::vector<float> v(static_cast<size_t>(t.numel()));
      f.read(v.data(), t.numel() * 4);
      // A NaN or an infinity would only surface as NaN scores (or none) at detection.
      for (size_t j = 0; j < v.size(); ++j)
        if (!std::isfinite(v[j]))
          throw minidl::Error(str(f.file, ": ", layer_label(k, l.type), ": tensor ", i,
                                  " has a non-finite value (", v[j], ") at float offset ", j,
                                  " (byte ", pos + 4 * static_cast<int64_t>(j), ")"));
      pos += t.numel() * 4;
      if (f.transpose && l.type == DarknetLayerType::Connected && t.is_same(l.dense->weight())) {
        // Stored (in, out); minidl's Dense holds (out, in) like darknet after its transpose.
        const int64_t out = l.dense->out_features(), inn = l.dense->in_features();
        std::vector<float> w(v.size());
        for (int64_t r = 0; r < inn; ++r)
          for (int64_t c = 0; c < out; ++c) w[c * inn + r] = v[r * out + c];
        v.swap(w);
      }
      staged.emplace_back(t, std::move(v));
    }
  }
  minidl::NoGradGuard no_grad;
  for (auto& [t, v] : staged) t.copy_(minidl::from_vector(v, t.shape()).to(t.device()));
  return f.h;
}

void save_darknet_weights(const std::filesystem::path& path, const DarknetNetwork& net,
                          int64_t seen) {
  const int32_t version[3] = {0, 2, 0};  // major, minor, revision: `seen` as int64 follows
  std::string header(20, '\0');
  std::memcpy(header.data(), version, 12);
  std::memcpy(header.data() + 12, &seen, 8);
  std::vector<std::vector<float>> data;
  for (const DarknetLayer& l : net.layers)
    for (const Tensor& t : weight_tensors(l)) data.push_back(t.to_vector());
  std::vector<std::string_view> pieces = {header};
  for (const auto& v : data)
    pieces.emplace_back(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
  minidl::write_file_atomic(path, pieces);
}

}  // namespace yolo
