// One decider interface for every level of the chain (DESIGN.md "solvers"):
// a CNF goes in, the instance of the chosen level is built and solved there,
// and the witness found at that level is mapped back down the chain to an
// assignment that is re-checked on the CNF before it is returned.
//
//   Decision d = decide_cnf(cnf, {.via = Level::kov, .k = 3});
//   if (d.satisfiable) print(d.assignment);   // already checked on cnf
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "problems/cnf.hpp"
#include "reductions/chain.hpp"
#include "solvers/kov_solver.hpp"
#include "core/options.hpp"

namespace sethkit::solvers {

// sat: brute force over assignments; kov: split and list, then the kOV
// solver; maxip: kOV, then the direct signed route to exact k-MaxIP.
// attention: maxip (or, over the protocol route, the explicit Gap-MaxIP),
// then Lemma B.1 to tensor attention, decided row by row by the backend in
// the log domain. gap_maxip: kOV, then the Merlin-Arthur protocol route
// (Theorem 4.7) to an implicit Gap-k-MaxIP instance, decided by brute force
// when small and by the pruned search of solvers/gap_maxip_solver.hpp past it.
// The instances come from reductions/chain.hpp (the Level enum lives there).
using reductions::Level;
using reductions::parse_level;
using reductions::to_string;

// Field operations of the exact brute-force Gap-MaxIP maximum (~10 s), and
// of the pruned decision that takes over past it (~1 min).
inline constexpr double kMaxGapMaxIpWork = core::option("gap_maxip.max_work");
inline constexpr double kMaxGapMaxIpPrunedWork = core::option("gap_maxip.max_pruned_work");

struct DecideOptions {
  Level via = Level::kov;
  int k = 3;                          // order of the kOV level
  double max_bytes = double(1 << 30);  // size guard for built instances
  KOvAlgorithm kov_algorithm = KOvAlgorithm::automatic;
  bool kov_prune = true;  // drop dominated vectors before the search
  double attention_eps = 1e-6;  // backend relative error the embedding tolerates
  std::string backend = "exact";  // attention backend by name (attention/backend.hpp registry)
  bool attention_protocol_route = false;  // attention over the explicit Gap-MaxIP (else the direct route)
  std::string code = "rs";       // gap_maxip: rs or hermitian
  double target_soundness = 0.5;  // gap_maxip: NO inner products <= this * n_C
  std::string split = {};         // variable groups (reductions::parse_split); empty: consecutive
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

  // Times per stage and the size of the instance decided (the last stage
  // built: vectors per party, or attention rows per side; its dimension and
  // bytes), for solve --json and sweep.
  double reduce_seconds = 0;  // plan_chain + build_chain
  double solve_seconds = 0;   // the level's solver, the witness map and check
  std::vector<std::size_t> vectors;
  double dimension = 0;
  double bytes = 0;

  // The measured gap, for verify's soundness check (DESIGN.md "verify").
  // maxip and gap_maxip: the largest inner product found (YES: the tuple
  // reaching the threshold, n_C on the protocol route; NO: the maximum over
  // every tuple), beside the YES threshold and the NO bound of the promise.
  bool has_gap = false;
  std::int64_t best_inner_product = 0;
  std::int64_t yes_threshold = 0;
  std::int64_t no_bound = 0;
  // attention: the decision margin in the log domain, log O of the NO row
  // closest to the threshold (the largest NO row) and of the YES row closest
  // to it (the smallest YES row); a side without rows is NaN.
  bool has_margin = false;
  double log_threshold = 0;
  double closest_no_log_o = 0;
  double closest_yes_log_o = 0;
  // attention (issue 18 part 6): the errors the decision tolerates, beside
  // the paper's. relative_error is the backend relative error eps_a the
  // embedding was built for; log_o_error the decider's certified |log O~ -
  // log O| (largest over rows); log_abs_error_tolerated = log of the largest
  // absolute error on O that still separates the certified bounds,
  // (exp(log_o_yes_min) - exp(log_o_no_max)) / 2; as n^{-c}: abs_error_exponent
  // = c, n the largest party; paper_abs_exponent = Lemma B.1's C_a = 2 +
  // C_b^2 (1 - C_0/C) (Eq. 4) for this instance's d, t and eps.
  double relative_error = 0;
  double log_o_error = 0;
  double log_abs_error_tolerated = 0;
  double abs_error_exponent = 0;
  double paper_abs_exponent = 0;
};

// The chain's route for these options (reductions/chain.hpp).
reductions::Route route_of(const DecideOptions& options);

// Throws SizeLimitError when the instance would be too large, and
// std::logic_error when a witness fails the check (a bug, never an answer).
Decision decide_cnf(const Cnf& cnf, const DecideOptions& options);

}  // namespace sethkit::solvers
