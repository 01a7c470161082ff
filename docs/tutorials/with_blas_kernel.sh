#!/usr/bin/env bash
# Runs a command with OpenBLAS forced onto one family of its kernels (OPENBLAS_CORETYPE), so that a
# check whose output depends on the kernels' summation order fails here rather than on the next
# machine: the ctest entries tutorial.<page>.<kernel> run every tutorial page under two of them.
# When this CPU cannot run the family (its instructions are missing), the entry reports itself
# skipped (MINIDL_SKIP), never passed.
# usage: with_blas_kernel.sh Haswell|Sandybridge COMMAND...
set -euo pipefail
kernel=$1
shift
case $kernel in
  Haswell) need=(avx2 fma) ;;
  Sandybridge) need=(avx) ;;
  *) echo "with_blas_kernel.sh: unknown kernel family '$kernel' (Haswell or Sandybridge)" >&2; exit 2 ;;
esac
flags=$(grep -m1 '^flags' /proc/cpuinfo || true)
for f in "${need[@]}"; do
  if [[ " $flags " != *" $f "* ]]; then
    echo "MINIDL_SKIP: this CPU lacks $f, which OpenBLAS's $kernel kernels need"
    exit 0
  fi
done
export OPENBLAS_CORETYPE=$kernel
exec "$@"
