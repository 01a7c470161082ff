#!/usr/bin/env bash
# ctest app.yolo_v1_survives_sigkill: `yolo_v1 train` is killed with SIGKILL at pseudo-random
# moments (a fixed sequence picks them as fractions of what a reference run took for the epochs
# left) and resumed each time until it finishes. After every kill: each checkpoint there loads (detect reads it); the last
# checkpoint never goes back an epoch and covers every epoch the run reported done; the log holds
# epochs 1..m once each, in order, with m at most one past the checkpoint (a row the resume drops).
# At the end the log and the checkpoint equal those of the same run never interrupted: no epoch
# missing or repeated, the same steps, losses and mAP. usage: kill_resume_test.sh YOLO_V1 SCRATCH
set -u
bin=$1 dir=$2
rm -rf "$dir" && mkdir -p "$dir" || exit 1
fail() { echo "FAILED: $*" >&2; exit 1; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

"$bin" generate --preset words --count 20 --seed 5 --out "$dir/words" >/dev/null || fail generate
img=$(ls "$dir"/words/val/images/*.png | head -n 1)
epochs=4
train=("$bin" train --data "$dir/words" --arch humble --epochs "$epochs" --batch 4 --seed 3
       --threads 2 --quiet)

# The epoch recorded in a checkpoint's metadata (in the file's JSON header), or 0 without one.
ckpt_epoch() {
  [[ -f $1 ]] || { echo 0; return; }
  head -c 65536 "$1" | tr -d '\0' | grep -ao '"yolo.epoch":"[0-9]*"' | grep -o '[0-9]*' || echo "?"
}
# The epoch column of the log, one per line.
log_epochs() { [[ -f $1 ]] && tail -n +2 "$1" | cut -d, -f1; }

start=$(now_ms)
"${train[@]}" --out "$dir/ref" >"$dir/ref.out" 2>&1 || { cat "$dir/ref.out"; fail "reference run"; }
T=$(($(now_ms) - start))
echo "reference run: $epochs epochs in ${T} ms"

run=$dir/run
last=0       # the last checkpoint's epoch after the previous kill
attempt=0
x=12345      # the kill moments: a fixed linear congruential sequence (see wait_ms)
finished=0
while ((attempt < 8)); do
  attempt=$((attempt + 1))
  resume=()
  [[ -f $run/last.safetensors ]] && resume=(--resume)
  x=$(((x * 1103515245 + 12345) % 2147483648))
  # 10% .. 90% of the time the epochs still to train took in the reference run
  wait_ms=$((T * (epochs - last) / epochs * (10 + x % 81) / 100))
  "${train[@]}" --out "$run" "${resume[@]}" >"$dir/attempt$attempt.out" 2>&1 &
  pid=$!
  sleep "$(awk -v ms="$wait_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
  if ! kill -KILL "$pid" 2>/dev/null; then  # it finished first
    wait "$pid" || { cat "$dir/attempt$attempt.out"; fail "attempt $attempt failed"; }
    finished=1
    echo "attempt $attempt: finished before the kill at ${wait_ms} ms"
    break
  fi
  wait "$pid" 2>/dev/null
  k=$(ckpt_epoch "$run/last.safetensors")
  [[ $k =~ ^[0-9]+$ ]] || fail "attempt $attempt: last.safetensors has no readable epoch"
  mapfile -t logged < <(log_epochs "$run/log.csv")
  reported=$(grep -o '^epoch [0-9]*/' "$dir/attempt$attempt.out" | tail -n 1 | tr -dc '0-9')
  echo "attempt $attempt: killed at ${wait_ms} ms; checkpoint at epoch $k, log epochs" \
       "(${logged[*]:-none}), last reported epoch ${reported:-none}"
  ((k >= last)) || fail "attempt $attempt: the checkpoint went back from epoch $last to $k"
  ((${reported:-0} <= k)) || fail "attempt $attempt: epoch $reported was reported done but the checkpoint has $k"
  for i in "${!logged[@]}"; do
    [[ ${logged[$i]} == $((i + 1)) ]] || fail "attempt $attempt: log row $((i + 1)) is epoch ${logged[$i]}"
  done
  ((${#logged[@]} <= k + 1)) || fail "attempt $attempt: the log is ${#logged[@]} epochs, the checkpoint $k"
  for f in last best; do
    [[ -f $run/$f.safetensors ]] || continue
    "$bin" detect --model "$run/$f.safetensors" "$img" --out "$dir/det" >"$dir/detect.out" 2>&1 ||
      { cat "$dir/detect.out"; fail "attempt $attempt: $f.safetensors does not load"; }
  done
  last=$k
done
if ((!finished)); then
  resume=()
  [[ -f $run/last.safetensors ]] && resume=(--resume)
  "${train[@]}" --out "$run" "${resume[@]}" >"$dir/final.out" 2>&1 || { cat "$dir/final.out"; fail "final resume"; }
fi
temps=$(find "$run" -name '.*.tmp.*' | wc -l)
echo "left by the kills: $temps temporary file(s) of interrupted checkpoint writes"

# The same log as the uninterrupted run: epoch and step exact, losses and mAP to print rounding.
paste -d, <(tail -n +2 "$dir/ref/log.csv") <(tail -n +2 "$run/log.csv") | awk -F, -v n=13 '
  function close_to(a, b) { d = a - b; if (d < 0) d = -d; return d <= 1e-4 + 1e-4 * (a < 0 ? -a : a) }
  { if ($1 != $(n + 1) || $2 != $(n + 2)) { print "row " NR ": epoch/step " $1 "/" $2 " vs " $(n + 1) "/" $(n + 2); bad = 1 }
    for (k = 3; k <= 11; ++k) if (!close_to($k, $(n + k))) { print "row " NR " field " k ": " $k " vs " $(n + k); bad = 1 } }
  END { exit bad }' || fail "the log differs from the uninterrupted run's"
[[ $(wc -l <"$run/log.csv") == $(wc -l <"$dir/ref/log.csv") ]] || fail "the log has a different number of rows"
[[ $(ckpt_epoch "$run/last.safetensors") == "$epochs" ]] || fail "the final checkpoint is not at epoch $epochs"
for f in "$dir/ref" "$run"; do
  head -c 65536 "$f/last.safetensors" | tr -d '\0' | grep -ao '"step":"[0-9]*"'
done | uniq | wc -l | grep -qx 1 || fail "the final step differs from the uninterrupted run's"
echo "yolo_v1 train survived $((attempt - finished)) SIGKILLs: log and checkpoint as if never stopped"
