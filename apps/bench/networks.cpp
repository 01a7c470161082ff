// The benchmark networks, layer for layer as in ../shared/bench/torch_reference.py.
#include "networks.h"

using namespace minidl;

namespace {

// Timing-only loss settings of the reference: sqrt_wh off, rescore on, SSE classes.
YoloV1Options loss_options(int S, int B, int C) {
  YoloV1Options o;
  o.S = S, o.B = B, o.C = C;
  o.sqrt_wh = false;
  return o;
}

}  // namespace

BenchNetwork make_network(const std::string& name) {
  auto m = std::make_shared<Sequential>();
  if (name == "humble") {  // 3x64x64, 'valid' convolutions, 2x2 grid, B = 1, C = 3, sigmoid head
    const int S = 2, B = 1, C = 3;
    m->emplace<Conv2D>(3, 16, 1);
    m->emplace<Conv2D>(16, 32, 3);  // 64 -> 62
    m->emplace<LeakyReLU>(0.3f);
    m->emplace<MaxPool2D>(2);       // -> 31
    m->emplace<Conv2D>(32, 16, 3);  // -> 29
    m->emplace<Conv2D>(16, 32, 3);  // -> 27
    m->emplace<LeakyReLU>(0.3f);
    m->emplace<MaxPool2D>(2);       // -> 13
    m->emplace<Flatten>();
    m->emplace<Dense>(32 * 13 * 13, 256);
    m->emplace<Sigmoid>();
    m->emplace<Dense>(256, S * S * (5 * B + C));
    m->emplace<Sigmoid>();
    m->emplace<Reshape>(Shape{S, S, 5 * B + C});
    return {m, {3, 64, 64}, loss_options(S, B, C)};
  }
  if (name == "tiny") {  // 3x448x448, S = 7, B = 2, C = 20, linear dense head
    const int S = 7, B = 2, C = 20;
    int64_t c = 3;
    for (int64_t f : {16, 32, 64, 128, 256, 512}) {
      m->emplace<Conv2D>(c, f, 3, 1, 1);
      m->emplace<LeakyReLU>(0.1f);
      m->emplace<MaxPool2D>(2);
      c = f;
    }
    m->emplace<Conv2D>(512, 1024, 3, 1, 1);
    m->emplace<LeakyReLU>(0.1f);
    m->emplace<Conv2D>(1024, 256, 3, 1, 1);
    m->emplace<LeakyReLU>(0.1f);
    m->emplace<Flatten>();
    m->emplace<Dense>(256 * 7 * 7, S * S * (5 * B + C));
    m->emplace<Reshape>(Shape{S, S, 5 * B + C});
    return {m, {3, 448, 448}, loss_options(S, B, C)};
  }
  throw Error("make_network: unknown network '" + name + "' (humble or tiny)");
}
