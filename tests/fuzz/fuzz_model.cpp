// libFuzzer target: the model-file readers on arbitrary bytes -- minidl::load_tensors, and
// load_checkpoint / load_model into a small fixed model with an Adam optimizer. A rejected file
// must leave the model and the optimizer exactly as they were (serialize.h).
#include <cstring>

#include "core/error.h"
#include "core/minidl.h"
#include "core/serialize.h"
#include "fuzz/fuzz_support.h"
#include "layers/layers.h"
#include "layers/serialize_model.h"

namespace {

// The model the seed checkpoints were written from (tests/fuzz/make_seeds.cpp): Dense(3->2), ReLU,
// Dense(2->1).
std::shared_ptr<minidl::Sequential> make_model() {
  minidl::Generator gen(7);
  auto m = std::make_shared<minidl::Sequential>();
  m->emplace<minidl::Dense>(3, 2, true, minidl::Init::Auto, gen);
  m->emplace<minidl::ReLU>();
  m->emplace<minidl::Dense>(2, 1, true, minidl::Init::Auto, gen);
  return m;
}

std::vector<std::vector<float>> snapshot(const std::vector<minidl::NamedTensor>& ts) {
  std::vector<std::vector<float>> out;
  for (const auto& [name, t] : ts) out.push_back(t.to_vector());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::filesystem::path& file = minidl_fuzz::input_file(data, size);
  try {
    minidl::TensorFile f = minidl::load_tensors(file);
    FUZZ_ASSERT(f.tensors.size() == f.dtypes.size());
    for (const auto& [name, t] : f.tensors) {
      FUZZ_ASSERT(!name.empty() && name != "__metadata__");
      t.to_vector();
    }
  } catch (const minidl::Error&) {
  }

  auto model = make_model();
  minidl::Adam adam(model->parameters(), 0.01f);
  const auto params_before = snapshot(model->parameters());
  const auto state_before = snapshot(adam.state());
  const float lr_before = adam.lr();
  try {
    const int64_t step = minidl::load_checkpoint(file, *model, adam);
    FUZZ_ASSERT(step >= 0);
  } catch (const minidl::Error&) {
    FUZZ_ASSERT(snapshot(model->parameters()) == params_before);
    FUZZ_ASSERT(snapshot(adam.state()) == state_before && adam.lr() == lr_before);
  }

  auto plain = make_model();
  const auto plain_before = snapshot(plain->parameters());
  try {
    minidl::load_model(file, *plain);
  } catch (const minidl::Error&) {
    FUZZ_ASSERT(snapshot(plain->parameters()) == plain_before);
  }
  return 0;
}
