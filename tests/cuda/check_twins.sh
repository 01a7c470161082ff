#!/usr/bin/env bash
# The ctest entry cuda.kernel_twins (runs everywhere, no GPU needed): every kernel declared in
# core/cpu/kernels.h has a CUDA twin in cuda/kernels.h with the same name and signature (and the
# CUDA header declares nothing else), and tests/cuda/test_cuda_kernels.cpp calls each twin beside
# its CPU kernel.   usage: check_twins.sh SOURCE_DIR
set -euo pipefail
cd "$1"
# The declarations of a header, one per line, whitespace normalised: comments dropped, lines joined,
# split at ';', the namespace lines removed.
decls() {
  sed -e 's://.*$::' "$1" | grep -v -e '^#' -e '^namespace' -e '^}' | tr '\n' ' ' | tr ';' '\n' |
    sed -e 's/[[:space:]]\+/ /g' -e 's/^ //' -e 's/ $//' | grep '(' | sort
}
cpu=$(decls core/cpu/kernels.h)
cuda=$(decls cuda/kernels.h)
status=0
if [[ "$cpu" != "$cuda" ]]; then
  echo "FAIL: core/cpu/kernels.h and cuda/kernels.h declare different kernels:"
  diff <(echo "$cpu") <(echo "$cuda") | sed 's/^</  cpu only: /; s/^>/  cuda only:/' | grep only || true
  status=1
fi
n=0
for name in $(echo "$cpu" | sed -n 's/^[a-z_0-9:]* \([a-z_0-9]*\)(.*/\1/p'); do
  n=$((n + 1))
  for side in cpu cuda; do
    if ! grep -q "$side::$name(" tests/cuda/test_cuda_kernels.cpp; then
      echo "FAIL: tests/cuda/test_cuda_kernels.cpp never calls $side::$name"
      status=1
    fi
  done
done
((n > 0)) || { echo "FAIL: no kernel declarations found"; exit 1; }
((status == 0)) && echo "$n kernels: each has a CUDA twin of the same signature and a CPU-vs-CUDA test"
exit $status
