# sweep: a small sweep with resume (sweep_resume.cmake), a folder of CNFs,
# timeouts and refusals as statuses, and usage errors. Included from
# CMakeLists.txt.
add_test(NAME cli_sweep_resume
  COMMAND ${CMAKE_COMMAND} -DSETHKIT=$<TARGET_FILE:sethkit> -DOUT=${CLI_OUT}/sweep-resume
          -P ${CMAKE_CURRENT_SOURCE_DIR}/sweep_resume.cmake)
file(MAKE_DIRECTORY ${CLI_OUT}/sweep-dir)
file(COPY ${PROJECT_SOURCE_DIR}/examples/tiny-sat.cnf ${PROJECT_SOURCE_DIR}/examples/pigeonhole-3-2.cnf
     DESTINATION ${CLI_OUT}/sweep-dir)
function(sethkit_sweep_test name rc regex csv)
  string(JOIN "|" args ${ARGN})
  add_test(NAME cli_${name}
    COMMAND ${CMAKE_COMMAND} -DSETHKIT=$<TARGET_FILE:sethkit> -DARGS=${args} -DEXPECT_RC=${rc} -DEXPECT_RE=${regex}
            -DWORKDIR=${PROJECT_SOURCE_DIR} -DCSV=${csv} -P ${CMAKE_CURRENT_SOURCE_DIR}/sweep_fresh.cmake)
endfunction()
sethkit_sweep_test(sweep_dir 0 "sweep: 6 runs, 0 resumed" ${CLI_OUT}/sweep-dir.csv
  sweep --dir ${CLI_OUT}/sweep-dir --routes kov,gap-maxip,cadical --k 2 --csv ${CLI_OUT}/sweep-dir.csv)
set_tests_properties(cli_sweep_dir PROPERTIES FIXTURES_SETUP sweep_dir)
add_test(NAME cli_sweep_dir_rows
  COMMAND ${CMAKE_COMMAND} -DFILE=${CLI_OUT}/sweep-dir.csv
          "-DEXPECT_RE=dir,pigeonhole-3-2.cnf,0,6,9,gap-maxip,2,rs,UNSAT,yes,ok,.*dir,tiny-sat.cnf,0,3,3,kov,2,,SAT,yes,ok,"
          -P ${CMAKE_CURRENT_SOURCE_DIR}/file_matches.cmake)
set_tests_properties(cli_sweep_dir_rows PROPERTIES FIXTURES_REQUIRED sweep_dir)
# A refused run and a killed run are rows with their status, not failures.
sethkit_sweep_test(sweep_statuses 0 "sweep: 3 runs, 0 resumed" ${CLI_OUT}/sweep-status.csv
  sweep --family random-ksat --vars 38 --ratio 8 --routes cadical,sat,kov --k 2 --max-bytes 1K --timeout 1
  --csv ${CLI_OUT}/sweep-status.csv --workdir ${CLI_OUT}/sweep-status-cnf)
add_test(NAME cli_sweep_status_rows
  COMMAND ${CMAKE_COMMAND} -DFILE=${CLI_OUT}/sweep-status.csv
          "-DEXPECT_RE=,cadical,,,UNSAT,,ok,.*,sat,,,,,timeout,.*,kov,2,,,,refused,,,,,,524288 524288,"
          -P ${CMAKE_CURRENT_SOURCE_DIR}/file_matches.cmake)
set_tests_properties(cli_sweep_statuses PROPERTIES FIXTURES_SETUP sweep_status)
set_tests_properties(cli_sweep_status_rows PROPERTIES FIXTURES_REQUIRED sweep_status)
sethkit_cli_test(usage_sweep_nothing 2 "give --family F .* or --dir FOLDER" sweep)
sethkit_cli_test(usage_sweep_range 2 "--vars.*A:B:STEP" sweep --family random-ksat --vars 8:4:1 --ratio 4)
sethkit_cli_test(usage_sweep_route 2 "--routes" sweep --family random-ksat --vars 4 --ratio 4 --routes nonsense)
sethkit_cli_test(help_sweep 0 "--routes.*--csv.*--png" sweep --help)
