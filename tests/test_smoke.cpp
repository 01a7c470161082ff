#include "support/helpers.h"
using namespace minidl;
using namespace minidl::test;
TEST_CASE("smoke: add and backward") {
  Tensor a = T({1, 2, 3}, {3}, true), b = T({4}, {1}, true);
  Tensor y = sum(a * b + a);
  y.backward();
  CHECK(y.item() == Approx(30));
  CHECK_CLOSE(a.grad(), {5, 5, 5}, {3});
  CHECK_CLOSE(b.grad(), {6}, {1});
}
