#!/usr/bin/env bash
# The ctest entry docs.in_sync: keeps the docs (docs/*.md and docs/tutorials/*.md) from going
# stale. Every line of their code blocks must be something a test runs or compiles:
#   ```sh     in a tutorial page: the page is run by its ctest entry tutorial.<page>
#             (docs/tutorials/run_tutorial.sh runs every command and checks the ```output blocks),
#             so the page must be listed in MINIDL_TUTORIAL_PAGES (docs/tutorials/CMakeLists.txt);
#             elsewhere: each command (pieces joined by &&) appears in
#             tests/consumer/consumer_test.sh (run by the consumer.* and docs.doxygen ctest
#             entries) or in .ci/run (CI's build-and-test command);
#   ```output only in tutorial pages (checked by run_tutorial.sh, see above);
#   ```cmake  each line appears in tests/consumer/CMakeLists.txt (built by consumer.find_package);
#   ```cpp    each line appears in the sources (core, layers, losses, cuda, apps, tests,
#             docs/tutorials); a line "// ..." stands for code left out.
# Other blocks (```text diagrams, ```python for another framework's code) are not checked.
# And every relative link, [text](path), must name a file or folder that exists.
# usage: check_docs.sh SOURCE_DIR
set -euo pipefail
src=$1
cd "$src"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trim() { sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//'; }

sed 's/&&/\n/g' tests/consumer/consumer_test.sh .ci/run | trim | grep -v '^$' > "$tmp/commands"
trim < tests/consumer/CMakeLists.txt > "$tmp/cmake"
find core layers losses cuda apps tests docs/tutorials -type f \( -name '*.h' -o -name '*.cpp' -o -name '*.cu' -o -name '*.cuh' \) \
  -exec cat {} + | trim > "$tmp/code"

# The tutorial pages that a ctest entry runs (docs/tutorials/CMakeLists.txt, MINIDL_TUTORIAL_PAGES).
sed -n '/set(MINIDL_TUTORIAL_PAGES/,/)/p' docs/tutorials/CMakeLists.txt |
  sed -e 's/set(MINIDL_TUTORIAL_PAGES//' -e 's/)//' | tr -s ' \t' '\n' | grep -v '^$' |
  sed 's|^|docs/tutorials/|; s|$|.md|' > "$tmp/run_pages"

docs=(docs/*.md docs/tutorials/*.md)
# One awk pass: load the corpora, then check each line inside a fenced block of the docs.
awk -v cmds="$tmp/commands" -v cmk="$tmp/cmake" -v code="$tmp/code" -v run_pages="$tmp/run_pages" '
  function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
  function stale(what, text) { print FILENAME ":" FNR ": " what ": " text; bad++ }
  BEGIN {
    while ((getline l < cmds) > 0) C[l] = 1
    while ((getline l < cmk) > 0) M[l] = 1
    while ((getline l < code) > 0) K[l] = 1
    while ((getline l < run_pages) > 0) RUN[l] = 1
  }
  /^[ \t]*```/ {
    if (inblock) { inblock = 0 } else { inblock = 1; lang = $0; sub(/^[ \t]*```/, "", lang); lang = trim(lang) }
    next
  }
  inblock {
    line = trim($0)
    if (line == "") next
    if ((lang == "sh" || lang == "bash" || lang == "shell") && (FILENAME in RUN)) {
      checked++  # run, verbatim, by the ctest entry tutorial.<page>
    } else if (lang == "sh" || lang == "bash" || lang == "shell") {
      if (line ~ /^#/) next
      if (FILENAME ~ /^docs\/tutorials\//) {
        stale("a command in a tutorial page that no ctest entry runs (add the page to MINIDL_TUTORIAL_PAGES in docs/tutorials/CMakeLists.txt)", line)
        next
      }
      n = split(line, parts, /&&/)
      for (i = 1; i <= n; i++) {
        p = trim(parts[i])
        if (p == "") continue
        checked++
        if (!(p in C)) stale("command not run by any test", p)
      }
    } else if (lang == "output") {
      if (!(FILENAME in RUN)) stale("an output block that no ctest entry checks (only tutorial pages have them)", line)
      else checked++
    } else if (lang == "cmake") {
      if (line ~ /^#/) next
      checked++
      if (!(line in M)) stale("not in tests/consumer/CMakeLists.txt", line)
    } else if (lang == "cpp" || lang == "c++") {
      if (line == "// ...") next
      checked++
      if (!(line in K)) stale("not found in the sources", line)
    }
  }
  END {
    printf "docs: %d code-block lines checked, %d stale\n", checked, bad
    if (checked == 0) { print "FAIL: no code-block lines found in the docs"; exit 1 }
    exit (bad > 0)
  }' "${docs[@]}" || stale=1

# Relative links: [text](path) or [text](path#anchor), outside code blocks and `code`.
links=0
broken=0
for page in README.md "${docs[@]}"; do
  dir=$(dirname "$page")
  while IFS= read -r target; do
    links=$((links + 1))
    path=${target%%#*}
    [[ -z $path || -e $dir/$path ]] && continue
    echo "$page: broken link: $target"
    broken=$((broken + 1))
  done < <(awk '/^[ \t]*```/ { f = !f; next } !f { gsub(/`[^`]*`/, ""); print }' "$page" |
    grep -o '\]([^)]*)' | sed 's/^](//; s/)$//' | grep -v -E '^(https?:|mailto:|#)' || true)
done
printf "docs: %d relative links checked, %d broken\n" "$links" "$broken"
((broken == 0 && ${stale:-0} == 0))
