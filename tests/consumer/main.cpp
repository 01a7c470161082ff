// The consumer project's program: a Dense -> ReLU -> Dense network learns y = x^2 - x/2 from
// generated data with Adam and the MSE loss. It includes only <minidl/minidl.h> and exits
// non-zero unless the loss falls below a tenth of where it started.
#include <minidl/minidl.h>

#include <cstdio>
#include <memory>

using namespace minidl;

int main() {
  set_num_threads(1);  // tiny matrices: threads would only add overhead
  Generator gen(7);
  Tensor x = rand({256, 1}, gen, -1.f, 1.f);  // (N, 1)
  Tensor y = square(x) - 0.5f * x;            // (N, 1) the function to learn

  Sequential model;
  model.emplace<Dense>(1, 32, true, Init::Auto, gen);
  model.emplace<ReLU>();
  model.emplace<Dense>(32, 1, true, Init::Auto, gen);
  Adam opt(model.parameters(), 0.02f);

  float first = 0.f, last = 0.f;
  for (int step = 0; step < 300; ++step) {
    Tensor loss = mse_loss(model(x), y);
    opt.zero_grad();
    loss.backward();
    opt.step();
    last = loss.item();
    if (step == 0) first = last;
  }
  std::printf("%s\nmse: %.5f at step 0, %.5f at step 299\n", runtime_summary(Device::CPU).c_str(),
              first, last);
  if (!(last < 0.1f * first)) {
    std::fprintf(stderr, "FAIL: the loss did not drop below a tenth of its first value\n");
    return 1;
  }
  std::printf("OK: the loss dropped\n");
  return 0;
}
