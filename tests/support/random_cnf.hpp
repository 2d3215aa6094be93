// Random CNF generator shared by the property tests: N variables, M clauses
// of widths drawn from [min_width, max_width], distinct variables per clause.
#pragma once

#include <algorithm>
#include <random>
#include <vector>

#include "problems/cnf.hpp"

namespace sethkit::test_support {

inline Cnf random_cnf(std::mt19937_64& rng, int num_vars, int num_clauses, int min_width, int max_width) {
  Cnf f;
  f.num_vars = num_vars;
  std::vector<int> vars(static_cast<std::size_t>(num_vars));
  for (int v = 0; v < num_vars; ++v) vars[static_cast<std::size_t>(v)] = v + 1;
  for (int j = 0; j < num_clauses; ++j) {
    const int width = std::min(num_vars, min_width + int(rng() % unsigned(max_width - min_width + 1)));
    std::shuffle(vars.begin(), vars.end(), rng);
    std::vector<int> clause;
    for (int t = 0; t < width; ++t) clause.push_back(rng() % 2 ? vars[std::size_t(t)] : -vars[std::size_t(t)]);
    f.clauses.push_back(clause);
  }
  return f;
}

// Repeat counts scale with SETHKIT_TEST_REPEAT (default 1), FLINT-style.
inline int test_repeat() {
  const char* s = std::getenv("SETHKIT_TEST_REPEAT");
  const int r = s ? std::atoi(s) : 1;
  return r > 0 ? r : 1;
}

// The sanitizer build (GCC defines __SANITIZE_ADDRESS__ under -fsanitize=address)
// runs the heaviest randomized sweeps on fewer trials: the same code paths at
// several times the cost per trial, and CI runs both builds.
constexpr bool sanitized_build() {
#if defined(__SANITIZE_ADDRESS__)
  return true;
#else
  return false;
#endif
}

}  // namespace sethkit::test_support
