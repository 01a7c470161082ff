#!/bin/sh
# Smoke test of the yolo_v1 command line (run by ctest): generate a tiny dataset and check it, then
# feed it bad input and expect one error line and a non-zero status each time, never a crash.
# Usage: smoke_test.sh path/to/yolo_v1 scratch-folder
set -u
bin=$1
dir=$2
rm -rf "$dir" && mkdir -p "$dir" || exit 1
fail() { echo "FAILED: $*"; exit 1; }

"$bin" generate --count 12 --size 32 --seed 3 --out "$dir/shapes" >"$dir/gen.log" 2>&1 || { cat "$dir/gen.log"; fail "generate"; }
"$bin" check-dataset "$dir/shapes" >"$dir/check.log" 2>&1 || { cat "$dir/check.log"; fail "check-dataset on a generated dataset"; }
grep -q "^OK: 12 images" "$dir/check.log" || { cat "$dir/check.log"; fail "check-dataset summary"; }
"$bin" generate --preset words --count 4 --out "$dir/words" >/dev/null 2>&1 || fail "generate --preset words"

. "$(dirname "$0")/expect_error.sh"
expect_error "$bin" check-dataset "$dir/missing"
expect_error "$bin" check-dataset "$dir/shapes" --names "$dir/none.names"
expect_error "$bin" generate --out "$dir/shapes" --count 2      # a dataset is there: needs --force
expect_error "$bin" generate --count -3 --out "$dir/x"
expect_error "$bin" generate --preset fashionable --out "$dir/x"
expect_error "$bin" generate --size 8 --out "$dir/x"
expect_error "$bin" frobnicate
expect_error "$bin" generate --preset fashion --fashion-dir "$dir/no-fashion" --out "$dir/f"
grep -q "apt-get install dataset-fashion-mnist" "$dir/err.txt" || { cat "$dir/err.txt"; fail "fashion: install hint"; }

# A broken label is reported with its file and line, and the status says so.
printf '0 0.5 0.5 0.1\n' >"$dir/shapes/train/labels/000000.txt"
"$bin" check-dataset "$dir/shapes" >"$dir/check2.log" 2>&1
[ $? -eq 1 ] || fail "check-dataset should exit 1 on a bad label"
grep -q "train/labels/000000.txt:1: expected 5 fields" "$dir/check2.log" || { cat "$dir/check2.log"; fail "bad label line not named"; }
echo "yolo_v1 smoke test passed"
