#!/bin/sh
# Data-parallel speed in alternating rounds (docs/distributed_measuring.md): on a machine whose
# speed drifts, dist_bench.sh's one pass per configuration lets the drift land on one side only.
# Here every round runs, back to back, for one network:
#   1 x 1            one process, 1 thread, the whole global batch
#   2 x 1 off / on   mpirun -np 2, 1 thread each, overlap off, then on
#   split            the ceiling: two independent 1-thread processes started together, each on
#                    half the batch, no MPI (add their img/s)
#   1 x 2            one process, 2 threads
# Compare configurations within a round only.
#
# usage: apps/bench/dist_rounds.sh BUILD_DIR NETWORK STEPS [ROUNDS]
#   e.g. OPENBLAS_CORETYPE=Haswell apps/bench/dist_rounds.sh build tiny 6 3
set -eu
build=${1:?usage: dist_rounds.sh BUILD_DIR NETWORK STEPS [ROUNDS]}
net=${2:?network: humble or tiny}
steps=${3:?timed steps per run}
rounds=${4:-3}
bench=$build/apps/bench/minidl_bench_dist
[ -x "$bench" ] || { echo "dist_rounds.sh: $bench is not built" >&2; exit 1; }
. "$(dirname "$0")/mpirun_flags.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() { "$@" --networks "$net" --steps "$steps" --warmup 2; }
ips() { grep -o '[0-9.]* img/s' "$1"; }
detail() { grep -o '[0-9.]* img/s.*wait after backward ([0-9]*%)' "$1"; }

r=1
while [ $r -le "$rounds" ]; do
  echo "round $r, load $(cut -d' ' -f1 /proc/loadavg)"
  run "$bench" --threads 1 > "$tmp/a"
  echo "1x1: $(ips "$tmp/a")"
  run $mpirun -np 2 "$bench" --threads 1 --no-overlap > "$tmp/a"
  echo "2x1 off: $(detail "$tmp/a")"
  run $mpirun -np 2 "$bench" --threads 1 > "$tmp/a"
  echo "2x1 on: $(detail "$tmp/a")"
  run "$bench" --threads 1 --split 2 > "$tmp/a" &
  run "$bench" --threads 1 --split 2 > "$tmp/b"
  wait
  echo "split: $(ips "$tmp/a") + $(ips "$tmp/b")"
  run "$bench" --threads 2 > "$tmp/a"
  echo "1x2: $(ips "$tmp/a")"
  r=$((r + 1))
done
