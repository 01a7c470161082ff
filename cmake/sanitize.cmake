# Sanitizer and fuzzing builds (tests/sanitize.sh configures both in build-asan/). Included by the
# top-level CMakeLists.txt before any target, so every target of the build gets the flags.
#   MINIDL_SANITIZE=address,undefined  -fsanitize=... on every C/C++ file and link; any finding
#                                      aborts the program (-fno-sanitize-recover=all).
#   MINIDL_FUZZ=ON                     coverage instrumentation for libFuzzer on every C/C++ file and
#                                      the fuzz targets of tests/fuzz (needs clang and address).
set(MINIDL_SANITIZE "" CACHE STRING "Sanitizers for every target, e.g. address,undefined (empty: none)")
option(MINIDL_FUZZ "Build the libFuzzer targets of tests/fuzz (clang, with MINIDL_SANITIZE=address,...)" OFF)

if(MINIDL_SANITIZE)
  # Through CMAKE_<LANG>_FLAGS rather than target options, so that the ctest entries that build
  # outside projects against this build (tests/consumer) compile and link with the same flags.
  set(_minidl_san "-fsanitize=${MINIDL_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer")
  string(APPEND CMAKE_C_FLAGS " ${_minidl_san}")
  string(APPEND CMAKE_CXX_FLAGS " ${_minidl_san}")
  foreach(kind EXE SHARED MODULE)
    string(APPEND CMAKE_${kind}_LINKER_FLAGS " -fsanitize=${MINIDL_SANITIZE}")
  endforeach()
  unset(_minidl_san)
endif()

if(MINIDL_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang" OR NOT MINIDL_SANITIZE MATCHES "address")
    message(FATAL_ERROR "MINIDL_FUZZ needs clang (-DCMAKE_CXX_COMPILER=clang++, Debian: clang "
                        "libclang-rt-14-dev) and MINIDL_SANITIZE including address; got "
                        "${CMAKE_CXX_COMPILER_ID} and '${MINIDL_SANITIZE}'")
  endif()
  # Edge coverage in the library too, so the fuzzers see which branches of a reader an input took.
  # The programs that are not fuzz targets get the no-op coverage hooks of the ASan runtime.
  add_compile_options($<$<COMPILE_LANGUAGE:C,CXX>:-fsanitize=fuzzer-no-link>)
endif()
