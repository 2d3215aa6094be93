// sethkit verify FILE.cnf... [--k K[,K...]] [--reference cadical|minisat|brute] [--json]
// For each file: the truth from the reference solver (its model re-checked),
// the answer at every level of the chain built so far with every witness
// mapped back and checked; a table, or JSON. Exit 0 iff everything agrees.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "tools/common.hpp"

namespace sethkit::tools {

struct VerifyOptions {
  std::vector<std::string> files;
  std::vector<int> ks = {3};
  std::string reference = "cadical";
  double max_bytes = kDefaultMaxBytes;
  bool json = false;
  bool quiet = false;
  bool lenient = false;
};

CLI::App* setup_verify(CLI::App& app, VerifyOptions& options);
int run_verify(const VerifyOptions& options);

}  // namespace sethkit::tools
