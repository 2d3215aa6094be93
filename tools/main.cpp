// The `sethkit` executable: the command line of tools/cli.cpp.
#include "tools/cli.hpp"

int main(int argc, char** argv) { return sethkit::tools::run_cli(argc, argv); }
