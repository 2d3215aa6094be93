# Runs one sethkit command and checks its exit code and output.
#   -DSETHKIT=path -DARGS="a|b|c" -DEXPECT_RC=N [-DEXPECT_RE=regex]
#   [-DREJECT_RE=regex] [-DSTDOUT_ONLY_RE=regex]
# EXPECT_RE must match stdout+stderr; REJECT_RE must not. A run killed by a
# signal never matches EXPECT_RC (CTest would report "Child aborted").
string(REPLACE "|" ";" argv "${ARGS}")
execute_process(COMMAND ${SETHKIT} ${argv}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
  WORKING_DIRECTORY ${WORKDIR} TIMEOUT 600)
set(all "${out}${err}")
if(NOT "${rc}" STREQUAL "${EXPECT_RC}")
  message(FATAL_ERROR "sethkit ${argv}: exit ${rc}, expected ${EXPECT_RC}\n--- output:\n${all}")
endif()
if(DEFINED EXPECT_RE AND NOT all MATCHES "${EXPECT_RE}")
  message(FATAL_ERROR "sethkit ${argv}: output does not match /${EXPECT_RE}/\n--- output:\n${all}")
endif()
if(DEFINED REJECT_RE AND all MATCHES "${REJECT_RE}")
  message(FATAL_ERROR "sethkit ${argv}: output matches the forbidden /${REJECT_RE}/\n--- output:\n${all}")
endif()
if(DEFINED NO_FILE AND EXISTS "${NO_FILE}")
  message(FATAL_ERROR "sethkit ${argv}: left an output file behind: ${NO_FILE}")
endif()
