// sethkit check FILE [--format cnf|kov|maxip|npy|attention] [--lenient]
// Reads one input with the library reader of its format and prints a one-line
// summary, then statistics (a CNF: variables declared and used, clause-width
// histogram, duplicate clauses, tautologies, repeated literals; an instance:
// k, n per party, d, bytes on disk); nothing is written. Exit 0 when the file is well formed, 1 (with
// "FILE:LINE: ..." or "FILE: ..." on stderr, through run_guarded) when it is
// not. Without --format the format follows the extension (.cnf, .kov, .maxip,
// .npy) or, for a directory, is an attention directory. The bad-input corpus
// (tests/data/bad, tests/reliability) drives every reader through here.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace sethkit::tools {

struct CheckOptions {
  std::string path;
  std::string format;  // empty: from the extension
  bool lenient = false;  // DIMACS only
};

CLI::App* setup_check(CLI::App& app, CheckOptions& options);
int run_check(const CheckOptions& options);

}  // namespace sethkit::tools
