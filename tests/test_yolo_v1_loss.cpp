// The fused YOLOv1 loss: hand-computed cases that pin each term (docs/yolo_v1_conventions.md),
// agreement with the same loss composed from public ops, gradient checks, and encode/decode/NMS.
#include <cmath>

#include "losses/yolo_v1_loss.h"
#include "losses/yolo_v1_target.h"
#include "support/helpers.h"

using namespace minidl;
using namespace minidl::test;

namespace {

YoloV1Options opts(int S, int B, int C) {
  YoloV1Options o;
  o.S = S, o.B = B, o.C = C;
  return o;
}

struct Terms {
  float xy, wh, obj, noobj, cls, total;
};
Terms terms(const YoloV1LossResult& r) {
  return {r.xy.item(), r.wh.item(), r.obj.item(), r.noobj.item(), r.cls.item(), r.total.item()};
}

// ---- the same loss from public ops (the reference the tutorials teach) -------------------------
Tensor iou_ops(const Tensor& ax, const Tensor& ay, Tensor aw, Tensor ah, const Tensor& bx,
               const Tensor& by, Tensor bw, Tensor bh) {
  aw = clamp(aw, 0.f, 1e30f), ah = clamp(ah, 0.f, 1e30f), bw = clamp(bw, 0.f, 1e30f),
  bh = clamp(bh, 0.f, 1e30f);
  Tensor iw = clamp(minimum(ax + aw / 2.f, bx + bw / 2.f) - maximum(ax - aw / 2.f, bx - bw / 2.f),
                    0.f, 1e30f);
  Tensor ih = clamp(minimum(ay + ah / 2.f, by + bh / 2.f) - maximum(ay - ah / 2.f, by - bh / 2.f),
                    0.f, 1e30f);
  Tensor inter = iw * ih;
  return inter / clamp(aw * ah + bw * bh - inter, 1e-12f, 1e30f);
}

Tensor composed_loss(const Tensor& pred, const Tensor& target, const YoloV1Options& o) {
  const int S = o.S, B = o.B, C = o.C;
  const float Sf = static_cast<float>(S);
  const float N = static_cast<float>(pred.size(0));
  auto P = [&](int b, int k) { return pred.select(-1, 5 * b + k); };  // (N, S, S)
  Tensor tx = target.select(-1, 0), ty = target.select(-1, 1), tw = target.select(-1, 2),
         th = target.select(-1, 3), obj = gt(target.select(-1, 4), 0.5f);
  Tensor col = reshape(arange(0, Sf), {1, 1, S}), row = reshape(arange(0, Sf), {1, S, 1});

  // responsible predictor, without gradient
  std::vector<Tensor> iou(B);
  Tensor idx = zeros(obj.shape()), best = zeros(obj.shape()), near = zeros(obj.shape()),
         best_d = full(obj.shape(), 1e30f);
  {
    NoGradGuard ng;
    for (int b = 0; b < B; ++b) {
      Tensor w = o.sqrt_wh ? square(P(b, 2)) : P(b, 2), h = o.sqrt_wh ? square(P(b, 3)) : P(b, 3);
      iou[b] = iou_ops((col + P(b, 0)) / Sf, (row + P(b, 1)) / Sf, w, h, (col + tx) / Sf,
                       (row + ty) / Sf, tw, th);
      Tensor better = gt(iou[b], best);
      best = where(better, iou[b], best);
      idx = where(better, full(obj.shape(), b), idx);
      Tensor d = square((P(b, 0) - tx) / Sf) + square((P(b, 1) - ty) / Sf) + square(w - tw) +
                 square(h - th);
      Tensor closer = lt(d, best_d);
      best_d = where(closer, d, best_d);
      near = where(closer, full(obj.shape(), b), near);
    }
    idx = where(gt(best, 0.f), idx, near);
  }
  Tensor xy = zeros({}), wh = zeros({}), conf = zeros({}), noobj = zeros({});
  for (int b = 0; b < B; ++b) {
    Tensor resp = eq(idx, static_cast<float>(b)) * obj;
    xy = xy + sum(resp * (square(P(b, 0) - tx) + square(P(b, 1) - ty)));
    if (o.sqrt_wh) {
      wh = wh + sum(resp * (square(P(b, 2) - sqrt(tw)) + square(P(b, 3) - sqrt(th))));
    } else {
      auto root = [](const Tensor& v) { return sqrt(clamp(v, 0.f, 1e30f) + 1e-6f); };
      wh = wh + sum(resp * (square(root(P(b, 2)) - root(tw)) + square(root(P(b, 3)) - root(th))));
    }
    Tensor conf_target = o.rescore ? iou[b] * resp : resp;  // constant
    conf = conf + sum(resp * square(P(b, 4) - conf_target));
    noobj = noobj + sum((1.f - resp) * square(P(b, 4)));
  }
  Tensor z = pred.slice(-1, 5 * B, 5 * B + C), y = target.slice(-1, 5, 5 + C);
  Tensor cls = o.class_loss == YoloClassLoss::SSE
                   ? sum(unsqueeze(obj, -1) * square(z - y))
                   : -sum(unsqueeze(obj, -1) * y * log_softmax(z, -1));
  return (o.lambda_coord * (xy + wh) + o.lambda_obj * conf + o.lambda_noobj * noobj +
          o.lambda_class * cls) /
         N;
}

// A random batch whose predictions sit near the targets (so IoUs are clearly non-zero) and a
// target with objects in about half of the cells.
std::pair<Tensor, Tensor> random_batch(const YoloV1Options& o, int N, uint64_t seed) {
  Generator g(seed);
  std::vector<std::vector<Box>> images(N);
  for (auto& boxes : images)
    for (int i = 0; i < o.S; ++i)
      for (int j = 0; j < o.S; ++j)
        if (g.uniform() < 0.5f)
          boxes.push_back({static_cast<int>(g.below(o.C)), (j + g.uniform(0.1f, 0.9f)) / o.S,
                           (i + g.uniform(0.1f, 0.9f)) / o.S, g.uniform(0.1f, 0.6f),
                           g.uniform(0.1f, 0.6f)});
  Tensor target = encode_targets(images, o.S, o.C).target;
  std::vector<float> t = target.to_vector(), p;
  const int td = 5 + o.C;
  for (int64_t cell = 0; cell < static_cast<int64_t>(t.size()) / td; ++cell) {
    const float* c = &t[cell * td];
    for (int b = 0; b < o.B; ++b) {
      float w = c[4] > 0.5f ? c[2] : 0.3f, h = c[4] > 0.5f ? c[3] : 0.3f;
      p.push_back(c[0] + g.uniform(-0.1f, 0.1f) + (c[4] > 0.5f ? 0.f : 0.5f));
      p.push_back(c[1] + g.uniform(-0.1f, 0.1f) + (c[4] > 0.5f ? 0.f : 0.5f));
      p.push_back((o.sqrt_wh ? std::sqrt(w) : w) * g.uniform(0.7f, 1.3f));
      p.push_back((o.sqrt_wh ? std::sqrt(h) : h) * g.uniform(0.7f, 1.3f));
      p.push_back(g.uniform(-0.5f, 1.f));
    }
    for (int k = 0; k < o.C; ++k) p.push_back(g.uniform(-0.5f, 1.f));
  }
  return {from_vector(p, {N, o.S, o.S, 5 * o.B + o.C}), target};
}

}  // namespace

TEST_CASE("yolo_v1_loss: an image with no object only pays noobj", "[yolo]") {
  // S=2, B=1, C=2; confidences 0.2, 0.4, 0, -0.6 -> 0.5 * (0.04 + 0.16 + 0 + 0.36) = 0.28
  Tensor pred = zeros({1, 2, 2, 7});
  float c[] = {0.2f, 0.4f, 0.f, -0.6f};
  for (int k = 0; k < 4; ++k)
    pred.select(1, k / 2).select(1, k % 2).select(0, 0).select(0, 4).fill_(c[k]);
  pred.select(-1, 0).fill_(0.3f);  // boxes and classes do not matter without objects
  pred.select(-1, 6).fill_(0.9f);
  Terms t = terms(yolo_v1_loss(pred, zeros({1, 2, 2, 7}), opts(2, 1, 2)));
  CHECK(t.noobj == Approx(0.28f));
  CHECK(t.xy == 0.f);
  CHECK(t.wh == 0.f);
  CHECK(t.obj == 0.f);
  CHECK(t.cls == 0.f);
  CHECK(t.total == Approx(0.28f));
}

TEST_CASE("yolo_v1_loss: one object, B = 1, every term by hand", "[yolo]") {
  // S=1, C=2. target (x, y, w, h) = (0.5, 0.5, 0.25, 0.36), class 1.
  // pred x=0.6 y=0.4 sqrt(w)=0.6 sqrt(h)=0.5 c=0.8, classes (0.1, 0.7): box (0.6, 0.4, 0.36, 0.25).
  // IoU: x overlap [0.42, 0.625] = 0.205, y overlap [0.32, 0.525] = 0.205, inter 0.042025,
  //      union 0.09 + 0.09 - 0.042025 = 0.137975 -> IoU 0.3045842
  // xy = 5 (0.1² + 0.1²) = 0.1; wh = 5 ((0.6 - 0.5)² + (0.5 - 0.6)²) = 0.1
  // obj = (0.8 - 0.3045842)² = 0.2454369; cls = 0.1² + 0.3² = 0.1; total 0.5454369
  Tensor pred = T({0.6f, 0.4f, 0.6f, 0.5f, 0.8f, 0.1f, 0.7f}, {1, 1, 1, 7}, true);
  Tensor target = T({0.5f, 0.5f, 0.25f, 0.36f, 1.f, 0.f, 1.f}, {1, 1, 1, 7});
  auto r = yolo_v1_loss(pred, target, opts(1, 1, 2));
  Terms t = terms(r);
  CHECK(t.xy == Approx(0.1f));
  CHECK(t.wh == Approx(0.1f));
  CHECK(t.obj == Approx(0.2454369f));
  CHECK(t.noobj == 0.f);
  CHECK(t.cls == Approx(0.1f));
  CHECK(t.total == Approx(0.5454369f));
  // gradient: 2λ(x - x̂) = 10 * 0.1 = 1, 10 * -0.1, 10 * 0.1, 10 * -0.1, 2 (0.8 - IoU), 2 * 0.1, 2 *
  // -0.3
  r.total.backward();
  CHECK_CLOSE(pred.grad(), {1.f, -1.f, 1.f, -1.f, 2.f * (0.8f - 0.3045842f), 0.2f, -0.6f},
              {1, 1, 1, 7}, 1e-5, 1e-4);
}

TEST_CASE("yolo_v1_loss: two predictors, the second is responsible", "[yolo]") {
  // S=1, B=2, C=1; target (0.5, 0.5, 0.4, 0.4).
  // box 0: (0.1, 0.1, 0.04, 0.04), far away: IoU 0.  box 1: (0.5, 0.5, 0.36, 0.36) inside the
  // target: IoU 0.1296 / 0.16 = 0.81 -> box 1 responsible. xy 0; wh = 5 * 2 (0.6 - sqrt(0.4))² =
  // 0.0105336; obj = (0.6 - 0.81)² = 0.0441; noobj = 0.5 * 0.3² = 0.045; cls = (0.9 - 1)² = 0.01
  Tensor pred =
      T({0.1f, 0.1f, 0.2f, 0.2f, 0.3f, 0.5f, 0.5f, 0.6f, 0.6f, 0.6f, 0.9f}, {1, 1, 1, 11});
  Tensor target = T({0.5f, 0.5f, 0.4f, 0.4f, 1.f, 1.f}, {1, 1, 1, 6});
  Terms t = terms(yolo_v1_loss(pred, target, opts(1, 2, 1)));
  CHECK(t.xy == Approx(0.f).margin(1e-7));
  CHECK(t.wh == Approx(0.0105336f).epsilon(1e-4));
  CHECK(t.obj == Approx(0.0441f).epsilon(1e-4));
  CHECK(t.noobj == Approx(0.045f));
  CHECK(t.cls == Approx(0.01f));
  CHECK(t.total == Approx(0.1096336f).epsilon(1e-4));
}

TEST_CASE("yolo_v1_loss: when every IoU is 0 the nearest predictor is responsible", "[yolo]") {
  // target (0.5, 0.5, 0.2, 0.2). box 0 at x=y=0 with w=h=0.01; box 1 at x=y=1 with w=h=0.09:
  // both miss the target. distances: box 0: 0.25 + 0.25 + 2 (0.19²) = 0.5722,
  // box 1: 0.25 + 0.25 + 2 (0.11²) = 0.5242 -> box 1, although box 0 has the lower index.
  // xy = 5 (0.25 + 0.25) = 2.5; wh = 5 * 2 (0.3 - sqrt(0.2))² = 0.2167184; obj (IoU 0) = 0.7² =
  // 0.49; noobj = 0.5 * 0.4² = 0.08; cls = 0
  Tensor pred = T({0.f, 0.f, 0.1f, 0.1f, 0.4f, 1.f, 1.f, 0.3f, 0.3f, 0.7f, 1.f}, {1, 1, 1, 11});
  Tensor target = T({0.5f, 0.5f, 0.2f, 0.2f, 1.f, 1.f}, {1, 1, 1, 6});
  Terms t = terms(yolo_v1_loss(pred, target, opts(1, 2, 1)));
  CHECK(t.xy == Approx(2.5f));
  CHECK(t.wh == Approx(0.2167184f).epsilon(1e-4));
  CHECK(t.obj == Approx(0.49f));
  CHECK(t.noobj == Approx(0.08f));
  CHECK(t.cls == Approx(0.f).margin(1e-7));
  CHECK(t.total == Approx(3.2867184f).epsilon(1e-4));
}

TEST_CASE("yolo_v1_loss: zero-size and negative boxes give a finite loss and gradient", "[yolo]") {
  for (bool sqrt_wh : {true, false}) {
    YoloV1Options o = opts(2, 2, 3);
    o.sqrt_wh = sqrt_wh;
    auto [pred, target] = random_batch(o, 2, 5);
    pred.select(-1, 2).fill_(0.f);    // zero width for box 0
    pred.select(-1, 8).fill_(-0.5f);  // negative height for box 1
    pred.requires_grad_();
    auto r = yolo_v1_loss(pred, target, o);
    r.total.backward();
    CHECK(std::isfinite(r.total.item()));
    for (float g : pred.grad().to_vector()) CHECK(std::isfinite(g));
  }
}

TEST_CASE("yolo_v1_loss: a batch with no object at all", "[yolo]") {
  // N = 2, S = 1, B = 2, C = 1; confidences (0.2, 0.4) and (0.6, 0): 0.5 * (0.04 + 0.16 + 0.36) / 2
  Tensor pred = T({0, 0, 0, 0, 0.2f, 0, 0, 0, 0, 0.4f, 0.5f, 0, 0, 0, 0, 0.6f, 0, 0, 0, 0, 0, 0.5f},
                  {2, 1, 1, 11}, true);
  auto r = yolo_v1_loss(pred, zeros({2, 1, 1, 6}), opts(1, 2, 1));
  CHECK(r.total.item() == Approx(0.14f));
  CHECK(r.noobj.item() == Approx(0.14f));
  r.total.backward();
  // d noobj / d c = 2 * 0.5 * c / N = c / 2
  CHECK_CLOSE(pred.grad(),
              {0, 0, 0, 0, 0.1f, 0, 0, 0, 0, 0.2f, 0, 0, 0, 0, 0, 0.3f, 0, 0, 0, 0, 0, 0},
              {2, 1, 1, 11});
}

TEST_CASE("yolo_v1_loss: fused and composed from ops agree", "[yolo]") {
  // every combination of rescore, sqrt_wh and class loss, on two grids, with the default lambdas
  // and with every lambda changed
  for (bool rescore : {true, false})
    for (bool sqrt_wh : {true, false})
      for (auto cl : {YoloClassLoss::SSE, YoloClassLoss::SoftmaxCE})
        for (int geometry = 0; geometry < 2; ++geometry) {
          YoloV1Options o = geometry == 0 ? opts(3, 2, 4) : opts(2, 3, 1);
          o.rescore = rescore, o.sqrt_wh = sqrt_wh, o.class_loss = cl;
          if (geometry == 1)
            o.lambda_coord = 2, o.lambda_noobj = 0.25f, o.lambda_obj = 3, o.lambda_class = 0.5f;
          auto [pred, target] = random_batch(o, 3, 11);
          pred.requires_grad_();
          auto r = yolo_v1_loss(pred, target, o);
          r.total.backward();
          Tensor fused_grad = pred.grad();
          pred.zero_grad();
          Tensor ref = composed_loss(pred, target, o);
          ref.backward();
          INFO("rescore " << rescore << " sqrt_wh " << sqrt_wh << " softmax "
                          << (cl == YoloClassLoss::SoftmaxCE) << " geometry " << geometry);
          CHECK(r.total.item() == Approx(ref.item()).epsilon(1e-5));
          CHECK_CLOSE(fused_grad, pred.grad(), 1e-6, 1e-4);
        }
}

TEST_CASE("yolo_v1_loss: gradcheck where the loss is smooth (rescore = false)", "[yolo]") {
  for (bool sqrt_wh : {true, false})
    for (auto cl : {YoloClassLoss::SSE, YoloClassLoss::SoftmaxCE}) {
      YoloV1Options o = opts(2, 2, 3);
      o.rescore = false, o.sqrt_wh = sqrt_wh, o.class_loss = cl;
      o.lambda_obj = 2, o.lambda_class = 0.5f;
      auto [pred, target_] = random_batch(o, 2, 3);
      const Tensor target = target_;  // clang 14 cannot capture a structured binding in a lambda
      pred.requires_grad_();
      auto fused = [&](const std::vector<Tensor>& in) {
        return yolo_v1_loss(in[0], target, o).total;
      };
      auto composed = [&](const std::vector<Tensor>& in) {
        return composed_loss(in[0], target, o);
      };
      GradcheckOptions g;
      g.eps = 1e-3;
      CHECK_GRADS(fused, {pred}, g);
      CHECK_GRADS(composed, {pred}, g);
    }
}

TEST_CASE("yolo_v1_loss: bad shapes and options name what is wrong", "[yolo]") {
  YoloV1Options o = opts(2, 2, 3);
  CHECK_THROWS_WITH(yolo_v1_loss(zeros({1, 2, 2, 12}), zeros({1, 2, 2, 8}), o),
                    Catch::Contains("yolo_v1_loss") && Catch::Contains("(1, 2, 2, 12)") &&
                        Catch::Contains("(N, 2, 2, 13)"));
  CHECK_THROWS_WITH(yolo_v1_loss(zeros({1, 2, 2, 13}), zeros({1, 2, 2, 7}), o),
                    Catch::Contains("target") && Catch::Contains("(1, 2, 2, 7)"));
  o.lambda_noobj = -1;
  CHECK_THROWS_WITH(YoloV1Loss(o), Catch::Contains("lambda_noobj=-1"));
}

TEST_CASE("yolo_v1_target: encode puts each box in the cell of its centre", "[yolo]") {
  // S = 2: centre (0.75, 0.25) -> row 0, column 1, x = 0.5, y = 0.5
  auto e = encode_targets({{{2, 0.75f, 0.25f, 0.3f, 0.4f}}}, 2, 3);
  CHECK(e.dropped == 0);
  Tensor cell = e.target.select(0, 0).select(0, 0).select(0, 1);
  CHECK_CLOSE(cell, {0.5f, 0.5f, 0.3f, 0.4f, 1.f, 0.f, 0.f, 1.f}, {8});
  CHECK(sum(e.target).item() == Approx(0.5f + 0.5f + 0.3f + 0.4f + 1.f + 1.f));
}

TEST_CASE("yolo_v1_target: two centres in one cell keep the larger box and count the other",
          "[yolo]") {
  auto e = encode_targets(
      {{{0, 0.1f, 0.1f, 0.1f, 0.1f}, {1, 0.2f, 0.2f, 0.3f, 0.3f}, {0, 0.3f, 0.3f, 0.05f, 0.05f}}},
      1, 2);
  CHECK(e.dropped == 2);
  CHECK_CLOSE(e.target, {0.2f, 0.2f, 0.3f, 0.3f, 1.f, 0.f, 1.f}, {1, 1, 1, 7});
}

TEST_CASE("yolo_v1_target: bad boxes are rejected naming the image and box", "[yolo]") {
  CHECK_THROWS_WITH(
      encode_targets({{}, {{3, 0.5f, 0.5f, 0.1f, 0.1f}}}, 2, 3),
      Catch::Contains("image 1") && Catch::Contains("box 0") && Catch::Contains("class 3"));
  CHECK_THROWS_WITH(encode_targets({{{0, 0.5f, 0.5f, 0.f, 0.1f}}}, 2, 3), Catch::Contains("size"));
  CHECK_THROWS_WITH(encode_targets({{{0, 1.5f, 0.5f, 0.1f, 0.1f}}}, 2, 3),
                    Catch::Contains("centre"));
}

TEST_CASE("yolo_v1_target: decode(encode(box)) == box", "[yolo]") {
  YoloV1Options o = opts(3, 1, 2);
  std::vector<Box> boxes = {
      {0, 0.1f, 0.2f, 0.15f, 0.3f}, {1, 0.55f, 0.5f, 0.4f, 0.2f}, {1, 0.95f, 0.9f, 0.1f, 0.1f}};
  Tensor t = encode_targets({boxes}, 3, 2).target;  // (1, 3, 3, 7) = [x y w h obj p0 p1]
  // a perfect prediction: B = 1 box [x y sqrt(w) sqrt(h) 1] then the one-hot classes
  Tensor pred = concat({t.slice(-1, 0, 2), sqrt(t.slice(-1, 2, 4)), t.slice(-1, 4, 7)}, -1);
  auto dets = decode(pred, o, 0.5f)[0];
  REQUIRE(dets.size() == boxes.size());
  for (const Box& b : boxes) {
    bool found = false;
    for (const auto& d : dets)
      found |= d.box.cls == b.cls && std::fabs(d.box.cx - b.cx) < 1e-6f &&
               std::fabs(d.box.cy - b.cy) < 1e-6f && std::fabs(d.box.w - b.w) < 1e-6f &&
               std::fabs(d.box.h - b.h) < 1e-6f && d.score == 1.f;
    INFO("box class " << b.cls << " at " << b.cx << ", " << b.cy);
    CHECK(found);
  }
}

TEST_CASE("yolo_v1_target: nms keeps the best of overlapping boxes per class", "[yolo]") {
  // a and b overlap with IoU 0.64/(1+1-0.64)... : a (0.5, 0.5, 0.2, 0.2), b shifted by 0.02 -> IoU
  // 0.8182
  Detection a{{0, 0.5f, 0.5f, 0.2f, 0.2f}, 0.9f}, b{{0, 0.52f, 0.5f, 0.2f, 0.2f}, 0.8f},
      c{{1, 0.52f, 0.5f, 0.2f, 0.2f}, 0.7f}, d{{0, 0.1f, 0.1f, 0.1f, 0.1f}, 0.6f};
  // IoU(a, b): overlap 0.18 x 0.2 = 0.036, union 0.08 - 0.036 = 0.044 -> 0.8182
  CHECK(box_iou(a.box, b.box) == Approx(0.036f / 0.044f));
  auto kept = nms({d, b, c, a}, 0.4f, false);
  REQUIRE(kept.size() == 3);  // b suppressed by a; c is another class; d does not overlap
  CHECK(kept[0].score == 0.9f);
  CHECK(kept[1].score == 0.7f);
  CHECK(kept[2].score == 0.6f);
  auto agnostic = nms({d, b, c, a}, 0.4f, true);
  REQUIRE(agnostic.size() == 2);  // c is suppressed by a too
  CHECK(agnostic[1].score == 0.6f);
}
