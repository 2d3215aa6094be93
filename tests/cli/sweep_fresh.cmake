# check_cli.cmake on a fresh CSV: -DCSV=path is removed first, so a rerun of
# the test suite does not resume the last run.
file(REMOVE ${CSV})
include(${CMAKE_CURRENT_LIST_DIR}/check_cli.cmake)
