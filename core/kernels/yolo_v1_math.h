// The YOLOv1 loss for one grid cell, and box IoU: plain inline math shared by the CPU kernel,
// its CUDA twin (compiled __host__ __device__), the decoder and NMS, so they cannot disagree.
// Every gradient here is derived in docs/yolo_v1_loss.md (section numbers in the comments).
#pragma once

#include <cmath>

#include "core/kernel_types.h"
#include "core/kernels/host_device.h"

namespace minidl {

/// IoU of two centre-size boxes (cx, cy, w, h). Negative sizes count as 0; the union is floored
/// at 1e-12, so the result is finite and in [0, 1] for finite inputs.
MINIDL_HD inline float box_iou_raw(float ax, float ay, float aw, float ah, float bx, float by,
                                   float bw, float bh) {
  aw = aw > 0.f ? aw : 0.f;
  ah = ah > 0.f ? ah : 0.f;
  bw = bw > 0.f ? bw : 0.f;
  bh = bh > 0.f ? bh : 0.f;
  float left = fmaxf(ax - aw / 2, bx - bw / 2), right = fminf(ax + aw / 2, bx + bw / 2);
  float top = fmaxf(ay - ah / 2, by - bh / 2), bottom = fminf(ay + ah / 2, by + bh / 2);
  float iw = right - left, ih = bottom - top;
  float inter = (iw > 0.f && ih > 0.f) ? iw * ih : 0.f;
  float uni = aw * ah + bw * bh - inter;
  return inter / (uni > 1e-12f ? uni : 1e-12f);
}

/// Loss terms of cell (i, j) (row i, column j) and the gradient of their sum.
/// p: the cell's B*5 + C predictions; t: its 5 + C targets; scale: 1/N.
/// Writes term[0..4] = (xy, wh, obj, noobj, cls) of this cell, already scaled, and dp[0..B*5+C).
MINIDL_HD inline void yolo_v1_cell(const YoloV1Params& P, int i, int j, const float* p,
                                   const float* t, float scale, float* term, float* dp) {
  const int B = P.B, C = P.C;
  const float S = static_cast<float>(P.S);
  for (int k = 0; k < 5; ++k) term[k] = 0.f;
  for (int k = 0; k < 5 * B + C; ++k) dp[k] = 0.f;

  if (!(t[4] > 0.5f)) {  // no object: every predictor's confidence is pushed to 0   (§5 noobj)
    for (int b = 0; b < B; ++b) {
      float c = p[5 * b + 4];
      term[3] += P.lambda_noobj * c * c * scale;
      dp[5 * b + 4] = 2.f * P.lambda_noobj * c * scale;
    }
    return;
  }

  // The responsible predictor: highest IoU with the target in image coordinates, lowest index on
  // ties; when every IoU is 0, the smallest squared distance of (x/S, y/S, w, h)   (§2).
  const float tx = t[0], ty = t[1], tw = t[2], th = t[3];
  const float tcx = (j + tx) / S, tcy = (i + ty) / S;
  int r = 0, r_near = 0;
  float best_iou = 0.f, best_dist = INFINITY;
  for (int b = 0; b < B; ++b) {
    const float* q = p + 5 * b;
    float w = P.sqrt_wh ? q[2] * q[2] : q[2], h = P.sqrt_wh ? q[3] * q[3] : q[3];
    float iou = box_iou_raw((j + q[0]) / S, (i + q[1]) / S, w, h, tcx, tcy, tw, th);
    if (iou > best_iou) best_iou = iou, r = b;
    float dx = (q[0] - tx) / S, dy = (q[1] - ty) / S, dw = w - tw, dh = h - th;
    float dist = dx * dx + dy * dy + dw * dw + dh * dh;
    if (dist < best_dist) best_dist = dist, r_near = b;
  }
  if (best_iou <= 0.f) r = r_near;
  const float* q = p + 5 * r;
  float* dq = dp + 5 * r;

  // xy: λ_coord [(x - x̂)² + (y - ŷ)²]; d/dx = 2 λ_coord (x - x̂)   (§3)
  float ex = q[0] - tx, ey = q[1] - ty;
  term[0] = P.lambda_coord * (ex * ex + ey * ey) * scale;
  dq[0] = 2.f * P.lambda_coord * ex * scale;
  dq[1] = 2.f * P.lambda_coord * ey * scale;

  // wh: λ_coord [(√w - √ŵ)² + (√h - √ĥ)²]   (§4)
  for (int k = 2; k < 4; ++k) {
    float target = t[k] > 0.f ? t[k] : 0.f;
    if (P.sqrt_wh) {  // the head output u is √w itself: d/du = 2 λ (u - √ŵ)
      float e = q[k] - sqrtf(target);
      term[1] += P.lambda_coord * e * e * scale;
      dq[k] = 2.f * P.lambda_coord * e * scale;
    } else {  // u = sqrt(max(v, 0) + 1e-6): d/dv = 2 λ (u - û) · 1/(2u) where v > 0, else 0
      float u = sqrtf((q[k] > 0.f ? q[k] : 0.f) + 1e-6f), ut = sqrtf(target + 1e-6f);
      float e = u - ut;
      term[1] += P.lambda_coord * e * e * scale;
      dq[k] = q[k] > 0.f ? P.lambda_coord * e / u * scale : 0.f;
    }
  }

  // obj: λ_obj (c - IoU)² with IoU a constant (rescore), else (c - 1)²   (§5)
  float eo = q[4] - (P.rescore ? best_iou : 1.f);
  term[2] = P.lambda_obj * eo * eo * scale;
  dq[4] = 2.f * P.lambda_obj * eo * scale;

  // noobj for the other predictors of this cell   (§5)
  for (int b = 0; b < B; ++b) {
    if (b == r) continue;
    float c = p[5 * b + 4];
    term[3] += P.lambda_noobj * c * c * scale;
    dp[5 * b + 4] = 2.f * P.lambda_noobj * c * scale;
  }

  // classes   (§6)
  const float* z = p + 5 * B;
  const float* y = t + 5;
  float* dz = dp + 5 * B;
  if (!P.softmax_ce) {  // SSE: λ_class Σ (p - p̂)²; d/dp = 2 λ_class (p - p̂)
    for (int c = 0; c < C; ++c) {
      float e = z[c] - y[c];
      term[4] += P.lambda_class * e * e * scale;
      dz[c] = 2.f * P.lambda_class * e * scale;
    }
  } else {  // -λ_class Σ y log softmax(z); d/dz = λ_class (softmax(z) Σy - y)
    float m = z[0], ysum = 0.f, se = 0.f;
    for (int c = 1; c < C; ++c) m = fmaxf(m, z[c]);
    for (int c = 0; c < C; ++c) se += expf(z[c] - m), ysum += y[c];
    float lse = m + logf(se);
    for (int c = 0; c < C; ++c) {
      term[4] -= P.lambda_class * y[c] * (z[c] - lse) * scale;
      dz[c] = P.lambda_class * (expf(z[c] - lse) * ysum - y[c]) * scale;
    }
  }
}

}  // namespace minidl
