# Every dependency comes from Debian (scripts/install-deps). Debian ships CMake
# configs for all but NTL/GMP, which are found as plain libraries.
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(Threads REQUIRED)
find_package(BLAS REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(nlohmann_json 3 CONFIG REQUIRED)

find_library(NTL_LIBRARY ntl REQUIRED)
find_library(GMP_LIBRARY gmp REQUIRED)
find_path(NTL_INCLUDE_DIR NTL/ZZ.h REQUIRED)
add_library(sethkit_ntl INTERFACE)
target_include_directories(sethkit_ntl SYSTEM INTERFACE ${NTL_INCLUDE_DIR})
target_link_libraries(sethkit_ntl INTERFACE ${NTL_LIBRARY} ${GMP_LIBRARY} Threads::Threads)

if(SETHKIT_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
endif()
if(SETHKIT_BUILD_BENCH)
  find_package(benchmark CONFIG REQUIRED)
endif()
