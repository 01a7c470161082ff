# The API reference: `cmake --build build --target docs` runs doxygen over the public headers (the
# umbrella's includes, see public_headers.cmake), docs/*.md and docs/tutorials/*.md into
# build/docs/html. Doxygen is optional: without it configure still succeeds and the target says
# how to get it.
#
# As a script (what the target runs): cmake -DMINIDL_SOURCE_DIR=.. -DMINIDL_DOCS_DIR=..
#   -DMINIDL_VERSION=.. -DDOXYGEN_EXECUTABLE=.. -P cmake/docs.cmake

if(NOT CMAKE_SCRIPT_MODE_FILE)
  find_package(Doxygen QUIET)
  if(DOXYGEN_FOUND)
    add_custom_target(docs
      COMMAND ${CMAKE_COMMAND} -DMINIDL_SOURCE_DIR=${PROJECT_SOURCE_DIR}
              -DMINIDL_DOCS_DIR=${PROJECT_BINARY_DIR}/docs -DMINIDL_VERSION=${PROJECT_VERSION}
              -DDOXYGEN_EXECUTABLE=${DOXYGEN_EXECUTABLE} -P ${CMAKE_CURRENT_LIST_FILE}
      COMMENT "API reference: doxygen -> ${PROJECT_BINARY_DIR}/docs/html/index.html"
      VERBATIM)
    message(STATUS "API reference: doxygen ${DOXYGEN_VERSION} (cmake --build ${PROJECT_BINARY_DIR} --target docs)")
  else()
    add_custom_target(docs
      COMMAND ${CMAKE_COMMAND} -E echo "minidl docs: doxygen was not found when configuring; install it (apt-get install doxygen) and re-run cmake"
      COMMAND ${CMAKE_COMMAND} -E false
      VERBATIM)
    message(STATUS "API reference: doxygen not found (optional; apt-get install doxygen)")
  endif()
  return()
endif()

# ---- script mode: write the Doxyfile for the current public headers and run doxygen ----------------
cmake_policy(VERSION 3.25)
include(${CMAKE_CURRENT_LIST_DIR}/public_headers.cmake)
minidl_public_headers(headers "${MINIDL_SOURCE_DIR}")
set(inputs "")
file(GLOB pages RELATIVE "${MINIDL_SOURCE_DIR}" "${MINIDL_SOURCE_DIR}/docs/*.md"
     "${MINIDL_SOURCE_DIR}/docs/tutorials/*.md")  # the guides and tutorials, as related pages
list(SORT pages)
foreach(f IN LISTS headers pages)
  if(EXISTS "${MINIDL_SOURCE_DIR}/${f}")
    string(APPEND inputs " \\\n    \"${MINIDL_SOURCE_DIR}/${f}\"")
  endif()
endforeach()
set(MINIDL_DOXYGEN_INPUT "${inputs}")
file(MAKE_DIRECTORY "${MINIDL_DOCS_DIR}")
configure_file("${MINIDL_SOURCE_DIR}/docs/Doxyfile.in" "${MINIDL_DOCS_DIR}/Doxyfile" @ONLY)
set(log "${MINIDL_DOCS_DIR}/doxygen-warnings.log")
file(REMOVE "${log}")
execute_process(COMMAND "${DOXYGEN_EXECUTABLE}" "${MINIDL_DOCS_DIR}/Doxyfile"
  WORKING_DIRECTORY "${MINIDL_DOCS_DIR}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "doxygen failed (exit ${rc}); see ${log}")
endif()
if(EXISTS "${log}")
  file(READ "${log}" warnings)
  if(NOT warnings STREQUAL "")
    message(WARNING "doxygen warnings (also in ${log}):\n${warnings}")
  endif()
endif()
message(STATUS "API reference: ${MINIDL_DOCS_DIR}/html/index.html")
