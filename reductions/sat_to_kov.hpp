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
#include <string>
#include <vector>

#include "problems/cnf.hpp"
#include "problems/kov_instance.hpp"

namespace sethkit::reductions {

struct VariableSplit {
  std::vector<int> first_var;  // 1-based DIMACS variable of each group (its first, for a chosen split)
  std::vector<int> size;       // variables in each group
  // vars[p][t]: the variable that bit t of group p's index assigns (always
  // filled; consecutive for split_variables).
  std::vector<std::vector<int>> vars;
  std::string spec = "consecutive";  // how it was chosen (parse_split's text), for provenance
};

VariableSplit split_variables(int num_vars, int k);

// A chosen split (issue 16 part 7): "interleaved" (variable v goes to group
// (v-1) mod k), or k ranges "1-7,8-14,15-20" (a range may be one variable,
// "5"; variables in any order) that together hold every variable 1..N
// exactly once. InputError naming the fault otherwise.
VariableSplit parse_split(const std::string& spec, int num_vars, int k);

// The sizes and refusals below, for a given split.
double sat_to_kov_bytes(const Cnf& cnf, const VariableSplit& split);
void check_sat_to_kov_size(const Cnf& cnf, const VariableSplit& split, double max_bytes);
KOvInstance sat_to_kov(const Cnf& cnf, const VariableSplit& split, double max_bytes);

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
