// Layers and losses on empty tensors (a batch of 0, an axis of size 0), and NaN inputs where the
// choices made on values (max pooling's and argmax's winners, detection scores, NMS order) must
// stay inside the tensors -- under the sanitizer build any stray read or write fails the test.
// Empty: each row works forward and backward with the shapes its contract gives. Every op's empty
// shapes and NaN/Inf propagation are rows of the op table (tests/ops).
#include <cmath>
#include <limits>

#include "core/minidl.h"
#include "support/helpers.h"

using namespace minidl;
using namespace minidl::test;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();
using Ins = std::vector<Tensor>;

struct EdgeCase {
  std::string name;
  std::vector<Shape> shapes;  // the inputs: zeros of these shapes, requiring grad
  std::function<Tensor(const Ins&)> f;
  Shape out;  // the shape the result must have
};

// Each row in its own section: forward gives `out`; when the result requires grad, backward of
// its sum gives every input a gradient of the input's shape.
void run_edge_table(const std::vector<EdgeCase>& rows) {
  for (const EdgeCase& row : rows) {
    DYNAMIC_SECTION(row.name) {
      Ins in;
      for (const Shape& s : row.shapes) in.push_back(zeros(s).requires_grad_());
      Tensor y = row.f(in);
      CHECK(shape_str(y.shape()) == shape_str(row.out));
      CHECK(y.to_vector().size() == static_cast<size_t>(shape_numel(row.out)));
      if (!y.requires_grad()) continue;
      sum(y).backward();
      for (const Tensor& x : in)
        if (x.grad().defined()) CHECK(shape_str(x.grad().shape()) == shape_str(x.shape()));
    }
  }
}

bool all_nan(const Tensor& t) {
  for (float v : t.to_vector())
    if (!std::isnan(v)) return false;
  return true;
}

}  // namespace

TEST_CASE("edge inputs: layers and losses on empty tensors work forward and backward", "[edge]") {
  // clang-format off
  run_edge_table({
      {"Dense", {{0, 3}}, [](const Ins& x) { return Dense(3, 2)(x[0]); }, {0, 2}},
      {"Conv2D", {{0, 3, 5, 5}}, [](const Ins& x) { return Conv2D(3, 4, 3, 1, 1)(x[0]); },
       {0, 4, 5, 5}},
      {"Flatten", {{0, 3, 2}}, [](const Ins& x) { return Flatten()(x[0]); }, {0, 6}},
      {"mse_loss, no reduction", {{0, 3}, {0, 3}},
       [](const Ins& x) { return mse_loss(x[0], x[1], Reduction::None); }, {0, 3}},
      {"mse_loss sum", {{0, 3}, {0, 3}},
       [](const Ins& x) { return mse_loss(x[0], x[1], Reduction::Sum); },
       {}},
      {"cross_entropy_loss sum", {{0, 4}},
       [](const Ins& x) { return cross_entropy_loss(x[0], zeros({0}), Reduction::Sum); }, {}},
  });
  // clang-format on
}

TEST_CASE("edge inputs: a huge slice step takes one element, which backward scatters back",
          "[edge]") {
  Tensor x = from_vector({1, 2, 3, 4, 5, 6}, {2, 3}).requires_grad_();
  Tensor y = slice(x, 1, 0, 3, std::numeric_limits<int64_t>::max());
  CHECK_CLOSE(y, {1, 4}, {2, 1});
  sum(y).backward();
  CHECK_CLOSE(x.grad(), {1, 0, 0, 1, 0, 0}, {2, 3});
}

TEST_CASE("edge inputs: NaN in max pooling wins its window and takes the window's gradient",
          "[edge]") {
  // One 4x4 plane, 2x2 windows; the NaN sits in the top-left window.
  std::vector<float> v(16);
  for (int i = 0; i < 16; ++i) v[i] = static_cast<float>(i);
  v[5] = kNaN;
  Tensor x = from_vector(v, {1, 1, 4, 4}).requires_grad_();
  Tensor y = max_pool2d(x, 2);
  auto out = y.to_vector();
  CHECK(std::isnan(out[0]));
  CHECK(out[1] == 7.f);
  CHECK(out[2] == 13.f);
  CHECK(out[3] == 15.f);
  sum(y).backward();
  auto g = x.grad().to_vector();
  CHECK(g[5] == 1.f);
  CHECK(g[0] == 0.f);
  CHECK(g[15] == 1.f);
  // An all-NaN window: its first element wins.
  Tensor all = full({1, 1, 2, 2}, kNaN).requires_grad_();
  Tensor m = max_pool2d(all, 2);
  CHECK(all_nan(m));
  sum(m).backward();
  CHECK_CLOSE(all.grad(), {1, 0, 0, 0}, {1, 1, 2, 2});
}

TEST_CASE("edge inputs: NaN in reductions and argmax stays inside the tensor", "[edge]") {
  Tensor x = from_vector({1.f, kNaN, 3.f, kNaN, kNaN, kNaN}, {2, 3}).requires_grad_();
  Tensor y = max(x, {1});
  CHECK(y.shape() == Shape{2});
  CHECK(all_nan(y));  // a NaN anywhere in a row makes its max NaN (as PyTorch)
  sum(y).backward();
  // the gradient goes to the NaNs: row 0's one, row 1's three a third each
  CHECK_CLOSE(x.grad(), {0, 1, 0, 1.f / 3, 1.f / 3, 1.f / 3}, {2, 3});
  CHECK_CLOSE(argmax(x, 1), {1, 0}, {2});  // the first NaN
  CHECK(std::isnan(sum(x).item()));
  CHECK(std::isnan(mean(x, {1}).to_vector()[1]));
}

TEST_CASE("edge inputs: NaN predictions give a NaN YOLOv1 loss and no detections", "[edge]") {
  YoloV1Options o;
  o.S = 2;
  o.B = 1;
  o.C = 3;
  Tensor pred = full({1, 2, 2, 8}, kNaN).requires_grad_();
  Tensor target = encode_targets({{Box{1, 0.25f, 0.25f, 0.2f, 0.3f}}}, 2, 3).target;
  YoloV1LossResult r = yolo_v1_loss(pred, target, o);
  CHECK(std::isnan(r.total.item()));
  r.total.backward();
  CHECK(pred.grad().shape() == pred.shape());
  for (auto cls : {YoloClassLoss::SSE, YoloClassLoss::SoftmaxCE}) {
    o.class_loss = cls;
    CHECK(decode(pred.detach(), o, 0.f)[0].empty());
  }
  // NMS orders NaN scores somewhere but keeps every box it is given at most once.
  std::vector<Detection> dets;
  for (int i = 0; i < 40; ++i)
    dets.push_back({Box{0, 0.02f * i, 0.5f, 0.01f, 0.01f}, i % 3 == 0 ? kNaN : 0.01f * i});
  CHECK(nms(dets, 0.5f).size() == dets.size());
}
