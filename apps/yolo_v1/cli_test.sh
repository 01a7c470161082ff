#!/bin/sh
# CLI test of yolo_v1's training commands (run by ctest): train, resume, detect (text, JSON, txt
# labels), eval, overfit and demo at a tiny size, and bad input answered with one line each.
# Usage: cli_test.sh path/to/yolo_v1 scratch-folder cuda-built(0|1)
set -u
bin=$1
dir=$2
cuda=$3
rm -rf "$dir" && mkdir -p "$dir" || exit 1
fail() { echo "FAILED: $*"; exit 1; }
run() { "$@" >"$dir/out.log" 2>&1 || { cat "$dir/out.log"; fail "$*"; }; }
fast="--threads 2 --quiet"

run "$bin" generate --preset words --count 12 --seed 5 --out "$dir/words"
run "$bin" train --data "$dir/words" --arch humble --epochs 2 --batch 4 --out "$dir/run" $fast
grep -q "^epoch 2/2 loss" "$dir/out.log" || { cat "$dir/out.log"; fail "train: no epoch line"; }
for f in last.safetensors best.safetensors log.csv curves.png classes.names; do
  [ -s "$dir/run/$f" ] || fail "train did not write $f"
done
run "$bin" train --data "$dir/words" --epochs 3 --batch 4 --out "$dir/run" --resume $fast
grep -q "resuming .*after epoch 2 (step 6)" "$dir/out.log" || { cat "$dir/out.log"; fail "resume"; }
[ "$(wc -l <"$dir/run/log.csv")" -eq 4 ] || { cat "$dir/run/log.csv"; fail "log: header + 3 epochs"; }
tail -n 1 "$dir/run/log.csv" | grep -q "^3,9," || { cat "$dir/run/log.csv"; fail "log: epoch 3 at step 9"; }

img="$dir/words/val/images/000010.png"
run "$bin" detect --model "$dir/run" "$img" --out "$dir/det" --conf 0.01 --save-txt
grep -q "000010.png (64x64): " "$dir/out.log" || { cat "$dir/out.log"; fail "detect text"; }
[ -s "$dir/det/000010.png" ] && [ -f "$dir/det/labels/000010.txt" ] || fail "detect outputs"
"$bin" detect --model "$dir/run" "$img" --out "$dir/det" --json >"$dir/det.json" 2>/dev/null || fail "detect --json"
head -c 1 "$dir/det.json" | grep -q '\[' || { cat "$dir/det.json"; fail "detect --json: stdout is not JSON"; }
run "$bin" eval --model "$dir/run" --data "$dir/words"
grep -q "VOC2010+ all-point .* | VOC2007 11-point" "$dir/out.log" || { cat "$dir/out.log"; fail "eval"; }
run "$bin" overfit --data "$dir/words" --arch humble --images 4 --steps 5 --min-map 0 --out "$dir/over" $fast
grep -q "^overfit: mAP@0.5" "$dir/out.log" || { cat "$dir/out.log"; fail "overfit verdict"; }
run "$bin" demo --out "$dir/demo" --count 20 --epochs 1 --grid 4 $fast
grep -q "^demo: mAP@0.5 on 4 held-out images" "$dir/out.log" || { cat "$dir/out.log"; fail "demo"; }
[ -s "$dir/demo/predictions.png" ] || fail "demo: no predictions.png"

. "$(dirname "$0")/expect_error.sh"
# --no-augment and --clip reach the run: they were once registered on a Flags that had gone out of
# scope, so CLI11 wrote them into a dead stack frame and training ran augmented and unclipped.
run "$bin" train --data "$dir/words" --arch humble --epochs 1 --batch 4 --out "$dir/noaug" --no-augment $fast
grep -q ", augmentation off," "$dir/out.log" || { cat "$dir/out.log"; fail "--no-augment ignored"; }
run "$bin" train --data "$dir/words" --arch humble --epochs 1 --batch 4 --out "$dir/aug" $fast
grep -q ", augmentation on," "$dir/out.log" || { cat "$dir/out.log"; fail "augmentation default"; }
cp -r "$dir/words" "$dir/edge" || fail "copy words"
printf '0 1.05 0.5 0.2 0.2\n' >>"$dir/edge/train/labels/000000.txt"  # centre past the right edge
expect_error "$bin" train --data "$dir/edge" --arch humble --epochs 1 --batch 4 --out "$dir/edge_keep" $fast
grep -q "000000.txt:[0-9]*: centre (1.05, 0.5) is outside" "$dir/err.txt" || { cat "$dir/err.txt"; fail "edge error"; }
run "$bin" train --data "$dir/edge" --arch humble --epochs 1 --batch 4 --out "$dir/edge_clip" --clip $fast
grep -q "^--clip: 1 training boxes clipped" "$dir/out.log" || { cat "$dir/out.log"; fail "train --clip ignored"; }
run "$bin" overfit --data "$dir/edge" --arch humble --images 4 --steps 1 --min-map 0 --out "$dir/edge_over" --clip $fast
grep -q "^--clip: 1 training boxes clipped" "$dir/out.log" || { cat "$dir/out.log"; fail "overfit --clip ignored"; }
expect_error "$bin" train --data "$dir/words" --out "$dir/run"       # a run is there: --resume
expect_error "$bin" train --data "$dir/nowhere" --out "$dir/run2"
expect_error "$bin" detect --model "$dir/nowhere" "$img"
expect_error "$bin" eval --model "$dir/run" --data "$dir/words" --split test
expect_error "$bin" train --data "$dir/words" --arch yolov9 --out "$dir/run3"
if [ "$cuda" = 0 ]; then
  expect_error "$bin" train --data "$dir/words" --device cuda --out "$dir/run4"
  grep -q "built without CUDA" "$dir/err.txt" || { cat "$dir/err.txt"; fail "cuda message"; }
fi
# An unreadable image is reported with its name and skipped; the status says so.
printf 'junk' >"$dir/bad.png"
"$bin" detect --model "$dir/run" "$dir/bad.png" "$img" --out "$dir/det2" >"$dir/out.log" 2>&1
[ $? -eq 1 ] || fail "detect should exit 1 when an image is unreadable"
grep -q "skipped: .*bad.png" "$dir/out.log" || { cat "$dir/out.log"; fail "unreadable image not named"; }
echo "yolo_v1 CLI test passed"
