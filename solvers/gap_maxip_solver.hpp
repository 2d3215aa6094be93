// The Gap-MaxIP decision over the implicit instance of the protocol route
// (paper 001 Theorem 4.7 with Theorem 4.5; issue 17 part 5).
//
//   GapSearch r = find_accepting_tuple(gap);      // YES iff r.found
//   if (r.found) use(r.tuple);                    // a Gap-MaxIP tuple reaching n_C
//
// The YES threshold is n_C, every position accepted: a party-1 vector
// (alpha, mu) reaches it against (v_2..v_k) only if Merlin's message mu
// equals Alice's expected symbols s(alpha, v_2..v_k) at every position. An
// admissible message is fixed by its symbols at the pivots of the reduced
// basis, so of the |F|^dim messages only one can match: every other one
// disagrees at a pivot and is pruned without being formed. The search is
// therefore over the kOV tuples, O(n_C (T k + dim)) field operations each
// (GapMaxIpReduction::accepting_message), OpenMP over them, and it stops at
// the first tuple that reaches n_C. It decides the gap exactly when the
// instance keeps its promise (the NO side: every tuple misses n_C); the
// maximum itself is not computed (maximize_inner_product does, by brute
// force, on small instances).
#pragma once

#include <cstddef>
#include <vector>

#include "reductions/kov_to_gap_maxip.hpp"

namespace sethkit::solvers {

struct GapSearch {
  bool found = false;
  std::vector<std::size_t> tuple;  // Gap-MaxIP indices (party 1: alpha * M + mu)
  double kov_tuples = 0;           // kOV tuples the search covers
};

// Field operations of find_accepting_tuple in the worst case (no witness).
double pruned_gap_work(const std::vector<std::size_t>& kov_sizes, std::size_t n_c, std::size_t blocks,
                       std::size_t merlin_dimension);

GapSearch find_accepting_tuple(const reductions::GapMaxIpReduction& gap);

}  // namespace sethkit::solvers
