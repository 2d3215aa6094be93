// sethkit reduce FILE.cnf --to kov [--k K] [--route direct|protocol] -o OUT [--binary] [--max-bytes B]
//                [--json] [--progress] [--quiet]
// Writes the instance of the named level; refuses, before writing anything,
// when it would pass --max-bytes. The output appears whole or not at all.
// --json prints the instance written as an object (level, k, n per party,
// d, bytes) and the time of each stage (read, plan, reduce, write), like
// solve --json (docs/json-schema.md).
#pragma once

#include <string>
#include <string_view>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

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
  bool json = false;
  bool progress = false;
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
// The instance object of docs/json-schema.json for the last level of a built
// chain: level, k, n (vectors per party; attention: rows of Q, then of each
// key side), d, bytes (held in memory, from the plan).
nlohmann::json chain_instance_json(const reductions::Chain& chain);
int run_reduce(const ReduceOptions& options);

}  // namespace sethkit::tools
