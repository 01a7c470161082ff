// CPU kernel of the fused YOLOv1 loss: the per-cell math of yolo_v1_math.h over every cell, with
// the terms summed in double in a fixed order (deterministic).
#include <vector>

#include "core/cpu/kernels.h"
#include "core/cpu/parallel.h"
#include "core/kernels/yolo_v1_math.h"

namespace minidl::cpu {

void yolo_v1_loss(const YoloV1Params& P, int64_t N, const float* pred, const float* target,
                  float* terms, float* dpred) {
  const int64_t cells = N * P.S * P.S, pd = 5 * P.B + P.C, td = 5 + P.C;
  std::vector<float> part(cells * 5);
  parallel_for(cells, 256, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      int i = static_cast<int>((k / P.S) % P.S), j = static_cast<int>(k % P.S);
      yolo_v1_cell(P, i, j, pred + k * pd, target + k * td, 1.f / static_cast<float>(N),
                   part.data() + k * 5, dpred + k * pd);
    }
  });
  for (int q = 0; q < 5; ++q) {
    double s = 0;
    for (int64_t k = 0; k < cells; ++k) s += part[k * 5 + q];
    terms[q] = static_cast<float>(s);
  }
}

}  // namespace minidl::cpu
