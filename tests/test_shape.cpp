// Tests of the shape ops: reshape/view/flatten, slice/select, transpose/permute, squeeze/unsqueeze,
// expand, contiguous, concat and stack. Forward values are hand-computed; views must share storage
// (writes through a view reach the base). Each op's reference check on random inputs, gradcheck,
// edge shapes and bad arguments are rows of the op table (tests/ops/rows_shape.cpp).
#include "support/helpers.h"

using namespace minidl;
using namespace minidl::test;
using Catch::Contains;

namespace {
Tensor x23() { return arange(0, 6).reshape({2, 3}); }  // [[0, 1, 2], [3, 4, 5]]
}  // namespace

TEST_CASE("shape: reshape keeps row-major order and infers -1", "[shape]") {
  Tensor x = x23();
  Tensor r = x.reshape({3, 2});
  CHECK_CLOSE(r, {0, 1, 2, 3, 4, 5}, {3, 2});
  CHECK(r.storage() == x.storage());  // contiguous input: a view
  CHECK(reshape(x, {-1}).shape() == Shape{6});
  CHECK(reshape(x, {3, -1}).shape() == Shape{3, 2});
  CHECK(reshape(x, {-1, 2, 1}).shape() == Shape{3, 2, 1});
  CHECK(reshape(x, {2, 3}).is_same(x));
  CHECK_THROWS_WITH(x.reshape({4}), Contains("reshape") && Contains("(2, 3)") && Contains("(4)"));
  CHECK_THROWS_WITH(x.reshape({-1, -1}), Contains("reshape") && Contains("-1"));
  CHECK_THROWS_WITH(x.reshape({-1, 4}),
                    Contains("reshape") && Contains("(2, 3)") && Contains("(-1, 4)"));
}

TEST_CASE("shape: reshape of a non-contiguous tensor copies", "[shape]") {
  Tensor t = x23().transpose(0, 1);  // [[0, 3], [1, 4], [2, 5]]
  Tensor r = t.reshape({6});
  CHECK_CLOSE(r, {0, 3, 1, 4, 2, 5}, {6});
  CHECK(r.storage() != t.storage());
  CHECK_CLOSE(t.reshape({2, 3}), {0, 3, 1, 4, 2, 5}, {2, 3});
}

TEST_CASE("shape: view shares storage and refuses non-contiguous input", "[shape]") {
  Tensor x = x23();
  Tensor v = x.view({3, 2});
  CHECK(v.storage() == x.storage());
  CHECK_CLOSE(v, {0, 1, 2, 3, 4, 5}, {3, 2});
  CHECK(view(x, {-1}).shape() == Shape{6});
  CHECK_THROWS_WITH(x.transpose(0, 1).view({6}), Contains("view") && Contains("not contiguous"));
  CHECK_THROWS_WITH(x.view({5}), Contains("view") && Contains("(2, 3)"));
  // a contiguous slice with an offset views fine: row 1 = [3, 4, 5]
  CHECK_CLOSE(x.slice(0, 1, 2).view({3}), {3, 4, 5}, {3});
}

TEST_CASE("shape: flatten", "[shape]") {
  Tensor z = arange(0, 24).reshape({2, 3, 4});
  CHECK(z.flatten().shape() == Shape{24});
  CHECK(z.flatten(1).shape() == Shape{2, 12});
  CHECK(z.flatten(0, 1).shape() == Shape{6, 4});
  CHECK(flatten(z, -2, -1).shape() == Shape{2, 12});
  CHECK(scalar(3.f).flatten().shape() == Shape{1});
  CHECK_CLOSE(z.transpose(0, 2).flatten(1).select(0, 1), {1, 13, 5, 17, 9, 21}, {6});  // z[j,k,1]
  CHECK_THROWS_WITH(z.flatten(2, 1), Contains("flatten") && Contains("(2, 3, 4)"));
  CHECK_THROWS_WITH(z.flatten(3), Contains("flatten") && Contains("(2, 3, 4)"));
}

TEST_CASE("shape: slice with steps, negative indices and empty results", "[shape]") {
  Tensor a = arange(0, 10);
  CHECK_CLOSE(a.slice(0, 2, 8, 3), {2, 5}, {2});  // 2, 5 (8 is excluded)
  CHECK_CLOSE(a.slice(0, -3, 10), {7, 8, 9}, {3});
  CHECK_CLOSE(a.slice(0, 0, -7), {0, 1, 2}, {3});
  CHECK_CLOSE(a.slice(0, 7, 100, 2), {7, 9}, {2});  // end clamped to 10
  CHECK(a.slice(0, -100, 100).numel() == 10);
  CHECK(a.slice(0, 5, 2).shape() == Shape{0});
  CHECK(a.slice(0, 3, 3).shape() == Shape{0});
  CHECK(a.slice(0, 20, 30).shape() == Shape{0});
  CHECK_THROWS_WITH(a.slice(0, 0, 5, 0), Contains("slice") && Contains("step"));
  CHECK_THROWS_WITH(a.slice(1, 0, 5), Contains("slice") && Contains("(10)"));
  Tensor x = x23();
  Tensor s = x.slice(1, 1, 3);  // [[1, 2], [4, 5]]
  CHECK_CLOSE(s, {1, 2, 4, 5}, {2, 2});
  CHECK(s.strides() == Shape{3, 1});
  CHECK(s.offset() == 1);
  CHECK(s.storage() == x.storage());
  CHECK_CLOSE(x.slice(0, 1, 2), {3, 4, 5}, {1, 3});
  CHECK_CLOSE(x.slice(-1, 0, 3, 2), {0, 2, 3, 5}, {2, 2});
}

TEST_CASE("shape: slice 0:4 of the last axis of an (N,S,S,C) tensor", "[shape]") {
  // (N, S, S, C) = (2, 2, 2, 6); cell k (row-major over N, S, S) starts at 6k
  Tensor y = arange(0, 48).reshape({2, 2, 2, 6});
  Tensor boxes = y.slice(-1, 0, 4);  // (2, 2, 2, 4): 6k + 0..3
  CHECK_CLOSE(boxes, {0,  1,  2,  3,  6,  7,  8,  9,  12, 13, 14, 15, 18, 19, 20, 21,
                      24, 25, 26, 27, 30, 31, 32, 33, 36, 37, 38, 39, 42, 43, 44, 45},
              {2, 2, 2, 4});
  Tensor cls = y.slice(3, 4, 6);  // (2, 2, 2, 2): 6k + 4, 6k + 5
  CHECK_CLOSE(cls, {4, 5, 10, 11, 16, 17, 22, 23, 28, 29, 34, 35, 40, 41, 46, 47}, {2, 2, 2, 2});
  CHECK(boxes.strides() == Shape{24, 12, 6, 1});
  // box coordinates reduced over the last axis: cell 0 gives 0+1+2+3 = 6, cell k gives 24k + 6
  CHECK_CLOSE(sum(boxes, {-1}), {6, 30, 54, 78, 102, 126, 150, 174}, {2, 2, 2});
}

TEST_CASE("shape: select", "[shape]") {
  Tensor x = x23();
  CHECK_CLOSE(x.select(0, 1), {3, 4, 5}, {3});
  CHECK_CLOSE(x.select(1, -1), {2, 5}, {2});
  CHECK_CLOSE(select(x, -2, 0), {0, 1, 2}, {3});
  CHECK(x.select(0, 1).select(0, 2).item() == 5.f);
  CHECK_THROWS_WITH(x.select(0, 2), Contains("select") && Contains("(2, 3)"));
  CHECK_THROWS_WITH(x.select(1, -4), Contains("select") && Contains("(2, 3)"));
  CHECK_THROWS_WITH(x.select(2, 0), Contains("select") && Contains("(2, 3)"));
}

TEST_CASE("shape: transpose and permute", "[shape]") {
  Tensor x = x23();
  Tensor t = x.transpose(0, 1);
  CHECK(t.shape() == Shape{3, 2});
  CHECK(t.strides() == Shape{1, 3});
  CHECK_CLOSE(t, {0, 3, 1, 4, 2, 5}, {3, 2});
  CHECK_CLOSE(transpose(x, -1, -2), {0, 3, 1, 4, 2, 5}, {3, 2});
  Tensor z = arange(0, 24).reshape({2, 3, 4});  // z[j,k,i] = 12j + 4k + i
  Tensor p = z.permute({2, 0, 1});              // p[i,j,k] = z[j,k,i]
  CHECK(p.shape() == Shape{4, 2, 3});
  CHECK(p.strides() == Shape{1, 12, 4});
  CHECK_CLOSE(p.select(0, 1), {1, 5, 9, 13, 17, 21}, {2, 3});
  CHECK_CLOSE(z.permute({-1, 0, 1}).select(0, 3), {3, 7, 11, 15, 19, 23}, {2, 3});
  CHECK_THROWS_WITH(z.permute({0, 0, 1}), Contains("permute") && Contains("twice"));
  CHECK_THROWS_WITH(z.permute({0, 1}), Contains("permute") && Contains("(2, 3, 4)"));
  CHECK_THROWS_WITH(z.permute({0, 1, 3}), Contains("permute") && Contains("(2, 3, 4)"));
  CHECK_THROWS_WITH(x.transpose(0, 2), Contains("transpose") && Contains("(2, 3)"));
}

TEST_CASE("shape: squeeze and unsqueeze", "[shape]") {
  Tensor u = arange(0, 6).reshape({2, 1, 3});
  CHECK_CLOSE(squeeze(u, 1), {0, 1, 2, 3, 4, 5}, {2, 3});
  CHECK(squeeze(u, -2).shape() == Shape{2, 3});
  CHECK_THROWS_WITH(squeeze(u, 0), Contains("squeeze") && Contains("(2, 1, 3)"));
  Tensor x = x23();
  CHECK(unsqueeze(x, 0).shape() == Shape{1, 2, 3});
  CHECK(unsqueeze(x, 1).shape() == Shape{2, 1, 3});
  CHECK(unsqueeze(x, 2).shape() == Shape{2, 3, 1});
  CHECK(unsqueeze(x, -1).shape() == Shape{2, 3, 1});
  CHECK(unsqueeze(x, -3).shape() == Shape{1, 2, 3});
  CHECK(unsqueeze(scalar(1.f), 0).shape() == Shape{1});
  CHECK_CLOSE(unsqueeze(x.transpose(0, 1), 1), {0, 3, 1, 4, 2, 5}, {3, 1, 2});
  CHECK(unsqueeze(x, 1).storage() == x.storage());
  CHECK_THROWS_WITH(unsqueeze(x, 3), Contains("unsqueeze") && Contains("(2, 3)"));
  CHECK_THROWS_WITH(unsqueeze(x, -4), Contains("unsqueeze") && Contains("(2, 3)"));
}

TEST_CASE("shape: expand", "[shape]") {
  Tensor e = expand(T({1, 2, 3}, {3}), {2, 3});
  CHECK(e.strides() == Shape{0, 1});
  CHECK_CLOSE(e, {1, 2, 3, 1, 2, 3}, {2, 3});
  CHECK_CLOSE(expand(T({1, 2}, {2, 1}), {2, 3}), {1, 1, 1, 2, 2, 2}, {2, 3});
  CHECK_CLOSE(expand(scalar(4.f), {2, 2}), {4, 4, 4, 4}, {2, 2});
  CHECK_CLOSE(expand(T({1, 2}, {2, 1}), {2, 2, 2}), {1, 1, 2, 2, 1, 1, 2, 2}, {2, 2, 2});
  CHECK_THROWS_WITH(expand(ones({2, 3}), {3, 3}), Contains("expand") && Contains("(2, 3)"));
  CHECK_THROWS_WITH(expand(ones({2, 3}), {3}),
                    Contains("expand") && Contains("(2, 3)") && Contains("(3)"));
}

TEST_CASE("shape: contiguous", "[shape]") {
  Tensor x = x23();
  CHECK(x.contiguous().is_same(x));
  Tensor c = contiguous(x.transpose(0, 1));
  CHECK(c.is_contiguous());
  CHECK(c.storage() != x.storage());
  CHECK_CLOSE(c, {0, 3, 1, 4, 2, 5}, {3, 2});
  CHECK_CLOSE(contiguous(expand(T({1, 2}, {2}), {2, 2})), {1, 2, 1, 2}, {2, 2});
}

TEST_CASE("shape: concat and stack", "[shape]") {
  Tensor a = T({1, 2, 3, 4}, {2, 2}), b = T({5, 6}, {1, 2}), c = T({7, 8}, {2, 1});
  CHECK_CLOSE(concat({a, b}, 0), {1, 2, 3, 4, 5, 6}, {3, 2});
  CHECK_CLOSE(concat({a, c}, 1), {1, 2, 7, 3, 4, 8}, {2, 3});
  CHECK_CLOSE(concat({a, c, c}, -1), {1, 2, 7, 7, 3, 4, 8, 8}, {2, 4});
  CHECK_CLOSE(concat({a.transpose(0, 1), b}, 0), {1, 3, 2, 4, 5, 6}, {3, 2});
  CHECK_CLOSE(concat({a, zeros({0, 2})}, 0), {1, 2, 3, 4}, {2, 2});
  CHECK_THROWS_WITH(concat({a, T({1, 2, 3}, {1, 3})}, 0),
                    Contains("concat") && Contains("(2, 2)") && Contains("(1, 3)"));
  CHECK_THROWS_WITH(concat({a, T({1, 2}, {2})}, 0), Contains("concat") && Contains("(2)"));
  CHECK_THROWS_WITH(concat({}, 0), Contains("concat"));
  CHECK_THROWS_WITH(concat({a, b}, 2), Contains("concat") && Contains("(2, 2)"));
  Tensor p = T({1, 2}, {2}), q = T({3, 4}, {2});
  CHECK_CLOSE(stack({p, q}), {1, 2, 3, 4}, {2, 2});
  CHECK_CLOSE(stack({p, q}, 1), {1, 3, 2, 4}, {2, 2});
  CHECK_CLOSE(stack({p, q}, -1), {1, 3, 2, 4}, {2, 2});
  CHECK_CLOSE(stack({scalar(1.f), scalar(2.f)}), {1, 2}, {2});
  CHECK_THROWS_WITH(stack({p, T({1, 2, 3}, {3})}),
                    Contains("stack") && Contains("(2)") && Contains("(3)"));
  CHECK_THROWS_WITH(stack({}), Contains("stack"));
}

TEST_CASE("shape: writes through views reach the base tensor", "[shape]") {
  Tensor x = zeros({2, 3});
  x.slice(1, 1, 3).fill_(1.f);  // columns 1, 2
  CHECK_CLOSE(x, {0, 1, 1, 0, 1, 1}, {2, 3});
  x.select(0, 0).fill_(5.f);  // row 0
  CHECK_CLOSE(x, {5, 5, 5, 0, 1, 1}, {2, 3});
  x.transpose(0, 1).select(0, 0).copy_(T({7, 8}, {2}));  // column 0
  CHECK_CLOSE(x, {7, 5, 5, 8, 1, 1}, {2, 3});
  x.reshape({6}).slice(0, 0, 6, 5).fill_(9.f);  // flat indices 0 and 5
  CHECK_CLOSE(x, {9, 5, 5, 8, 1, 9}, {2, 3});
  x.view({3, 2}).select(0, 1).fill_(0.f);  // flat indices 2 and 3
  CHECK_CLOSE(x, {9, 5, 0, 0, 1, 9}, {2, 3});
  squeeze(unsqueeze(x, 0), 0).select(1, 1).copy_(T({-1, -2}, {2}));  // column 1
  CHECK_CLOSE(x, {9, -1, 0, 0, -2, 9}, {2, 3});
}

TEST_CASE("shape: hand-computed gradients of views", "[shape]") {
  // y = x[1:5:2] (x[1], x[3]); sum(y * [1, 2]) => dx = [0, 1, 0, 2, 0]
  Tensor x = T({1, 2, 3, 4, 5}, {5}, true);
  sum(x.slice(0, 1, 5, 2) * T({1, 2}, {2})).backward();
  CHECK_CLOSE(x.grad(), {0, 1, 0, 2, 0}, {5});
  // column 1 of a (2,3): dx = [[0,1,0],[0,1,0]]
  Tensor m = T({1, 2, 3, 4, 5, 6}, {2, 3}, true);
  sum(m.select(1, 1)).backward();
  CHECK_CLOSE(m.grad(), {0, 1, 0, 0, 1, 0}, {2, 3});
  // expand (3) -> (2,3): each element used twice => [2, 2, 2]
  Tensor e = T({1, 2, 3}, {3}, true);
  sum(expand(e, {2, 3})).backward();
  CHECK_CLOSE(e.grad(), {2, 2, 2}, {3});
  // concat([a (2,2); b (1,2)]) weighted by [1..6]: da = [1,2,3,4], db = [5,6]
  Tensor a = T({0, 0, 0, 0}, {2, 2}, true), b = T({0, 0}, {1, 2}, true);
  sum(concat({a, b}, 0) * T({1, 2, 3, 4, 5, 6}, {3, 2})).backward();
  CHECK_CLOSE(a.grad(), {1, 2, 3, 4}, {2, 2});
  CHECK_CLOSE(b.grad(), {5, 6}, {1, 2});
  // stack([p, q], 1)[i] = (p[i], q[i]) weighted by [[1,2],[3,4]]: dp = [1, 3], dq = [2, 4]
  Tensor p = T({0, 0}, {2}, true), q = T({0, 0}, {2}, true);
  sum(stack({p, q}, 1) * T({1, 2, 3, 4}, {2, 2})).backward();
  CHECK_CLOSE(p.grad(), {1, 3}, {2});
  CHECK_CLOSE(q.grad(), {2, 4}, {2});
}
