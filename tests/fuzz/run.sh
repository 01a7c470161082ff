#!/usr/bin/env bash
# Bounded fuzzing (run by .ci/run after tests/sanitize.sh, whose build-asan/ it uses): each
# libFuzzer target of tests/fuzz runs for FUZZ_SECONDS (default 60) starting from its committed
# seed corpus tests/fuzz/corpus/<target>. New inputs go to build-asan/fuzz/corpus/<target> (the
# committed seeds are only read), crashing inputs to build-asan/fuzz/crashes/. The mutations come
# from a fixed seed (FUZZ_SEED, default 1), so a run explores the same inputs each time, as far as
# its time allows. Prints executions, coverage and crashes per target; fails when any crashed.
# usage: tests/fuzz/run.sh [target ...]   (default: labels image idx model)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build-asan
seconds=${FUZZ_SECONDS:-60}
seed=${FUZZ_SEED:-1}
targets=("$@")
((${#targets[@]})) || targets=(labels image idx model)
source tests/sanitizer_env.sh
export ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1  # libFuzzer reports and saves the input
[[ -d /dev/shm && -w /dev/shm ]] && export TMPDIR=/dev/shm  # the targets' scratch file
out=$build/fuzz
mkdir -p "$out/crashes"
failed=()
summary=$(printf '%-8s %10s %8s %6s %6s  %s' target executions exec/s cov corpus result)
for t in "${targets[@]}"; do
  mkdir -p "$out/corpus/$t"
  log=$out/$t.log
  echo "fuzz_$t: ${seconds}s from tests/fuzz/corpus/$t (log: $log)"
  result=ok
  if ! "$build/tests/fuzz/fuzz_$t" -seed="$seed" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$out/crashes/$t-" "$out/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
    result="CRASH ($(ls "$out/crashes" | grep -c "^$t-") input(s) in $out/crashes)"
    failed+=("$t")
    tail -n 60 "$log"
  fi
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1 || true)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1 || true)
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
  summary+=$'\n'$(printf '%-8s %10s %8s %6s %6s  %s' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
    "${corp:-?}" "$result")
done
echo "$summary"
if ((${#failed[@]})); then
  echo "fuzzing found crashes in: ${failed[*]}" >&2
  exit 1
fi
