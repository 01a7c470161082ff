// Tests for core/serialize and layers/serialize_model: tensor and model round trips, the byte
// layout against a hand-written safetensors file, checkpoints that resume Adam exactly, every kind
// of damaged or mismatched file rejected with a message naming it, and the atomic write (no temp
// file left, old file kept).
#include <filesystem>
#include <limits>
#include <memory>
#include <string>

#include "core/serialize.h"
#include "layers/serialize_model.h"
#include "support/files.h"
#include "support/helpers.h"

using namespace minidl;
using namespace minidl::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

// 8-byte little-endian header size, the header, the data: a safetensors file built by hand.
std::string st_bytes(const std::string& header, const std::string& data) {
  std::string out;
  for (int i = 0; i < 8; ++i) out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + data;
}

// Conv -> ReLU -> Flatten -> Dense, its weights drawn from `seed`.
std::shared_ptr<Sequential> small_model(uint64_t seed) {
  Generator gen(seed);
  auto m = std::make_shared<Sequential>();
  m->emplace<Conv2D>(1, 2, 3, 1, 1, true, Init::Auto, gen);
  m->emplace<ReLU>();
  m->emplace<Flatten>();
  m->emplace<Dense>(2 * 4 * 4, 3, true, Init::Auto, gen);
  return m;
}

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

bool same_values(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.to_vector() == b.to_vector();
}

}  // namespace

TEST_CASE("serialize: save then load gives identical tensors in order with metadata",
          "[serialize]") {
  TempDir dir;
  Tensor a = R({2, 3}, 1, false);
  Tensor t = R({3, 2}, 2, false).transpose(0, 1);  // a non-contiguous view
  Tensor s = scalar(-7.25f);
  Tensor e = zeros({0, 4});
  save_tensors(dir / "t.safetensors", {{"b.a", a}, {"view", t}, {"scalar", s}, {"empty", e}},
               {{"epoch", "3"}, {"note", "héllo"}});
  TensorFile f = load_tensors(dir / "t.safetensors");
  REQUIRE(f.tensors.size() == 4);
  CHECK(f.tensors[0].first == "b.a");
  CHECK(f.tensors[1].first == "view");
  CHECK(f.tensors[2].first == "scalar");
  CHECK(f.tensors[3].first == "empty");
  CHECK(same_values(f.tensors[0].second, a));
  CHECK(same_values(f.tensors[1].second, t));
  CHECK(f.tensors[2].second.dim() == 0);
  CHECK(f.tensors[2].second.item() == -7.25f);
  CHECK(f.tensors[3].second.shape() == Shape{0, 4});
  CHECK(f.dtypes == std::vector<std::string>{"F32", "F32", "F32", "F32"});
  CHECK(f.metadata == Metadata{{"epoch", "3"}, {"note", "héllo"}});
  CHECK(f.tensors[0].second.device() == Device::CPU);
}

TEST_CASE("serialize: the written bytes are the safetensors layout", "[serialize]") {
  TempDir dir;
  save_tensors(dir / "w.st", {{"w", from_vector({1.f, -2.f}, {2})}}, {{"k", "v"}});
  // Header JSON (compact, metadata first) padded with spaces so the data starts 8-byte aligned:
  // 79 bytes + 1 space, data at 8 + 80 = 88. 1.0f = 0x3f800000, -2.0f = 0xc0000000, little-endian.
  std::string json =
      R"({"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  REQUIRE(json.size() == 79);
  std::string expected = st_bytes(json + " ", B({0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0}));
  CHECK(read_bytes(dir / "w.st") == expected);
}

TEST_CASE("serialize: a safetensors file written by hand loads with every dtype", "[serialize]") {
  TempDir dir;
  // The header lists "b" first but its data comes second: order follows the header, the layout
  // is checked by offsets. Data: a F32 [1, -2.5]; b F16 [1, -2, 2^-24 (subnormal)];
  // c BF16 [-3]; d I64 [-5]; e U8 [200, 7]; f BOOL [1, 0]; g I8 [-128]; h F64 [0.5];
  // i I32 [-70000]; j I16 [-2].
  std::string header = R"({"b":{"dtype":"F16","shape":[3],"data_offsets":[8,14]},)"
                       R"("a":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},)"
                       R"("c":{"dtype":"BF16","shape":[],"data_offsets":[14,16]},)"
                       R"("d":{"dtype":"I64","shape":[1],"data_offsets":[16,24]},)"
                       R"("e":{"dtype":"U8","shape":[2],"data_offsets":[24,26]},)"
                       R"("f":{"dtype":"BOOL","shape":[2],"data_offsets":[26,28]},)"
                       R"("g":{"dtype":"I8","shape":[1],"data_offsets":[28,29]},)"
                       R"("h":{"dtype":"F64","shape":[1],"data_offsets":[29,37]},)"
                       R"("i":{"dtype":"I32","shape":[1],"data_offsets":[37,41]},)"
                       R"("j":{"dtype":"I16","shape":[1],"data_offsets":[41,43]},)"
                       R"("__metadata__":{"format":"pt"}}  )";
  std::string data = B({0,    0,    0x80, 0x3f, 0,    0,    0x20, 0xc0,  // F32 1, -2.5
                        0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00,              // F16 1, -2, 2^-24
                        0x40, 0xc0,                                      // BF16 -3
                        0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,  // I64 -5
                        200,  7,    1,    0,    0x80,                    // U8, BOOL, I8 -128
                        0,    0,    0,    0,    0,    0,    0xe0, 0x3f,  // F64 0.5
                        0x90, 0xee, 0xfe, 0xff,                          // I32 -70000
                        0xfe, 0xff});                                    // I16 -2
  write_bytes(dir / "hand.safetensors", st_bytes(header, data));
  TensorFile f = load_tensors(dir / "hand.safetensors");
  REQUIRE(f.tensors.size() == 10);
  const std::vector<std::string> names = {"b", "a", "c", "d", "e", "f", "g", "h", "i", "j"};
  for (size_t i = 0; i < names.size(); ++i) CHECK(f.tensors[i].first == names[i]);
  CHECK(f.dtypes[0] == "F16");
  CHECK(f.dtypes[2] == "BF16");
  CHECK_CLOSE(f.tensors[0].second, {1.f, -2.f, 5.9604644775390625e-8f}, {3}, 0, 0);
  CHECK_CLOSE(f.tensors[1].second, {1.f, -2.5f}, {1, 2}, 0, 0);
  CHECK_CLOSE(f.tensors[2].second, {-3.f}, {}, 0, 0);
  CHECK_CLOSE(f.tensors[3].second, {-5.f}, {1}, 0, 0);
  CHECK_CLOSE(f.tensors[4].second, {200.f, 7.f}, {2}, 0, 0);
  CHECK_CLOSE(f.tensors[5].second, {1.f, 0.f}, {2}, 0, 0);
  CHECK_CLOSE(f.tensors[6].second, {-128.f}, {1}, 0, 0);
  CHECK_CLOSE(f.tensors[7].second, {0.5f}, {1}, 0, 0);
  CHECK_CLOSE(f.tensors[8].second, {-70000.f}, {1}, 0, 0);
  CHECK_CLOSE(f.tensors[9].second, {-2.f}, {1}, 0, 0);
  CHECK(f.metadata == Metadata{{"format", "pt"}});
}

TEST_CASE("serialize: a saved model loads into another with identical outputs", "[serialize]") {
  TempDir dir;
  auto a = small_model(1), b = small_model(2);
  a->eval();
  b->eval();
  Tensor x = R({2, 1, 4, 4}, 3, false);
  Tensor ya = (*a)(x);
  REQUIRE_FALSE(same_values(ya, (*b)(x)));
  save_model(dir / "m.safetensors", *a, {{"arch", "small"}});
  Metadata meta = load_model(dir / "m.safetensors", *b);
  CHECK(meta.at("arch") == "small");
  CHECK(same_values((*b)(x), ya));
  const auto pa = a->parameters(), pb = b->parameters();
  REQUIRE(pa.size() == pb.size());
  for (size_t i = 0; i < pa.size(); ++i) {
    CHECK(pa[i].first == pb[i].first);
    CHECK(same_values(pa[i].second, pb[i].second));
    CHECK(pb[i].second.requires_grad());
  }
}

TEST_CASE("serialize: model files and checkpoints keep BatchNorm2d's running statistics",
          "[serialize]") {
  // The running mean and variance are buffers, not parameters: a file without them would reload
  // a batch-normalised network with mean 0 and variance 1, and its eval outputs would change.
  TempDir dir;
  auto make = [] {
    auto m = std::make_shared<Sequential>();
    m->emplace<BatchNorm2d>(2);
    return m;
  };
  auto a = make(), b = make(), c = make();
  Tensor x = R({3, 2, 2, 2}, 4, false);
  (*a)(x);  // a training forward moves the running statistics away from 0 and 1
  a->eval();
  b->eval();
  c->eval();
  const Tensor ya = (*a)(x);
  REQUIRE_FALSE(same_values((*b)(x), ya));
  save_model(dir / "bn.safetensors", *a);
  load_model(dir / "bn.safetensors", *b);
  CHECK(same_values((*b)(x), ya));
  SGD sgd(a->parameters(), 0.1f);
  save_checkpoint(dir / "bn.ckpt", *a, sgd, 1);
  SGD sgd_c(c->parameters(), 0.1f);
  load_checkpoint(dir / "bn.ckpt", *c, sgd_c);
  CHECK(same_values((*c)(x), ya));
  const auto ba = a->buffers(), bc = c->buffers();
  REQUIRE(ba.size() == 2);
  REQUIRE(bc.size() == 2);
  for (size_t i = 0; i < ba.size(); ++i) {
    CHECK(ba[i].first == bc[i].first);
    CHECK(same_values(ba[i].second, bc[i].second));
  }
}

TEST_CASE("serialize: load_model lists every mismatch in one message and changes nothing",
          "[serialize]") {
  TempDir dir;
  auto model = small_model(1);  // 0.weight (2, 1, 3, 3), 0.bias (2), 3.weight (3, 32), 3.bias (3)
  const std::vector<float> before = model->parameters()[0].second.to_vector();
  save_tensors(dir / "bad.st", {{"0.weight", zeros({2, 1, 5, 5})},
                                {"0.bias", zeros({2})},
                                {"3.bias", zeros({4})},
                                {"head.weight", zeros({1})}});
  std::string msg = error_of([&] { load_model(dir / "bad.st", *model); });
  CHECK_THAT(msg, Contains("load_model") && Contains("bad.st") &&
                      Contains("missing (1): 3.weight") &&
                      Contains("unexpected (1): head.weight") &&
                      Contains("shape mismatch (2): 0.weight is (2, 1, 5, 5) in the file but "
                               "(2, 1, 3, 3) in the model; 3.bias is (4) in the file but (3)"));
  CHECK(model->parameters()[0].second.to_vector() == before);

  // The right names and shapes, but one tensor stored as F16 (written by hand).
  Dense d(1, 1);
  std::string header = R"({"weight":{"dtype":"F16","shape":[1,1],"data_offsets":[0,2]},)"
                       R"("bias":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}})";
  write_bytes(dir / "f16.st", st_bytes(header, B({0, 0x3c, 0, 0, 0, 0})));
  CHECK_THAT(error_of([&] { load_model(dir / "f16.st", d); }),
             Contains("dtype mismatch (1): weight is F16 in the file, the model needs F32"));
}

TEST_CASE("serialize: non-finite weights and impossible optimizer state are refused",
          "[serialize]") {
  TempDir dir;
  auto model = small_model(1);
  Adam adam(model->parameters(), 0.01f);
  {
    adam.zero_grad();
    mean(square((*model)(R({2, 1, 4, 4}, 5, false)))).backward();
    adam.step();  // Adam's state exists
  }
  const std::vector<float> before = model->parameters()[1].second.to_vector();
  // A file like the model's, with one value of 3.bias (3 values) replaced.
  auto with = [&](const std::string& file, const std::string& prefix, const std::string& name,
                  int64_t index, float value, bool optimizer) {
    std::vector<NamedTensor> tensors;
    for (const auto& [n, t] : model->parameters()) tensors.emplace_back(prefix + n, t.clone());
    Metadata meta;
    if (optimizer) {
      for (const auto& [n, t] : adam.state()) tensors.emplace_back("optim." + n, t.clone());
      meta = {{"format", "minidl-checkpoint"}, {"version", "1"}, {"step", "1"}};
    }
    for (auto& [n, t] : tensors)
      if (n == name) {
        std::vector<float> v = t.to_vector();
        v[static_cast<size_t>(index)] = value;
        t = from_vector(v, t.shape());
      }
    save_tensors(dir / file, tensors, meta);
    return dir / file;
  };
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  CHECK_THAT(error_of([&] { load_model(with("m.st", "", "3.bias", 2, nan, false), *model); }),
             Contains("load_model") && Contains("m.st") &&
                 Contains("3.bias holds a non-finite value (nan) at flat index 2"));
  CHECK_THAT(error_of([&] {
               load_checkpoint(with("c.st", "model.", "model.0.weight", 5, -inf, true), *model,
                               adam);
             }),
             Contains("model.0.weight holds a non-finite value (-inf) at flat index 5"));
  CHECK_THAT(error_of([&] {
               load_checkpoint(with("s.st", "model.", "optim.param.1.exp_avg_sq", 1, -1.f, true),
                               *model, adam);
             }),
             Contains("load_checkpoint") && Contains("'param.1.exp_avg_sq' holds -1 at flat "
                                                     "index 1; it must be finite and >= 0"));
  CHECK_THAT(error_of([&] {
               load_checkpoint(with("a.st", "model.", "optim.param.0.exp_avg", 3, nan, true),
                               *model, adam);
             }),
             Contains("'param.0.exp_avg' holds nan at flat index 3; it must be finite"));
  CHECK(model->parameters()[1].second.to_vector() == before);  // nothing loaded
  // The same file with finite values loads.
  CHECK(load_checkpoint(with("ok.st", "model.", "optim.param.1.exp_avg_sq", 1, 0.5f, true), *model,
                        adam) == 1);
}

TEST_CASE("serialize: a checkpoint round trip resumes Adam exactly", "[serialize]") {
  TempDir dir;
  Tensor x = R({4, 1, 4, 4}, 5, false), target = R({4, 3}, 6, false);
  auto train_step = [&](Sequential& m, Optimizer& opt) {
    opt.zero_grad();
    Tensor loss = mean(square(m(x) - target));
    loss.backward();
    opt.step();
  };
  auto a = small_model(1);
  Adam adam_a(a->parameters(), 0.01f);
  train_step(*a, adam_a);
  train_step(*a, adam_a);
  save_checkpoint(dir / "ck.st", *a, adam_a, 2, {{"run", "test"}});
  train_step(*a, adam_a);
  train_step(*a, adam_a);  // the reference: four steps without a reload

  auto b = small_model(9);  // other weights, fresh optimizer state
  Adam adam_b(b->parameters(), 0.5f);
  Metadata meta;
  CHECK(load_checkpoint(dir / "ck.st", *b, adam_b, &meta) == 2);
  CHECK(meta.at("format") == "minidl-checkpoint");
  CHECK(meta.at("version") == "1");
  CHECK(meta.at("step") == "2");
  CHECK(meta.at("optimizer") == "Adam");
  CHECK(meta.at("run") == "test");
  CHECK(adam_b.lr() == 0.01f);
  train_step(*b, adam_b);
  train_step(*b, adam_b);
  const auto pa = a->parameters(), pb = b->parameters();
  for (size_t i = 0; i < pa.size(); ++i) {
    INFO(pa[i].first);
    CHECK(same_values(pa[i].second, pb[i].second));
  }
  // The names in the file: model.<param> and optim.<state entry>.
  TensorFile f = load_tensors(dir / "ck.st");
  CHECK(f.tensors[0].first == "model.0.weight");
  CHECK(f.tensors[4].first == "optim.lr");
  CHECK(f.tensors[5].first == "optim.param.0.step");
}

TEST_CASE("serialize: checkpoints that do not fit are rejected and change nothing", "[serialize]") {
  TempDir dir;
  auto model = small_model(1);
  Adam adam(model->parameters());
  save_checkpoint(dir / "ck.st", *model, adam, 7);
  save_model(dir / "model.st", *model);

  CHECK_THAT(error_of([&] { load_model(dir / "ck.st", *model); }),
             Contains("ck.st") && Contains("is a training checkpoint"));
  CHECK_THAT(error_of([&] { load_checkpoint(dir / "model.st", *model, adam); }),
             Contains("model.st") && Contains("not a minidl checkpoint"));
  SGD sgd(model->parameters(), 0.1f);
  CHECK_THAT(error_of([&] { load_checkpoint(dir / "ck.st", *model, sgd); }),
             Contains("optimizer Adam, not of this SGD"));

  auto other = small_model(2);
  other->emplace<ReLU>();
  other->emplace<Dense>(3, 2);
  Adam adam_other(other->parameters(), 0.02f);
  const std::vector<float> before = other->parameters()[0].second.to_vector();
  CHECK_THAT(error_of([&] { load_checkpoint(dir / "ck.st", *other, adam_other); }),
             Contains("load_checkpoint") && Contains("missing (2): model.5.weight, model.5.bias"));
  CHECK(other->parameters()[0].second.to_vector() == before);
  CHECK(adam_other.lr() == 0.02f);

  save_tensors(dir / "v2.st", {{"model.x", zeros({1})}},
               {{"format", "minidl-checkpoint"}, {"version", "2"}, {"step", "1"}});
  CHECK_THAT(error_of([&] { load_checkpoint(dir / "v2.st", *model, adam); }),
             Contains("version '2' is not supported"));
  save_tensors(dir / "step.st", {{"model.x", zeros({1})}},
               {{"format", "minidl-checkpoint"}, {"version", "1"}, {"step", "12x"}});
  CHECK_THAT(error_of([&] { load_checkpoint(dir / "step.st", *model, adam); }),
             Contains("\"step\" must be a whole number >= 0, got '12x'"));
  CHECK_THAT(error_of([&] {
               save_checkpoint(dir / "r.st", *model, adam, 1, {{"step", "3"}});
             }),
             Contains("metadata key 'step' is reserved"));
  CHECK_THAT(error_of([&] { save_checkpoint(dir / "r.st", *model, adam, -1); }),
             Contains("step must be >= 0"));
}

TEST_CASE("serialize: damaged files are rejected with a message naming the problem",
          "[serialize]") {
  TempDir dir;
  const std::string ok_entry = R"("w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  const std::string eight = std::string(8, '\0');
  struct Case {
    const char* what;
    std::string bytes;
    std::string expected;
  };
  std::string valid = st_bytes("{" + ok_entry + "}", eight);
  std::string big_size = st_bytes("{}", "");
  big_size[0] = static_cast<char>(0xe8);  // 1000 bytes of header in a 10-byte file
  big_size[1] = 3;
  const std::vector<Case> cases = {
      {"empty file", "", "truncated: the file has 0 bytes"},
      {"cut inside the size", valid.substr(0, 5), "truncated: the file has 5 bytes"},
      {"cut inside the data", valid.substr(0, valid.size() - 3),
       "run past the end of the data section (5 bytes)"},
      {"header size beyond the file", big_size, "header size 1000 is larger than the file"},
      {"bad JSON", st_bytes(R"({"w": {"dtype": "F32",,}})", ""), "bad JSON header at byte 23"},
      {"JSON not an object", st_bytes("[1, 2]", ""), "the JSON header must be an object"},
      {"a number beyond a double (found by fuzz_model)",
       st_bytes(R"({"w":{"dtype":"F32","shape":[1e999],"data_offsets":[0,4]}})", "abcd"),
       "bad JSON header: [json.exception.out_of_range.406] number overflow"},
      {"unknown dtype", st_bytes(R"({"w":{"dtype":"F8","shape":[2],"data_offsets":[0,2]}})", "ab"),
       "tensor 'w': unknown dtype 'F8'"},
      {"missing key", st_bytes(R"({"w":{"dtype":"F32","shape":[2]}})", ""),
       "tensor 'w': missing \"data_offsets\""},
      {"negative size",
       st_bytes(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", eight),
       "shape must hold non-negative integers"},
      {"shape and offsets disagree",
       st_bytes(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", eight),
       "shape (3) of F32 needs 12 bytes but data_offsets [0,8] hold 8"},
      {"offsets past the data",
       st_bytes(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", eight),
       "data_offsets [4, 12] run past the end of the data section (8 bytes)"},
      {"overlap",
       st_bytes("{" + ok_entry + R"(,"v":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                eight),
       "tensors 'w' and 'v' overlap"},
      {"gap", st_bytes(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", eight),
       "not contiguous: bytes [0, 4) before tensor 'w' belong to no tensor"},
      {"extra bytes", st_bytes("{" + ok_entry + "}", eight + "xyz"), "3 extra bytes after"},
      {"repeated name", st_bytes("{" + ok_entry + "," + ok_entry + "}", eight + eight),
       "name 'w' appears twice"},
      {"metadata not strings", st_bytes(R"({"__metadata__":{"step":3}})", ""),
       "__metadata__ value of 'step' must be a string"},
      // Found by review: quoting a value nested 200,000 deep overflowed the stack (dump()
      // recurses), and sizes of 2^63 and more after a 0 came back negative.
      {"nested 200,000 deep",
       st_bytes(R"({"t":)" + std::string(200000, '[') + std::string(200000, ']') + "}", ""),
       "nests deeper than 64 levels"},
      {"metadata nested 200,000 deep",
       st_bytes(
           R"({"__metadata__":{"k":)" + std::string(200000, '[') + std::string(200000, ']') + "}}",
           ""),
       "nests deeper than 64 levels"},
      {"a size of 2^64 - 1 after a 0",
       st_bytes(R"({"w":{"dtype":"F32","shape":[0,18446744073709551615],"data_offsets":[0,0]}})",
                ""),
       "has too many elements (more than 2^60)"},
      {"sizes of 2^62 after a 0",
       st_bytes(R"({"w":{"dtype":"F32","shape":[0,4611686018427387904,4611686018427387904],)"
                R"("data_offsets":[0,0]}})",
                ""),
       "has too many elements (more than 2^60)"},
      {"a long value is quoted in part",
       st_bytes(R"({"w":{"dtype":[)" + repeat("1,", 1000) +
                    R"(1],"shape":[],)"
                    R"("data_offsets":[0,4]}})",
                "abcd"),
       "dtype must be a string, got [" + repeat("1,", 28) + "..."},
      {"a long number is quoted in part",
       st_bytes(R"({"w":{"dtype":"F32","shape":[)" + std::string(2000, '9') + "]}}", ""),
       "number overflow parsing '999"},
  };
  REQUIRE(error_of([&] {
            write_bytes(dir / "valid.st", valid);
            load_tensors(dir / "valid.st");
          }) == "(no error)");
  for (const Case& c : cases) {
    INFO(c.what);
    const fs::path p = dir / "bad.safetensors";
    write_bytes(p, c.bytes);
    const std::string msg = error_of([&] { load_tensors(p); });
    CHECK_THAT(msg, Contains("load_tensors: '" + p.string() + "'") && Contains(c.expected));
    CHECK(msg.size() < 400);  // no value quoted whole
  }
  CHECK_THAT(error_of([&] { load_tensors(dir / "absent.st"); }),
             Contains("absent.st") && Contains("cannot open: No such file or directory"));
  CHECK_THAT(error_of([&] { load_tensors(dir.path); }), Contains("is a directory"));
}

TEST_CASE("serialize: the atomic write leaves no temp file and keeps the old file on failure",
          "[serialize]") {
  TempDir dir;
  const fs::path p = dir / "model.st";
  save_tensors(p, {{"w", ones({3})}});
  save_tensors(p, {{"w", full({2}, 5.f)}});  // replaces the file
  CHECK(dir.list() == std::vector<std::string>{"model.st"});
  CHECK_CLOSE(load_tensors(p).tensors[0].second, {5.f, 5.f}, {2});
  const std::string old_bytes = read_bytes(p);

  // Rejected before writing: an undefined tensor, a repeated name, a reserved name.
  CHECK_THAT(error_of([&] {
               save_tensors(p, {{"a", ones({1})}, {"b", Tensor()}});
             }),
             Contains("save_tensors") && Contains("tensor 'b' is undefined"));
  CHECK_THAT(error_of([&] {
               save_tensors(p, {{"a", ones({1})}, {"a", ones({1})}});
             }),
             Contains("tensor name 'a' appears twice"));
  CHECK_THAT(error_of([&] {
               save_tensors(p, {{"__metadata__", ones({1})}});
             }),
             Contains("'__metadata__' is reserved"));
  CHECK(read_bytes(p) == old_bytes);

  // Fails after the data is written: the destination is a non-empty directory, so the rename
  // fails; the temporary file is removed and the directory is left as it was.
  fs::create_directories(dir / "sub");
  write_bytes(dir / "sub" / "keep.txt", "keep");
  CHECK_THAT(error_of([&] {
               save_tensors(dir / "sub", {{"w", ones({1000})}});
             }),
             Contains("cannot write") && Contains("renaming the temporary file onto it failed"));
  CHECK(read_bytes(dir / "sub" / "keep.txt") == "keep");
  CHECK(dir.list() == std::vector<std::string>{"model.st", "sub"});

  // Fails at once: the directory does not exist.
  CHECK_THAT(error_of([&] {
               save_tensors(dir / "nowhere" / "m.st", {{"w", ones({1})}});
             }),
             Contains("creating the temporary file") && Contains("No such file or directory"));
  CHECK(dir.list() == std::vector<std::string>{"model.st", "sub"});
  CHECK(read_bytes(p) == old_bytes);
}
