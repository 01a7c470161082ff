// OpenBLAS's kernels: the family minidl re-picks on a CPU OpenBLAS does not know (a pure table,
// fed made-up CPUs), and what this process runs. The second case runs once as discovered (the
// kernels minidl leaves or re-picks) and once more as blas.coretype_is_kept, with
// OPENBLAS_CORETYPE=Sandybridge set (tests/CMakeLists.txt), where the user's choice must stand.
#include <cblas.h>
#include <strings.h>

#include <cstdlib>
#include <string>

#include "core/cpu/blas_kernels.h"
#include "core/cpu/simd.h"
#include "support/helpers.h"

using namespace minidl;
using Catch::Contains;

TEST_CASE("blas: kernels without AVX2 are replaced only on a CPU with AVX2 and FMA", "[blas]") {
  using cpu::better_blas_kernels;
  // OpenBLAS's generic fallback, and older families, on CPUs with more instructions
  CHECK(std::string(better_blas_kernels("Prescott", true, true)) == "SkylakeX");
  CHECK(std::string(better_blas_kernels("Prescott", true, false)) == "Haswell");
  CHECK(std::string(better_blas_kernels("Sandybridge", true, false)) == "Haswell");
  CHECK(std::string(better_blas_kernels("Nehalem", true, true)) == "SkylakeX");
  CHECK(std::string(better_blas_kernels("prescott", true, false)) == "Haswell");  // any case
  // families with AVX2 stay, whatever the CPU
  for (const char* good : {"Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"}) {
    CHECK(better_blas_kernels(good, true, true) == nullptr);
    CHECK(better_blas_kernels(good, true, false) == nullptr);
  }
  // a CPU without AVX2 or FMA keeps what OpenBLAS chose
  CHECK(better_blas_kernels("Prescott", false, false) == nullptr);
  CHECK(better_blas_kernels("Sandybridge", false, false) == nullptr);
  CHECK(better_blas_kernels(nullptr, true, true) == nullptr);
}

TEST_CASE("blas: this process runs the kernels its CPU allows or those the user set", "[blas]") {
  num_threads();  // minidl's set-up, which re-picks the kernels if it must
  const std::string config = openblas_get_config(), in_use = openblas_get_corename();
  const std::string from = cpu::blas_repicked_from();
  INFO("openblas_get_config: " << config << "; re-picked from: '" << from << "'");
  CHECK_THAT(blas_info(), Contains(in_use));
  if (const char* forced = std::getenv("OPENBLAS_CORETYPE")) {
    CHECK(strcasecmp(forced, in_use.c_str()) == 0);
    CHECK(from.empty());
    CHECK_THAT(blas_info(), !Contains("re-picked"));
    return;
  }
  if (config.find("DYNAMIC_ARCH") == std::string::npos) {
    WARN("MINIDL_SKIP: this OpenBLAS was built for one CPU (" << config << "); nothing to re-pick");
    return;
  }
  const bool avx2 = cpu::cpu_simd() >= cpu::Simd::AVX2;
  const bool avx512 = cpu::cpu_simd() == cpu::Simd::AVX512;
  if (!avx2) {
    WARN("MINIDL_SKIP: this CPU has no AVX2 and FMA, so OpenBLAS's own choice stands");
    return;
  }
  // whatever OpenBLAS chose at load time, the family in use now has AVX2
  CHECK(cpu::better_blas_kernels(in_use.c_str(), avx2, avx512) == nullptr);
  if (from.empty()) {
    CHECK_THAT(blas_info(), !Contains("re-picked"));
  } else {  // re-picked: from a family without AVX2, to the one the table names
    CHECK(cpu::better_blas_kernels(from.c_str(), avx2, avx512) == in_use);
    CHECK_THAT(blas_info(), Contains("re-picked by minidl, OpenBLAS chose " + from));
  }
  // and the products are still right: a 64x64 times its transpose against a plain loop
  Tensor a = arange(0, 64 * 64).reshape({64, 64}) / 4096.f;
  Tensor c = matmul(a, transpose(a, 0, 1)).contiguous();
  const float* got = c.data();
  for (int i : {0, 3, 63})
    for (int j : {0, 5, 62}) {
      double want = 0;
      for (int k = 0; k < 64; ++k) want += (i * 64 + k) / 4096.0 * (j * 64 + k) / 4096.0;
      CHECK(got[i * 64 + j] == Approx(want).epsilon(1e-5));
    }
}
