#!/usr/bin/env bash
# The ctest entries tutorial.*: run, verbatim and in order, every command a tutorial page shows in
# its ```sh blocks, and check what they print against the page's ```output blocks: each line of an
# output block must appear, in that order, in what the sh block just before it printed. A line
# "..." stands for lines left out; a line ending in " ..." matches a printed line that starts with
# the text before it (for timings). So a page cannot show a command that fails or a value that is
# not printed.
#
# Numbers that come out of training (a loss after some epochs, an accuracy, an mAP) depend on the
# CPU's BLAS kernels and on the order of floating-point sums, so a page marks their block
# "```output tolerance=0.02" (absolute) or "```output tolerance=5%" (relative to the number shown):
# there each number with a decimal point may differ from the printed one by that much, while
# integers (epoch counts, sizes) and all the other text must match exactly. Values computed in
# closed form on fixed inputs stay in plain "```output" blocks and must match to every digit shown. Commands run in WORK_DIR, where `build` links to the build directory and `docs`, `apps`
# and `tests` to the source's, so they read exactly as in the page.
#
# usage: run_tutorial.sh PAGE SOURCE_DIR BUILD_DIR WORK_DIR   (PAGE relative to SOURCE_DIR)
set -euo pipefail
page=$1 src=$2 bld=$3 work=$4
[[ -f $src/$page ]] || { echo "FAIL: no page $src/$page" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work/.blocks"
cd "$work"
ln -sfn "$bld" build
for d in docs apps tests; do ln -sfn "$src/$d" "$d"; done

# Split the page into .blocks/NNN.sh and .blocks/NNN.out (an output block belongs to the sh
# block before it).
awk -v dir=.blocks '
  /^[ \t]*```/ {
    if (inblock) { inblock = 0; next }
    info = $0; sub(/^[ \t]*```[ \t]*/, "", info); inblock = 1
    lang = info; sub(/[ \t].*/, "", lang)
    attr = info; sub(/^[^ \t]*[ \t]*/, "", attr); sub(/[ \t]+$/, "", attr)
    if (lang == "sh" || lang == "bash") { n++; file = sprintf("%s/%03d.sh", dir, n); printf "" > file }
    else if (lang == "output") {
      if (n == 0) { print FILENAME ":" FNR ": an output block before any sh block"; exit 1 }
      if (attr != "" && attr !~ /^tolerance=[0-9.]+%?$/) {
        print FILENAME ":" FNR ": unknown output block attribute \"" attr "\" (tolerance=ABS or tolerance=PCT%)"
        exit 1
      }
      file = sprintf("%s/%03d.out", dir, n)
      tol = attr; sub(/^tolerance=/, "", tol)
      printf "%s", tol > sprintf("%s/%03d.tol", dir, n)
    } else file = ""
    next
  }
  inblock && file != "" { print >> file }
' "$src/$page"

shopt -s nullglob
blocks=(.blocks/*.sh)
((${#blocks[@]})) || { echo "FAIL: $page shows no command" >&2; exit 1; }
for cmds in "${blocks[@]}"; do
  log=${cmds%.sh}.log
  echo "---- $page: $(grep -v '^[[:space:]]*\(#\|$\)' "$cmds" | paste -sd ';' -)"
  if ! bash -euo pipefail "$cmds" 2>&1 | tee "$log"; then  # pipefail: the commands' status
    echo "FAIL: a command of $page failed (above)" >&2
    exit 1
  fi
  expected=${cmds%.sh}.out
  [[ -f $expected ]] || continue
  tolerance=$(cat "${cmds%.sh}.tol" 2>/dev/null || true)
  # Each expected line, in order, must be a line of the log (trailing blanks ignored).
  if ! awk -v tol="$tolerance" '
    function rtrim(s) { sub(/[ \t\r]+$/, "", s); return s }
    # The line with each decimal number replaced by "#", and the numbers in nums[1..].
    function skeleton(s, nums,    out, k) {
      out = ""; k = 0
      while (match(s, /-?[0-9]*\.[0-9]+([eE][-+]?[0-9]+)?/)) {
        nums[++k] = substr(s, RSTART, RLENGTH) + 0
        out = out substr(s, 1, RSTART - 1) "#"; s = substr(s, RSTART + RLENGTH)
      }
      nums[0] = k
      return out s
    }
    function close_to(got, want) {
      d = got - want; if (d < 0) d = -d
      if (rel) return d <= limit * (want < 0 ? -want : want) + 1e-12
      return d <= limit + 1e-12
    }
    function matches(line, w,    prefix, sl, sw, gn, wn, k) {
      prefix = (w ~ / \.\.\.$/)
      if (prefix) w = substr(w, 1, length(w) - 4)
      if (tol == "") return prefix ? index(line, w) == 1 : line == w
      sl = skeleton(line, gn); sw = skeleton(w, wn)
      if (prefix ? index(sl, sw) != 1 : sl != sw) return 0
      for (k = 1; k <= wn[0]; k++) if (!close_to(gn[k], wn[k])) return 0
      return 1
    }
    BEGIN { rel = (tol ~ /%$/); limit = tol + 0; if (rel) limit /= 100 }
    NR == FNR { if (rtrim($0) != "" && rtrim($0) != "...") want[++n] = rtrim($0); next }
    { if (i < n && matches(rtrim($0), want[i + 1])) i++ }
    END {
      if (i < n) {
        printf "FAIL: the page shows this line, but the command did not print it (in this order%s):\n  %s\n", \
               tol == "" ? "" : ", numbers within " tol, want[i + 1]
        exit 1
      }
    }' "$expected" "$log" >&2; then
    exit 1
  fi
done
echo "$page: ${#blocks[@]} command blocks run, every output line shown was printed"
