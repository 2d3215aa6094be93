# sethkit_module(NAME SOURCES... LINKS ...): one library per module folder,
# headers included from the repository root ("codes/reed_solomon.hpp").
function(sethkit_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINKS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_LINKS})
  sethkit_compile_options(${name})
endfunction()

function(sethkit_compile_options target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12 reports false -Wrestrict positives inside std::string (PR105329).
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(SETHKIT_NATIVE)
    target_compile_options(${target} PRIVATE -march=native)
  endif()
endfunction()
