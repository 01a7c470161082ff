#!/usr/bin/env bash
# ctest style.sources: every C, C++ and CUDA source of the repository is formatted as
# .clang-format says (clang-format-14, which .ci/deps installs) and no source file is longer than
# 500 lines. Prints each file that fails and how to fix it; exits 77 (ctest: Skipped) when no
# clang-format is installed, so the line count is still checked by the other half on any machine.
#   usage: tests/style/check_style.sh REPO_ROOT
set -uo pipefail
root=${1:?usage: check_style.sh REPO_ROOT}
cd "$root" || exit 2
if git rev-parse --is-inside-work-tree > /dev/null 2>&1; then
  mapfile -t files < <(git ls-files --cached --others --exclude-standard -- \
    '*.c' '*.cpp' '*.h' '*.cu' '*.cuh' | while read -r f; do [ -f "$f" ] && echo "$f"; done)
else
  mapfile -t files < <(find . -path ./build -prune -o -path './build-*' -prune -o -type f \
    \( -name '*.c' -o -name '*.cpp' -o -name '*.h' -o -name '*.cu' -o -name '*.cuh' \) -print |
    sed 's|^\./||')
fi
((${#files[@]})) || { echo "check_style.sh: no sources found under $root"; exit 2; }

rc=0
long=0
for f in "${files[@]}"; do
  n=$(wc -l < "$f")
  if ((n > 500)); then
    echo "$f: $n lines (at most 500: split it by responsibility)"
    long=1
  fi
done

formatter=""
for c in clang-format-14 clang-format; do
  command -v "$c" > /dev/null && { formatter=$c; break; }
done
if [ -z "$formatter" ]; then
  ((long)) && exit 1
  echo "check_style.sh: ${#files[@]} files within 500 lines; no clang-format installed, so the" \
       "format was not checked (.ci/deps installs clang-format)"
  exit 77
fi
unformatted=()
for f in "${files[@]}"; do
  "$formatter" --dry-run --Werror "$f" > /dev/null 2>&1 || unformatted+=("$f")
done
if ((${#unformatted[@]})); then
  echo "not formatted as .clang-format says (fix: $formatter -i FILE):"
  printf '  %s\n' "${unformatted[@]}"
  rc=1
fi
((long)) && rc=1
((rc == 0)) && echo "check_style.sh: ${#files[@]} sources formatted ($formatter) and within 500 lines"
exit $rc
