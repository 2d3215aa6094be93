// SAT -> kOV by split and list ([Wil05]; paper 001 Section 3 "A standard
// reduction [Wil05] shows that SAT reduces to the 3OV problem"; DESIGN.md
// "SAT -> kOV").
//
// Split: the N variables are cut into k consecutive groups of near-equal size;
// the first N mod k groups get one variable more (group p holds variables
// first_var[p] .. first_var[p] + size[p] - 1, 1-based DIMACS numbering).
// List: for group p and each partial assignment alpha in {0,1}^size[p]
// (bit t of the index alpha is the value of variable first_var[p] + t) emit
// v in {0,1}^M with v[j] = 1 iff alpha makes no literal of clause j true.
// Then <v_1,...,v_k> = number of clauses the joined assignment falsifies, so
// orthogonal k-tuples are exactly the satisfying assignments, and the witness
// map is the concatenation of the k partial assignments.
#pragma once

#include <cstdint>
#include <vector>

#include "problems/cnf.hpp"
#include "problems/kov_instance.hpp"

namespace sethkit::reductions {

struct VariableSplit {
  std::vector<int> first_var;  // 1-based DIMACS variable of each group
  std::vector<int> size;       // variables in each group
};

VariableSplit split_variables(int num_vars, int k);

// Vectors per party: 2^size[p]. Bytes of the packed instance in memory.
double sat_to_kov_bytes(const Cnf& cnf, int k);

// The refusals of sat_to_kov, without building: the dimension and party
// limits, then the packed bytes against max_bytes (SizeLimitError, with the
// size). plan_chain (reductions/chain.hpp) calls it before anything is built.
void check_sat_to_kov_size(const Cnf& cnf, int k, double max_bytes);

// Refuses (check_sat_to_kov_size) before allocating.
KOvInstance sat_to_kov(const Cnf& cnf, int k, double max_bytes);

// Witness map: index[p] is the partial assignment alpha_p of group p.
// Returns the full assignment (assignment[v-1] is variable v).
std::vector<bool> kov_witness_to_assignment(const VariableSplit& split,
                                            const std::vector<std::size_t>& index);
// The inverse, used in tests: the kOV tuple of a full assignment.
std::vector<std::size_t> assignment_to_kov_tuple(const VariableSplit& split,
                                                 const std::vector<bool>& assignment);

}  // namespace sethkit::reductions
