#!/usr/bin/env bash
# The ctest entries consumer.* and docs.doxygen (tests/CMakeLists.txt): runs, verbatim, the commands
# docs/architecture.md shows for installing minidl and using it from another project, against this
# build. docs.in_sync checks that every command in the docs appears in this file (or in .ci/run).
#
# usage: consumer_test.sh STEP SOURCE_DIR BUILD_DIR WORK_DIR CXX cxxflags=CXXFLAGS ldflags=LDFLAGS
#   STEP: install | find_package | pkg_config | doxygen   (the flags may be empty: cxxflags=)
# Inside WORK_DIR, `build` links to BUILD_DIR and `tests` to SOURCE_DIR/tests, so the commands read
# exactly as in the docs; CXX, CXXFLAGS and LDFLAGS are the main build's (sanitizer builds need them).
set -euo pipefail
step=$1 src=$2 bld=$3 work=$4
export CXX=$5 CXXFLAGS=${6#cxxflags=} LDFLAGS=${7#ldflags=}

mkdir -p "$work"
cd "$work"
ln -sfn "$bld" build
ln -sfn "$src/tests" tests
PREFIX="$work/prefix"  # where the docs say "$PREFIX"

# The docs call the compiler `c++`; here it is the main build's, with its flags.
c++() { command "$CXX" $CXXFLAGS "$@" $LDFLAGS; }

fail() { echo "FAIL: $*" >&2; exit 1; }

case "$step" in
install)
  rm -rf "$PREFIX"
  cmake --install build --prefix "$PREFIX"

  # What the docs promise is there.
  inc="$PREFIX/include/minidl"
  for f in "$inc/minidl.h" "$inc/core/minidl.h" "$inc/core/tensor.h" "$inc/layers/layers.h" \
           "$inc/losses/losses.h" "$PREFIX/lib/cmake/minidl/minidlConfig.cmake" \
           "$PREFIX/lib/cmake/minidl/minidlConfigVersion.cmake" \
           "$PREFIX/lib/cmake/minidl/minidlTargets.cmake" "$PREFIX/lib/pkgconfig/minidl.pc"; do
    [[ -f $f ]] || fail "$f was not installed"
  done
  compgen -G "$PREFIX/lib/libminidl.*" >/dev/null || fail "no libminidl in $PREFIX/lib"

  # The installed headers are self-sufficient and hold nothing internal: every "..." include
  # resolves inside include/minidl, and none names kernel plumbing.
  internal='^(core/kernel_types\.h|core/cpu/.*|core/ops/op_util\.h|cuda/.*)$'
  n=0
  while IFS= read -r h; do
    rel=${h#"$inc"/}
    [[ $rel =~ $internal ]] && fail "internal header installed: $rel"
    while IFS= read -r dep; do
      [[ $dep =~ $internal ]] && fail "$rel includes the internal header $dep"
      [[ -f "$inc/$dep" || -f "$(dirname "$h")/$dep" ]] || fail "$rel includes \"$dep\", not installed"
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$h")
    n=$((n + 1))
  done < <(find "$inc" -name '*.h')
  echo "installed $n public headers; every include resolves, none is internal"
  ;;

find_package)
  rm -rf myapp
  cp -r tests/consumer myapp
  cmake -S myapp -B myapp/build -DCMAKE_PREFIX_PATH="$PREFIX"
  cmake --build myapp/build
  myapp/build/consumer
  ;;

pkg_config)
  export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
  echo "pkg-config --cflags --libs minidl: $(pkg-config --cflags --libs minidl)"
  c++ -std=c++20 tests/consumer/autograd_example.cpp $(pkg-config --cflags --libs minidl) -Wl,-rpath,"$PREFIX/lib" -o autograd_example
  ./autograd_example
  ;;

doxygen)
  cmake --build build --target docs
  html=build/docs/html
  [[ -f $html/index.html ]] || fail "$html/index.html was not written"
  [[ -f $html/classminidl_1_1Tensor.html ]] || fail "no page for minidl::Tensor"
  [[ -f $html/classminidl_1_1Module.html ]] || fail "no page for minidl::Module"
  [[ -f $html/md_docs_tutorials_README.html ]] || fail "no page for docs/tutorials/README.md"
  if [[ -s build/docs/doxygen-warnings.log ]]; then
    cat build/docs/doxygen-warnings.log >&2
    fail "doxygen warned (build/docs/doxygen-warnings.log)"
  fi
  echo "API reference: $(find "$html" -name '*.html' | wc -l) pages, no warnings"
  ;;

*)
  fail "unknown step '$step'"
  ;;
esac
