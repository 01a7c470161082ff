# minidl's public headers: core/minidl.h (the umbrella) and every header it includes, transitively,
# through `#include "..."` (paths relative to the repository root). Used at install time, by the
# Doxygen target, by the build (target minidl_public_headers) and by the ctest entry
# consumer.public_headers, so all of them agree on one list.
#
# Every header of core/, layers/ and losses/ is either public (reachable from the umbrella, so it
# is installed) or internal (matched by MINIDL_INTERNAL_HEADER_REGEX, never installed); a header
# that is neither would be declared in the source tree but missing from an install, so the check
# fails and names it.
#
# As a script:  cmake -DMINIDL_SOURCE_DIR=<repo> [-DSTAMP=<file>] [-DQUIET=ON] -P cmake/public_headers.cmake
#   prints the list (unless QUIET), fails when a public header includes an internal one or a header is neither
#   public nor internal, and touches STAMP when given (the build's record that the check passed).
cmake_policy(VERSION 3.25)

# Internal headers: kernel plumbing (core/kernels/: the kernel contracts and the math both devices
# compile) and the allocator's cache, never reachable from the umbrella.
set(MINIDL_INTERNAL_HEADER_REGEX
    "^(core/kernel_types\\.h|core/block_cache\\.h|core/cpu/.*|core/kernels/.*|core/dist/.*|core/ops/op_util\\.h|cuda/.*)$")
# The folders whose headers must each be public or internal.
set(MINIDL_HEADER_GLOBS core/*.h core/ops/*.h core/cpu/*.h core/kernels/*.h core/dist/*.h layers/*.h losses/*.h cuda/*.h cuda/*.cuh)

# minidl_public_headers(<out_var> <source_dir>)
# Sets <out_var> to the sorted list of public headers (relative paths). Fails with the include chain
# when one of them is internal or an include names a file that does not exist.
function(minidl_public_headers out_var source_dir)
  set(seen "core/minidl.h")
  set(queue "core/minidl.h")
  set(parent_of_core/minidl.h "")
  while(queue)
    list(POP_FRONT queue h)
    if(NOT EXISTS "${source_dir}/${h}")
      message(FATAL_ERROR "minidl public headers: ${h} (included from ${parent_of_${h}}) does not exist")
    endif()
    file(STRINGS "${source_dir}/${h}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
    foreach(line IN LISTS lines)
      string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]+)\".*$" "\\1" inc "${line}")
      if(inc IN_LIST seen)
        continue()
      endif()
      set(parent_of_${inc} "${h}")
      if(inc MATCHES "${MINIDL_INTERNAL_HEADER_REGEX}")
        # Rebuild the chain umbrella -> ... -> internal header for the message.
        set(chain "${inc}")
        set(p "${h}")
        while(p)
          string(PREPEND chain "${p} -> ")
          set(p "${parent_of_${p}}")
        endwhile()
        message(FATAL_ERROR "minidl public headers: a public header includes the internal header "
                            "${inc}: ${chain}. Move that include into the .cpp file.")
      endif()
      list(APPEND seen "${inc}")
      list(APPEND queue "${inc}")
    endforeach()
  endwhile()
  list(SORT seen)
  set(${out_var} "${seen}" PARENT_SCOPE)
endfunction()

# minidl_check_public_headers(<source_dir> [<out_var>])
# minidl_public_headers (into <out_var> when given), then fails naming every header of MINIDL_HEADER_GLOBS that is neither
# reachable from the umbrella nor internal.
function(minidl_check_public_headers source_dir)
  minidl_public_headers(headers "${source_dir}")
  set(all "")
  foreach(pattern IN LISTS MINIDL_HEADER_GLOBS)
    file(GLOB found RELATIVE "${source_dir}" "${source_dir}/${pattern}")
    list(APPEND all ${found})
  endforeach()
  set(stray "")
  foreach(h IN LISTS all)
    if(NOT h IN_LIST headers AND NOT h MATCHES "${MINIDL_INTERNAL_HEADER_REGEX}")
      list(APPEND stray "${h}")
    endif()
  endforeach()
  if(stray)
    list(JOIN stray ", " stray)
    message(FATAL_ERROR "minidl public headers: ${stray}: neither included (directly or through "
                        "another header) by the umbrella core/minidl.h nor internal, so an install "
                        "would leave it out and a program that needs it would not build against "
                        "the install. Include it from the umbrella or a header it reaches, or add "
                        "it to MINIDL_INTERNAL_HEADER_REGEX in cmake/public_headers.cmake.")
  endif()
  set(${ARGV1} "${headers}" PARENT_SCOPE)
endfunction()

# minidl_install_public_headers(<source_dir> <include_dir>)
# Install-time half: copies the public headers to <include_dir>/minidl/<same subfolder> and writes
# <include_dir>/minidl/minidl.h, which forwards to core/minidl.h. file(INSTALL) honours DESTDIR.
function(minidl_install_public_headers source_dir include_dir)
  minidl_check_public_headers("${source_dir}" headers)
  foreach(h IN LISTS headers)
    get_filename_component(sub "${h}" DIRECTORY)
    file(INSTALL "${source_dir}/${h}" DESTINATION "${include_dir}/minidl/${sub}")
  endforeach()
  file(INSTALL "${MINIDL_FORWARDING_UMBRELLA}" DESTINATION "${include_dir}/minidl")
endfunction()

if(CMAKE_SCRIPT_MODE_FILE AND CMAKE_SCRIPT_MODE_FILE STREQUAL CMAKE_CURRENT_LIST_FILE)
  if(NOT MINIDL_SOURCE_DIR)
    message(FATAL_ERROR "usage: cmake -DMINIDL_SOURCE_DIR=<repo> -P ${CMAKE_CURRENT_LIST_FILE}")
  endif()
  minidl_check_public_headers("${MINIDL_SOURCE_DIR}" headers)
  list(LENGTH headers n)
  list(JOIN headers "\n  " text)
  if(NOT QUIET)
    message("${n} public headers, none of them internal, and every other header internal:\n  ${text}")
  endif()
  if(STAMP)
    file(TOUCH "${STAMP}")
  endif()
endif()
