#!/usr/bin/env bash
# The ctest entries consumer.* and docs.doxygen (tests/CMakeLists.txt): runs, verbatim, the commands
# docs/architecture.md shows for installing minidl and using it from another project, against this
# build. docs.in_sync checks that every command in the docs appears in this file (or in .ci/run).
#
# usage: consumer_test.sh STEP SOURCE_DIR BUILD_DIR WORK_DIR CXX cxxflags=CXXFLAGS ldflags=LDFLAGS
#                         version=VERSION
#   STEP: install | find_package | pkg_config | app_fashion_mnist | app_yolo_v1 | doxygen
#         | build_shared   (configures and builds a BUILD_SHARED_LIBS=ON libminidl in BUILD_DIR)
#   (the flags may be empty: cxxflags=); VERSION is the project's version (CMakeLists.txt).
# Inside WORK_DIR, `build` links to BUILD_DIR and `tests` to SOURCE_DIR/tests, so the commands read
# exactly as in the docs; CXX, CXXFLAGS and LDFLAGS are the main build's (sanitizer builds need them).
# The static and the shared install each have their own WORK_DIR (and BUILD_DIR); whether BUILD_DIR
# holds a shared library is read from its CMakeCache.txt.
set -euo pipefail
step=$1 src=$2 bld=$3 work=$4
export CXX=$5 CXXFLAGS=${6#cxxflags=} LDFLAGS=${7#ldflags=}
version=${8#version=}
# `cmake --build` uses every core (the outside projects and the shared library build in parallel).
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}

mkdir -p "$work"
cd "$work"
PREFIX="$work/prefix"  # where the docs say "$PREFIX"

# The docs call the compiler `c++`; here it is the main build's, with its flags.
c++() { command "$CXX" $CXXFLAGS "$@" $LDFLAGS; }

fail() { echo "FAIL: $*" >&2; exit 1; }

if [[ $step == build_shared ]]; then
  # The shared variant of the library alone (no tests, no apps), CPU only: this checks packaging,
  # not kernels, and a CUDA build would double the GPU check's compile time. The build type None
  # (no -O3) keeps the compile short; CXXFLAGS and LDFLAGS (sanitizers) reach it from the
  # environment, as does CMAKE_PREFIX_PATH where dependencies live outside /usr.
  generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  cmake -S "$src" -B "$bld" "${generator[@]}" -DBUILD_SHARED_LIBS=ON -DMINIDL_BUILD_TESTS=OFF \
    -DMINIDL_BUILD_APPS=OFF -DMINIDL_CUDA=OFF -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_COMPILER="$CXX"
  cmake --build "$bld" --target minidl
  exit 0
fi

# (Made once: steps that ctest runs at the same time must not see a link vanish and come back.)
[[ $(readlink build) == "$bld" ]] || ln -sfn "$bld" build
[[ $(readlink tests) == "$src/tests" ]] || ln -sfn "$src/tests" tests
shared=OFF
grep -q '^BUILD_SHARED_LIBS:BOOL=ON$' build/CMakeCache.txt && shared=ON
major_minor=$(echo "$version" | cut -d. -f1,2)

case "$step" in
install)
  rm -rf "$PREFIX"
  cmake --install build --prefix "$PREFIX"

  # What the docs promise is there.
  inc="$PREFIX/include/minidl"
  for f in "$inc/minidl.h" "$inc/core/minidl.h" "$inc/core/tensor.h" "$inc/core/serialize.h" \
           "$inc/core/data.h" "$inc/core/idx.h" "$inc/core/file.h" "$inc/core/version.h" \
           "$inc/layers/layers.h" "$inc/layers/serialize_model.h" "$inc/losses/losses.h" \
           "$PREFIX/lib/cmake/minidl/minidlConfig.cmake" \
           "$PREFIX/lib/cmake/minidl/minidlConfigVersion.cmake" \
           "$PREFIX/lib/cmake/minidl/minidlTargets.cmake" "$PREFIX/lib/pkgconfig/minidl.pc"; do
    [[ -f $f ]] || fail "$f was not installed"
  done

  # The library: libminidl.a, or libminidl.so -> libminidl.so.MAJOR.MINOR -> libminidl.so.VERSION
  # with the SONAME libminidl.so.MAJOR.MINOR (while MAJOR is 0, a new MINOR may change the ABI).
  if [[ $shared == ON ]]; then
    [[ ! -e $PREFIX/lib/libminidl.a ]] || fail "a shared build installed libminidl.a"
    [[ -f $PREFIX/lib/libminidl.so.$version ]] || fail "no libminidl.so.$version in $PREFIX/lib"
    [[ $(readlink "$PREFIX/lib/libminidl.so.$major_minor") == "libminidl.so.$version" ]] ||
      fail "libminidl.so.$major_minor does not link to libminidl.so.$version"
    [[ $(readlink "$PREFIX/lib/libminidl.so") == "libminidl.so.$major_minor" ]] ||
      fail "libminidl.so does not link to libminidl.so.$major_minor"
    dynamic=$(readelf -d "$PREFIX/lib/libminidl.so.$version")
    soname=$(sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p' <<<"$dynamic")
    [[ $soname == "libminidl.so.$major_minor" ]] || fail "SONAME is '$soname', not libminidl.so.$major_minor"
    echo "shared library: libminidl.so.$version, SONAME $soname"
  else
    [[ -f $PREFIX/lib/libminidl.a ]] || fail "no libminidl.a in $PREFIX/lib"
    compgen -G "$PREFIX/lib/libminidl.so*" >/dev/null && fail "a static build installed libminidl.so"
    echo "static library: libminidl.a"
  fi

  # The version, in the pkg-config file and the CMake package's version file.
  grep -qx "Version: $version" "$PREFIX/lib/pkgconfig/minidl.pc" || fail "minidl.pc does not say Version: $version"
  grep -q "set(PACKAGE_VERSION \"$version\")" "$PREFIX/lib/cmake/minidl/minidlConfigVersion.cmake" ||
    fail "minidlConfigVersion.cmake is not version $version"

  # The installed headers are self-sufficient and hold nothing internal: every "..." include
  # resolves inside include/minidl, and none names kernel plumbing.
  internal='^(core/kernel_types\.h|core/block_cache\.h|core/cpu/.*|core/ops/op_util\.h|cuda/.*)$'
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

  # The umbrella alone, in a fresh translation unit, with only the installed include directories
  # (the ones minidl::minidl and minidl.pc give): it compiles without a warning.
  echo '#include <minidl/minidl.h>' >umbrella.cpp
  command "$CXX" $CXXFLAGS -std=c++20 -Wall -Wextra -Werror -fsyntax-only \
    -I"$PREFIX/include" -I"$PREFIX/include/minidl" umbrella.cpp ||
    fail "<minidl/minidl.h> does not compile on its own against the install"
  echo "<minidl/minidl.h> compiles on its own against the install"
  ;;

find_package)
  rm -rf myapp
  cp -r tests/consumer myapp
  cmake -S myapp -B myapp/build -DCMAKE_PREFIX_PATH="$PREFIX"
  cmake --build myapp/build
  myapp/build/consumer
  if [[ $shared == ON ]]; then
    # The program needs the library by its SONAME and finds the installed one.
    needed=$(readelf -d myapp/build/consumer)
    [[ $needed == *"(NEEDED)"*"[libminidl.so.$major_minor]"* ]] ||
      fail "consumer does not need libminidl.so.$major_minor"
    loads=$(ldd myapp/build/consumer)
    lib=$(sed -n 's/.*libminidl\.so[^ ]* => \([^ ]*\).*/\1/p' <<<"$loads")
    [[ $lib == "$PREFIX/lib/"* ]] || fail "consumer loads libminidl from '$lib', not from $PREFIX/lib"
    echo "consumer loads $lib"
  fi

  # find_package(minidl X.Y) accepts this install for any X.Y up to its version with the same
  # major (SameMajorVersion: later 0.y releases keep the API of earlier ones), and an install of a
  # newer minor version (here this one relabelled 0.<minor+1>.0) for an older request.
  rm -rf probe newer && mkdir probe
  printf '%s\n' 'cmake_minimum_required(VERSION 3.25)' 'project(probe LANGUAGES CXX)' \
    'find_package(minidl ${WANT} REQUIRED)' \
    'message(STATUS "probe: found minidl ${minidl_VERSION}")' >probe/CMakeLists.txt
  probe() {  # probe WANT PREFIX: configures the probe project, prints the version it found
    rm -rf probe/build
    cmake -S probe -B probe/build -DWANT="$1" -DCMAKE_PREFIX_PATH="$2" >probe/out.txt 2>&1 || return 1
    sed -n 's/^-- probe: found minidl //p' probe/out.txt
  }
  major=${version%%.*} minor=$(echo "$version" | cut -d. -f2)
  next="$major.$((minor + 1))" newer="$major.$((minor + 1)).0" major_next="$((major + 1)).0"
  [[ $(probe "$major_minor" "$PREFIX") == "$version" ]] ||
    { cat probe/out.txt; fail "find_package(minidl $major_minor) did not find $version"; }
  ! probe "$next" "$PREFIX" >/dev/null || fail "find_package(minidl $next) accepted $version"
  ! probe "$major_next" "$PREFIX" >/dev/null || fail "find_package(minidl $major_next) accepted $version"
  cp -r "$PREFIX" newer
  sed -i "s/set(PACKAGE_VERSION \"$version\")/set(PACKAGE_VERSION \"$newer\")/" \
    newer/lib/cmake/minidl/minidlConfigVersion.cmake
  [[ $(probe "$major_minor" "$work/newer") == "$newer" ]] ||
    { cat probe/out.txt; fail "find_package(minidl $major_minor) did not find an install of $newer"; }
  echo "find_package(minidl $major_minor) finds $version and $newer;" \
       "find_package(minidl $next) and find_package(minidl $major_next) refuse $version"
  rm -rf newer
  ;;

pkg_config)
  export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
  echo "pkg-config --cflags --libs minidl: $(pkg-config --cflags --libs minidl)"
  [[ $(pkg-config --modversion minidl) == "$version" ]] || fail "pkg-config --modversion minidl is not $version"
  c++ -std=c++20 tests/consumer/autograd_example.cpp $(pkg-config --cflags --libs minidl) -Wl,-rpath,"$PREFIX/lib" -o autograd_example
  ./autograd_example
  ;;

app_fashion_mnist | app_yolo_v1)
  # The app's folder and apps/common, copied out of the source tree, so that nothing of minidl
  # but the installed package is within reach; then the app's own smoke tests. Each app has a
  # folder of its own (ctest may run both at once).
  app=${step#app_}
  rm -rf "outside_$app"
  mkdir -p "outside_$app/apps"
  cd "outside_$app"
  cp -r "$src/apps/common" "$src/apps/$app" apps/
  if [[ $app == fashion_mnist ]]; then
    cmake -S apps/fashion_mnist -B build-fashion_mnist -DCMAKE_PREFIX_PATH="$PREFIX"
    cmake --build build-fashion_mnist
    ctest --test-dir build-fashion_mnist --output-on-failure
  else
    cmake -S apps/yolo_v1 -B build-yolo_v1 -DCMAKE_PREFIX_PATH="$PREFIX"
    cmake --build build-yolo_v1 --target yolo_v1
    ctest --test-dir build-yolo_v1 --output-on-failure -R generate_and_check
  fi
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
