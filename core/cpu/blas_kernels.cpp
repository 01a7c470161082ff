// OpenBLAS as Debian builds it (DYNAMIC_ARCH) picks its kernels by CPU model when it loads. A model
// it does not know gets its generic x86-64 kernels ("Prescott", SSE3): OpenBLAS 0.3.21 on a
// 2-core Intel Xeon VM of model 207 (AVX-512) ran sgemm at 1024^3 on one thread at 14-30 GFLOP/s
// with them, 72-79 with its Haswell kernels and 125-147 with its SkylakeX kernels, and the tiny
// network's training step at batch 8 took 1.7-2.1 s with them, 0.57-0.66 s with SkylakeX's
// (apps/bench/MEASURED.md). So before minidl's first product,
// when the family OpenBLAS chose lacks instructions the CPU has, minidl makes OpenBLAS choose
// again through the same entry points it uses at load time, with the family a later OpenBLAS picks
// for such CPUs. OPENBLAS_CORETYPE, when set, is the user's choice and always wins.
#include "core/cpu/blas_kernels.h"

#include <cblas.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "core/cpu/simd.h"
#include "core/error.h"

// The two entry points of a DYNAMIC_ARCH OpenBLAS that choose its kernels (driver/others/
// dynamic.c): quit forgets the choice, init makes it again (reading OPENBLAS_CORETYPE) and sets the
// chosen family's block sizes. Weak: an OpenBLAS built for one CPU has neither, nor does another
// BLAS, and then nothing is re-picked.
extern "C" {
[[gnu::weak]] void gotoblas_dynamic_init(void);
[[gnu::weak]] void gotoblas_dynamic_quit(void);
}

namespace minidl::cpu {

namespace {

// OpenBLAS's x86 kernel families without AVX2 (the names of openblas_get_corename()).
bool lacks_avx2(const char* family) {
  static const char* const old[] = {
      "Unknown",   "Katmai", "Coppermine",  "Northwood", "Prescott",  "Banias",     "Atom",
      "Core2",     "Penryn", "Dunnington",  "Nehalem",   "Athlon",    "Opteron",    "Opteron_SSE3",
      "Barcelona", "Nano",   "Sandybridge", "Bobcat",    "Bulldozer", "Piledriver", "Steamroller"};
  for (const char* name : old)
    if (strcasecmp(family, name) == 0) return true;
  return false;
}

std::string& repicked_from() {
  static std::string from;
  return from;
}

}  // namespace

const char* better_blas_kernels(const char* chosen, bool avx2_fma, bool avx512) {
  if (chosen == nullptr || !avx2_fma || !lacks_avx2(chosen)) return nullptr;
  return avx512 ? "SkylakeX" : "Haswell";
}

void pick_blas_kernels() {
  if (gotoblas_dynamic_init == nullptr || gotoblas_dynamic_quit == nullptr) return;
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr) return;
  const std::string chosen = openblas_get_corename();
  const char* better =
      better_blas_kernels(chosen.c_str(), cpu_simd() >= Simd::AVX2, cpu_simd() == Simd::AVX512);
  if (better == nullptr) return;
  // init reads the family from the environment; the variable is removed again at once, so that
  // programs this process starts choose for themselves.
  setenv("OPENBLAS_CORETYPE", better, 1);
  gotoblas_dynamic_quit();
  gotoblas_dynamic_init();
  unsetenv("OPENBLAS_CORETYPE");
  repicked_from() = chosen;
}

std::string blas_repicked_from() { return repicked_from(); }

}  // namespace minidl::cpu
