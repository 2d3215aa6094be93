// sethkit protocol --m M --k K [--code rs|hermitian] [--soundness S] [--json]
// sethkit protocol FILE.cnf --k K [--max-work W] [--max-bytes B] [...]
// The Merlin-Arthur protocol of Theorem 4.5 made concrete: the parameters
// chosen for (m, k, target soundness), what the Gap-MaxIP instance will cost
// beside the paper's asymptotic figures, and the exact completeness and
// soundness, by enumeration: over every tuple of sets of a small universe,
// or over the kOV tuples of a CNF's split-and-list instance.
//
// Sizes are checked before anything is listed: the analysis is skipped (not
// refused) when it would take more than --max-work field operations; past
// that, more than kMaxProtocolTuples set tuples, or tuples or Merlin messages
// whose storage passes --max-bytes (default 1 GiB), are refused (exit 1, the
// size in the message). --max-bytes also bounds the CNF's kOV instance.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "tools/common.hpp"
#include "core/options.hpp"

namespace sethkit::tools {

// Set tuples the exact analysis lists at most (each is k sets of m bytes,
// held together with every Merlin message while the analysis runs). 2^20 is
// every tuple of subsets of [m] for m k = 20, the most the --m form lists,
// and every kOV tuple of a CNF of 20 variables (2^n tuples whatever k is).
inline constexpr double kMaxProtocolTuples = core::option("protocol.max_tuples");

struct ProtocolOptions {
  std::string file;  // a CNF: analyse its kOV instance
  std::size_t m = 0;
  int k = core::option_as<int>("protocol.k");
  std::string code = "rs";
  double soundness = core::option("protocol.soundness");
  double max_work = core::option("protocol.max_work");  // field operations the exact analysis may take
  double max_bytes = kDefaultMaxBytes;  // the kOV instance, the set tuples, the Merlin messages
  bool json = false;
  bool lenient = false;
};

CLI::App* setup_protocol(CLI::App& app, ProtocolOptions& options);
int run_protocol(const ProtocolOptions& options);

}  // namespace sethkit::tools
