# minidl's public headers: core/minidl.h (the umbrella) and every header it includes, transitively,
# through `#include "..."` (paths relative to the repository root). Used at install time, by the
# Doxygen target, and by the ctest entry consumer.public_headers, so all three agree on one list.
#
# As a script:  cmake -DMINIDL_SOURCE_DIR=<repo> -P cmake/public_headers.cmake
#   prints the list and fails when a public header includes an internal one.
cmake_policy(VERSION 3.25)

# Internal headers: kernel plumbing that must never be reachable from the umbrella.
set(MINIDL_INTERNAL_HEADER_REGEX "^(core/kernel_types\\.h|core/cpu/.*|core/ops/op_util\\.h|cuda/.*)$")

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

# minidl_install_public_headers(<source_dir> <include_dir>)
# Install-time half: copies the public headers to <include_dir>/minidl/<same subfolder> and writes
# <include_dir>/minidl/minidl.h, which forwards to core/minidl.h. file(INSTALL) honours DESTDIR.
function(minidl_install_public_headers source_dir include_dir)
  minidl_public_headers(headers "${source_dir}")
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
  minidl_public_headers(headers "${MINIDL_SOURCE_DIR}")
  list(LENGTH headers n)
  list(JOIN headers "\n  " text)
  message("${n} public headers, none of them internal:\n  ${text}")
endif()
