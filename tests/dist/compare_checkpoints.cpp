// compare_checkpoints A B [--rtol R] [--meta KEY]...: exit 0 when the safetensors files A and B
// hold the same tensor names and shapes, each group of tensors ("model.*", "optim.*") within R
// (relative, as one vector: tests/dist/compare.h), and the same value for each metadata KEY
// ("step", "yolo.epoch"); else prints what differs and exits 1. With only A: exits 0 when A loads
// (an intact checkpoint) and prints its step and epoch. The resume and kill tests of tests/dist use
// it on yolo_v1's and fashion_mnist's checkpoints.
#include <minidl/minidl.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <map>
#include <string>
#include <vector>

#include "tests/dist/compare.h"

using namespace minidl;

namespace {

std::string meta(const TensorFile& f, const std::string& key) {
  auto it = f.metadata.find(key);
  return it == f.metadata.end() ? "(none)" : it->second;
}

// The epoch a checkpoint holds: its app's "<app>.epoch" key (yolo.epoch, fashion_mnist.epoch).
std::string epoch(const TensorFile& f) {
  for (const auto& [key, value] : f.metadata)
    if (key.size() > 6 && key.compare(key.size() - 6, 6, ".epoch") == 0) return value;
  return "(none)";
}

// Groups tensors by the part of their name before the first dot ("model", "optim") and compares
// each group as one vector: ||a - b|| / ||b|| over all of its elements. Per tensor the figure can
// be much larger for a small tensor whose gradient is near zero: Adam moves such a parameter by
// about lr whatever the gradient's size, in the direction of its sign, which rounding decides.
int compare(const TensorFile& a, const TensorFile& b, double rtol,
            const std::vector<std::string>& keys) {
  int bad = 0;
  for (const std::string& k : keys)
    if (meta(a, k) != meta(b, k)) {
      std::printf("metadata %s: %s vs %s\n", k.c_str(), meta(a, k).c_str(), meta(b, k).c_str());
      ++bad;
    }
  std::map<std::string, Tensor> in_b(b.tensors.begin(), b.tensors.end());
  MINIDL_CHECK(a.tensors.size() == b.tensors.size(), "the files hold ", a.tensors.size(), " and ",
               b.tensors.size(), " tensors");
  struct Group {
    std::vector<float> a, b;
    int tensors = 0;
    double worst = 0;
    std::string worst_name;
  };
  std::map<std::string, Group> groups;
  for (const auto& [name, t] : a.tensors) {
    auto it = in_b.find(name);
    MINIDL_CHECK(it != in_b.end(), "'", name, "' is missing from the second file");
    MINIDL_CHECK(it->second.shape() == t.shape(), "'", name, "' has shapes ", shape_str(t.shape()),
                 " and ", shape_str(it->second.shape()));
    Group& g = groups[name.substr(0, name.find('.'))];
    const std::vector<float> x = t.to_vector(), y = it->second.to_vector();
    g.a.insert(g.a.end(), x.begin(), x.end());
    g.b.insert(g.b.end(), y.begin(), y.end());
    ++g.tensors;
    const double rel = dist_test::relative_difference(t, it->second);
    if (rel >= g.worst) g.worst = rel, g.worst_name = name;
  }
  for (const auto& [prefix, g] : groups) {
    const int64_t n = static_cast<int64_t>(g.a.size());
    const double rel = dist_test::relative_difference(from_vector(g.a, {n}), from_vector(g.b, {n}));
    const bool ok = rel <= rtol;
    bad += !ok;
    std::printf("%s: %d tensors, relative difference %.3g %s %.3g (per tensor at most %.3g, %s)\n",
                prefix.c_str(), g.tensors, rel, ok ? "<=" : ">", rtol, g.worst,
                g.worst_name.c_str());
  }
  std::printf("%s\n", bad ? "DIFFERENT" : "SAME");
  return bad ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"compare_checkpoints: two safetensors files hold the same tensors (within --rtol)"};
  std::string a, b;
  double rtol = 1e-5;
  std::vector<std::string> keys;
  app.add_option("a", a, "first file")->required();
  app.add_option("b", b, "second file (none: only check that the first one loads)");
  app.add_option("--rtol", rtol, "largest relative difference per group of tensors")
      ->capture_default_str();
  app.add_option("--meta", keys, "metadata keys that must be equal");
  CLI11_PARSE(app, argc, argv);
  try {
    const TensorFile fa = load_tensors(a);
    if (b.empty()) {
      std::printf("%s: %zu tensors, step %s, epoch %s\n", a.c_str(), fa.tensors.size(),
                  meta(fa, "step").c_str(), epoch(fa).c_str());
      return 0;
    }
    return compare(fa, load_tensors(b), rtol, keys);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "compare_checkpoints: %s\n", e.what());
    return 2;
  }
}
