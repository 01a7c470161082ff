// darknet .weights files (darknet.h): the header, then each layer's tensors in file order, as
// darknet's parser reads and writes them; a file too short or too long for the network is an
// error naming the layer and the byte counts, and a failed load leaves the network unchanged.
#include <bit>
#include <cerrno>
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

std::string layer_label(const DarknetNetwork& net, size_t k) {
  return str("layer ", k, " (", darknet_layer_name(net.layers[k].type), ")");
}

}  // namespace

int64_t DarknetNetwork::weight_floats() const {
  int64_t n = 0;
  for (const DarknetLayer& l : layers)
    for (const Tensor& t : weight_tensors(l)) n += t.numel();
  return n;
}

// ---- .weights files ---------------------------------------------------------------------------

DarknetWeightsHeader load_darknet_weights(const std::filesystem::path& path, DarknetNetwork& net) {
  const std::string file = path.string();
  std::error_code ec;
  const auto file_size = std::filesystem::file_size(path, ec);
  MINIDL_CHECK(!ec, "cannot read '", file, "': ", ec.message());
  const int64_t have = static_cast<int64_t>(file_size);
  std::ifstream in(path, std::ios::binary);
  MINIDL_CHECK(in, "cannot read '", file, "': ", std::strerror(errno));
  auto read = [&](void* dst, int64_t bytes) {
    in.read(static_cast<char*>(dst), bytes);
    MINIDL_CHECK(in.gcount() == bytes, "cannot read '", file, "': read failed");
  };

  DarknetWeightsHeader h;
  MINIDL_CHECK(have >= 12, file, ": header: expected at least 16 bytes, file has ", have);
  read(&h.major, 4);
  read(&h.minor, 4);
  read(&h.revision, 4);
  // darknet: `seen` is a size_t from version 0.2 on (and an int before, or with the old
  // transposed files' huge version numbers).
  const bool seen64 = h.major * 10 + h.minor >= 2 && h.major < 1000 && h.minor < 1000;
  const int64_t header = seen64 ? 20 : 16;
  MINIDL_CHECK(have >= header, file, ": header: expected ", header, " bytes, file has ", have);
  if (seen64) {
    read(&h.seen, 8);
  } else {
    int32_t seen = 0;
    read(&seen, 4);
    h.seen = seen;
  }
  const bool transpose = h.major > 1000 || h.minor > 1000;

  // The sizes first, so that a file that does not fit changes nothing.
  int64_t end = header;
  int last = -1;
  for (size_t k = 0; k < net.layers.size(); ++k) {
    int64_t floats = 0;
    for (const Tensor& t : weight_tensors(net.layers[k])) floats += t.numel();
    if (floats == 0) continue;
    end += floats * 4;
    last = static_cast<int>(k);
    MINIDL_CHECK(end <= have, file, ": ", layer_label(net, k), ": expected ", end,
                 " bytes, file has ", have);
  }
  if (end != have) {
    if (last < 0)
      throw minidl::Error(str(file, ": the network has no weights: expected ", end,
                              " bytes (the header), file has ", have));
    throw minidl::Error(str(file, ": ", layer_label(net, last), ": expected ", end,
                            " bytes, file has ", have, " (", have - end,
                            " bytes after the last layer with weights)"));
  }

  std::vector<std::pair<Tensor, std::vector<float>>> staged;
  for (const DarknetLayer& l : net.layers) {
    for (const Tensor& t : weight_tensors(l)) {
      std::vector<float> v(static_cast<size_t>(t.numel()));
      read(v.data(), t.numel() * 4);
      if (transpose && l.type == DarknetLayerType::Connected && t.is_same(l.dense->weight())) {
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
  return h;
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
