// The `sethkit` command line as a library call (tools/cli.cpp).
#pragma once

namespace sethkit::tools {

// Parses argv (argv[0] is the program name) and runs the subcommand; returns
// the exit code of DESIGN.md "Command line". Writes to std::cout and
// std::cerr.
int run_cli(int argc, char** argv);

}  // namespace sethkit::tools
