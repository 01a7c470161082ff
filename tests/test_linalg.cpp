// Tests for core/ops/linalg: matmul (2-D, batched, batched times shared) and linear, forward and
// backward by hand. The reference check of every layout handed to gemm, gradcheck, empty sizes,
// NaN and bad arguments are rows of the op table (tests/ops/rows_linalg.cpp).
#include "support/helpers.h"

using namespace minidl;
using namespace minidl::test;

TEST_CASE("linalg: matmul (M, K) @ (K, N) by hand", "[linalg]") {
  Tensor A = T({1, 2, 3, 4, 5, 6}, {2, 3}, true);
  Tensor B = T({7, 8, 9, 10, 11, 12}, {3, 2}, true);
  // [1 2 3] . columns (7 9 11), (8 10 12): 7 + 18 + 33 = 58, 8 + 20 + 36 = 64
  // [4 5 6] . the same:                   28 + 45 + 66 = 139, 32 + 50 + 72 = 154
  Tensor y = matmul(A, B);
  CHECK_CLOSE(y, {58, 64, 139, 154}, {2, 2});
  // gY = ones: dA = gY B^T, each row = row sums of B = (7+8, 9+10, 11+12) = (15, 19, 23);
  // dB = A^T gY, each row k = column sum of A = (1+4, 2+5, 3+6) = (5, 7, 9), repeated over N
  sum(y).backward();
  CHECK_CLOSE(A.grad(), {15, 19, 23, 15, 19, 23}, {2, 3});
  CHECK_CLOSE(B.grad(), {5, 5, 7, 7, 9, 9}, {3, 2});
}

TEST_CASE("linalg: matmul of transposed views gives the same product", "[linalg]") {
  // A = [[1 2 3], [4 5 6]] stored as its transpose; B = [[7 8], [9 10], [11 12]] likewise
  Tensor At = T({1, 4, 2, 5, 3, 6}, {3, 2}, true);
  Tensor Bt = T({7, 9, 11, 8, 10, 12}, {2, 3}, true);
  Tensor A = At.transpose(0, 1), B = Bt.transpose(0, 1);
  REQUIRE_FALSE(A.is_contiguous());
  REQUIRE_FALSE(B.is_contiguous());
  Tensor A2 = T({1, 2, 3, 4, 5, 6}, {2, 3}), B2 = T({7, 8, 9, 10, 11, 12}, {3, 2});
  CHECK_CLOSE(matmul(A, B2), {58, 64, 139, 154}, {2, 2});  // as in the test above
  CHECK_CLOSE(matmul(A2, B), {58, 64, 139, 154}, {2, 2});
  Tensor y = matmul(A, B);
  CHECK_CLOSE(y, {58, 64, 139, 154}, {2, 2});
  // the gradients reach the stored tensors transposed back: dA^T = (15 15, 19 19, 23 23),
  // dB^T = (5 7 9, 5 7 9)
  sum(y).backward();
  CHECK_CLOSE(At.grad(), {15, 15, 19, 19, 23, 23}, {3, 2});
  CHECK_CLOSE(Bt.grad(), {5, 7, 9, 5, 7, 9}, {2, 3});
}

TEST_CASE("linalg: matmul (B, M, K) @ (B, K, N) by hand", "[linalg]") {
  Tensor A = T({1, 2, 3, 4}, {2, 1, 2}, true);  // [[1 2]], [[3 4]]
  Tensor B = T({5, 6, 7, 8}, {2, 2, 1}, true);  // [[5] [6]], [[7] [8]]
  Tensor y = matmul(A, B);
  CHECK_CLOSE(y, {17, 53}, {2, 1, 1});  // 1*5 + 2*6 = 17; 3*7 + 4*8 = 53
  // gY = (1, 10): dA[b] = gY[b] B[b]^T = (5 6), 10 * (7 8) = (70 80);
  //               dB[b] = A[b]^T gY[b] = (1 2)^T, 10 * (3 4)^T = (30 40)^T
  y.backward(T({1, 10}, {2, 1, 1}));
  CHECK_CLOSE(A.grad(), {5, 6, 70, 80}, {2, 1, 2});
  CHECK_CLOSE(B.grad(), {1, 2, 30, 40}, {2, 2, 1});
}

TEST_CASE("linalg: matmul (B, M, K) @ (K, N) by hand", "[linalg]") {
  Tensor A = T({1, 0, 0, 1, 1, 2, 3, 4}, {2, 2, 2}, true);  // I, [[1 2] [3 4]]
  Tensor B = T({1, 2, 3, 4}, {2, 2}, true);                 // [[1 2] [3 4]]
  Tensor y = matmul(A, B);
  // I B = B; [[1 2] [3 4]]^2 = [[1+6, 2+8], [3+12, 6+16]] = [[7 10] [15 22]]
  CHECK_CLOSE(y, {1, 2, 3, 4, 7, 10, 15, 22}, {2, 2, 2});
  // gY = ones: dA[b] = ones B^T, every row = row sums of B = (1+2, 3+4) = (3, 7);
  // dB = sum_b A[b]^T ones: row k = column sums of A[b] over b: I gives (1, 1), the other
  // (1+3, 2+4) = (4, 6); so dB = [[1+4, 1+4], [1+6, 1+6]] = [[5 5] [7 7]]
  sum(y).backward();
  CHECK_CLOSE(A.grad(), {3, 7, 3, 7, 3, 7, 3, 7}, {2, 2, 2});
  CHECK_CLOSE(B.grad(), {5, 5, 7, 7}, {2, 2});
}

TEST_CASE("linalg: linear by hand", "[linalg]") {
  Tensor x = T({1, 2, 3, 4, 5, 6}, {2, 3}, true);
  Tensor W = T({1, 0, -1, 0.5f, 0.5f, 0.5f}, {2, 3}, true);  // (out 2, in 3)
  Tensor b = T({10, -1}, {2}, true);
  // x W^T: row (1 2 3): 1 - 3 = -2, 0.5 (1+2+3) = 3; row (4 5 6): 4 - 6 = -2, 0.5 * 15 = 7.5
  CHECK_CLOSE(linear(x, W), {-2, 3, -2, 7.5f}, {2, 2});
  // + b = (10, -1): (8, 2), (8, 6.5)
  Tensor y = linear(x, W, b);
  CHECK_CLOSE(y, {8, 2, 8, 6.5f}, {2, 2});
  // gY = ones: dx = gY W, each row = column sums of W = (1.5, 0.5, -0.5);
  // dW = gY^T x, each row = column sums of x = (5, 7, 9); db = row count = (2, 2)
  sum(y).backward();
  CHECK_CLOSE(x.grad(), {1.5f, 0.5f, -0.5f, 1.5f, 0.5f, -0.5f}, {2, 3});
  CHECK_CLOSE(W.grad(), {5, 7, 9, 5, 7, 9}, {2, 3});
  CHECK_CLOSE(b.grad(), {2, 2}, {2});
}

TEST_CASE("linalg: linear with a transposed weight", "[linalg]") {
  // W stored as (in, out) and viewed as (out, in): the same W as above
  Tensor Wt = T({1, 0.5f, 0, 0.5f, -1, 0.5f}, {3, 2});
  Tensor x = T({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK_CLOSE(linear(x, Wt.transpose(0, 1), T({10, -1}, {2})), {8, 2, 8, 6.5f}, {2, 2});
}
