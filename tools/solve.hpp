// sethkit solve FILE.cnf [--via sat|kov] [--k K] [--json] [--quiet]
// Decides a CNF at the chosen level of the chain; the witness is mapped back
// and checked on the CNF before "s SATISFIABLE" / "v ... 0" is printed
// (exit 10), else "s UNSATISFIABLE" (exit 20).
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "tools/common.hpp"

namespace sethkit::tools {

struct SolveOptions {
  std::string file;
  std::string via = "kov";
  int k = 3;
  std::string kov_algorithm = "auto";
  bool no_prune = false;
  std::string code = "rs";
  std::string backend = "exact";
  std::string route = "direct";
  double soundness = 0.5;
  double max_bytes = kDefaultMaxBytes;
  bool json = false;
  bool quiet = false;
  bool lenient = false;
  bool keep_unused = false;
};

CLI::App* setup_solve(CLI::App& app, SolveOptions& options);
int run_solve(const SolveOptions& options);

}  // namespace sethkit::tools
