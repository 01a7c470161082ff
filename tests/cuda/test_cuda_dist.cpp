// Pinned host memory (Tensor::pin_memory, HostMemory::Pinned) and GradSync with parameters on the
// GPU: the staged path, whose buckets are pinned host buffers, and the path of a communicator that
// takes device memory. Over fake two-rank communicators in one process (no MPI). Without a GPU the
// [gpu] tests report themselves skipped; the error test runs everywhere else.
#include <vector>

#include "core/minidl.h"
#include "support/gpu.h"

using namespace minidl;
using namespace minidl::test;

TEST_CASE("cuda: pinned memory without a GPU is a clear error", "[cuda]") {
  if (cuda_available()) {
    WARN("MINIDL_SKIP: a GPU is present; this test is for machines without one");
    return;
  }
  Tensor x = T({1, 2, 3}, {3});
  CHECK_FALSE(x.is_pinned());
  CHECK_FALSE(is_pinned_memory(x.data()));
  CHECK_THROWS_WITH(x.pin_memory(), Catch::Contains("pinned host memory") &&
                                        Catch::Contains(built_with_cuda() ? "GPU" : "CUDA"));
  CHECK_THROWS_WITH(Tensor::empty({4}, Device::CPU, HostMemory::Pinned),
                    Catch::Contains("pinned host memory"));
}

TEST_CASE("cuda: pin_memory copies into page-locked memory", "[cuda][gpu]") {
  if (skip_without_gpu()) return;
  Tensor x = T({1, 2, 3, 4, 5, 6}, {2, 3}, true);
  CHECK_FALSE(x.is_pinned());
  CHECK_FALSE(is_pinned_memory(x.data()));
  Tensor p = x.transpose(0, 1).pin_memory();  // a view: copied contiguous
  CHECK(p.is_pinned());
  CHECK(p.is_contiguous());
  CHECK(is_pinned_memory(p.data()));  // the driver's own answer
  CHECK(p.to_vector() == std::vector<float>{1, 4, 2, 5, 3, 6});
  CHECK(p.pin_memory().is_same(p));  // already pinned
  CHECK_CLOSE(p.to(Device::CUDA).to(Device::CPU), x.transpose(0, 1).contiguous(), 0.0, 0.0);
  // Differentiable, like to() and clone().
  (p * p).sum().backward();
  CHECK(x.grad().to_vector() == std::vector<float>{2, 4, 6, 8, 10, 12});
  CHECK_THROWS_WITH(x.to(Device::CUDA).pin_memory(), Catch::Contains("pin_memory") &&
                                                         Catch::Contains("(2, 3)") &&
                                                         Catch::Contains("cuda"));
}

namespace {

// Rank 0 of two in one process. Staged (host memory): the other rank's gradient is 1 in every
// element. Device memory: the data stay as they are (the other rank's gradient is 0). Records
// whether each buffer it was handed is pinned host memory.
class FakeRanks : public dist::Communicator {
 public:
  explicit FakeRanks(bool device_memory) : device_memory_(device_memory) {}
  int rank() const override { return 0; }
  int size() const override { return 2; }
  std::string name() const override { return "fake"; }
  bool takes_device_memory() const override { return device_memory_; }
  Request allreduce_sum_async(float* data, int64_t count) override {
    pinned.push_back(is_pinned_memory(data));
    if (!device_memory_)
      for (int64_t i = 0; i < count; ++i) data[i] += 1.f;
    return static_cast<Request>(pinned.size() - 1);
  }
  bool test(Request) override { return true; }
  void wait(Request) override {}
  void broadcast(void*, int64_t, int) override {}
  void barrier() override {}

  std::vector<bool> pinned;

 private:
  bool device_memory_;
};

}  // namespace

TEST_CASE("cuda: GradSync stages CUDA gradients through pinned host buffers", "[cuda][gpu]") {
  if (skip_without_gpu()) return;
  for (bool device_memory : {false, true})
    for (bool overlap : {true, false}) {
      INFO("device memory " << device_memory << ", overlap " << overlap);
      // loss = sum(x w1 w2), x = ones(4, 3): dL/dw2 = [36, 48], dL/dw1 = [4, -4] in each row
      // (worked out in tests/dist/test_dist_grad_sync.cpp).
      Tensor x = ones({4, 3}).to(Device::CUDA);
      Tensor w1 = from_vector({1, 2, 3, 4, 5, 6}, {3, 2}).to(Device::CUDA).requires_grad_();
      Tensor w2 = from_vector({1, -1}, {2, 1}).to(Device::CUDA).requires_grad_();
      FakeRanks comm(device_memory);
      dist::GradSync sync({w1, w2}, {1, overlap}, &comm);  // one bucket per parameter
      std::shared_ptr<Storage> first;         // w2's gradient's storage after the first step
      for (int step = 0; step < 2; ++step) {  // the second step reuses the buffers
        w1.zero_grad(), w2.zero_grad();
        sync.backward(matmul(matmul(x, w1), w2).sum());
        // In device memory the gradients are views of the buckets (the same storage each step);
        // staged ones are copied back into memory of their own.
        if (step == 0) first = w2.grad().storage();
        CHECK((w2.grad().storage() == first) == (step == 0 || device_memory));
        REQUIRE(w1.grad().device() == Device::CUDA);
        REQUIRE(w2.grad().device() == Device::CUDA);
        if (device_memory) {  // (g + 0) / 2
          CHECK(w2.grad().to_vector() == std::vector<float>{18, 24});
          CHECK(w1.grad().to_vector() == std::vector<float>{2, -2, 2, -2, 2, -2});
        } else {  // (g + 1) / 2
          CHECK(w2.grad().to_vector() == std::vector<float>{18.5f, 24.5f});
          CHECK(w1.grad().to_vector() == std::vector<float>{2.5f, -1.5f, 2.5f, -1.5f, 2.5f, -1.5f});
        }
      }
      // Staged buffers are pinned host memory; device-memory buffers are not host memory at all.
      REQUIRE(comm.pinned.size() == 4);
      for (bool p : comm.pinned) CHECK(p == !device_memory);
    }
}
