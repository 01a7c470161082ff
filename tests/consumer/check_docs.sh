#!/usr/bin/env bash
# The ctest entry docs.in_sync: keeps docs/architecture.md, docs/adding-an-op.md and docs/autograd.md
# from going stale. Every line of their code blocks must be something a test runs or compiles:
#   ```sh     each command (pieces joined by &&) appears in tests/consumer/consumer_test.sh (run by the
#             consumer.* and docs.doxygen ctest entries) or in .ci/run (CI's build-and-test command);
#   ```cmake  each line appears in tests/consumer/CMakeLists.txt (built by consumer.find_package);
#   ```cpp    each line appears in the sources (core, layers, losses, cuda, apps, tests); a line
#             "// ..." stands for code left out.
# Other blocks (```text diagrams) are not checked. usage: check_docs.sh SOURCE_DIR
set -euo pipefail
src=$1
cd "$src"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trim() { sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//'; }

sed 's/&&/\n/g' tests/consumer/consumer_test.sh .ci/run | trim | grep -v '^$' > "$tmp/commands"
trim < tests/consumer/CMakeLists.txt > "$tmp/cmake"
find core layers losses cuda apps tests -type f \( -name '*.h' -o -name '*.cpp' -o -name '*.cu' -o -name '*.cuh' \) \
  -exec cat {} + | trim > "$tmp/code"

docs=(docs/architecture.md docs/adding-an-op.md docs/autograd.md)
# One awk pass: load the three corpora, then check each line inside a fenced block of the docs.
awk -v cmds="$tmp/commands" -v cmk="$tmp/cmake" -v code="$tmp/code" '
  function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
  function stale(what, text) { print FILENAME ":" FNR ": " what ": " text; bad++ }
  BEGIN {
    while ((getline l < cmds) > 0) C[l] = 1
    while ((getline l < cmk) > 0) M[l] = 1
    while ((getline l < code) > 0) K[l] = 1
  }
  /^[ \t]*```/ {
    if (inblock) { inblock = 0 } else { inblock = 1; lang = $0; sub(/^[ \t]*```/, "", lang); lang = trim(lang) }
    next
  }
  inblock {
    line = trim($0)
    if (line == "") next
    if (lang == "sh" || lang == "bash" || lang == "shell") {
      if (line ~ /^#/) next
      n = split(line, parts, /&&/)
      for (i = 1; i <= n; i++) {
        p = trim(parts[i])
        if (p == "") continue
        checked++
        if (!(p in C)) stale("command not run by any test", p)
      }
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
  }' "${docs[@]}"
