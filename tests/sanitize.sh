#!/usr/bin/env bash
# The sanitizer suite (run by .ci/run after the normal tests): builds minidl, the apps, every test
# and the fuzz targets with clang, AddressSanitizer and UndefinedBehaviorSanitizer in build-asan/
# (CPU only: -DMINIDL_CUDA=OFF, CI has no GPU; and -DMINIDL_MPI=OFF: Open MPI does not free all of
# its own memory at MPI_Finalize -- it ships a valgrind suppression file for that -- and the leak
# check would report that as a finding in the mpirun tests. The dist.* launches then report Skipped here and run
# in the normal build; the GradSync and sampler unit tests need no MPI and run here too), then
# runs the whole ctest suite there. Any finding fails the run: UBSan does not recover, and ASan's
# leak check is on. tests/fuzz/run.sh then fuzzes with the same build.
# usage: tests/sanitize.sh [extra ctest arguments, e.g. -R idx]
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-asan
cmake -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMINIDL_CUDA=OFF -DMINIDL_MPI=OFF \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DMINIDL_SANITIZE=address,undefined -DMINIDL_FUZZ=ON
cmake --build "$build"
source tests/sanitizer_env.sh
# docs.* and style.* only run doxygen, clang-format and grep (no minidl code): the normal build
# runs them. Each tutorial page runs once here: its second OpenBLAS kernel family changes digits,
# not memory use.
ctest --test-dir "$build" --output-on-failure -j2 -E '^docs\.|^style\.|^tutorial\..*\.sandybridge$' "$@"
