// Tests for core/ops/linalg: matmul (2-D, batched, batched times shared) and linear.
// Hand-computed forward and backward values, a naive triple loop as reference for the strided
// layouts handed to gemm without copies, gradient checks, empty sizes, and error messages.
#include "support/op_cases.h"

using namespace minidl;
using namespace minidl::test;

namespace {

// Reference product by loops: y[b] = a[b] @ bm[b] (bm[0] for every b when b_shared), row-major.
std::vector<float> naive_bmm(const std::vector<float>& a, const std::vector<float>& bm, int64_t nb,
                             int64_t M, int64_t K, int64_t N, bool b_shared) {
  std::vector<float> y(nb * M * N, 0.f);
  for (int64_t b = 0; b < nb; ++b)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) {
        double s = 0;
        for (int64_t k = 0; k < K; ++k)
          s += double(a[(b * M + m) * K + k]) * bm[((b_shared ? 0 : b) * K + k) * N + n];
        y[(b * M + m) * N + n] = float(s);
      }
  return y;
}

}  // namespace

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

TEST_CASE("linalg: matmul of strided layouts matches a naive loop", "[linalg]") {
  const int64_t nb = 2, M = 3, K = 4, N = 5;
  auto check = [&](const Tensor& a, const Tensor& b) {
    bool shared = b.dim() == 2;
    std::vector<float> want =
        naive_bmm(a.to_vector(), b.to_vector(), a.dim() == 3 ? nb : 1, M, K, N, shared);
    Shape out = a.dim() == 3 ? Shape{nb, M, N} : Shape{M, N};
    CHECK_CLOSE(matmul(a, b), want, out);
  };
  SECTION("2-D: transposed A, transposed B, both") {
    check(R({K, M}, 1, false).transpose(0, 1), R({K, N}, 2, false));
    check(R({M, K}, 3, false), R({N, K}, 4, false).transpose(0, 1));
    check(R({K, M}, 5, false).transpose(0, 1), R({N, K}, 6, false).transpose(0, 1));
  }
  SECTION("2-D: every other column (copied) and every other row (leading dimension 2N)") {
    check(slice(R({M, 2 * K}, 7, false), 1, 0, 2 * K, 2),
          slice(R({2 * K, N}, 8, false), 0, 0, 2 * K, 2));
  }
  SECTION("3-D @ 3-D: transposed matrices, broadcast batch") {
    check(R({nb, K, M}, 9, false).transpose(1, 2), expand(R({1, K, N}, 10, false), {nb, K, N}));
    check(expand(R({1, M, K}, 11, false), {nb, M, K}), R({nb, N, K}, 12, false).transpose(1, 2));
  }
  SECTION("3-D @ 2-D: contiguous (one gemm), permuted and transposed (one gemm per batch)") {
    check(R({nb, M, K}, 13, false), R({K, N}, 14, false));
    check(R({M, nb, K}, 15, false).permute({1, 0, 2}), R({N, K}, 16, false).transpose(0, 1));
    check(R({nb, K, M}, 17, false).transpose(1, 2), R({K, N}, 18, false));
  }
}

TEST_CASE("linalg: matmul with empty sizes", "[linalg]") {
  // K = 0: an empty sum, so (2, 0) @ (0, 3) is all zeros
  CHECK_CLOSE(matmul(zeros({2, 0}), zeros({0, 3})), std::vector<float>(6, 0.f), {2, 3});
  // B = 0 batches of (2, 3) @ shared (3, 4): the result is empty and dB, a sum over no batch, is 0
  Tensor A = zeros({0, 2, 3}).requires_grad_(), B = ones({3, 4}).requires_grad_();
  Tensor y = matmul(A, B);
  CHECK(y.shape() == Shape{0, 2, 4});
  y.backward(zeros({0, 2, 4}));
  CHECK_CLOSE(B.grad(), std::vector<float>(12, 0.f), {3, 4});
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

TEST_CASE("linalg: gradcheck", "[linalg]") {
  using V = std::vector<Tensor>;
  auto mm = [](const V& x) { return matmul(x[0], x[1]); };
  // One row per case reads as a table:
  // clang-format off
  run_gradcheck_table({
      {"matmul (3, 4) @ (4, 2)", {{3, 4}, {4, 2}}, mm},
      {"matmul (2, 3, 4) @ (2, 4, 5)", {{2, 3, 4}, {2, 4, 5}}, mm},
      {"matmul (2, 3, 4) @ (4, 5) shared", {{2, 3, 4}, {4, 5}}, mm},
      {"matmul (1, 3) @ (3, 1)", {{1, 3}, {3, 1}}, mm},
      {"matmul (3, 1, 4) @ (4, 2) shared, one row per batch", {{3, 1, 4}, {4, 2}}, mm},
      {"matmul (2, 3, 1) @ (1, 4) shared, inner size 1", {{2, 3, 1}, {1, 4}}, mm},
      // one row per batch with a batch stride unlike the row stride, and a strided gradient
      {"matmul shared, one row per batch sliced from (3, 2, 4)", {{3, 2, 4}, {4, 2}},
       [](const V& x) { return matmul(slice(x[0], 1, 1, 2), x[1]); }},
      {"matmul shared, one row per batch, output transposed", {{3, 2, 4}, {4, 2}},
       [](const V& x) { return matmul(slice(x[0], 1, 0, 1), x[1]).transpose(0, 2); }},
      // transposed operands go to gemm as flags; step-2 slices are copied
      {"matmul A^T @ B", {{4, 3}, {4, 2}},
       [](const V& x) { return matmul(x[0].transpose(0, 1), x[1]); }},
      {"matmul A @ B^T", {{3, 4}, {2, 4}},
       [](const V& x) { return matmul(x[0], x[1].transpose(0, 1)); }},
      {"matmul A^T @ B^T", {{4, 3}, {2, 4}},
       [](const V& x) { return matmul(x[0].transpose(0, 1), x[1].transpose(0, 1)); }},
      {"matmul of step-2 slices", {{3, 8}, {8, 2}},
       [](const V& x) { return matmul(slice(x[0], 1, 0, 8, 2), slice(x[1], 0, 1, 8, 2)); }},
      {"matmul (x, x)", {{3, 3}}, [](const V& x) { return matmul(x[0], x[0]); }},
      {"matmul batched, transposed A and broadcast batch of B", {{2, 4, 3}, {1, 4, 5}},
       [](const V& x) { return matmul(x[0].transpose(1, 2), expand(x[1], {2, 4, 5})); }},
      {"matmul shared, permuted A (one gemm per batch)", {{3, 2, 4}, {4, 5}},
       [](const V& x) { return matmul(x[0].permute({1, 0, 2}), x[1]); }},
      {"matmul shared, transposed A and B", {{2, 4, 3}, {5, 4}},
       [](const V& x) { return matmul(x[0].transpose(1, 2), x[1].transpose(0, 1)); }},
      // linear: bias broadcast over rows, with and without bias, transposed x and W
      {"linear (3, 4) (2, 4) (2)", {{3, 4}, {2, 4}, {2}},
       [](const V& x) { return linear(x[0], x[1], x[2]); }},
      {"linear without bias", {{3, 4}, {2, 4}}, [](const V& x) { return linear(x[0], x[1]); }},
      {"linear with transposed x and W", {{4, 3}, {4, 2}, {2}},
       [](const V& x) { return linear(x[0].transpose(0, 1), x[1].transpose(0, 1), x[2]); }},
      {"linear then sigmoid", {{2, 3}, {4, 3}, {4}},
       [](const V& x) { return sigmoid(linear(x[0], x[1], x[2])); }},
  });
  // clang-format on
}

TEST_CASE("linalg: errors name the op and both shapes", "[linalg]") {
  Tensor a23 = zeros({2, 3}), a45 = zeros({4, 5}), v3 = zeros({3});
  CHECK_THROWS_WITH(matmul(a23, a45), Catch::Contains("matmul") && Catch::Contains("(2, 3)") &&
                                          Catch::Contains("(4, 5)") &&
                                          Catch::Contains("inner sizes 3 vs 4"));
  CHECK_THROWS_WITH(matmul(v3, a23), Catch::Contains("matmul") && Catch::Contains("(3)") &&
                                         Catch::Contains("(2, 3)"));
  CHECK_THROWS_WITH(matmul(a23, zeros({2, 3, 4})), Catch::Contains("matmul") &&
                                                       Catch::Contains("(2, 3)") &&
                                                       Catch::Contains("(2, 3, 4)"));
  CHECK_THROWS_WITH(matmul(zeros({2, 3, 4}), zeros({5, 4, 6})),
                    Catch::Contains("matmul") && Catch::Contains("(2, 3, 4)") &&
                        Catch::Contains("(5, 4, 6)") && Catch::Contains("batch sizes 2 vs 5"));
  CHECK_THROWS_WITH(matmul(zeros({2, 3, 4}), zeros({5, 6})),
                    Catch::Contains("matmul") && Catch::Contains("inner sizes 4 vs 5"));
  CHECK_THROWS_WITH(matmul(Tensor(), a23), Catch::Contains("matmul"));

  CHECK_THROWS_WITH(linear(a23, zeros({4, 5})), Catch::Contains("linear") &&
                                                    Catch::Contains("(2, 3)") &&
                                                    Catch::Contains("(4, 5)"));
  CHECK_THROWS_WITH(linear(v3, a23), Catch::Contains("linear") && Catch::Contains("(3)") &&
                                         Catch::Contains("(2, 3)"));
  CHECK_THROWS_WITH(linear(a23, zeros({4, 3}), zeros({3})),
                    Catch::Contains("linear") && Catch::Contains("(3)") &&
                        Catch::Contains("(4, 3)") && Catch::Contains("expected (4)"));
  CHECK_THROWS_WITH(linear(a23, Tensor()), Catch::Contains("linear"));
}
