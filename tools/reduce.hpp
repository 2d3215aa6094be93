// sethkit reduce FILE.cnf --to kov [--k K] [--route direct|protocol] -o OUT [--binary] [--max-bytes B]
// Writes the instance of the named level; refuses, before writing anything,
// when it would pass --max-bytes. The output appears whole or not at all.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "tools/common.hpp"

namespace sethkit::tools {

struct ReduceOptions {
  std::string file;
  std::string to = "kov";
  std::string route;  // direct or protocol; empty: the level's own (gap-maxip: protocol, else direct)
  int k = 3;
  std::string output;
  bool binary = false;
  double eps = 1e-6;
  std::string code = "rs";
  double soundness = 0.5;  // attention: backend relative error the embedding tolerates
  double max_bytes = kDefaultMaxBytes;
  bool quiet = false;
  bool lenient = false;
  bool keep_unused = false;
};

CLI::App* setup_reduce(CLI::App& app, ReduceOptions& options);
int run_reduce(const ReduceOptions& options);

}  // namespace sethkit::tools
