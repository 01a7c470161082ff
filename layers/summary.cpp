// summary(): builds the rows (index, layer name, output shape, parameter count), then pads the
// columns to their widest entry. See summary.h.
#include "layers/summary.h"

#include <algorithm>
#include <array>
#include <vector>

namespace minidl {

namespace {

// 1234567 -> "1,234,567".
std::string with_commas(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

std::string summary(Sequential& model, const Shape& input_shape) {
  using Row = std::array<std::string, 4>;  // #, layer, output shape, params
  std::vector<Row> rows{{"#", "Layer", "Output shape", "Params"}};
  int64_t total = 0, trainable = 0;
  Shape s = input_shape;
  for (size_t i = 0; i < model.size(); ++i) {
    Module& layer = *model[i];
    try {
      s = layer.output_shape(s);
    } catch (const Error& e) {
      throw Error(detail::cat("summary: layer ", i, ": ", layer.name(), ": ", e.what()));
    }
    int64_t count = 0;
    for (const auto& [name, p] : layer.parameters()) {
      count += p.numel();
      if (p.requires_grad()) trainable += p.numel();
    }
    total += count;
    rows.push_back({std::to_string(i), layer.name(), shape_str(s), with_commas(count)});
  }

  std::array<size_t, 4> w{};
  for (const Row& r : rows)
    for (size_t c = 0; c < 4; ++c) w[c] = std::max(w[c], r[c].size());
  auto pad = [](const std::string& x, size_t width, bool right) {
    std::string fill(width - x.size(), ' ');
    return right ? fill + x : x + fill;
  };
  const size_t line_width = w[0] + w[1] + w[2] + w[3] + 6;
  std::string out = "Input: " + shape_str(input_shape) + "\n";
  for (size_t k = 0; k < rows.size(); ++k) {
    const Row& r = rows[k];
    out += pad(r[0], w[0], true) + "  " + pad(r[1], w[1], false) + "  " + pad(r[2], w[2], false) +
           "  " + pad(r[3], w[3], true) + "\n";
    if (k == 0) out += std::string(line_width, '=') + "\n";
  }
  out += std::string(line_width, '=') + "\n";
  out += "Total params: " + with_commas(total) + "\n";
  out += "Trainable params: " + with_commas(trainable) + "\n";
  out += "Non-trainable params: " + with_commas(total - trainable) + "\n";
  return out;
}

}  // namespace minidl
