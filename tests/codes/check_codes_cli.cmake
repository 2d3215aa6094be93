# Runs one `sethkit codes` command and checks its exit code and output.
#   cmake -DSETHKIT=path -DARGS="a|b|c" -DEXPECT_RC=N -DEXPECT_RE=regex -P check_codes_cli.cmake
# EXPECT_RE must match stdout+stderr. A run killed by a signal never matches
# EXPECT_RC.
if(NOT EXISTS "${SETHKIT}")
  message(FATAL_ERROR "no sethkit binary at ${SETHKIT}; build the `sethkit` target first")
endif()
string(REPLACE "|" ";" argv "${ARGS}")
execute_process(COMMAND ${SETHKIT} ${argv}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 100)
set(all "${out}${err}")
if(NOT "${rc}" STREQUAL "${EXPECT_RC}")
  message(FATAL_ERROR "sethkit ${argv}: exit ${rc}, expected ${EXPECT_RC}\n--- output:\n${all}")
endif()
if(NOT all MATCHES "${EXPECT_RE}")
  message(FATAL_ERROR "sethkit ${argv}: output does not match /${EXPECT_RE}/\n--- output:\n${all}")
endif()
