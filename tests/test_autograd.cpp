// Tests of the autograd tape: gradient accumulation, NoGradGuard, freeing the graph, explicit
// seeds, leaves and non-leaves, detach, user-defined ops through record(), and deep graphs.
// Every expected gradient is derived by hand in the comment beside it.
#include "support/helpers.h"

using namespace minidl;
using namespace minidl::test;
using Catch::Contains;

TEST_CASE("autograd: a tensor used twice (diamond) gets the summed gradient", "[autograd]") {
  // y = sum(x*2 + x*x) => dy/dx = 2 + 2x; x = [1, -2, 3] => [4, -2, 8]
  Tensor x = T({1, -2, 3}, {3}, true);
  Tensor a = x * 2.f, b = x * x;
  sum(a + b).backward();
  CHECK_CLOSE(x.grad(), {4, -2, 8}, {3});
  // the same tensor on both sides of one op: d(x*x)/dx = 2x
  Tensor z = T({3}, {1}, true);
  sum(z * z).backward();
  CHECK_CLOSE(z.grad(), {6}, {1});
}

TEST_CASE("autograd: gradients accumulate across backward calls on leaves", "[autograd]") {
  // y = sum(3 w) => dy/dw = 3 per call; two calls => 6
  Tensor w = T({1, 2}, {2}, true);
  sum(w * 3.f).backward();
  CHECK_CLOSE(w.grad(), {3, 3}, {2});
  sum(w * 3.f).backward();
  CHECK_CLOSE(w.grad(), {6, 6}, {2});
  w.zero_grad();
  CHECK_FALSE(w.grad().defined());
  sum(w * w).backward();  // 2w = [2, 4]
  CHECK_CLOSE(w.grad(), {2, 4}, {2});
}

TEST_CASE("autograd: NoGradGuard stops recording and nesting restores it", "[autograd]") {
  Tensor x = T({1, 2}, {2}, true);
  CHECK(grad_enabled());
  {
    NoGradGuard outer;
    CHECK_FALSE(grad_enabled());
    Tensor y = x * 2.f;
    CHECK_FALSE(y.requires_grad());
    CHECK(y.is_leaf());
    {
      NoGradGuard inner;
      CHECK_FALSE(grad_enabled());
    }
    CHECK_FALSE(grad_enabled());  // leaving the inner guard keeps the outer one's setting
    set_grad_enabled(true);       // a guard restores what it found, whatever happened inside
  }
  CHECK(grad_enabled());
  Tensor z = x * 2.f;
  CHECK(z.requires_grad());
  CHECK(z.grad_fn()->name == "mul_scalar");
}

TEST_CASE("autograd: backward twice through a freed graph is an error", "[autograd]") {
  Tensor x = T({1, 2}, {2}, true);
  Tensor y = sum(x * x);
  y.backward();
  CHECK_THROWS_WITH(y.backward(), Contains("freed") && Contains("retain_graph"));
  // a new graph that reuses a freed intermediate reaches the freed node too
  Tensor h = x * 3.f;
  sum(h).backward();
  CHECK_THROWS_WITH(sum(h * 2.f).backward(), Contains("freed") && Contains("mul_scalar"));
}

TEST_CASE("autograd: retain_graph keeps the graph for a second backward", "[autograd]") {
  // y = sum(x^2) => 2x = [2, -4]; twice => [4, -8]
  Tensor x = T({1, -2}, {2}, true);
  Tensor y = sum(x * x);
  y.backward(true);
  CHECK_CLOSE(x.grad(), {2, -4}, {2});
  y.backward();
  CHECK_CLOSE(x.grad(), {4, -8}, {2});
  CHECK_THROWS_WITH(y.backward(), Contains("freed"));
}

TEST_CASE("autograd: backward on a non-scalar needs a gradient", "[autograd]") {
  Tensor x = T({1, 2, 3, 4, 5, 6}, {2, 3}, true);
  Tensor y = x * 2.f;
  CHECK_THROWS_WITH(y.backward(), Contains("(2, 3)") && Contains("one-element"));
  // one element in any shape is enough: y1 = 2 x[0, 0] of shape (1, 1) => grad 2 at (0, 0) only
  Tensor y1 = x.slice(0, 0, 1).slice(1, 0, 1) * 2.f;
  y1.backward();
  CHECK_CLOSE(x.grad(), {2, 0, 0, 0, 0, 0}, {2, 3});
}

TEST_CASE("autograd: backward with an explicit gradient", "[autograd]") {
  // y = x * [1, 2, 3]; seed g = [10, 20, 30] => dx = g * [1, 2, 3] = [10, 40, 90]
  Tensor x = T({5, 5, 5}, {3}, true);
  Tensor y = x * T({1, 2, 3}, {3});
  y.backward(T({10, 20, 30}, {3}));
  CHECK_CLOSE(x.grad(), {10, 40, 90}, {3});
  Tensor y2 = x * 2.f;
  CHECK_THROWS_WITH(y2.backward(T({1, 2}, {2})), Contains("(2)") && Contains("(3)"));
  // backward on a leaf just accumulates the seed
  Tensor w = T({1, 2}, {2}, true);
  w.backward(T({3, 4}, {2}));
  CHECK_CLOSE(w.grad(), {3, 4}, {2});
  // and on a tensor that needs no grad it says so
  CHECK_THROWS_WITH(T({1}, {1}).backward(), Contains("does not require grad"));
}

TEST_CASE("autograd: leaf gradients own their storage", "[autograd]") {
  // y = a + b with seed g: a.grad = b.grad = g, but three separate tensors
  Tensor a = T({1, 2}, {2}, true), b = T({3, 4}, {2}, true);
  Tensor g = T({5, 6}, {2});
  (a + b).backward(g);
  CHECK_CLOSE(a.grad(), {5, 6}, {2});
  CHECK_CLOSE(b.grad(), {5, 6}, {2});
  g.fill_(0.f);          // the caller reuses its seed buffer
  a.grad().fill_(-1.f);  // e.g. an optimizer clipping a in place
  CHECK_CLOSE(b.grad(), {5, 6}, {2});
  CHECK_CLOSE(a.grad(), {-1, -1}, {2});
  Tensor w = T({1}, {1}, true), s = T({2}, {1});
  w.backward(s);
  s.fill_(9.f);
  CHECK_CLOSE(w.grad(), {2}, {1});
}

TEST_CASE("autograd: requires_grad_ on a non-leaf names the op", "[autograd]") {
  Tensor x = T({1, 2}, {2}, true);
  Tensor y = x * x;
  CHECK_FALSE(y.is_leaf());
  CHECK_THROWS_WITH(y.requires_grad_(), Contains("mul") && Contains("leaf"));
  CHECK_NOTHROW(y.detach().requires_grad_());
  Tensor p = T({1}, {1});
  p.requires_grad_();
  CHECK(p.requires_grad());
  p.requires_grad_(false);
  CHECK_FALSE(p.requires_grad());
}

TEST_CASE("autograd: detach cuts the graph and shares the data", "[autograd]") {
  // y = x * detach(x): only the first factor is differentiated => dy/dx = detach(x) = [2, 3]
  Tensor x = T({2, 3}, {2}, true);
  Tensor d = x.detach();
  CHECK_FALSE(d.requires_grad());
  CHECK(d.is_leaf());
  CHECK(d.storage() == x.storage());
  sum(x * d).backward();
  CHECK_CLOSE(x.grad(), {2, 3}, {2});
  CHECK_FALSE(d.grad().defined());
  // a result built only from detached tensors does not require grad
  CHECK_FALSE((d * 2.f).requires_grad());
}

TEST_CASE("autograd: inputs that do not require grad get no gradient", "[autograd]") {
  // y = sum(a * c) with c constant => da = c = [4, 5]; c.grad stays undefined
  Tensor a = T({1, 2}, {2}, true), c = T({4, 5}, {2});
  Tensor y = sum(a * c);
  CHECK(y.grad_fn()->name == "sum");
  y.backward();
  CHECK_CLOSE(a.grad(), {4, 5}, {2});
  CHECK_FALSE(c.grad().defined());
  CHECK_FALSE((c * c).requires_grad());
}

TEST_CASE("autograd: a user-defined op through record() with its own backward", "[autograd]") {
  // cube(x) = x^3 with backward 3 x^2 gy; y = sum(cube(x)) at x = [1, -2] => [3, 12]
  auto cube = [](const Tensor& x) {
    auto v = x.to_vector();
    Tensor y = from_vector({v[0] * v[0] * v[0], v[1] * v[1] * v[1]}, x.shape());
    return record("cube", y, {x}, [x](const Tensor& gy, const std::vector<bool>& needs) {
      CHECK(needs.size() == 1);
      CHECK(needs[0]);
      return std::vector<Tensor>{gy * x * x * 3.f};
    });
  };
  Tensor x = T({1, -2}, {2}, true);
  Tensor y = cube(x);
  CHECK(y.grad_fn()->name == "cube");
  CHECK_CLOSE(y, {1, -8}, {2});
  sum(y).backward();
  CHECK_CLOSE(x.grad(), {3, 12}, {2});
  // without an input that requires grad, record() records nothing
  Tensor c = cube(T({2, 3}, {2}));
  CHECK_FALSE(c.requires_grad());
  CHECK(c.is_leaf());
}

TEST_CASE("autograd: a backward that returns a wrongly shaped gradient is an error", "[autograd]") {
  Tensor x = T({1, 2}, {2}, true);
  Tensor y = record("broken", x.detach() * 1.f, {x}, [](const Tensor&, const std::vector<bool>&) {
    return std::vector<Tensor>{zeros({3})};
  });
  CHECK_THROWS_WITH(sum(y).backward(), Contains("broken") && Contains("(3)") && Contains("(2)"));
  Tensor z = record("wrong_count", x.detach() * 1.f, {x},
                    [](const Tensor&, const std::vector<bool>&) { return std::vector<Tensor>{}; });
  CHECK_THROWS_WITH(sum(z).backward(), Contains("wrong_count"));
}

TEST_CASE("autograd: a deep chain neither overflows the stack in backward nor when freed",
          "[autograd]") {
  // y = x + 1 + 1 + ... (10000 times) => dy/dx = 1
  Tensor x = T({0.5f}, {1}, true);
  Tensor y = x;
  for (int i = 0; i < 10000; ++i) y = y + 1.f;
  CHECK(y.item() == Approx(10000.5f));
  y.backward();
  CHECK_CLOSE(x.grad(), {1}, {1});
  // a long graph that is never backpropagated (a running loss summed over an epoch without
  // NoGradGuard) must be destroyed without recursing once per node
  {
    Tensor total = zeros({1});
    for (int i = 0; i < 300000; ++i) total = total + x;
    CHECK(total.requires_grad());
  }
  Tensor z = x;
  for (int i = 0; i < 10000; ++i) z = z * 1.f;
  z.backward(true);  // retained graph, destroyed when z goes out of scope
  CHECK_CLOSE(x.grad(), {2}, {1});
}

TEST_CASE("autograd: gradients of a shared subexpression in a wider graph", "[autograd]") {
  // h = a * b; y = sum(h * h + h) => dy/dh = 2h + 1; dh/da = b, dh/db = a
  // a = [1, 2], b = [3, -1]: h = [3, -2]; dy/dh = [7, -3]; da = [21, 3]; db = [7, -6]
  Tensor a = T({1, 2}, {2}, true), b = T({3, -1}, {2}, true);
  Tensor h = a * b;
  sum(h * h + h).backward();
  CHECK_CLOSE(a.grad(), {21, 3}, {2});
  CHECK_CLOSE(b.grad(), {7, -6}, {2});
}
