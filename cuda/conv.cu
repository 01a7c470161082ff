// CUDA twins of core/cpu/conv.cpp. im2col: one thread per col element. col2im, the adjoint: one
// thread per dx element gathers the col entries that were read from it, in the CPU's (kh, kw)
// order, so no two threads write one place (no atomics) and the sums equal the CPU's.
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

}  // namespace minidl::cuda
