#!/usr/bin/env bash
# The ctest entry cuda.kernel_twins (runs everywhere, no GPU needed): every kernel contract of
# core/kernels/kernel_list.h is tested on both devices, that is tests/cuda/test_cuda_kernels.cpp
# calls cpu::<name> and cuda::<name> for each. (That both devices declare and define every listed
# kernel needs no script: both declarations are expanded from that one list, and a definition
# missing on one device fails the link, see core/ops/op_util.cpp.)
# usage: check_twins.sh SOURCE_DIR
set -euo pipefail
cd "$1"
names=$(sed -n 's/^MINIDL_KERNEL([^,]*, *\([a-z_0-9]*\),.*/\1/p' core/kernels/kernel_list.h)
if [[ -z "$names" ]]; then
  echo "FAIL: no MINIDL_KERNEL entries found in core/kernels/kernel_list.h"
  exit 1
fi
status=0
n=0
for name in $names; do
  n=$((n + 1))
  for side in cpu cuda; do
    if ! grep -q "$side::$name(" tests/cuda/test_cuda_kernels.cpp; then
      echo "FAIL: tests/cuda/test_cuda_kernels.cpp never calls $side::$name"
      status=1
    fi
  done
done
((status == 0)) && echo "$n kernel contracts, each called on both devices by test_cuda_kernels.cpp"
exit $status
