# Every dependency comes from Debian (scripts/install-deps). Debian ships CMake
# configs for all but NTL/GMP, which are found as plain libraries.
find_package(OpenMP REQUIRED COMPONENTS CXX)
find_package(Threads REQUIRED)
find_package(BLAS REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(nlohmann_json 3 CONFIG REQUIRED)
# Compressed DIMACS input (problems/decompress): .cnf.gz, .cnf.bz2, .cnf.xz.
find_package(ZLIB REQUIRED)
find_package(BZip2 REQUIRED)
find_package(LibLZMA REQUIRED)

find_library(NTL_LIBRARY ntl REQUIRED)
find_library(GMP_LIBRARY gmp REQUIRED)
find_path(NTL_INCLUDE_DIR NTL/ZZ.h REQUIRED)
add_library(sethkit_ntl INTERFACE)
target_include_directories(sethkit_ntl SYSTEM INTERFACE ${NTL_INCLUDE_DIR})
target_link_libraries(sethkit_ntl INTERFACE ${NTL_LIBRARY} ${GMP_LIBRARY} Threads::Threads)

# MPFR and MPFI (interval arithmetic over MPFR) certify the polynomial
# approximations of exp (attention/poly_approx); no CMake configs either.
find_library(MPFR_LIBRARY mpfr REQUIRED)
find_library(MPFI_LIBRARY mpfi REQUIRED)
find_path(MPFR_INCLUDE_DIR mpfr.h REQUIRED)
find_path(MPFI_INCLUDE_DIR mpfi.h REQUIRED)
add_library(sethkit_mpfi INTERFACE)
target_include_directories(sethkit_mpfi SYSTEM INTERFACE ${MPFI_INCLUDE_DIR} ${MPFR_INCLUDE_DIR})
target_link_libraries(sethkit_mpfi INTERFACE ${MPFI_LIBRARY} ${MPFR_LIBRARY} ${GMP_LIBRARY})

if(SETHKIT_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
endif()
if(SETHKIT_BUILD_BENCH)
  find_package(benchmark CONFIG REQUIRED)
endif()

# Open MPI (issue 19, distributed/): optional. SETHKIT_MPI defaults to ON when
# MPI's C++ bindings are found; OFF builds distributed/ as its single-rank stub.
find_package(MPI COMPONENTS CXX QUIET)
option(SETHKIT_MPI "Run under mpirun across ranks (Open MPI; distributed/)" ${MPI_CXX_FOUND})
if(SETHKIT_MPI AND NOT MPI_CXX_FOUND)
  message(FATAL_ERROR "SETHKIT_MPI is ON but MPI was not found: scripts/install-deps installs libopenmpi-dev, or configure with -DSETHKIT_MPI=OFF")
endif()
find_program(SETHKIT_MPIEXEC NAMES mpirun mpiexec)
