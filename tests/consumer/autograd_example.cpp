// The worked example of docs/autograd.md as a program: L = (x*w + x)^2 at x = 2, w = 3, its tape
// and its gradients (dL/dx = 64, dL/dw = 32). Built against the installed minidl via pkg-config by
// the ctest entry consumer.pkg_config; exits non-zero when a number differs from the page.
#include <minidl/minidl.h>

#include <cmath>
#include <cstdio>

using namespace minidl;

namespace {
int failures = 0;
void expect(const char* what, float got, float want) {
  bool ok = std::fabs(got - want) <= 1e-4f * (1.f + std::fabs(want));
  std::printf("%-22s %8.3f  %s\n", what, got, ok ? "ok" : "WRONG");
  if (!ok) ++failures;
}
}  // namespace

int main() {
  Tensor x = scalar(2.f).requires_grad_();
  Tensor w = scalar(3.f).requires_grad_();

  Tensor a = x * w;      // node "mul", inputs (x, w)
  Tensor b = a + x;      // node "add", inputs (a, x)
  Tensor L = square(b);  // node "square", input (b)

  expect("a = x*w", a.item(), 6.f);
  expect("b = a + x", b.item(), 8.f);
  expect("L = b^2", L.item(), 64.f);
  std::printf("tape: %s <- %s <- %s\n", L.grad_fn()->name.c_str(), b.grad_fn()->name.c_str(),
              a.grad_fn()->name.c_str());  // square <- add <- mul
  if (!x.is_leaf() || L.grad_fn()->name != "square" || b.grad_fn()->name != "add" ||
      a.grad_fn()->name != "mul")
    ++failures;

  L.backward();
  expect("dL/dx", x.grad().item(), 64.f);  // 16 via add + 16 * w via mul
  expect("dL/dw", w.grad().item(), 32.f);  // 16 * x via mul

  // The tape was freed by backward(): a second pass is an error, not a silent double count.
  bool threw = false;
  try {
    L.backward();
  } catch (const Error&) {
    threw = true;
  }
  std::printf("second backward() throws: %s\n", threw ? "yes" : "NO");
  if (!threw) ++failures;

  // The same gradients by finite differences.
  auto f = [](const std::vector<Tensor>& in) { return square(in[0] * in[1] + in[0]); };
  GradcheckResult check = gradcheck(f, {x, w});
  std::printf("gradcheck: %s\n", check.ok ? "ok" : check.message.c_str());
  if (!check.ok) ++failures;

  return failures == 0 ? 0 : 1;
}
