// The CPU thread count: set_num_threads / num_threads, what runtime_summary() reports, and bad
// values. (MINIDL_NUM_THREADS, read once at start, is checked by the app.first_network.* ctest
// entries in tests/CMakeLists.txt, each a fresh process.)
#include "support/helpers.h"

using namespace minidl;
using Catch::Contains;

TEST_CASE("threads: set_num_threads changes num_threads and what apps print", "[threads]") {
  const int before = num_threads();
  CHECK(before >= 1);
  set_num_threads(3);
  CHECK(num_threads() == 3);
  CHECK_THAT(runtime_summary(Device::CPU),
             Contains("device cpu") && Contains("3 threads") && Contains("OpenBLAS"));
  // ops still give the same results with another thread count (large enough to run in parallel)
  Tensor x = arange(0, 1 << 17).reshape({256, 512}) / 1000.f;
  const float s3 = sum(exp(x * -1.f)).item();
  set_num_threads(1);
  CHECK(num_threads() == 1);
  CHECK(sum(exp(x * -1.f)).item() == s3);
  set_num_threads(before);
  CHECK(num_threads() == before);
}

TEST_CASE("threads: a thread count below 1 is an error naming the call", "[threads]") {
  const int before = num_threads();
  CHECK_THROWS_WITH(set_num_threads(0), Contains("set_num_threads") && Contains("0"));
  CHECK_THROWS_AS(set_num_threads(-2), Error);
  CHECK(num_threads() == before);
}
