#!/usr/bin/env bash
# The sanitizer suite (run by .ci/run after the normal tests): builds minidl, the apps, every test
# and the fuzz targets with clang, AddressSanitizer and UndefinedBehaviorSanitizer in build-asan/
# (CPU only: -DMINIDL_CUDA=OFF, CI has no GPU), then runs the whole ctest suite there. Any finding
# fails the run: UBSan does not recover, and ASan's leak check is on. tests/fuzz/run.sh then
# fuzzes with the same build. usage: tests/sanitize.sh [extra ctest arguments, e.g. -R idx]
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-asan
cmake -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMINIDL_CUDA=OFF \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DMINIDL_SANITIZE=address,undefined -DMINIDL_FUZZ=ON
cmake --build "$build"
source tests/sanitizer_env.sh
# docs.* only run doxygen and grep the docs (no minidl code): the normal build runs them. Each
# tutorial page runs once here: its second OpenBLAS kernel family changes digits, not memory use.
ctest --test-dir "$build" --output-on-failure -j2 -E '^docs\.|^tutorial\..*\.sandybridge$' "$@"
