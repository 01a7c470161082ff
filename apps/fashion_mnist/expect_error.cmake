# Runs APP with ARGS ('|'-separated) and passes only when it exits non-zero with exactly one line
# on stderr that matches EXPECT (a regex), and no crash: the app's bad-input contract.
# cmake -DAPP=path -DARGS="a|b" -DEXPECT=regex -P expect_error.cmake
string(REPLACE "|" ";" args "${ARGS}")
execute_process(COMMAND ${APP} ${args} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
string(STRIP "${err}" err)
if(rc EQUAL 0)
  message(FATAL_ERROR "expected a non-zero exit status, got 0; stderr: ${err}")
endif()
if(NOT rc MATCHES "^[0-9]+$")
  message(FATAL_ERROR "the app did not exit normally: ${rc}; stderr: ${err}")
endif()
if(err MATCHES "\n")
  message(FATAL_ERROR "expected one line on stderr, got:\n${err}")
endif()
if(NOT err MATCHES "${EXPECT}")
  message(FATAL_ERROR "stderr does not match '${EXPECT}':\n${err}")
endif()
message(STATUS "exit status ${rc}: ${err}")
