// The `sethkit` executable: the command line of tools/cli.cpp, with the
// signal handlers that remove temporaries and kill child process groups on
// SIGINT/SIGTERM/SIGHUP (only the executable installs them: in the Python
// package the interpreter keeps its own), inside an MPI session when started
// by mpirun (distributed/distributed.hpp; a plain run never touches MPI).
#include "core/cleanup.hpp"
#include "distributed/distributed.hpp"
#include "tools/cli.hpp"

int main(int argc, char** argv) {
  sethkit::distributed::Session mpi(argc, argv);
  sethkit::install_cleanup_handlers();
  return sethkit::tools::run_cli(argc, argv);
}
