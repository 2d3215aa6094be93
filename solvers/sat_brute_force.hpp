// Brute-force SAT: the independent truth on small formulas. Bit-sliced: the
// lowest six variables take all 64 values at once in the lanes of one word,
// the rest are enumerated (OpenMP over the high assignments).
#pragma once

#include <optional>
#include <vector>

#include "problems/cnf.hpp"
#include "core/options.hpp"

namespace sethkit::solvers {

// 2^40 assignments is hours; refuse beyond (SizeLimitError with the count).
inline constexpr int kMaxBruteForceVariables = core::option_as<int>("sat.max_brute_force_variables");

// A satisfying assignment (assignment[v-1] is variable v), or nullopt.
std::optional<std::vector<bool>> solve_sat_brute_force(
    const Cnf& cnf, int max_variables = kMaxBruteForceVariables);

}  // namespace sethkit::solvers
