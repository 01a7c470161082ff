// CUDA tensors against CPU tensors through the public API, forward and backward: every row of the
// op table (tests/ops), ops given tensors on two devices, writes through strided views, a conv
// net, the YOLOv1 loss, Adam and SGD, a Sequential training step, and an impossible allocation.
// Without a GPU each test prints MINIDL_SKIP and ctest skips it.
#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <utility>

#include "ops/op_table.h"
#include "support/gpu.h"
#include "support/helpers.h"

using namespace minidl;
using namespace minidl::test;

namespace {

/// The same leaf tensor on the CPU and on the GPU (both requiring grad when asked).
struct Twin {
  Tensor cpu, gpu;
  Twin(const Shape& s, uint64_t seed, bool grad = true, float lo = -1.f, float hi = 1.f)
      : cpu(R(s, seed, grad, lo, hi)), gpu(cpu.detach().to(Device::CUDA)) {
    if (grad) gpu.requires_grad_();
  }
};

/// A twin with values on a grid of 1/8 in [-1, 1]: sums of a few products of such values are
/// exact in float, whatever the order, so both devices compute them bit for bit alike.
Twin dyadic(const Shape& s, uint64_t seed) {
  std::vector<float> v = R(s, seed, false).to_vector();
  for (auto& e : v) e = std::round(e * 8.f) / 8.f;
  Twin t(s, seed);
  t.cpu = T(v, s, true);
  t.gpu = t.cpu.detach().to(Device::CUDA).requires_grad_();
  return t;
}

/// Checks that a CUDA tensor equals its CPU counterpart within atol + rtol * |cpu|.
void check_twin(const char* what, const Tensor& gpu, const Tensor& cpu, double atol = 1e-5,
                double rtol = 1e-5) {
  INFO(what);
  REQUIRE(gpu.defined());
  REQUIRE(cpu.defined());
  CHECK(gpu.device() == Device::CUDA);
  CHECK_CLOSE(gpu, cpu, atol, rtol);  // mismatch() copies the CUDA tensor to the host
}

}  // namespace

// Every row of the op table (tests/ops/op_table.h): its cases and its edges, on contiguous and on
// strided inputs, run on the GPU and on the CPU; the outputs agree within the row's CUDA
// tolerance, and so do the gradients that one upstream gradient gives each input.
TEST_CASE("cuda: every op of the table matches the CPU forward and backward", "[cuda][gpu]") {
  if (skip_without_gpu()) return;
  for (const OpRow& row : op_rows()) {
    DYNAMIC_SECTION(row.name) {
      std::vector<Case> calls = row.cases;  // numbered as the CPU driver numbers them
      calls.insert(calls.end(), row.edge.begin(), row.edge.end());
      for (size_t i = 0; i < calls.size(); ++i)
        for (bool strided : {false, true}) {
          if (strided && !row.strided) continue;
          const Case& c = calls[i];
          INFO(label(row, c) << (strided ? ", strided inputs" : ", contiguous inputs"));
          const Values v = draw(row, c, i);
          const Ins cpu = tensors_of(row, c, v, Device::CPU, strided);
          const Ins gpu = tensors_of(row, c, v, Device::CUDA, strided);
          Tensor yc = call_of(row, c)(cpu), yg = call_of(row, c)(gpu);
          check_twin("output", yg, yc, row.cuda.atol, row.cuda.rtol);
          if (!yc.requires_grad()) continue;
          const Tensor gy = R(yc.shape(), 3, false);
          yc.backward(gy);
          yg.backward(gy.to(Device::CUDA));
          for (size_t k = 0; k < cpu.size(); ++k)
            if (cpu[k].grad().defined())
              check_twin("gradient", gpu[k].grad(), cpu[k].grad(), row.cuda.atol, row.cuda.rtol);
        }
    }
  }
}

// The first call of every row of two or more tensors, with its second input on the GPU.
TEST_CASE("cuda: an op given tensors on two devices names itself and both devices",
          "[cuda][gpu][errors]") {
  if (skip_without_gpu()) return;
  for (const OpRow& row : op_rows()) {
    const Case& first = row.cases.at(0);
    if (std::min(first.shapes.size(), row.required) < 2) continue;
    DYNAMIC_SECTION(row.name) {
      const std::string op = row.device_op.empty() ? row.name : row.device_op;
      run_error_table({{"input 1 on the GPU",
                        [&row, &first] {
                          Ins in = tensors_of(row, first, draw(row, first, 0), Device::CPU, false);
                          in[1] = in[1].detach().to(Device::CUDA);
                          call_of(row, first)(in);
                        },
                        {op, "cpu", "cuda"}}});
    }
  }
}

// Comparisons, argmax and the rest of the ops are rows of the table; in-place writes are not ops.
TEST_CASE("cuda: copy_ and fill_ write through strided views as on the CPU", "[cuda][gpu]") {
  if (skip_without_gpu()) return;
  Twin x({7, 9}, 4, false);
  Tensor zc = zeros({7, 9}), zg = zeros({7, 9}, Device::CUDA);
  zc.slice(1, 0, 9, 2).copy_(x.cpu.slice(1, 0, 5));  // (7, 5) into columns 0, 2, 4, 6, 8
  zg.slice(1, 0, 9, 2).copy_(x.gpu.slice(1, 0, 5));
  zc.select(0, 2).fill_(0.25f);
  zg.select(0, 2).fill_(0.25f);
  check_twin("copy_ and fill_ into strided views", zg, zc, 0, 0);
}

TEST_CASE("cuda: a small conv net forward and backward match the CPU", "[cuda][gpu]") {
  if (skip_without_gpu()) return;
  // conv 3x3 pad 1 -> leaky relu -> max pool 3/2 pad 1 (overlapping) -> conv 1x1 -> conv 3x3
  // stride 2 -> flatten -> linear -> log_softmax, on an odd-sized batch. The first layer's inputs
  // are on a 1/8 grid, so everything up to the pooling is exact on both devices: the pool sees the
  // same values (with many exact ties) and picks the same winners.
  Twin x = dyadic({3, 3, 19, 17}, 20), w1 = dyadic({8, 3, 3, 3}, 21), b1 = dyadic({8}, 22);
  Twin w2({6, 8, 1, 1}, 23), w3({4, 6, 3, 3}, 24), b3({4}, 25), wl({5, 4 * 4 * 4}, 26), bl({5}, 27);
  auto net = [](const Tensor& x, const Tensor& w1, const Tensor& b1, const Tensor& w2,
                const Tensor& w3, const Tensor& b3, const Tensor& wl, const Tensor& bl) {
    Tensor h = leaky_relu(conv2d(x, w1, b1, 1, 1), 0.25f);  // (3, 8, 19, 17)
    h = max_pool2d(h, 3, 2, 1);                             // (3, 8, 10, 9)
    h = conv2d(h, w2);                                      // (3, 6, 10, 9)
    h = relu(conv2d(h, w3, b3, 2, 0));                      // (3, 4, 4, 4)
    return log_softmax(linear(flatten(h, 1), wl, bl), 1);   // (3, 5)
  };
  Tensor yc = net(x.cpu, w1.cpu, b1.cpu, w2.cpu, w3.cpu, b3.cpu, wl.cpu, bl.cpu);
  Tensor yg = net(x.gpu, w1.gpu, b1.gpu, w2.gpu, w3.gpu, b3.gpu, wl.gpu, bl.gpu);
  REQUIRE(yc.shape() == Shape{3, 5});
  check_twin("output", yg, yc, 1e-5, 1e-4);
  Twin gy({3, 5}, 28, false);
  sum(yc * gy.cpu).backward();
  sum(yg * gy.gpu).backward();
  const std::pair<const char*, const Twin*> params[] = {{"dx", &x},   {"dw1", &w1}, {"db1", &b1},
                                                        {"dw2", &w2}, {"dw3", &w3}, {"db3", &b3},
                                                        {"dwl", &wl}, {"dbl", &bl}};
  for (const auto& [name, t] : params) check_twin(name, t->gpu.grad(), t->cpu.grad(), 1e-5, 1e-4);
}

TEST_CASE("cuda: yolo_v1_loss forward and backward match the CPU", "[cuda][gpu]") {
  if (skip_without_gpu()) return;
  YoloV1Options opt;
  opt.S = 7, opt.B = 2, opt.C = 4;
  const std::vector<std::vector<Box>> boxes = {
      {{1, 0.3f, 0.4f, 0.2f, 0.5f}, {3, 0.8f, 0.1f, 0.3f, 0.2f}},
      {{0, 0.5f, 0.5f, 0.9f, 0.8f}},
      {}};
  Tensor tc = encode_targets(boxes, opt.S, opt.C).target, tg = tc.to(Device::CUDA);
  Twin pred({3, 7, 7, 5 * 2 + 4}, 30, true, 0.05f, 0.95f);
  for (YoloClassLoss cls : {YoloClassLoss::SSE, YoloClassLoss::SoftmaxCE}) {
    opt.class_loss = cls;
    pred.cpu.zero_grad();
    pred.gpu.zero_grad();
    YoloV1LossResult rc = yolo_v1_loss(pred.cpu, tc, opt), rg = yolo_v1_loss(pred.gpu, tg, opt);
    check_twin("total", rg.total, rc.total, 1e-6, 1e-5);
    check_twin("xy", rg.xy, rc.xy, 1e-6, 1e-5);
    check_twin("wh", rg.wh, rc.wh, 1e-6, 1e-5);
    check_twin("obj", rg.obj, rc.obj, 1e-6, 1e-5);
    check_twin("noobj", rg.noobj, rc.noobj, 1e-6, 1e-5);
    check_twin("cls", rg.cls, rc.cls, 1e-6, 1e-5);
    (rc.total * 2.f).backward();
    (rg.total * 2.f).backward();
    check_twin("dpred", pred.gpu.grad(), pred.cpu.grad(), 1e-6, 1e-5);
  }
}

TEST_CASE("cuda: Adam and SGD steps on CUDA match the CPU", "[cuda][gpu]") {
  if (skip_without_gpu()) return;
  Twin w({10, 7}, 40), g({10, 7}, 41, false);
  Adam oc({w.cpu}, 0.01f, 0.9f, 0.999f, 1e-8f, 0.01f),
      og({w.gpu}, 0.01f, 0.9f, 0.999f, 1e-8f, 0.01f);
  for (int step = 0; step < 3; ++step) {
    w.cpu.set_grad(g.cpu * static_cast<float>(step + 1));
    w.gpu.set_grad(g.gpu * static_cast<float>(step + 1));
    oc.step();
    og.step();
  }
  check_twin("weights after 3 steps", w.gpu, w.cpu, 1e-6, 1e-5);
  // SGD with Nesterov momentum and weight decay, on a transposed (non-contiguous) parameter view
  Tensor bc = R({7, 10}, 42, false), bg = bc.to(Device::CUDA);
  Tensor vc = bc.transpose(0, 1).requires_grad_(), vg = bg.transpose(0, 1).requires_grad_();
  SGD sc({vc}, 0.1f, 0.9f, true, 0.01f), sg({vg}, 0.1f, 0.9f, true, 0.01f);
  for (int step = 0; step < 3; ++step) {
    vc.set_grad(g.cpu * static_cast<float>(step + 1));
    vg.set_grad(g.gpu * static_cast<float>(step + 1));
    sc.step();
    sg.step();
  }
  check_twin("SGD weights after 3 steps", vg, vc, 1e-6, 1e-5);
  check_twin("SGD writes through the view", bg, bc, 1e-6, 1e-5);
}

TEST_CASE("cuda: a Sequential of layers trains on CUDA as on the CPU", "[cuda][gpu]") {
  if (skip_without_gpu()) return;
  // the humble network's layer types on a small input; the same weights on both devices, one
  // training step each (forward, YOLOv1 loss, backward, SGD): outputs, loss and weights agree
  auto make = [] {
    auto m = std::make_shared<Sequential>();
    m->emplace<Conv2D>(3, 8, 3, 1, 1);
    m->emplace<LeakyReLU>(0.1f);
    m->emplace<MaxPool2D>(2);  // 12 -> 6
    m->emplace<Conv2D>(8, 4, 1);
    m->emplace<Flatten>();
    m->emplace<Dense>(4 * 6 * 6, 2 * 2 * 8);
    m->emplace<Sigmoid>();
    m->emplace<Reshape>(Shape{2, 2, 8});
    return m;
  };
  auto mc = make(), mg = make();
  const auto pc = mc->parameters(), pg = mg->parameters();
  for (size_t i = 0; i < pc.size(); ++i) pg[i].second.copy_(pc[i].second);
  mg->to(Device::CUDA);
  YoloV1Options opt;
  opt.S = 2, opt.B = 1, opt.C = 3;
  Tensor x = R({4, 3, 12, 12}, 60, false);
  Tensor tc = encode_targets({{{0, 0.3f, 0.3f, 0.2f, 0.3f}}, {}, {{2, 0.7f, 0.6f, 0.4f, 0.2f}}, {}},
                             opt.S, opt.C)
                  .target;
  SGD oc(mc->parameters(), 0.1f, 0.9f), og(mg->parameters(), 0.1f, 0.9f);
  Tensor yc = (*mc)(x), yg = (*mg)(x.to(Device::CUDA));
  check_twin("output", yg, yc, 1e-5, 1e-4);
  YoloV1LossResult lc = yolo_v1_loss(yc, tc, opt), lg = yolo_v1_loss(yg, tc.to(Device::CUDA), opt);
  check_twin("loss", lg.total, lc.total, 1e-5, 1e-4);
  lc.total.backward();
  lg.total.backward();
  oc.step();
  og.step();
  const auto after_c = mc->parameters(), after_g = mg->parameters();
  for (size_t i = 0; i < after_c.size(); ++i) {
    CHECK(after_g[i].second.device() == Device::CUDA);
    check_twin(after_c[i].first.c_str(), after_g[i].second, after_c[i].second, 1e-5, 1e-4);
  }
}

TEST_CASE("cuda: an impossible allocation names its size and leaves the GPU usable",
          "[cuda][gpu]") {
  if (skip_without_gpu()) return;
  // 2^38 floats = 1 TiB: more than any GPU has
  CHECK_THROWS_WITH(Tensor::empty({int64_t{1} << 38}, Device::CUDA),
                    Catch::Contains("out of memory") && Catch::Contains("1099511627776 bytes") &&
                        Catch::Contains("hint"));
  Tensor x = full({1000}, 2.f, Device::CUDA);  // the cache was released; allocation still works
  CHECK(sum(x).item() == 2000.f);
}
