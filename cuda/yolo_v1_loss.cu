// CUDA twin of core/cpu/yolo_v1_loss.cpp: one thread per grid cell runs the shared per-cell math
// (core/kernels/yolo_v1_math.h, compiled __host__ __device__ here), then one block sums each of the
// five terms over the cells in double, in a fixed order (deterministic).
#include "core/kernels/yolo_v1_math.h"
#include "cuda/kernels.h"
#include "cuda/reduce.cuh"

namespace minidl::cuda {

namespace {

// part[k * 5 + q]: term q of cell k; dpred: the gradient, cell by cell.
__global__ void yolo_v1_cells_kernel(YoloV1Params P, int64_t cells, float scale, const float* pred,
                                     const float* target, float* part, float* dpred) {
  const int64_t pd = 5 * P.B + P.C, td = 5 + P.C;
  CUDA_GRID_LOOP(k, cells) {
    const int i = static_cast<int>((k / P.S) % P.S), j = static_cast<int>(k % P.S);
    yolo_v1_cell(P, i, j, pred + k * pd, target + k * td, scale, part + k * 5, dpred + k * pd);
  }
}

// terms[q] = sum over cells of part[k * 5 + q], one block: thread t sums cells t, t + blockDim, ...
// and block_sum combines the threads in a fixed tree.
__global__ void yolo_v1_sum_kernel(int64_t cells, const float* part, float* terms) {
  for (int q = 0; q < 5; ++q) {
    double s = 0;
    for (int64_t k = threadIdx.x; k < cells; k += blockDim.x) s += part[k * 5 + q];
    s = block_sum(s);
    if (threadIdx.x == 0) terms[q] = static_cast<float>(s);
  }
}

}  // namespace

void yolo_v1_loss(const YoloV1Params& p, int64_t N, const float* pred, const float* target,
                  float* terms, float* dpred) {
  const int64_t cells = N * p.S * p.S;
  if (cells <= 0) {  // no cell: every term is 0
    fill(terms, 5, 0.f);
    return;
  }
  Scratch part(static_cast<std::size_t>(cells) * 5 * sizeof(float));  // (cells, 5)
  yolo_v1_cells_kernel<<<blocks_for(cells, 128), 128, 0, stream()>>>(
      p, cells, 1.f / static_cast<float>(N), pred, target, part.as<float>(), dpred);
  CUDA_CHECK_LAUNCH();
  yolo_v1_sum_kernel<<<1, 1024, 0, stream()>>>(cells, part.as<float>(), terms);
  CUDA_CHECK_LAUNCH();
}

}  // namespace minidl::cuda
