// Target encoding, decoding and NMS for YOLOv1 (yolo_v1_target.h; the conventions are those of
// docs/yolo_v1_conventions.md).
#include "losses/yolo_v1_target.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/kernels/yolo_v1_math.h"
#include "core/ops/creation.h"

namespace minidl {

float box_iou(const Box& a, const Box& b) {
  return box_iou_raw(a.cx, a.cy, a.w, a.h, b.cx, b.cy, b.w, b.h);
}

EncodedTargets encode_targets(const std::vector<std::vector<Box>>& images, int S, int C) {
  MINIDL_CHECK(S >= 1 && C >= 1, "encode_targets: S and C must be >= 1; got S=", S, " C=", C);
  const int64_t N = static_cast<int64_t>(images.size()), td = 5 + C;
  std::vector<float> t(N * S * S * td, 0.f);
  EncodedTargets out;
  for (int64_t n = 0; n < N; ++n) {
    for (size_t k = 0; k < images[n].size(); ++k) {
      const Box& b = images[n][k];
      MINIDL_CHECK(b.cls >= 0 && b.cls < C, "encode_targets: image ", n, ", box ", k, ": class ",
                   b.cls, " is outside [0, ", C, ")");
      MINIDL_CHECK(b.w > 0 && b.h > 0 && std::isfinite(b.w) && std::isfinite(b.h),
                   "encode_targets: image ", n, ", box ", k, ": size (", b.w, ", ", b.h,
                   ") must be > 0");
      MINIDL_CHECK(b.cx >= 0 && b.cx <= 1 && b.cy >= 0 && b.cy <= 1, "encode_targets: image ", n,
                   ", box ", k, ": centre (", b.cx, ", ", b.cy, ") is outside [0, 1]");
      int j = std::min(static_cast<int>(b.cx * S), S - 1),
          i = std::min(static_cast<int>(b.cy * S), S - 1);
      float* cell = t.data() + ((n * S + i) * S + j) * td;
      if (cell[4] > 0.5f) {  // occupied: keep the larger box
        ++out.dropped;
        if (cell[2] * cell[3] >= b.w * b.h) continue;
        std::fill(cell, cell + td, 0.f);
      }
      cell[0] = b.cx * S - j;
      cell[1] = b.cy * S - i;
      cell[2] = b.w;
      cell[3] = b.h;
      cell[4] = 1.f;
      cell[5 + b.cls] = 1.f;
    }
  }
  out.target = from_vector(t, {N, S, S, td});
  return out;
}

std::vector<std::vector<Detection>> decode(const Tensor& pred, const YoloV1Options& opt,
                                           float threshold) {
  opt.validate();
  const int S = opt.S, B = opt.B, C = opt.C, pd = 5 * B + C;
  MINIDL_CHECK(pred.dim() == 4 && pred.size(1) == S && pred.size(2) == S && pred.size(3) == pd,
               "decode: pred has shape ", shape_str(pred.shape()), " but S=", S, ", B=", B,
               ", C=", C, " need (N, ", S, ", ", S, ", ", pd, ")");
  const int64_t N = pred.size(0);
  std::vector<float> v = pred.to_vector();
  std::vector<std::vector<Detection>> out(N);
  std::vector<float> prob(C);
  for (int64_t n = 0; n < N; ++n)
    for (int i = 0; i < S; ++i)
      for (int j = 0; j < S; ++j) {
        const float* p = v.data() + ((n * S + i) * S + j) * pd;
        const float* z = p + 5 * B;
        if (opt.class_loss == YoloClassLoss::SoftmaxCE) {
          float m = *std::max_element(z, z + C), s = 0;
          for (int c = 0; c < C; ++c) s += prob[c] = std::exp(z[c] - m);
          for (int c = 0; c < C; ++c) prob[c] /= s;
        } else {
          std::copy(z, z + C, prob.begin());
        }
        for (int b = 0; b < B; ++b) {
          const float* q = p + 5 * b;
          Box box{0, (j + q[0]) / S, (i + q[1]) / S, opt.sqrt_wh ? q[2] * q[2] : q[2],
                  opt.sqrt_wh ? q[3] * q[3] : q[3]};
          for (int c = 0; c < C; ++c) {
            float score = q[4] * prob[c];
            if (score > threshold) {
              box.cls = c;
              out[n].push_back({box, score});
            }
          }
        }
      }
  return out;
}

std::vector<Detection> nms(std::vector<Detection> dets, float iou_threshold, bool class_agnostic) {
  std::stable_sort(dets.begin(), dets.end(),
                   [](const Detection& a, const Detection& b) { return a.score > b.score; });
  std::vector<Detection> kept;
  for (const Detection& d : dets) {
    bool suppressed = false;
    for (const Detection& k : kept)
      if ((class_agnostic || k.box.cls == d.box.cls) && box_iou(k.box, d.box) > iou_threshold) {
        suppressed = true;
        break;
      }
    if (!suppressed) kept.push_back(d);
  }
  return kept;
}

}  // namespace minidl
