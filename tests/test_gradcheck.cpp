// Tests of minidl::gradcheck itself: it must fail, naming the input and the element, when a
// backward is wrong; pass when it is right; leave inputs and their gradients as it found them;
// and reject calls it cannot check with a clear error.
#include "support/op_cases.h"

using namespace minidl;
using namespace minidl::test;
using Catch::Contains;

namespace {

// x^3 with a hand-written backward: 3 x^2 when right, 2 x^2 when `wrong`.
Tensor cube(const Tensor& x, bool wrong) {
  Tensor y = pow(x.detach(), 3.f);
  return record("cube", y, {x}, [x, wrong](const Tensor& gy, const std::vector<bool>&) {
    return std::vector<Tensor>{gy * square(x) * (wrong ? 2.f : 3.f)};
  });
}

// a * b whose backward gives b the gradient meant for a (wrong for input 1 only).
Tensor mul_wrong_b(const Tensor& a, const Tensor& b) {
  Tensor y = a.detach() * b.detach();
  return record("mul_wrong_b", y, {a, b}, [a, b](const Tensor& gy, const std::vector<bool>&) {
    return std::vector<Tensor>{gy * b, gy * b};
  });
}

// x^2 whose gradient is dropped at flat element 4 only.
Tensor square_hole(const Tensor& x) {
  Tensor y = square(x.detach());
  return record("square_hole", y, {x}, [x](const Tensor& gy, const std::vector<bool>&) {
    Tensor keep = T({1, 1, 1, 1, 0, 1}, x.shape());
    return std::vector<Tensor>{gy * x * 2.f * keep};
  });
}

}  // namespace

TEST_CASE("gradcheck: passes for a correct hand-written backward", "[gradcheck]") {
  Tensor x = R({2, 3}, 1, true, 0.5f, 1.5f);
  auto res = gradcheck([](const std::vector<Tensor>& in) { return cube(in[0], false); }, {x});
  INFO(res.message);
  CHECK(res.ok);
  CHECK(static_cast<bool>(res));
  CHECK(res.message.empty());
  CHECK(res.max_abs_error < 1e-2);
}

TEST_CASE("gradcheck: fails for a wrong backward, naming the input and the element",
          "[gradcheck]") {
  Tensor x = R({2, 3}, 1, true, 0.5f, 1.5f);
  auto res = gradcheck([](const std::vector<Tensor>& in) { return cube(in[0], true); }, {x});
  CHECK_FALSE(res.ok);
  CHECK_FALSE(static_cast<bool>(res));
  // every element is off by x^2 * r, at least 0.25 * |r|
  CHECK(res.max_abs_error > 1e-2);
  CHECK_THAT(res.message, Contains("input 0") && Contains("(2, 3)") && Contains("element 0") &&
                              Contains("numeric") && Contains("analytic"));
}

TEST_CASE("gradcheck: names the input whose gradient is wrong", "[gradcheck]") {
  Tensor a = R({3}, 2, true), b = R({3}, 3, true);
  auto res =
      gradcheck([](const std::vector<Tensor>& in) { return mul_wrong_b(in[0], in[1]); }, {a, b});
  CHECK_FALSE(res.ok);
  CHECK_THAT(res.message, Contains("input 1") && Contains("(3)"));
}

TEST_CASE("gradcheck: names the one element whose gradient is wrong", "[gradcheck]") {
  Tensor x = R({2, 3}, 4, true, 0.5f, 1.f);
  auto res = gradcheck([](const std::vector<Tensor>& in) { return square_hole(in[0]); }, {x});
  CHECK_FALSE(res.ok);
  CHECK_THAT(res.message, Contains("input 0") && Contains("element 4"));
}

TEST_CASE("gradcheck: restores the inputs and their gradients", "[gradcheck]") {
  Tensor x = R({2, 3}, 5, true);
  Tensor c = R({2, 3}, 6, false);
  x.set_grad(full({2, 3}, 7.f));
  auto before = x.to_vector(), cbefore = c.to_vector();
  CHECK_GRADS([](const std::vector<Tensor>& in) { return exp(in[0]) * in[1]; }, {x, c});
  CHECK(x.to_vector() == before);  // bit for bit: perturbed in place, then restored
  CHECK(c.to_vector() == cbefore);
  CHECK_CLOSE(x.grad(), {7, 7, 7, 7, 7, 7}, {2, 3});
  CHECK_FALSE(c.grad().defined());  // not requiring grad: neither checked nor touched
}

TEST_CASE("gradcheck: non-scalar outputs and non-contiguous leaves", "[gradcheck]") {
  // a transposed view that is itself a leaf: the perturbation goes through its strides
  Tensor base = R({3, 2}, 7, false);
  Tensor t = base.transpose(0, 1);
  t.requires_grad_();
  REQUIRE_FALSE(t.is_contiguous());
  Tensor w = R({2, 3}, 8, true);
  CHECK_GRADS([](const std::vector<Tensor>& in) { return in[0] * in[0] * in[1]; }, {t, w});
  // a 0-d input and a (2,2) output
  Tensor s = R({}, 9, true);
  CHECK_GRADS([](const std::vector<Tensor>& in) { return in[0] * in[1]; },
              {s, R({2, 2}, 10, true)});
}

TEST_CASE("gradcheck: options decide the verdict", "[gradcheck]") {
  // exp at x in [1, 2) with a step of 0.5: the central difference is off by about
  // e^x * eps^2 / 6 = 4% of the derivative; a 1e-4 relative tolerance must reject it
  Tensor x = R({4}, 11, true, 1.f, 2.f);
  auto f = [](const std::vector<Tensor>& in) { return exp(in[0]); };
  CHECK(gradcheck(f, {x}).ok);
  GradcheckOptions strict;
  strict.eps = 0.5;
  strict.atol = 1e-6;
  strict.rtol = 1e-4;
  CHECK_FALSE(gradcheck(f, {x}, strict).ok);
}

TEST_CASE("gradcheck: calls it cannot check are errors", "[gradcheck]") {
  Tensor c = R({3}, 12, false);
  auto id = [](const std::vector<Tensor>& in) { return in[0] * 2.f; };
  CHECK_THROWS_WITH(gradcheck(id, {c}), Contains("gradcheck") && Contains("requires grad"));
  CHECK_THROWS_WITH(gradcheck(id, {Tensor()}), Contains("gradcheck") && Contains("undefined"));
  auto undefined = [](const std::vector<Tensor>&) { return Tensor(); };
  CHECK_THROWS_WITH(gradcheck(undefined, {R({3}, 13, true)}), Contains("gradcheck"));
  // a non-leaf input has no gradient of its own to compare: say so instead of failing with zeros
  Tensor leaf = R({3}, 14, true);
  Tensor nonleaf = leaf * 2.f;
  CHECK_THROWS_WITH(gradcheck(id, {nonleaf}),
                    Contains("gradcheck") && Contains("leaf") && Contains("mul_scalar"));
}
