// One decider interface for every level of the chain (DESIGN.md "solvers"):
// a CNF goes in, the instance of the chosen level is built and solved there,
// and the witness found at that level is mapped back down the chain to an
// assignment that is re-checked on the CNF before it is returned.
//
//   Decision d = decide_cnf(cnf, {.via = Level::kov, .k = 3});
//   if (d.satisfiable) print(d.assignment);   // already checked on cnf
#pragma once

#include <string>
#include <vector>

#include "problems/cnf.hpp"
#include "reductions/chain.hpp"
#include "solvers/kov_solver.hpp"

namespace sethkit::solvers {

// sat: brute force over assignments; kov: split and list, then the kOV
// solver; maxip: kOV, then the direct signed route to exact k-MaxIP.
// attention: maxip (or, over the protocol route, the explicit Gap-MaxIP),
// then Lemma B.1 to tensor attention, decided row by row by the backend in
// the log domain. gap_maxip: kOV, then the Merlin-Arthur protocol route
// (Theorem 4.7) to an implicit Gap-k-MaxIP instance, decided by brute force.
// The instances come from reductions/chain.hpp (the Level enum lives there).
using reductions::Level;
using reductions::parse_level;
using reductions::to_string;

// Field operations the brute-force Gap-MaxIP decision may take (~10 s).
inline constexpr double kMaxGapMaxIpWork = 2e10;

struct DecideOptions {
  Level via = Level::kov;
  int k = 3;                          // order of the kOV level
  double max_bytes = double(1 << 30);  // size guard for built instances
  KOvAlgorithm kov_algorithm = KOvAlgorithm::automatic;
  bool kov_prune = true;  // drop dominated vectors before the search
  double attention_eps = 1e-6;  // backend relative error the embedding tolerates
  std::string backend = "exact";  // attention backend by name (exact or poly)
  bool attention_protocol_route = false;  // attention over the explicit Gap-MaxIP (else the direct route)
  std::string code = "rs";       // gap_maxip: rs or hermitian
  double target_soundness = 0.5;  // gap_maxip: NO inner products <= this * n_C
  bool keep_unused = false;  // keep variables that occur in no clause (reductions::Route::keep_unused)
};

struct Decision {
  bool satisfiable = false;
  std::vector<bool> assignment;  // checked on the CNF when satisfiable
  Level level = Level::sat;
  std::string solver;             // e.g. "brute-force", "kov packed"
  std::string instance_summary;   // sizes of the instance that was solved
  std::vector<std::size_t> level_witness;  // the witness at its own level
  double seconds = 0;
  std::string notes;  // level-specific figures (beta, B, threshold...)
};

// The chain's route for these options (reductions/chain.hpp).
reductions::Route route_of(const DecideOptions& options);

// Throws SizeLimitError when the instance would be too large, and
// std::logic_error when a witness fails the check (a bug, never an answer).
Decision decide_cnf(const Cnf& cnf, const DecideOptions& options);

}  // namespace sethkit::solvers
