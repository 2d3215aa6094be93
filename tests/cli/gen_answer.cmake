# `sethkit gen ... -o OUT` then CaDiCaL on OUT: the family's known answer.
#   -DSETHKIT=path -DARGS="gen|php|..." -DOUT=file -DEXPECT_RC=10|20
string(REPLACE "|" ";" argv "${ARGS}")
execute_process(COMMAND ${SETHKIT} ${argv} -o ${OUT} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "sethkit ${argv} -o ${OUT}: exit ${rc}\n${out}${err}")
endif()
find_program(CADICAL cadical REQUIRED)
execute_process(COMMAND ${CADICAL} -q ${OUT} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT "${rc}" STREQUAL "${EXPECT_RC}")
  message(FATAL_ERROR "cadical on ${OUT} (from sethkit ${argv}): exit ${rc}, expected ${EXPECT_RC}\n${out}${err}")
endif()
