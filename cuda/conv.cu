// CUDA twins of core/cpu/conv.cpp. im2col: one thread per col element. col2im, the adjoint: one
// thread per dx element gathers the col entries that were read from it, in the CPU's (kh, kw)
// order, so no two threads write one place (no atomics) and the sums equal the CPU's. The
// convolution itself: per image, im2col and one cuBLAS gemm (the CPU reference's loop).
#include "cuda/common.cuh"
#include "cuda/kernels.h"

namespace minidl::cuda {

namespace {

// col[r, p] = x[c, oh * stride - pad + kh, ow * stride - pad + kw] (0 in the padding), with
// r = (c * KH + kh) * KW + kw and p = oh * OW + ow: element i = r * P + p of col. I: the index type
// (int32_t when everything fits). Host-callable too, so it can be checked against the CPU there.
template <class I>
__host__ __device__ inline float im2col_at(I i, const float* x, I H, I W, I KH, I KW, I stride,
                                           I pad, I OH, I OW) {
  const I P = OH * OW;
  const I r = i / P, p = i % P;
  const I c = r / (KH * KW), kh = (r / KW) % KH, kw = r % KW;
  const I h = (p / OW) * stride - pad + kh, w = (p % OW) * stride - pad + kw;
  return (h >= 0 && h < H && w >= 0 && w < W) ? x[(c * H + h) * W + w] : 0.f;
}

template <class I>
__global__ void im2col_kernel(const float* x, I H, I W, I KH, I KW, I stride, I pad, I OH, I OW,
                              I total, float* col) {
  CUDA_GRID_LOOP(i, total) {
    col[i] = im2col_at(static_cast<I>(i), x, H, W, KH, KW, stride, pad, OH, OW);
  }
}

// dx[c, h, w] + the sum of col[((c * KH + kh) * KW + kw) * P + oh * OW + ow] over every (kh, kw)
// with h = oh * stride - pad + kh and w = ow * stride - pad + kw for an output position (oh, ow),
// added in (kh, kw) order; i = (c * H + h) * W + w. Host-callable too.
template <class I>
__host__ __device__ inline float col2im_at(I i, const float* col, I H, I W, I KH, I KW, I stride,
                                           I pad, I OH, I OW, float dx_i) {
  const I P = OH * OW;
  const I w = i % W, h = (i / W) % H, c = i / (H * W);
  float s = dx_i;
  for (I kh = 0; kh < KH; ++kh) {
    const I th = h + pad - kh;  // = oh * stride
    if (th < 0) break;          // only falls as kh grows
    if (th % stride != 0 || th / stride >= OH) continue;
    const float* row = col + ((c * KH + kh) * KW) * P + (th / stride) * OW;
    for (I kw = 0; kw < KW; ++kw) {
      const I tw = w + pad - kw;
      if (tw < 0) break;
      if (tw % stride != 0 || tw / stride >= OW) continue;
      s += row[kw * P + tw / stride];
    }
  }
  return s;
}

template <class I>
__global__ void col2im_kernel(const float* col, I H, I W, I KH, I KW, I stride, I pad, I OH, I OW,
                              I total, float* dx) {
  CUDA_GRID_LOOP(i, total) {
    dx[i] = col2im_at(static_cast<I>(i), col, H, W, KH, KW, stride, pad, OH, OW, dx[i]);
  }
}

// y_n[f, p] = b[f] for the F x P rows of one image.
__global__ void bias_rows_kernel(const float* b, int64_t F, int64_t P, float* y_n) {
  CUDA_GRID_LOOP(i, F * P) y_n[i] = b[i / P];
}

// db[f] = the sum of gy[n, f, p] over n and p: block f, each thread a strided part in double,
// then a tree in shared memory (a fixed order: the same result on every run).
__global__ void bias_grad_kernel(const float* gy, int64_t N, int64_t F, int64_t P, float* db) {
  __shared__ double part[kThreads];
  const int64_t f = blockIdx.x;
  double s = 0;
  for (int64_t i = threadIdx.x; i < N * P; i += blockDim.x) s += gy[((i / P) * F + f) * P + i % P];
  part[threadIdx.x] = s;
  __syncthreads();
  for (int half = blockDim.x / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) part[threadIdx.x] += part[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) db[f] = static_cast<float>(part[0]);
}

// Whether every index of this convolution fits 32-bit math (col and x planes included).
bool conv_fits_int32(int64_t C, int64_t H, int64_t W, int64_t KH, int64_t KW, int64_t OH,
                     int64_t OW, int64_t stride, int64_t pad) {
  return fits_int32(C * KH * KW * OH * OW) && fits_int32(C * H * W) &&
         fits_int32((OH + KH) * stride + pad) && fits_int32((OW + KW) * stride + pad) &&
         fits_int32(H + pad + KH) && fits_int32(W + pad + KW);
}

}  // namespace

void im2col(const float* x, int64_t C, int64_t H, int64_t W, int64_t KH, int64_t KW, int64_t stride,
            int64_t pad, int64_t OH, int64_t OW, float* col) {
  const int64_t total = C * KH * KW * OH * OW;
  if (total <= 0) return;
  if (conv_fits_int32(C, H, W, KH, KW, OH, OW, stride, pad))
    im2col_kernel<int32_t><<<blocks_for(total), kThreads, 0, stream()>>>(
        x, static_cast<int32_t>(H), static_cast<int32_t>(W), static_cast<int32_t>(KH),
        static_cast<int32_t>(KW), static_cast<int32_t>(stride), static_cast<int32_t>(pad),
        static_cast<int32_t>(OH), static_cast<int32_t>(OW), static_cast<int32_t>(total), col);
  else
    im2col_kernel<int64_t><<<blocks_for(total), kThreads, 0, stream()>>>(x, H, W, KH, KW, stride,
                                                                         pad, OH, OW, total, col);
  CUDA_CHECK_LAUNCH();
}

void col2im(const float* col, int64_t C, int64_t H, int64_t W, int64_t KH, int64_t KW,
            int64_t stride, int64_t pad, int64_t OH, int64_t OW, float* dx) {
  const int64_t total = C * H * W;
  if (total <= 0 || OH * OW <= 0) return;  // nothing to add
  if (conv_fits_int32(C, H, W, KH, KW, OH, OW, stride, pad))
    col2im_kernel<int32_t><<<blocks_for(total), kThreads, 0, stream()>>>(
        col, static_cast<int32_t>(H), static_cast<int32_t>(W), static_cast<int32_t>(KH),
        static_cast<int32_t>(KW), static_cast<int32_t>(stride), static_cast<int32_t>(pad),
        static_cast<int32_t>(OH), static_cast<int32_t>(OW), static_cast<int32_t>(total), dx);
  else
    col2im_kernel<int64_t><<<blocks_for(total), kThreads, 0, stream()>>>(col, H, W, KH, KW, stride,
                                                                         pad, OH, OW, total, dx);
  CUDA_CHECK_LAUNCH();
}

int64_t conv2d_forward_workspace(const ConvParams& g) { return g.is_1x1() ? 0 : g.K() * g.P(); }

void conv2d_forward(const ConvParams& g, const float* x, const float* W, const float* b, float* y,
                    float* ws) {
  const int64_t F = g.F, K = g.K(), P = g.P(), xsize = g.C * g.H * g.W;
  if (F * P == 0) return;
  for (int64_t n = 0; n < g.N; ++n) {
    const float* x_n = x + n * xsize;
    float* y_n = y + n * F * P;
    if (b) {
      bias_rows_kernel<<<blocks_for(F * P), kThreads, 0, stream()>>>(b, F, P, y_n);
      CUDA_CHECK_LAUNCH();
    }
    const float* col = x_n;
    if (!g.is_1x1()) {
      im2col(x_n, g.C, g.H, g.W, g.KH, g.KW, g.stride, g.pad, g.OH, g.OW, ws);
      col = ws;
    }
    gemm(false, false, F, P, K, 1.f, W, K, col, P, b ? 1.f : 0.f, y_n, P);
  }
}

int64_t conv2d_backward_workspace(const ConvParams& g, bool dx, bool dW) {
  return (dx || dW) && !g.is_1x1() ? g.K() * g.P() : 0;
}

void conv2d_backward(const ConvParams& g, const float* x, const float* W, const float* gy,
                     float* dx, float* dW, float* db, float* ws) {
  const int64_t N = g.N, F = g.F, K = g.K(), P = g.P(), xsize = g.C * g.H * g.W;
  if (db && F > 0) {
    bias_grad_kernel<<<static_cast<unsigned>(F), kThreads, 0, stream()>>>(gy, N, F, P, db);
    CUDA_CHECK_LAUNCH();
  }
  if (dW && (N == 0 || P == 0)) fill(dW, F * K, 0.f);
  if (dx) fill(dx, N * xsize, 0.f);  // col2im adds into it
  for (int64_t n = 0; n < N && P > 0; ++n) {
    const float* x_n = x + n * xsize;
    const float* gy_n = gy + n * F * P;
    if (dW) {  // dW (+)= gy_n col_n^T
      const float* col = x_n;
      if (!g.is_1x1()) {
        im2col(x_n, g.C, g.H, g.W, g.KH, g.KW, g.stride, g.pad, g.OH, g.OW, ws);
        col = ws;
      }
      gemm(false, true, F, K, P, 1.f, gy_n, P, col, P, n == 0 ? 0.f : 1.f, dW, K);
    }
    if (dx) {  // dx_n = col2im(W^T gy_n)
      float* dx_n = dx + n * xsize;
      gemm(true, false, K, P, F, 1.f, W, K, gy_n, P, 0.f, g.is_1x1() ? dx_n : ws, P);
      if (!g.is_1x1()) col2im(ws, g.C, g.H, g.W, g.KH, g.KW, g.stride, g.pad, g.OH, g.OW, dx_n);
    }
  }
}

}  // namespace minidl::cuda
