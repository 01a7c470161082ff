// BatchNorm2d and LocallyConnected2d on CUDA against the same layers on the CPU: forward, the
// gradients of input and parameters, the running statistics (moved by Module::to as buffers),
// eval mode and fold_batch_norm. Without a GPU each test prints MINIDL_SKIP and ctest skips it.
#include <memory>
#include <string>

#include "layers/layers.h"
#include "support/gpu.h"
#include "support/helpers.h"

using namespace minidl;
using namespace minidl::test;

namespace {

// Copies every parameter and buffer of `from` into `to` (two modules built alike).
void copy_state(const Module& from, const Module& to) {
  const auto pf = from.parameters(), pt = to.parameters();
  for (size_t i = 0; i < pf.size(); ++i) pt[i].second.copy_(pf[i].second);
  const auto bf = from.buffers(), bt = to.buffers();
  for (size_t i = 0; i < bf.size(); ++i) bt[i].second.copy_(bf[i].second);
}

// Runs x through both copies, backpropagates the same projection, and compares the outputs,
// the input gradients and every parameter gradient and buffer.
void check_layer_pair(Module& cpu, Module& gpu, const Shape& in_shape, uint64_t seed) {
  Tensor xc = R(in_shape, seed), xg = xc.detach().to(Device::CUDA).requires_grad_();
  Tensor yc = cpu(xc), yg = gpu(xg);
  check_twin("output", yg, yc, 1e-5, 1e-4);
  Tensor r = R(yc.shape(), seed + 1, false);
  (yc * r).sum().backward();
  (yg * r.to(Device::CUDA)).sum().backward();
  check_twin("input gradient", xg.grad(), xc.grad(), 1e-4, 1e-3);
  const auto pc = cpu.parameters(), pg = gpu.parameters();
  for (size_t i = 0; i < pc.size(); ++i)
    check_twin(pc[i].first + " gradient", pg[i].second.grad(), pc[i].second.grad(), 1e-4, 1e-3);
  const auto bc = cpu.buffers(), bg = gpu.buffers();
  for (size_t i = 0; i < bc.size(); ++i)
    check_twin(bc[i].first, bg[i].second, bc[i].second, 1e-5, 1e-4);
}

}  // namespace

TEST_CASE("cuda: BatchNorm2d matches the CPU in training and eval, in both styles",
          "[cuda][gpu][batch_norm]") {
  if (skip_without_gpu()) return;
  for (bool darknet : {false, true}) {
    const BatchNormOptions o = darknet ? BatchNormOptions::darknet() : BatchNormOptions{};
    BatchNorm2d cpu(3, o), gpu(3, o);
    cpu.weight().copy_(T({1.5f, -0.5f, 1.f}, {3}));
    cpu.bias().copy_(T({0.2f, 0.f, -0.3f}, {3}));
    copy_state(cpu, gpu);
    gpu.to(Device::CUDA);
    CHECK(gpu.running_var().device() == Device::CUDA);  // buffers move with the parameters
    INFO(cpu.name() << " training");
    check_layer_pair(cpu, gpu, {4, 3, 5, 5}, 70);  // also compares the running statistics
    cpu.eval();
    gpu.eval();
    INFO(cpu.name() << " eval");
    check_layer_pair(cpu, gpu, {2, 3, 5, 5}, 72);
  }
}

TEST_CASE("cuda: fold_batch_norm on CUDA gives the CPU's folded convolution",
          "[cuda][gpu][batch_norm]") {
  if (skip_without_gpu()) return;
  Generator gen(73);
  Conv2D conv(3, 4, 3, 1, 1, false, Init::Glorot, gen);
  BatchNorm2d bn(4, BatchNormOptions::darknet());
  bn.running_mean().copy_(T({0.1f, -0.3f, 0.f, 0.5f}, {4}));
  bn.running_var().copy_(T({0.5f, 2.f, 1.f, 0.04f}, {4}));
  auto folded_cpu = fold_batch_norm(conv, bn);
  conv.to(Device::CUDA);
  bn.to(Device::CUDA);
  auto folded_gpu = fold_batch_norm(conv, bn);
  check_twin("weight", folded_gpu->weight(), folded_cpu->weight(), 1e-5, 1e-4);
  check_twin("bias", folded_gpu->bias(), folded_cpu->bias(), 1e-5, 1e-4);
}

TEST_CASE("cuda: LocallyConnected2d matches the CPU forward and backward", "[cuda][gpu][local]") {
  if (skip_without_gpu()) return;
  Generator gen(74);
  // Padded stride 1 (as in YOLOv1), and strided without padding.
  struct Case {
    int64_t in, out, h, w, k, s, p;
  };
  for (const Case c : {Case{3, 4, 7, 7, 3, 1, 1}, Case{2, 3, 6, 5, 2, 2, 0}}) {
    LocallyConnected2d cpu(c.in, c.out, c.h, c.w, c.k, c.s, c.p, true, Init::Glorot, gen);
    LocallyConnected2d gpu(c.in, c.out, c.h, c.w, c.k, c.s, c.p, true, Init::Glorot, gen);
    cpu.bias().copy_(R(cpu.bias().shape(), 75, false));
    copy_state(cpu, gpu);
    gpu.to(Device::CUDA);
    INFO(cpu.name());
    check_layer_pair(cpu, gpu, {2, c.in, c.h, c.w}, 76);
  }
}
