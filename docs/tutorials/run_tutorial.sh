#!/usr/bin/env bash
# The ctest entries tutorial.*: run, verbatim and in order, every command a tutorial page shows in
# its ```sh blocks, and check what they print against the page's ```output blocks: each line of an
# output block must appear, in that order, in what the sh block just before it printed. A line
# "..." stands for lines left out; a line ending in " ..." matches a printed line that starts with
# the text before it (for timings). So a page cannot show a command that fails or a value that is
# not printed. Commands run in WORK_DIR, where `build` links to the build directory and `docs`, `apps`
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
    lang = $0; sub(/^[ \t]*```/, "", lang); gsub(/[ \t]/, "", lang); inblock = 1
    if (lang == "sh" || lang == "bash") { n++; file = sprintf("%s/%03d.sh", dir, n); printf "" > file }
    else if (lang == "output") {
      if (n == 0) { print FILENAME ":" FNR ": an output block before any sh block"; exit 1 }
      file = sprintf("%s/%03d.out", dir, n)
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
  # Each expected line, in order, must be a line of the log (trailing blanks ignored).
  if ! awk '
    function rtrim(s) { sub(/[ \t\r]+$/, "", s); return s }
    NR == FNR { if (rtrim($0) != "" && rtrim($0) != "...") want[++n] = rtrim($0); next }
    function matches(line, w) {
      if (w ~ / \.\.\.$/) return index(line, substr(w, 1, length(w) - 4)) == 1
      return line == w
    }
    { if (i < n && matches(rtrim($0), want[i + 1])) i++ }
    END {
      if (i < n) { printf "FAIL: the page shows this line, but the command did not print it (in this order):\n  %s\n", want[i + 1]; exit 1 }
    }' "$expected" "$log" >&2; then
    exit 1
  fi
done
echo "$page: ${#blocks[@]} command blocks run, every output line shown was printed"
