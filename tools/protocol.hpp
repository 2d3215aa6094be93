// sethkit protocol --m M --k K [--code rs|hermitian] [--soundness S] [--json]
// sethkit protocol FILE.cnf --k K [...]
// The Merlin-Arthur protocol of Theorem 4.5 made concrete: the parameters
// chosen for (m, k, target soundness), what the Gap-MaxIP instance will cost
// beside the paper's asymptotic figures, and the exact completeness and
// soundness, by enumeration: over every tuple of sets of a small universe,
// or over the kOV tuples of a CNF's split-and-list instance.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace sethkit::tools {

struct ProtocolOptions {
  std::string file;  // a CNF: analyse its kOV instance
  std::size_t m = 0;
  int k = 3;
  std::string code = "rs";
  double soundness = 0.5;
  double max_work = 2e9;  // field operations the exact analysis may take
  bool json = false;
  bool lenient = false;
};

CLI::App* setup_protocol(CLI::App& app, ProtocolOptions& options);
int run_protocol(const ProtocolOptions& options);

}  // namespace sethkit::tools
