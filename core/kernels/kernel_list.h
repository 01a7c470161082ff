// The kernel contracts: every kernel that both devices implement, with its signature and its
// contract, written once. core/cpu/kernels.h declares them in namespace minidl::cpu and
// cuda/kernels.h in namespace minidl::cuda, each by expanding this list; a CUDA kernel takes
// device pointers wherever the contract says pointer. Kernels that one device alone has are
// declared beside that device's code (core/cpu/parallel.h, core/cpu/conv_*.h, cuda/runtime.h).
//
// Each entry is MINIDL_KERNEL(return type, name, (parameters)); the includer defines
// MINIDL_KERNEL, includes this file (inside a namespace, after core/kernel_types.h) and undefines
// it. There is no include guard on purpose. core/ops/op_util.cpp also expands the list into a
// table of every kernel's address on every device compiled in, so a kernel added here without a
// definition on one device fails the link (undefined reference to minidl::cpu::<name>, or to
// minidl::cuda::<name> in a CUDA build); a kernel defined on one device but not added here is
// not a contract and cannot be reached through MINIDL_DISPATCH on the other.
// Adding a kernel: docs/adding-an-op.md step 2. Internal.
#ifndef MINIDL_KERNEL
#error "define MINIDL_KERNEL(ret, name, params) before including core/kernels/kernel_list.h"
#endif

// ---- memory (core/cpu/copy.cpp, cuda/copy.cu) --------------------------------------------------
/// y[i] = value for i < n.
MINIDL_KERNEL(void, fill, (float* y, int64_t n, float value));
/// y (contiguous, shape lx.shape) = x read through lx's strides.
MINIDL_KERNEL(void, copy_strided, (const float* x, const Layout& lx, float* y));
/// Writes contiguous x (shape ly.shape) into y through ly's strides.
MINIDL_KERNEL(void, scatter_strided, (const float* x, float* y, const Layout& ly));

// ---- elementwise (elementwise.cpp, elementwise.cu; formulas in elementwise_math.h) -----------
/// y[i] = op(x[i]) for contiguous x, y of n elements (a, b: the op's scalars, see UnaryOp).
MINIDL_KERNEL(void, unary, (UnaryOp op, int64_t n, const float* x, float* y, float a, float b));
/// dx[i] = gy[i] * op'(x[i]) given the forward input x and output y.
MINIDL_KERNEL(void, unary_backward,
              (UnaryOp op, int64_t n, const float* x, const float* y, const float* gy, float* dx,
               float a, float b));
/// y (contiguous, shape out) = op(a, b), each read through its layout aligned to out.
MINIDL_KERNEL(void, binary,
              (BinaryOp op, const Layout& out, const float* a, const Layout& la, const float* b,
               const Layout& lb, float* y));
/// y = m != 0 ? a : b, with broadcasting as in binary().
MINIDL_KERNEL(void, where,
              (const Layout& out, const float* m, const Layout& lm, const float* a,
               const Layout& la, const float* b, const Layout& lb, float* y));

// ---- matrix products (gemm.cpp, gemm.cu) -------------------------------------------------------
/// C (M x N, row stride ldc) = alpha * op(A) op(B) + beta * C, row-major; op(A) is M x K
/// (A^T when transA), op(B) is K x N (B^T when transB). CPU: cblas_sgemm on OpenBLAS, cut into
/// blocks over minidl's threads. CUDA: cublasSgemm with the operands swapped (column-major).
MINIDL_KERNEL(void, gemm,
              (bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
               const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
               int64_t ldc));

// ---- reductions (reduce.cpp, reduce.cu) --------------------------------------------------------
/// y[m] = op over k of x[m * K + k], for a contiguous (M, K) x. Sums accumulate in double (on
/// CUDA in an order fixed by (M, K) alone, so deterministic). K == 0 gives 0 for Sum and is not
/// allowed for Max / Min. A NaN in a row makes its Max / Min NaN.
MINIDL_KERNEL(void, reduce_rows, (ReduceOp op, int64_t M, int64_t K, const float* x, float* y));
/// y[m] = the first k where x[m * K + k] is largest, or the first NaN's k (as a float); requires
/// K >= 1.
MINIDL_KERNEL(void, argmax_rows, (int64_t M, int64_t K, const float* x, float* y));

// ---- softmax (softmax.cpp, softmax.cu) ---------------------------------------------------------
/// x contiguous, viewed as (outer, K, inner); y = softmax (log_softmax when `log`) along K.
MINIDL_KERNEL(void, softmax,
              (int64_t outer, int64_t K, int64_t inner, const float* x, float* y, bool log));
/// dx for y = softmax(x) (or log_softmax when `log`) given gy; same view as softmax().
MINIDL_KERNEL(void, softmax_backward,
              (int64_t outer, int64_t K, int64_t inner, const float* y, const float* gy, float* dx,
               bool log));

// ---- convolution (CPU: conv.cpp dispatches to the conv_*.cpp paths; CUDA: conv.cu) -----------
/// col (C*KH*KW, OH*OW) from one image x (C, H, W), zero padding `pad`.
MINIDL_KERNEL(void, im2col,
              (const float* x, int64_t C, int64_t H, int64_t W, int64_t KH, int64_t KW,
               int64_t stride, int64_t pad, int64_t OH, int64_t OW, float* col));
/// dx (C, H, W) += the scatter of col (C*KH*KW, OH*OW): the adjoint of im2col (on CUDA a gather
/// per dx element, no atomics).
MINIDL_KERNEL(void, col2im,
              (const float* col, int64_t C, int64_t H, int64_t W, int64_t KH, int64_t KW,
               int64_t stride, int64_t pad, int64_t OH, int64_t OW, float* dx));
/// Floats of scratch memory conv2d_forward needs for p. CPU: depends on the path and the current
/// thread count. CUDA: one image's col matrix (0 for 1x1).
MINIDL_KERNEL(int64_t, conv2d_forward_workspace, (const ConvParams& p));
/// y (N, F, OH, OW) = the convolution of x (N, C, H, W) with W (F, K), plus b (F) when b is not
/// null; all contiguous. ws: conv2d_forward_workspace(p) floats (null when that is 0). CUDA: per
/// image, the bias, im2col and one cuBLAS gemm.
MINIDL_KERNEL(void, conv2d_forward,
              (const ConvParams& p, const float* x, const float* W, const float* b, float* y,
               float* ws));
/// Floats of scratch memory conv2d_backward needs for p and the gradients asked for (CUDA: one
/// image's col matrix when dx or dW is asked).
MINIDL_KERNEL(int64_t, conv2d_backward_workspace, (const ConvParams& p, bool dx, bool dW));
/// Given gy (N, F, OH, OW), writes (overwrites) each gradient whose pointer is not null:
/// dx (N, C, H, W), dW (F, K) and db (F). x and W as in conv2d_forward; ws:
/// conv2d_backward_workspace(p, dx != null, dW != null) floats. CUDA: dW is a gemm summed over
/// the batch in image order, db one block per filter with a fixed-order sum.
MINIDL_KERNEL(void, conv2d_backward,
              (const ConvParams& p, const float* x, const float* W, const float* gy, float* dx,
               float* dW, float* db, float* ws));

// ---- pooling (pool.cpp, pool.cu) ---------------------------------------------------------------
/// y (N, C, OH, OW) = max over each window of x (N, C, H, W); argmax (same shape as y) gets the
/// index h * W + w of the winner inside its (H, W) plane. Padded positions never win.
MINIDL_KERNEL(void, max_pool2d,
              (const float* x, int64_t N, int64_t C, int64_t H, int64_t W, int64_t kernel,
               int64_t stride, int64_t pad, int64_t OH, int64_t OW, float* y, int32_t* argmax));
/// dx (N, C, H, W) = 0, then dx[argmax] += gy for each output element, in the CPU's order on
/// both devices (CUDA uses no atomics: deterministic and equal to the CPU result).
MINIDL_KERNEL(void, max_pool2d_backward,
              (const float* gy, const int32_t* argmax, int64_t N, int64_t C, int64_t H, int64_t W,
               int64_t OH, int64_t OW, float* dx));

// ---- YOLOv1 loss (yolo_v1_loss.cpp, yolo_v1_loss.cu; per-cell math in yolo_v1_math.h) --------
/// pred (N, S, S, B*5+C), target (N, S, S, 5+C), both contiguous. Writes the five terms
/// terms[0..4] = xy, wh, obj, noobj, cls (each already divided by N) and dpred, the gradient of
/// their sum with respect to pred (the backward pass scales it by the incoming gradient). On CUDA
/// terms is a device pointer too, and the sums over cells are deterministic.
MINIDL_KERNEL(void, yolo_v1_loss,
              (const YoloV1Params& p, int64_t N, const float* pred, const float* target,
               float* terms, float* dpred));

// ---- optimizer updates (optim_update.cpp, optim_update.cu; rules in optim_math.h) -------------
/// One SGD step on n contiguous elements, in place (torch.optim.SGD, dampening 0):
///   d = g + weight_decay w;  momentum > 0: buf = momentum buf + d (buf starts at 0),
///   d = nesterov ? d + momentum buf : buf;  w -= lr d.  buf is not touched (may be null) when
/// momentum == 0. g is read only.
MINIDL_KERNEL(void, sgd_update,
              (const SgdStep& s, int64_t n, float* w, const float* g, float* buf));
/// One Adam / AdamW step on n contiguous elements, in place (m and v start at 0):
///   decoupled: w *= 1 - lr weight_decay, d = g;  else d = g + weight_decay w;
///   m = beta1 m + (1 - beta1) d;  v = beta2 v + (1 - beta2) d^2;
///   w -= step_size m / (sqrt(v) inv_sqrt_bc2 + eps).  g is read only.
MINIDL_KERNEL(void, adam_update,
              (const AdamStep& s, int64_t n, float* w, const float* g, float* m, float* v));
