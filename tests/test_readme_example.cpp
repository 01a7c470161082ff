// The README's "first program", kept here verbatim in spirit so it cannot go stale: it must
// compile against the public API and actually learn (its loss falls well below the start).
#include "support/helpers.h"

using namespace minidl;

TEST_CASE("readme: the first program learns the unit circle", "[readme]") {
  Generator gen(1);
  Tensor x = randn({64, 2}, gen);                // (N, 2) inputs
  Tensor t = (sum(square(x), {1}, true) < 1.f);  // (N, 1) target: inside the unit circle?
  Tensor W1 = randn({16, 2}, gen, 0, 0.7f).requires_grad_(), b1 = zeros({16}).requires_grad_();
  Tensor W2 = randn({1, 16}, gen, 0, 0.35f).requires_grad_(), b2 = zeros({1}).requires_grad_();

  float first = 0, last = 0;
  for (int step = 0; step < 500; ++step) {
    Tensor p = sigmoid(linear(relu(linear(x, W1, b1)), W2, b2));  // (N, 1)
    Tensor q = clamp(p, 1e-7f, 1 - 1e-7f);
    Tensor loss = -mean(t * log(q) + (1.f - t) * log(1.f - q));
    for (Tensor* w : {&W1, &b1, &W2, &b2}) w->zero_grad();
    loss.backward();
    NoGradGuard no_grad;
    for (Tensor* w : {&W1, &b1, &W2, &b2}) w->copy_(*w - w->grad() * 0.5f);
    (step == 0 ? first : last) = loss.item();
  }
  INFO("loss at step 0: " << first << ", at step 499: " << last);
  CHECK(first > 0.5f);
  CHECK(last < 0.25f * first);
}
