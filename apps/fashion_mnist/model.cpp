// fashion_mnist's network and its dropout (model.h).
#include "model.h"

namespace fashion {

using namespace minidl;

GlobalDropout::GlobalDropout(float p, Generator& gen) : p_(p), seed_(gen.next_u64()) {
  MINIDL_CHECK(p >= 0.f && p < 1.f, "Dropout(p=", p, "): p must be in [0, 1), got ", p);
}

void GlobalDropout::set_step(int64_t step, int rank, int world) {
  MINIDL_CHECK(step >= 0 && world >= 1 && rank >= 0 && rank < world, name(), ": step ", step,
               ", rank ", rank, " of ", world, " is not a step of a rank in the world");
  step_ = step, rank_ = rank, world_ = world;
}

Tensor GlobalDropout::forward(const Tensor& x) {
  if (!is_training() || p_ == 0.f) return x;
  MINIDL_CHECK(x.defined() && x.dim() >= 1, "input is undefined or 0-d");
  Shape global = x.shape();
  global[0] *= world_;
  // A generator per step (its seed mixed with the step by the golden-ratio constant, which
  // Generator's splitmix64 seeding spreads), so the mask of a step never depends on earlier ones.
  Generator gen(seed_ + 0x9e3779b97f4a7c15ull * static_cast<uint64_t>(step_ + 1));
  const Tensor keep = rand(global, gen) >= p_;  // 1 with probability 1 - p, on the host
  const Tensor mine = keep.slice(0, rank_, global[0], world_) * (1.f / (1.f - p_));
  return x * mine.contiguous().to(x.device());
}

std::string GlobalDropout::name() const { return str("Dropout(", p_, ", per global batch)"); }

Network make_network(Generator& gen) {
  Network n;
  n.model = std::make_shared<Sequential>();
  Sequential& m = *n.model;
  m.emplace<Conv2D>(1, 32, 5, 1, 2, true, Init::Auto, gen);  // (N, 32, 28, 28)
  m.emplace<ReLU>();
  m.emplace<MaxPool2D>(2);                                    // (N, 32, 14, 14)
  m.emplace<Conv2D>(32, 64, 5, 1, 2, true, Init::Auto, gen);  // (N, 64, 14, 14)
  m.emplace<ReLU>();
  m.emplace<MaxPool2D>(2);  // (N, 64, 7, 7)
  m.emplace<Flatten>();     // (N, 3136)
  m.emplace<Dense>(64 * 7 * 7, 1024, true, Init::Auto, gen);
  m.emplace<ReLU>();
  n.dropout = m.emplace<GlobalDropout>(0.4f, gen);
  m.emplace<Dense>(1024, 10, true, Init::Auto, gen);  // (N, 10) logits
  return n;
}

}  // namespace fashion
