// The everyday losses on CUDA tensors against the same losses on the CPU, forward and gradient,
// for every reduction (they are composed from ops, so this checks the ops' CUDA paths as the
// losses use them: masks, clamps, one-hot targets, log_softmax). Without a GPU: MINIDL_SKIP.
#include <functional>
#include <string>

#include "support/gpu.h"
#include "support/helpers.h"

using namespace minidl;
using namespace minidl::test;

TEST_CASE("cuda: the everyday losses match the CPU for every reduction", "[cuda][gpu]") {
  if (skip_without_gpu()) return;
  using Loss = std::function<Tensor(const Tensor& pred, const Tensor& target, Reduction r)>;
  const Tensor probs = R({6, 5}, 70, false, 0.05f, 0.95f), logits = R({6, 5}, 71, false, -3.f, 3.f);
  const Tensor binary = gt(R({6, 5}, 72, false), 0.f), soft = softmax(R({6, 5}, 73, false), 1);
  const Tensor classes = from_vector({0, 4, 2, 2, 1, 3}, {6}),
               weights = T({0.5f, 1, 2, 1, 0.25f}, {5});
  struct Case {
    std::string name;
    Tensor pred, target;
    Loss f;
  };
  const Case cases[] = {
      {"mse", probs, soft, [](auto& p, auto& t, Reduction r) { return mse_loss(p, t, r); }},
      {"bce", probs, binary, [](auto& p, auto& t, Reduction r) { return bce_loss(p, t, r); }},
      {"bce_with_logits", logits, binary,
       [](auto& p, auto& t, Reduction r) { return bce_with_logits_loss(p, t, r); }},
      {"huber", logits, soft,
       [](auto& p, auto& t, Reduction r) { return huber_loss(p, t, 1.f, r); }},
      {"smooth_l1", logits, soft,
       [](auto& p, auto& t, Reduction r) { return smooth_l1_loss(p, t, 0.5f, r); }},
      {"focal", probs, binary,
       [](auto& p, auto& t, Reduction r) { return focal_loss(p, t, 2.f, 0.25f, r); }},
      {"focal_with_logits", logits, binary,
       [](auto& p, auto& t, Reduction r) { return focal_loss_with_logits(p, t, 2.f, 0.25f, r); }},
      {"cross_entropy", logits, classes,
       [](auto& p, auto& t, Reduction r) { return cross_entropy_loss(p, t, r); }},
      {"cross_entropy weighted", logits, classes,
       [weights](auto& p, auto& t, Reduction r) {
         return cross_entropy_loss(p, t, r, weights.to(p.device()));
       }},
      {"soft_cross_entropy", logits, soft,
       [](auto& p, auto& t, Reduction r) { return soft_cross_entropy_loss(p, t, r); }},
  };
  for (const Case& c : cases)
    for (Reduction r : {Reduction::None, Reduction::Mean, Reduction::Sum}) {
      INFO(c.name << ", reduction " << reduction_name(r));
      Tensor pc = c.pred.detach().clone().requires_grad_();
      Tensor pg = c.pred.detach().to(Device::CUDA).requires_grad_();
      Tensor lc = c.f(pc, c.target, r), lg = c.f(pg, c.target.to(Device::CUDA), r);
      CHECK(lg.device() == Device::CUDA);
      CHECK_CLOSE(lg, lc, 1e-6, 1e-5);
      Tensor gy = R(lc.shape(), 74, false);  // the same upstream gradient on both devices
      sum(lc * gy).backward();
      sum(lg * gy.to(Device::CUDA)).backward();
      CHECK_CLOSE(pg.grad(), pc.grad(), 1e-6, 1e-5);
    }
}
