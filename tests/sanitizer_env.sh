# Sourced by tests/sanitize.sh and tests/fuzz/run.sh: how the sanitizer runtimes report. Every
# finding aborts with a stack trace, and the leak check runs at exit. No suppression is needed:
# OpenBLAS, zlib and the thread pool run clean under ASan, UBSan and LSan.
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1
# minidl's CPU buffer cache off: every freed buffer goes back to malloc, where ASan watches it.
export MINIDL_CPU_CACHE_MB=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:abort_on_error=1
# Readable stack traces (Debian's llvm-14 has the symbolizer; without it reports show addresses).
if [[ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]]; then
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi
