// Tests of darknet .cfg and .weights files (apps/yolo_v1/darknet.h), without downloads: the cfg
// syntax as darknet reads it, errors that name file:line, a small network whose weights go
// through save_darknet_weights and whose output is worked out by hand (darknet's maxpool padding
// and batch norm included), the older header forms, a write->read round trip bit for bit (and the
// layers' sizes worked out from the .cfg alone), files of the wrong size or with NaN or infinite
// values. darknet's own networks are tested in test_darknet_networks.cpp.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "apps/yolo_v1/darknet.h"
#include "tests/apps/yolo_v1/temp_dir.h"

using namespace yolo;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;
using minidl::Shape;
using minidl::Tensor;

namespace {

DarknetNetwork build(const std::string& text, uint64_t seed = 1) {
  minidl::Generator gen(seed);
  return build_darknet_network(parse_darknet_cfg_text(text, "t.cfg"), gen);
}

// The message build() throws for `text` (empty when it does not throw).
std::string build_error(const std::string& text) {
  try {
    build(text);
  } catch (const minidl::Error& e) {
    return e.what();
  }
  return "";
}

std::string bytes_of(const std::vector<int32_t>& ints, const std::vector<float>& floats) {
  std::string s(ints.size() * 4 + floats.size() * 4, '\0');
  std::memcpy(s.data(), ints.data(), ints.size() * 4);
  std::memcpy(s.data() + ints.size() * 4, floats.data(), floats.size() * 4);
  return s;
}

std::vector<float> floats_of(const std::string& bytes, size_t offset) {
  std::vector<float> v((bytes.size() - offset) / 4);
  std::memcpy(v.data(), bytes.data() + offset, v.size() * 4);
  return v;
}

// Every parameter and buffer, in order, as host vectors.
std::vector<std::vector<float>> state_of(const minidl::Module& m) {
  std::vector<std::vector<float>> out;
  for (const auto& [name, t] : m.parameters()) out.push_back(t.to_vector());
  for (const auto& [name, t] : m.buffers()) out.push_back(t.to_vector());
  return out;
}

// A 3x3 grey image through a batch-normalised 3x3 convolution, darknet's default maxpool and a
// connected layer (see the hand computation in the test below).
const char* kSmall = R"([net]
width=3
height=3
channels=1

[convolutional]
batch_normalize=1
filters=1
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[connected]
output=2
activation=linear
)";

// The weights of kSmall as the test sets them, in .weights order.
const std::vector<float> kSmallConvBn = {1.f, 2.f, 6.f, 4.f};  // beta, gamma, mean, variance
const std::vector<float> kSmallKernel = {0, 0, 0, 0, 1, 1, 0, 0, 0};
const std::vector<float> kSmallDenseBias = {0.5f, -2.f};
const std::vector<float> kSmallDenseW = {1, 0, 0, 0, 0.5f, -1, 0.25f, 1};  // (out 2, in 4)

void set_small_weights(DarknetNetwork& net) {
  const DarknetLayer& conv = net.layers[0];
  conv.bn->bias().fill_(kSmallConvBn[0]);
  conv.bn->weight().fill_(kSmallConvBn[1]);
  conv.bn->running_mean().fill_(kSmallConvBn[2]);
  conv.bn->running_var().fill_(kSmallConvBn[3]);
  conv.conv->weight().copy_(minidl::from_vector(kSmallKernel, {1, 1, 3, 3}));
  net.layers[2].dense->bias().copy_(minidl::from_vector(kSmallDenseBias, {2}));
  net.layers[2].dense->weight().copy_(minidl::from_vector(kSmallDenseW, {2, 4}));
}

// kSmall's output for x = 1..9 with those weights, by hand:
//  conv (pad 1, kernel centre and right neighbour 1): y[i][j] = x[i][j] + x[i][j+1]
//     = [3 5 3; 9 11 6; 15 17 9];
//  batch norm (eval, darknet): (y - 6) / (sqrt(4) + 1e-6) * 2 + 1 = k (y - 6) + 1 with
//     k = 2 / (2 + 1e-6): [1-3k, 1-k, 1-3k; 1+3k, 1+5k, 1; 1+9k, 1+11k, 1+3k];
//  leaky (0.1) changes only 1-3k -> 0.1 (1-3k) (1-k > 0);
//  maxpool size 2, stride 2, darknet padding 1: output (3 + 1 - 2) / 2 + 1 = 2 per side, windows
//     at rows/cols {0,1} and {2}: max{.., 1+5k} = 1+5k; max{0.1(1-3k), 1} = 1; max{1+9k, 1+11k}
//     = 1+11k; 1+3k  ->  p = [1+5k, 1, 1+11k, 1+3k];
//  connected: out0 = p0 + 0.5 = 5k + 1.5;
//     out1 = 0.5 p0 - p1 + 0.25 p2 + p3 - 2 = 2.5k + 0.5 - 1 + 2.75k + 0.25 + 3k + 1 - 2
//          = 8.25k - 1.25.
std::vector<float> small_expected() {
  const double k = 2.0 / (2.0 + 1e-6);
  return {static_cast<float>(5 * k + 1.5), static_cast<float>(8.25 * k - 1.25)};
}

Tensor one_to_nine() { return minidl::arange(1.f, 10.f).reshape({1, 1, 3, 3}); }

}  // namespace

TEST_CASE("darknet cfg: sections, keys and line numbers as darknet reads them", "[darknet]") {
  const DarknetConfig cfg = parse_darknet_cfg_text(
      "# a comment\n"
      "[net]\r\n"
      "  width = 448\t\n"
      "; another comment\n"
      "\n"
      "hue = .1\n"
      "[convolutional]\n"
      "size=3\n"
      "steps=1, 2,3\n",
      "x.cfg");
  CHECK(cfg.file == "x.cfg");
  REQUIRE(cfg.sections.size() == 2);
  CHECK(cfg.sections[0].type == "net");
  CHECK(cfg.sections[0].line == 2);
  REQUIRE(cfg.sections[0].options.size() == 2);
  CHECK(cfg.sections[0].options[0].key == "width");
  CHECK(cfg.sections[0].options[0].value == "448");
  CHECK(cfg.sections[0].options[0].line == 3);
  CHECK(cfg.sections[0].options[1].value == ".1");
  CHECK(cfg.sections[0].options[1].line == 6);
  CHECK(cfg.sections[1].type == "convolutional");
  CHECK(cfg.sections[1].line == 7);
  CHECK(cfg.sections[1].options[1].value == "1,2,3");  // spaces go wherever they are
}

TEST_CASE("darknet cfg: syntax errors name file:line", "[darknet]") {
  auto error = [](const std::string& text) {
    try {
      parse_darknet_cfg_text(text, "bad.cfg");
    } catch (const minidl::Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  CHECK_THAT(error("[net]\nwidth\n"), StartsWith("bad.cfg:2: expected key=value or [section]"));
  CHECK_THAT(error("[net\n"), StartsWith("bad.cfg:1: a section header reads [type], got '[net'"));
  CHECK_THAT(error("width=3\n[net]\n"), StartsWith("bad.cfg:1: 'width=3' comes before"));
  CHECK_THAT(error("[net]\nwidth=\n"), StartsWith("bad.cfg:2: width has no value"));
  CHECK_THAT(error("[net]\n=3\n"), StartsWith("bad.cfg:2: no key before '='"));
  CHECK_THAT(error("[net]\nwidth=3\n\nwidth=4\n"),
             StartsWith("bad.cfg:4: width is set twice in [net] (first at line 2)"));
  CHECK_THROWS_WITH(parse_darknet_cfg("/nonexistent/x.cfg"),
                    StartsWith("cannot read '/nonexistent/x.cfg': "));
}

TEST_CASE("darknet cfg: unknown sections and keys, bad and out-of-range values name file:line",
          "[darknet]") {
  const std::string net = "[net]\nwidth=8\nheight=8\nchannels=3\n";  // lines 1-4
  CHECK_THAT(build_error(""), StartsWith("t.cfg: no sections"));
  CHECK_THAT(build_error("[convolutional]\n"),
             StartsWith("t.cfg:1: the first section must be [net], got [convolutional]"));
  CHECK_THAT(build_error("[net]\nwidth=8\nheight=8\n"),
             StartsWith("t.cfg:1: [net] needs channels"));
  CHECK_THAT(build_error(net + "[route]\nlayers=-1\n"),
             StartsWith("t.cfg:5: unknown section [route]"));
  CHECK_THAT(build_error(net + "[convolutional]\nfilters=4\ngroups=2\n"),
             StartsWith("t.cfg:7: unknown key 'groups' in [convolutional] (minidl reads: "));
  CHECK_THAT(build_error(net + "[convolutional]\nfilters=0\n"),
             StartsWith("t.cfg:6: filters=0 is out of range: must be in [1, 65536]"));
  CHECK_THAT(build_error(net + "[convolutional]\nsize=3x\n"),
             StartsWith("t.cfg:6: size=3x is not a whole number"));
  CHECK_THAT(build_error(net + "[convolutional]\nactivation=mish\n"),
             StartsWith("t.cfg:6: activation=mish is not supported (minidl reads: leaky, linear, "
                        "relu, logistic)"));
  CHECK_THAT(build_error(net + "[convolutional]\nbatch_normalize=2\n"),
             StartsWith("t.cfg:6: batch_normalize=2 is out of range: must be in [0, 1]"));
  CHECK_THAT(build_error(net + "[dropout]\nprobability=1\n"),
             StartsWith("t.cfg:6: probability=1 is out of range: must be in [0, 1)"));
  CHECK_THAT(build_error(net + "[dropout]\nprobability=nan\n"),
             StartsWith("t.cfg:6: probability=nan is not a number"));
  CHECK_THAT(build_error(net + "[maxpool]\nsize=2\npadding=2\n"),
             StartsWith("t.cfg:7: padding=2 is out of range: must be in [0, 1]"));
  CHECK_THAT(build_error(net + "[convolutional]\nsize=11\n"),
             StartsWith("t.cfg:5: layer 0 [convolutional]: the 11x11 kernel does not fit the 8x8 "
                        "input padded by 0"));
  CHECK_THAT(build_error(net + "[local]\nsize=5\npad=1\n"),
             StartsWith("t.cfg:7: pad=1 with size=5: darknet's local layer"));
  CHECK_THAT(build_error(net + "[net]\n"), StartsWith("t.cfg:5: unknown section [net]"));
  CHECK_THAT(build_error(net + "[connected]\noutput=4\n[convolutional]\n"),
             StartsWith("t.cfg:7: layer 1 [convolutional]: needs an image input"));
  // [detection] checks its input count against side, num, coords and classes, and comes last.
  CHECK_THAT(build_error(net + "[connected]\noutput=50\n[detection]\nside=2\nnum=2\ncoords=4\n"
                               "classes=3\n"),
             StartsWith("t.cfg:7: layer 1 [detection]: side*side*((1 + coords)*num + classes) = "
                        "2*2*((1 + 4)*2 + 3) = 52 inputs expected, the layer before gives 50"));
  CHECK_THAT(build_error(net + "[connected]\noutput=3\n[detection]\nside=1\n[dropout]\n"),
             StartsWith("t.cfg:9: layer 2 [dropout]: [detection] must be the last section"));
  CHECK_THAT(build_error("[net]\nwidth=8\nheight=8\nchannels=3\npolicy=steps\nsteps=1,2\n"
                         "scales=.1\n"),
             StartsWith("t.cfg:6: policy=steps needs steps and scales of one length, got 2 steps "
                        "and 1 scales"));
}

TEST_CASE("darknet: a small network, its weights through save_darknet_weights, by hand",
          "[darknet]") {
  yolo_test::TempDir dir("darknet_small");
  DarknetNetwork net = build(kSmall, 1);
  REQUIRE(net.layers.size() == 3);
  CHECK(net.layers[0].output == Shape{1, 3, 3});
  CHECK(net.layers[1].output == Shape{1, 2, 2});  // darknet's maxpool: (3 + 1 - 2) / 2 + 1
  CHECK(net.layers[2].output == Shape{2});
  // 13 floats for the convolution (beta, gamma, mean, variance, 9 weights), 2 + 8 for connected.
  CHECK(net.weight_floats() == 23);
  CHECK(net.model->num_parameters() == 2 + 9 + 2 + 8);
  set_small_weights(net);
  save_darknet_weights(dir / "small.weights", net, 12345);

  // The file: major 0, minor 2, revision 0, seen as int64, then the floats in darknet's order.
  const std::string bytes = yolo_test::slurp(dir / "small.weights");
  REQUIRE(bytes.size() == 20 + 23 * 4);
  int32_t version[3];
  int64_t seen = 0;
  std::memcpy(version, bytes.data(), 12);
  std::memcpy(&seen, bytes.data() + 12, 8);
  CHECK(version[0] == 0);
  CHECK(version[1] == 2);
  CHECK(version[2] == 0);
  CHECK(seen == 12345);
  std::vector<float> want = kSmallConvBn;
  want.insert(want.end(), kSmallKernel.begin(), kSmallKernel.end());
  want.insert(want.end(), kSmallDenseBias.begin(), kSmallDenseBias.end());
  want.insert(want.end(), kSmallDenseW.begin(), kSmallDenseW.end());
  CHECK(floats_of(bytes, 20) == want);

  // A network built with other random weights reads them back and computes the hand result.
  DarknetNetwork other = build(kSmall, 2);
  const DarknetWeightsHeader h = load_darknet_weights(dir / "small.weights", other);
  CHECK(h.major == 0);
  CHECK(h.minor == 2);
  CHECK(h.seen == 12345);
  other.model->eval();
  const std::vector<float> got = (*other.model)(one_to_nine()).to_vector();
  const std::vector<float> expect = small_expected();
  REQUIRE(got.size() == 2);
  CHECK(got[0] == Approx(expect[0]).epsilon(1e-6));
  CHECK(got[1] == Approx(expect[1]).epsilon(1e-6));
}

TEST_CASE("darknet: older .weights headers: seen as int32, connected weights transposed",
          "[darknet]") {
  yolo_test::TempDir dir("darknet_header");
  std::vector<float> floats = kSmallConvBn;
  floats.insert(floats.end(), kSmallKernel.begin(), kSmallKernel.end());
  floats.insert(floats.end(), kSmallDenseBias.begin(), kSmallDenseBias.end());
  SECTION("version 0.1: seen is an int32, so the header is 16 bytes") {
    floats.insert(floats.end(), kSmallDenseW.begin(), kSmallDenseW.end());
    yolo_test::write_text(dir / "old.weights", bytes_of({0, 1, 0, 77}, floats));
    DarknetNetwork net = build(kSmall);
    const DarknetWeightsHeader h = load_darknet_weights(dir / "old.weights", net);
    CHECK(h.minor == 1);
    CHECK(h.seen == 77);
    net.model->eval();
    const std::vector<float> got = (*net.model)(one_to_nine()).to_vector();
    CHECK(got[0] == Approx(small_expected()[0]).epsilon(1e-6));
    CHECK(got[1] == Approx(small_expected()[1]).epsilon(1e-6));
  }
  // major > 1000: connected weights stored (in, out), and seen an int32. 300000000 makes darknet's
  // major * 10 + minor overflow int32 (computed here in 64 bits; UBSan would stop the old code).
  const int32_t major = GENERATE(1001, 300000000);
  SECTION("major > 1000: connected weights stored (in, out), and seen an int32") {
    INFO("major " << major);
    // kSmallDenseW transposed: row r of the file is input r's weight to outputs 0 and 1.
    const std::vector<float> transposed = {1, 0.5f, 0, -1, 0, 0.25f, 0, 1};
    floats.insert(floats.end(), transposed.begin(), transposed.end());
    yolo_test::write_text(dir / "t.weights", bytes_of({major, 0, 0, 5}, floats));
    DarknetNetwork net = build(kSmall);
    const DarknetWeightsHeader h = load_darknet_weights(dir / "t.weights", net);
    CHECK(h.major == major);
    CHECK(h.seen == 5);
    CHECK(net.layers[2].dense->weight().to_vector() == kSmallDenseW);
  }
}

TEST_CASE("darknet: a write->read round trip is bit for bit, for every layer type", "[darknet]") {
  yolo_test::TempDir dir("darknet_roundtrip");
  // A batch-normalised convolution, one with a bias, darknet's maxpool on an odd size, a [local]
  // layer, dropout, a connected layer and [detection] with softmax.
  const std::string cfg = R"([net]
width=9
height=9
channels=3
[convolutional]
batch_normalize=1
filters=4
size=3
stride=1
pad=1
activation=leaky
[convolutional]
filters=5
size=1
activation=relu
[maxpool]
size=2
stride=2
[local]
size=3
stride=1
pad=1
filters=2
activation=leaky
[dropout]
probability=.5
[connected]
output=28
activation=logistic
[detection]
classes=2
coords=4
num=1
side=2
softmax=1
)";
  DarknetNetwork a = build(cfg, 11);
  // Each layer's weights as worked out from the .cfg alone (nothing built): conv 4*4 + 4*3*9;
  // conv 5 + 5*4; local 2*25 + 25*2*5*9; connected 28 + 28*50. Their sum is the built tensors'.
  const auto sizes = darknet_weight_sizes(parse_darknet_cfg_text(cfg, "t.cfg"));
  std::vector<int64_t> floats;
  for (size_t k = 0; k < sizes.size() && k < a.layers.size(); ++k) {
    CHECK(sizes[k].type == a.layers[k].type);
    CHECK(sizes[k].line == a.layers[k].line);
    floats.push_back(sizes[k].floats);
  }
  CHECK(floats == std::vector<int64_t>{124, 25, 0, 2300, 0, 1428, 0});
  CHECK(124 + 25 + 2300 + 1428 == a.weight_floats());
  // 9x9 -> conv 9x9 -> conv 9x9 -> maxpool (9 + 1 - 2) / 2 + 1 = 5 -> local 5x5 -> connected.
  CHECK(a.layers[2].output == Shape{5, 5, 5});
  CHECK(a.layers[3].output == Shape{2, 5, 5});
  REQUIRE(a.detection.has_value());
  CHECK(a.detection->softmax);
  // Nontrivial batch-norm statistics, so that the buffers are written too.
  a.layers[0].bn->running_mean().copy_(minidl::from_vector({0.1f, 0.2f, 0.3f, 0.4f}, {4}));
  a.layers[0].bn->running_var().copy_(minidl::from_vector({1.5f, 2.5f, 3.5f, 4.5f}, {4}));
  a.layers[0].bn->bias().copy_(minidl::from_vector({-0.1f, 0.f, 0.1f, 0.2f}, {4}));
  save_darknet_weights(dir / "a.weights", a);
  // conv1: 4 * 4 + 4*3*9 = 124; conv2: 5 + 5*4 = 25; local: 2*5*5 + 25*2*5*9 = 2300;
  // connected: 28 + 28*50 = 1428 (side*side*((1 + coords)*num + classes) = 4*(5 + 2) = 28).
  CHECK(a.weight_floats() == 124 + 25 + 2300 + 1428);
  CHECK(std::filesystem::file_size(dir / "a.weights") == 20 + 4 * 3877);

  DarknetNetwork b = build(cfg, 22);
  CHECK(state_of(*a.model) != state_of(*b.model));
  load_darknet_weights(dir / "a.weights", b);
  CHECK(state_of(*a.model) == state_of(*b.model));
  save_darknet_weights(dir / "b.weights", b);
  CHECK(yolo_test::slurp(dir / "a.weights") == yolo_test::slurp(dir / "b.weights"));

  // Both compute the same, and [detection]'s softmax makes each cell's 2 class scores (the first
  // 4 cells * 2 outputs) sum to 1.
  a.model->eval();
  b.model->eval();
  Tensor x = minidl::rand({2, 3, 9, 9});
  const std::vector<float> ya = (*a.model)(x).to_vector(), yb = (*b.model)(x).to_vector();
  CHECK(ya == yb);
  REQUIRE(ya.size() == 2 * 28);
  for (int image = 0; image < 2; ++image)
    for (int cell = 0; cell < 4; ++cell)
      CHECK(ya[image * 28 + 2 * cell] + ya[image * 28 + 2 * cell + 1] == Approx(1.0).epsilon(1e-6));
  CHECK(ya[8] != ya[9]);  // the rest passes through the logistic unchanged
}

TEST_CASE("darknet: a .weights file too short or too long, or with NaN or Inf, names the layer",
          "[darknet]") {
  yolo_test::TempDir dir("darknet_sizes");
  DarknetNetwork net = build(kSmall);
  set_small_weights(net);
  save_darknet_weights(dir / "w.weights", net);
  const std::string bytes = yolo_test::slurp(dir / "w.weights");  // 20 + 23 * 4 = 112 bytes
  DarknetNetwork other = build(kSmall, 3);
  const auto before = state_of(*other.model);
  auto error = [&](const std::string& content) {
    const auto file = dir / "bad.weights";
    yolo_test::write_text(file, content);
    try {
      load_darknet_weights(file, other);
    } catch (const minidl::Error& e) {
      return std::string(e.what()).substr(file.string().size());  // after "<file>"
    }
    return std::string("no error");
  };
  // The convolution ends at byte 20 + 13 * 4 = 72, the connected layer at 72 + 10 * 4 = 112.
  CHECK(error(bytes.substr(0, 100)) == ": layer 2 (connected): expected 112 bytes, file has 100");
  CHECK(error(bytes.substr(0, 60)) == ": layer 0 (convolutional): expected 72 bytes, file has 60");
  CHECK(error(bytes + "abcd") ==
        ": layer 2 (connected): expected 112 bytes, file has 116 (4 bytes after the last layer "
        "with weights)");
  // major, minor and revision take 12 bytes, `seen` 4 or 8 more: 16 bytes at least.
  CHECK(error(bytes.substr(0, 10)) == ": header: expected at least 16 bytes, file has 10");
  CHECK(error(bytes.substr(0, 12)) == ": header: expected at least 16 bytes, file has 12");
  CHECK(error(bytes.substr(0, 15)) == ": header: expected at least 16 bytes, file has 15");
  CHECK(error(bytes.substr(0, 16)) == ": header: expected 20 bytes, file has 16");
  CHECK(error(bytes.substr(0, 18)) == ": header: expected 20 bytes, file has 18");
  // A NaN or an infinity: the layer, its tensor (in file order) and the offset.
  auto with = [&](size_t byte, float value) {
    std::string b = bytes;
    std::memcpy(b.data() + byte, &value, 4);
    return b;
  };
  const float inf = std::numeric_limits<float>::infinity();
  // The connected layer's weights (its tensor 1, after 2 biases) at byte 20 + 13*4 + 2*4 + 3*4.
  CHECK(error(with(92, std::numeric_limits<float>::quiet_NaN())) ==
        ": layer 2 (connected): tensor 1 has a non-finite value (nan) at float offset 3 (byte 92)");
  // Batch norm's beta (darknet's "biases"), the convolution's tensor 0.
  CHECK(error(with(20, inf)) ==
        ": layer 0 (convolutional): tensor 0 has a non-finite value (inf) at float offset 0 "
        "(byte 20)");
  // The kernel (tensor 4, after beta, gamma, mean and variance): its ninth value.
  CHECK(error(with(20 + 4 * 4 + 8 * 4, -inf)) ==
        ": layer 0 (convolutional): tensor 4 has a non-finite value (-inf) at float offset 8 "
        "(byte 68)");
  CHECK(state_of(*other.model) == before);  // nothing changed
}
