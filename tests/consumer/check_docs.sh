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
#
# In every .md file of the repository (README.md and the other top-level pages, and every page
# under apps/, docs/, tests/ and the other source folders), outside fenced code blocks:
#   - every relative link, [text](path) or [text](path#anchor), must name a file or folder that
#     exists (relative to the page; the #anchor is not checked);
#   - every repository path in `backticks` must exist. A repository path is a word of a code span
#     that contains a '/' and starts with a top-level folder of the repository (.ci/ apps/ cmake/
#     core/ cuda/ docs/ layers/ losses/ tests/), read from the repository root; a trailing
#     ":LINE" and "#anchor" are ignored. Words with a glob or a placeholder in them (* ? < > { }
#     [ ] $ | or "...") are patterns, not paths, and are skipped; so is anything under build/.
# And no file of the repository (tracked, or new and not ignored) may point at the shared folder
# outside it (dot-dot-slash "shared", or its absolute path): a clone has none of it.
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
    if (inblock) { inblock = 0 } else { inblock = 1; lang = $0; sub(/^[ \t]*```/, "", lang); lang = trim(lang); sub(/[ \t].*/, "", lang) }
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

# Every .md page of the repository: the top-level ones and those under the source folders (the
# build folders, .git and the other ignored top-level folders hold none of ours).
top_dirs=(.ci apps cmake core cuda docs layers losses tests)
mapfile -t pages < <({ find . -maxdepth 1 -type f -name '*.md'
  find "${top_dirs[@]}" -type f -name '*.md' 2>/dev/null; } | sed 's|^\./||' | sort)

# One pass over the pages, outside fenced blocks: "L<TAB>page<TAB>line<TAB>target" for each
# relative link (code spans removed first), "P<TAB>page<TAB>line<TAB>path" for each repository
# path in a code span. A code span may run over a line break; a blank line or a fence ends it.
awk -v top="^($(IFS='|'; echo "${top_dirs[*]}" | sed 's/\./\\\\./g'))/" '
  function links(s, line,   t) {
    while (match(s, /\]\([^)]*\)/)) {
      t = substr(s, RSTART + 2, RLENGTH - 3)
      s = substr(s, RSTART + RLENGTH)
      sub(/^[ \t]+/, "", t); sub(/[ \t].*$/, "", t)  # [text](path "title")
      sub(/^</, "", t); sub(/>$/, "", t)               # [text](<path>)
      if (t == "" || t ~ /^(https?:|mailto:|ftp:|#)/) continue
      print "L\t" FILENAME "\t" line "\t" t
    }
  }
  function paths(s, line,   n, w, i, t) {
    n = split(s, w, /[ \t]+/)
    for (i = 1; i <= n; i++) {
      t = w[i]
      sub(/^[(\["]+/, "", t)
      sub(/[)\]",;]+$/, "", t)
      sub(/:[0-9]+(-[0-9]+)?$/, "", t)  # core/tensor.h:42
      sub(/[.:]+$/, "", t)
      if (t !~ top || t ~ /[][*?<>{}$|]/ || index(t, "...") || index(t, "://")) continue
      print "P\t" FILENAME "\t" line "\t" t
    }
  }
  FNR == 1 { fence = 0; inspan = 0 }
  /^[ \t]*```/ { fence = !fence; inspan = 0; next }
  fence { next }
  /^[ \t]*$/ { inspan = 0; next }
  {
    rest = $0; plain = ""
    if (inspan) span = span " "  # a line break inside a code span
    while (rest != "") {
      k = index(rest, "`")
      if (inspan) {
        if (k == 0) { span = span rest; break }
        span = span substr(rest, 1, k - 1); rest = substr(rest, k + 1); inspan = 0
        paths(span, spanline)
      } else {
        if (k == 0) { plain = plain rest; break }
        plain = plain substr(rest, 1, k - 1) " "; rest = substr(rest, k + 1)
        inspan = 1; span = ""; spanline = FNR
      }
    }
    links(plain, FNR)
  }' "${pages[@]}" > "$tmp/refs"

links=0
broken=0
paths=0
missing=0
while IFS=$'\t' read -r kind page line target; do
  path=${target%%#*}
  if [[ $kind == L ]]; then
    links=$((links + 1))
    [[ -z $path || -e $(dirname "$page")/$path ]] && continue
    echo "$page:$line: broken link: $target"
    broken=$((broken + 1))
  else
    paths=$((paths + 1))
    [[ -e $path ]] && continue
    echo "$page:$line: no such repository path: $target"
    missing=$((missing + 1))
  fi
done < "$tmp/refs"
printf "docs: %d pages; %d relative links checked, %d broken; %d repository paths checked, %s\n" \
  "${#pages[@]}" "$links" "$broken" "$paths" "$missing missing"

# Nothing may point outside the repository. The patterns are written so that this file does not
# match them itself.
outside='\.\./shared|/work/share[d]'
root=$(git rev-parse --show-toplevel 2>/dev/null || true)
if [[ -n $root && $root == "$(pwd -P)" ]]; then
  mapfile -t files < <(git ls-files --cached --others --exclude-standard)
else  # not a git checkout: the repository's own top-level files and folders
  mapfile -t files < <(find "${top_dirs[@]}" CMakeLists.txt .clang-format .gitignore ./*.md \
    -type f 2>/dev/null)
fi
outside_refs=$(for f in "${files[@]}"; do [[ -f $f ]] && printf '%s\0' "$f"; done |
  xargs -0 -r grep -n -I -E "$outside" -- || true)
if [[ -n $outside_refs ]]; then
  echo "$outside_refs" | sed 's/^/points outside the repository: /'
fi
printf "docs: %d files checked for references outside the repository, %d found\n" \
  "${#files[@]}" "$(grep -c . <<<"$outside_refs" || true)"

((broken == 0 && missing == 0 && ${stale:-0} == 0)) && [[ -z $outside_refs ]]
