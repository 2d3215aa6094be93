# SETHKIT_SANITIZE (issue 9): AddressSanitizer + UndefinedBehaviorSanitizer on
# the compile and link of every target from here on, libraries, tests, tools
# and helpers alike (a target missing the flags would fail to link against
# instrumented libraries). Undefined behaviour aborts instead of printing and
# going on, so a test that hits it fails. scripts/run-tests builds this into
# build-asan; see there for the ASAN_OPTIONS it runs with.
if(SETHKIT_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # Instrumented code makes GCC 12 report false -Wmaybe-uninitialized
    # inside std::regex and std::function (GCC PR 105562).
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
endif()

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
