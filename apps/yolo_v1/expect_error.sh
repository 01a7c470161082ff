# Sourced by the yolo_v1 CLI tests: expect_error ARGS... runs a command that must fail cleanly --
# a non-zero exit status that is not a signal, and exactly one line on stderr (left in $dir/err.txt).
expect_error() {
  "$@" >/dev/null 2>"$dir/err.txt"
  rc=$?
  lines=$(wc -l <"$dir/err.txt")
  if [ "$rc" -eq 0 ] || [ "$rc" -ge 128 ] || [ "$lines" -ne 1 ]; then
    cat "$dir/err.txt"
    fail "expected one error line and a non-zero status (got $rc) from: $*"
  fi
}
