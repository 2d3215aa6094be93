// sethkit reduce FILE.cnf --to kov [--k K] [--route direct|protocol] -o OUT [--binary] [--max-bytes B]
// Writes the instance of the named level; refuses, before writing anything,
// when it would pass --max-bytes. The output appears whole or not at all.
#pragma once

#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "reductions/chain.hpp"
#include "tools/common.hpp"

namespace sethkit::tools {

struct ReduceOptions {
  std::string file;
  std::string to = "kov";
  std::string split;  // variable groups (reductions::parse_split); empty: consecutive
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
// Writes the last level of a built chain to options.output as reduce does
// (kOV/MaxIP text or binary, or an attention directory with its provenance;
// options.file and input_hash name the CNF there); returns the summary line.
// Shared with the Python package (Instance.save).
std::string write_reduction(const ReduceOptions& options, reductions::Chain& chain, const std::string& input_hash);
// The provenance's fingerprint of the input (FNV-1a 64, 16 hex digits), of a
// file's bytes or of text in memory.
std::string fnv1a64_of_file(const std::string& path);
std::string fnv1a64_of_text(std::string_view text);
int run_reduce(const ReduceOptions& options);

}  // namespace sethkit::tools
