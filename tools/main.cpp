// The `sethkit` executable: the command line of tools/cli.cpp, with the
// signal handlers that remove temporaries and kill child process groups on
// SIGINT/SIGTERM/SIGHUP (only the executable installs them: in the Python
// package the interpreter keeps its own).
#include "core/cleanup.hpp"
#include "tools/cli.hpp"

int main(int argc, char** argv) {
  sethkit::install_cleanup_handlers();
  return sethkit::tools::run_cli(argc, argv);
}
