#!/bin/sh
# Data-parallel training speed on one machine (docs/distributed.md): minidl_bench_dist in three
# configurations of the same 2 cores, then the 2-process one again without overlap, then the
# machine's ceiling for 2 x 1: two independent 1-thread processes, each on half the batch, with no
# MPI and no communication (add their img/s). Where the ceiling is below 2x of 1 x 1, the cores
# slow each other down (shared caches, memory bandwidth, the VM), and no all-reduce can beat it.
#   1 process x 2 threads, 2 processes x 1 thread (mpirun), 1 process x 1 thread
# The global batch is the same in all of them, so the parameter checksums printed agree to
# rounding. Goal of issue 17: 2 processes x 1 thread at >= 1.8x the images/s of 1 x 1.
#
# On a machine whose speed drifts, dist_rounds.sh (the same configurations in alternating rounds)
# gives ratios that drift cannot fake.
#
# usage: apps/bench/dist_bench.sh BUILD_DIR [minidl_bench_dist options...]
#   e.g. apps/bench/dist_bench.sh build --steps 20 --json-dir /tmp/dist
# Options after BUILD_DIR go to every run (--networks, --steps, --warmup, --humble-batch, ...);
# --json-dir DIR (first, if given) keeps each run's JSON rows in DIR. Run it on a quiet machine:
# the figures are only as good as the load (uptime) they ran under, which it prints.
set -eu
build=${1:?usage: dist_bench.sh BUILD_DIR [options...]}
shift
bench=$build/apps/bench/minidl_bench_dist
[ -x "$bench" ] || { echo "dist_bench.sh: $bench is not built" >&2; exit 1; }
json_dir=""
if [ "${1:-}" = "--json-dir" ]; then
  json_dir=$2
  shift 2
  mkdir -p "$json_dir"
fi
. "$(dirname "$0")/mpirun_flags.sh"

json() { [ -z "$json_dir" ] || echo "--json $json_dir/$1.json"; }

echo "load before: $(uptime)"
echo "== 1 process x 2 threads"
"$bench" --threads 2 $(json 1x2) "$@"
echo "== 2 processes x 1 thread (overlap on)"
$mpirun -np 2 "$bench" --threads 1 $(json 2x1) "$@"
echo "== 1 process x 1 thread"
"$bench" --threads 1 $(json 1x1) "$@"
echo "== 2 processes x 1 thread, all-reduce only after backward (overlap off)"
$mpirun -np 2 "$bench" --threads 1 --no-overlap $(json 2x1_no_overlap) "$@"
echo "== ceiling: 2 independent processes x 1 thread, half the batch each, no MPI (add img/s)"
"$bench" --threads 1 --split 2 $(json split_a) "$@" &
"$bench" --threads 1 --split 2 $(json split_b) "$@"
wait
echo "load after: $(uptime)"
