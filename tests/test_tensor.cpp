// Tests of the Tensor handle: shapes, strides and contiguity, 0-d and zero-size tensors, host
// transfers of strided views, clone/fill_/copy_, str(), devices (CUDA without a GPU is a clear
// error) and the errors an undefined tensor gives.
#include <cstdlib>
#include <string>

#include "core/block_cache.h"
#include "support/helpers.h"

using namespace minidl;
using namespace minidl::test;
using Catch::Contains;

TEST_CASE("tensor: shape, strides and contiguity of a new tensor", "[tensor]") {
  Tensor x = Tensor::empty({2, 3, 4});
  CHECK(x.defined());
  CHECK(x.shape() == Shape{2, 3, 4});
  CHECK(x.strides() == Shape{12, 4, 1});  // row-major: (3*4, 4, 1)
  CHECK(x.offset() == 0);
  CHECK(x.dim() == 3);
  CHECK(x.numel() == 24);
  CHECK(x.size(0) == 2);
  CHECK(x.size(-1) == 4);
  CHECK(x.size(-3) == 2);
  CHECK(x.is_contiguous());
  CHECK(x.device() == Device::CPU);
  CHECK(x.is_leaf());
  CHECK_FALSE(x.requires_grad());
  CHECK_THROWS_WITH(x.size(3), Contains("size") && Contains("axis 3") && Contains("(2, 3, 4)"));
  CHECK_THROWS_WITH(x.size(-4), Contains("(2, 3, 4)"));
}

TEST_CASE("tensor: shape helpers", "[tensor]") {
  CHECK(shape_str({}) == "()");
  CHECK(shape_str({5}) == "(5)");
  CHECK(shape_str({2, 3}) == "(2, 3)");
  CHECK(shape_numel({}) == 1);
  CHECK(shape_numel({2, 3, 4}) == 24);
  CHECK(shape_numel({2, 0, 3}) == 0);
  CHECK(contiguous_strides({}) == Shape{});
  CHECK(contiguous_strides({2, 3, 4}) == Shape{12, 4, 1});
}

TEST_CASE("tensor: bad shapes are errors", "[tensor]") {
  CHECK_THROWS_WITH(Tensor::empty({2, -1}), Contains("(2, -1)") && Contains("negative"));
  CHECK_THROWS_WITH(Tensor::empty({1, 1, 1, 1, 1, 1, 1, 1, 1}), Contains("at most 8"));
  auto st = std::make_shared<Storage>(4 * sizeof(float), Device::CPU);
  CHECK_NOTHROW(Tensor::view_of(st, {2, 2}, {2, 1}, 0));
  // last element at offset 1 + (2-1)*2 + (2-1)*1 = 4, past the 4 floats (indices 0..3)
  CHECK_THROWS_WITH(Tensor::view_of(st, {2, 2}, {2, 1}, 1), Contains("past the end"));
}

TEST_CASE("tensor: view_of rejects negative sizes and strides and overflowing extents",
          "[tensor]") {
  auto st = std::make_shared<Storage>(4 * sizeof(float), Device::CPU);
  // stride -1 from offset 0 would read indices 0, -1, -2, -3: before the buffer
  CHECK_THROWS_WITH(Tensor::view_of(st, {4}, {-1}, 0), Contains("view_of") && Contains("(-1)"));
  CHECK_THROWS_WITH(Tensor::view_of(st, {2, 2}, {-1, 1}, 3), Contains("strides must be >= 0"));
  // a size of -3 was taken as a huge element count (std::length_error)
  CHECK_THROWS_WITH(Tensor::view_of(st, {-3}, {1}, 0), Contains("view_of") && Contains("(-3)"));
  // (4 - 1) * (2^62 + 2^60) = 2^63 + 2^61 + ... overflows int64 (it wrapped to a small "last")
  const int64_t huge = (int64_t{1} << 62) + (int64_t{1} << 60);
  CHECK_THROWS_WITH(Tensor::view_of(st, {4}, {huge}, 0),
                    Contains("view_of") && Contains("overflow"));
  // the sum over axes overflows though each product fits: 2 * (2^62 - 1) + offset
  const int64_t big = (int64_t{1} << 62) - 1;
  CHECK_THROWS_WITH(Tensor::view_of(st, {2, 2, 2}, {big, big, big}, 0), Contains("overflow"));
  CHECK_THROWS_AS(Tensor::view_of(st, {2}, {big}, 0), Error);  // fits int64, not the storage
  // still fine: stride 0 (a broadcast), an empty view with any stride, the last element exactly
  CHECK(Tensor::view_of(st, {3}, {0}, 3).to_vector().size() == 3);
  CHECK(Tensor::view_of(st, {0, 5}, {huge, 1}, 0).numel() == 0);
  CHECK_NOTHROW(Tensor::view_of(st, {2, 2}, {1, 2}, 0));  // last = 0 + 1 + 2 = 3
}

TEST_CASE("tensor: 0-d scalars", "[tensor]") {
  Tensor s = scalar(2.5f);
  CHECK(s.dim() == 0);
  CHECK(s.shape().empty());
  CHECK(s.numel() == 1);
  CHECK(s.is_contiguous());
  CHECK(s.item() == 2.5f);
  CHECK(s.to_vector() == std::vector<float>{2.5f});
  CHECK(s.str() == "Tensor() cpu [2.5]");
  CHECK_THROWS_WITH(s.size(0), Contains("size") && Contains("()"));
  // a 0-d tensor takes part in ops like any other: 2.5 * 4 = 10
  CHECK((s * 4.f).item() == 10.f);
  CHECK(s.clone().item() == 2.5f);
  CHECK(s.reshape({1, 1}).shape() == Shape{1, 1});
}

TEST_CASE("tensor: zero-size tensors", "[tensor]") {
  Tensor z = zeros({2, 0, 3});
  CHECK(z.numel() == 0);
  CHECK(z.dim() == 3);
  CHECK(z.is_contiguous());  // no elements: trivially contiguous, so view() needs no copy
  CHECK(z.to_vector().empty());
  CHECK(z.view({0, 3}).shape() == Shape{0, 3});
  CHECK(z.reshape({-1}).shape() == Shape{0});
  CHECK(z.clone().shape() == Shape{2, 0, 3});
  CHECK(z.str() == "Tensor(2, 0, 3) cpu []");
  CHECK_THROWS_WITH(z.item(), Contains("item") && Contains("(2, 0, 3)"));
  CHECK_NOTHROW(z.fill_(1.f));
  // the sum over no elements is 0; summing the empty axis leaves (2, 3) zeros
  CHECK(sum(z).item() == 0.f);
  CHECK_CLOSE(sum(z, {1}), {0, 0, 0, 0, 0, 0}, {2, 3});
  CHECK(((z + 1.f) * z).shape() == Shape{2, 0, 3});
  CHECK(arange(0, 6).slice(0, 4, 2).numel() == 0);
}

TEST_CASE("tensor: item() on many elements names the shape", "[tensor]") {
  CHECK_THROWS_WITH(ones({2, 3}).item(), Contains("item") && Contains("(2, 3)"));
  CHECK(ones({1, 1, 1}).item() == 1.f);
}

TEST_CASE("tensor: to_vector of non-contiguous views", "[tensor]") {
  Tensor x = arange(0, 6).reshape({2, 3});  // [[0, 1, 2], [3, 4, 5]]
  Tensor t = x.transpose(0, 1);             // [[0, 3], [1, 4], [2, 5]]
  CHECK_FALSE(t.is_contiguous());
  CHECK(t.strides() == Shape{1, 3});
  CHECK(t.to_vector() == std::vector<float>{0, 3, 1, 4, 2, 5});
  Tensor s = x.slice(1, 0, 3, 2);  // columns 0 and 2: [[0, 2], [3, 5]]
  CHECK(s.to_vector() == std::vector<float>{0, 2, 3, 5});
  Tensor e = expand(from_vector({7, 8}, {2, 1}), {2, 3});  // [[7, 7, 7], [8, 8, 8]]
  CHECK(e.strides() == Shape{1, 0});
  CHECK(e.to_vector() == std::vector<float>{7, 7, 7, 8, 8, 8});
  Tensor r = x.select(1, 1);  // column 1: [1, 4], offset 1
  CHECK(r.offset() == 1);
  CHECK(r.to_vector() == std::vector<float>{1, 4});
  CHECK(r.select(0, 1).item() == 4.f);
}

TEST_CASE("tensor: clone is independent of its source", "[tensor]") {
  Tensor x = from_vector({1, 2, 3, 4}, {2, 2});
  Tensor c = x.clone();
  CHECK(c.storage() != x.storage());
  x.fill_(0.f);
  CHECK(c.to_vector() == std::vector<float>{1, 2, 3, 4});
  // cloning a transposed view gives a contiguous copy in the view's order
  Tensor y = from_vector({1, 2, 3, 4}, {2, 2});
  Tensor ct = y.transpose(0, 1).clone();
  CHECK(ct.is_contiguous());
  CHECK(ct.to_vector() == std::vector<float>{1, 3, 2, 4});
  // clone is differentiable: d sum(clone(w)) / dw = 1
  Tensor w = from_vector({1, 2}, {2});
  w.requires_grad_();
  Tensor cw = w.clone();
  CHECK(cw.grad_fn()->name == "clone");
  cw.sum().backward();
  CHECK_CLOSE(w.grad(), {1, 1}, {2});
}

TEST_CASE("tensor: fill_ and copy_", "[tensor]") {
  Tensor x = zeros({2, 3});
  x.fill_(2.f);
  CHECK(x.to_vector() == std::vector<float>(6, 2.f));
  x.copy_(arange(0, 6).reshape({2, 3}));
  CHECK(x.to_vector() == std::vector<float>{0, 1, 2, 3, 4, 5});
  // copy_ reads a non-contiguous source in its logical order
  x.copy_(arange(0, 6).reshape({3, 2}).transpose(0, 1));  // [[0, 2, 4], [1, 3, 5]]
  CHECK(x.to_vector() == std::vector<float>{0, 2, 4, 1, 3, 5});
  // copy_ writes into a non-contiguous destination through its strides
  Tensor y = zeros({2, 2});
  y.transpose(0, 1).copy_(from_vector({1, 2, 3, 4}, {2, 2}));  // y^T = [[1,2],[3,4]]
  CHECK(y.to_vector() == std::vector<float>{1, 3, 2, 4});
  CHECK_THROWS_WITH(y.copy_(zeros({3})),
                    Contains("copy_") && Contains("(3)") && Contains("(2, 2)"));
  CHECK_THROWS_AS(y.copy_(Tensor()), Error);
}

TEST_CASE("tensor: copy_ rejects a destination whose elements share a location; fill_ takes it",
          "[tensor]") {
  // expand(b, {3}) has stride 0: its three elements are b's one float, so copying [1, 2, 3] in
  // kept whichever write came last (3). PyTorch: "more than one element of the written-to tensor
  // refers to a single memory location".
  Tensor b = zeros({1});
  CHECK_THROWS_WITH(expand(b, {3}).copy_(from_vector({1, 2, 3}, {3})),
                    Contains("copy_") && Contains("single memory location") && Contains("(3)"));
  CHECK(b.to_vector() == std::vector<float>{0});  // nothing written
  Tensor c = zeros({2, 1});
  CHECK_THROWS_AS(expand(c, {2, 4}).copy_(ones({2, 4})), Error);
  // a stride 0 along an axis of size 1 is no overlap
  Tensor d = zeros({1, 3});
  Tensor::view_of(d.storage(), {1, 3}, {0, 1}, 0).copy_(from_vector({4, 5, 6}, {1, 3}));
  CHECK(d.to_vector() == std::vector<float>{4, 5, 6});
  // one value into every element is well defined: fill_ writes through the expanded view
  expand(c, {2, 4}).fill_(7.f);
  CHECK(c.to_vector() == std::vector<float>{7, 7});
}

TEST_CASE("tensor: copy_ from an overlapping view of the same storage", "[tensor]") {
  // x[1:8] = x[0:7] on [0..7] shifts right by one: [0, 0, 1, 2, 3, 4, 5, 6]
  Tensor x = arange(0, 8);
  x.slice(0, 1, 8).copy_(x.slice(0, 0, 7));
  CHECK(x.to_vector() == std::vector<float>{0, 0, 1, 2, 3, 4, 5, 6});
  // x[1::2] = x[0:4] on [0..7]: positions 1, 3, 5, 7 get the old 0, 1, 2, 3
  Tensor y = arange(0, 8);
  y.slice(0, 1, 8, 2).copy_(y.slice(0, 0, 4));
  CHECK(y.to_vector() == std::vector<float>{0, 0, 2, 1, 4, 2, 6, 3});
}

TEST_CASE("tensor: str() shows shape, device, autograd state and small values", "[tensor]") {
  CHECK(from_vector({1, 2, 3, 4}, {2, 2}).str() == "Tensor(2, 2) cpu [1, 2, 3, 4]");
  Tensor a = from_vector({1.5f}, {1});
  a.requires_grad_();
  CHECK(a.str() == "Tensor(1) cpu requires_grad [1.5]");
  CHECK((a + a).str() == "Tensor(1) cpu requires_grad grad_fn=add [3]");
  CHECK(zeros({5, 5}).str() == "Tensor(5, 5) cpu");  // 25 > 16 elements: no values
  CHECK(Tensor().str() == "Tensor(undefined)");
}

TEST_CASE("tensor: to(Device::CPU) on a CPU tensor is the identity", "[tensor]") {
  Tensor x = ones({2});
  CHECK(x.to(Device::CPU).is_same(x));
  CHECK(device_name(Device::CPU) == std::string("cpu"));
  CHECK(device_name(Device::CUDA) == std::string("cuda"));
}

TEST_CASE("tensor: CUDA tensors without a usable GPU are a clear error", "[tensor]") {
  if (cuda_available()) {
    // with a GPU: the round trip keeps the values
    Tensor x = from_vector({1, 2, 3}, {3});
    Tensor g = x.to(Device::CUDA);
    CHECK(g.device() == Device::CUDA);
    CHECK(g.to(Device::CPU).to_vector() == std::vector<float>{1, 2, 3});
    return;
  }
  CHECK(cuda_device_count() == 0);
  if (!built_with_cuda()) CHECK_THAT(cuda_device_info(), Contains("without CUDA"));
  CHECK_THROWS_AS(Tensor::empty({2}, Device::CUDA), Error);
  CHECK_THROWS_WITH(Tensor::empty({2}, Device::CUDA), Contains("CUDA"));
  CHECK_THROWS_WITH(zeros({2, 2}, Device::CUDA), Contains("CUDA"));
  CHECK_THROWS_WITH(ones({2}).to(Device::CUDA), Contains("CUDA"));
  CHECK_THROWS_WITH(from_vector({1}, Device::CUDA), Contains("CUDA"));
}

TEST_CASE("tensor: undefined tensors give an Error, not a crash", "[tensor]") {
  Tensor u;
  CHECK_FALSE(u.defined());
  CHECK_THROWS_WITH(u.shape(), Contains("undefined"));
  CHECK_THROWS_AS(u.numel(), Error);
  CHECK_THROWS_AS(u.data(), Error);
  CHECK_THROWS_AS(u.item(), Error);
  CHECK_THROWS_AS(u.to_vector(), Error);
  CHECK_THROWS_AS(u.clone(), Error);
  CHECK_THROWS_AS(u.contiguous(), Error);
  CHECK_THROWS_AS(u.to(Device::CPU), Error);
  CHECK_THROWS_AS(u.fill_(1.f), Error);
  CHECK_THROWS_AS(u.requires_grad_(), Error);
  CHECK_THROWS_AS(u.grad(), Error);
  CHECK_THROWS_AS(u.detach(), Error);
  CHECK_THROWS_AS(u.backward(), Error);
  CHECK_THROWS_WITH(u.reshape({1}), Contains("reshape"));
  CHECK_THROWS_WITH(u.sum(), Contains("sum"));
  CHECK_THROWS_WITH(add(u, ones({1})), Contains("add"));
  CHECK_THROWS_WITH(mul(ones({1}), u), Contains("mul"));
  CHECK_THROWS_WITH(exp(u), Contains("exp"));
  CHECK_THROWS_AS(u + 1.f, Error);
  CHECK_THROWS_AS(1.f / u, Error);
  CHECK_THROWS_AS(eq(u, 1.f), Error);
  CHECK_THROWS_WITH(concat({ones({1}), u}, 0), Contains("concat"));
}

TEST_CASE("tensor: set_grad and zero_grad", "[tensor]") {
  Tensor x = zeros({2});
  CHECK_FALSE(x.grad().defined());
  x.set_grad(ones({2}));
  CHECK(x.grad().to_vector() == std::vector<float>{1, 1});
  CHECK_THROWS_WITH(x.set_grad(ones({3})), Contains("(3)") && Contains("(2)"));
  x.zero_grad();
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE("tensor: large CPU buffers (their own 2 MB aligned mappings) hold and copy values",
          "[tensor]") {
  // Sizes around the 2 MB threshold and not a multiple of a page; allocated and freed repeatedly.
  for (int64_t n :
       {(int64_t{1} << 19) - 1, int64_t{1} << 19, (int64_t{1} << 19) + 1001, int64_t{3} << 20}) {
    INFO(n << " floats");
    for (int round = 0; round < 3; ++round) {
      Tensor a = arange(0, static_cast<float>(n));
      Tensor b = a * 2.f;
      CHECK(b.numel() == n);
      CHECK(b.slice(0, n - 1, n).item() == 2.f * static_cast<float>(n - 1));
      CHECK(b.slice(0, n / 2, n / 2 + 1).item() == 2.f * static_cast<float>(n / 2));
      CHECK(sum(b - a).item() == Approx(sum(a).item()).epsilon(1e-4));
    }
  }
}

TEST_CASE("storage: large CPU buffers are cached when freed and handed out again", "[tensor]") {
  empty_cpu_cache();
  REQUIRE(cpu_cached_bytes() == 0);
  if (const char* env = std::getenv("MINIDL_CPU_CACHE_MB"); env && std::string(env) == "0") {
    // tests/sanitize.sh turns the cache off, so that ASan sees every use after free
    { Tensor a = ones({int64_t{1} << 20}); }
    CHECK(cpu_cached_bytes() == 0);
    return;
  }
  // 1 MiB (cached: >= 64 KiB) and 5 MiB (its own mapping, cached too); 1 KiB is malloc's.
  for (int64_t n : {int64_t{1} << 18, int64_t{5} << 18}) {
    empty_cpu_cache();
    const void* first = nullptr;
    {
      Tensor a = full({n}, 3.f);
      first = a.data();
      CHECK(a.to_vector()[static_cast<size_t>(n - 1)] == 3.f);
    }
    const std::size_t bytes = static_cast<std::size_t>(n) * sizeof(float);
    CHECK(cpu_cached_bytes() >= bytes);
    CHECK(cpu_cached_bytes() <= bytes + bytes / 8);
    // The same size again takes the cached block; the block holds stale values, so creation
    // ops must (and do) write every element.
    Tensor b = zeros({n});
    CHECK(b.data() == first);
    CHECK(cpu_cached_bytes() == 0);
    CHECK(sum(b).item() == 0.f);
  }
  empty_cpu_cache();
  { Tensor small = ones({256}); }
  CHECK(cpu_cached_bytes() == 0);
  { Tensor c = ones({int64_t{1} << 18}); }
  CHECK(cpu_cached_bytes() > 0);
  CHECK(empty_cpu_cache() >= (std::size_t{1} << 20));
  CHECK(cpu_cached_bytes() == 0);
}

TEST_CASE("storage: BlockCache hands out near sizes and gives back what a miss needs", "[tensor]") {
  detail::BlockCache c;
  int blocks[4];
  c.put(&blocks[0], 1024);
  c.put(&blocks[1], 4096);
  c.put(&blocks[2], 8192);
  c.put(&blocks[3], 8192);
  CHECK(c.cached() == 1024 + 4096 + 2 * 8192);
  // take: the smallest block of the size or more, at most 1/8 larger
  CHECK(c.take(3700).ptr == &blocks[1]);  // 4096 - 3700 = 396 <= 3700 / 8 = 462
  CHECK(c.take(3000).ptr == nullptr);     // 8192 is far too large for 3000
  std::vector<std::size_t> released;
  auto record = [&](void*, std::size_t size) { released.push_back(size); };
  // the smallest block of at least 5000 bytes: one 8192 block
  CHECK(c.release_at_least(5000, record) == 8192);
  CHECK(released == std::vector<std::size_t>{8192});
  // none holds 9000: blocks from the largest down until 9000 are given back (8192 + 1024)
  CHECK(c.release_at_least(9000, record) == 8192 + 1024);
  CHECK(released == std::vector<std::size_t>{8192, 8192, 1024});
  CHECK(c.empty());
  CHECK(c.cached() == 0);
}
