// SAT references: brute force against plain enumeration, the CaDiCaL and
// MiniSat wrappers against brute force (models re-checked), and the clear
// error when a solver binary is missing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "core/errors.hpp"
#include "solvers/external_sat.hpp"
#include "solvers/sat_brute_force.hpp"
#include "tests/support/random_cnf.hpp"

using namespace sethkit;
using namespace sethkit::solvers;

namespace {

bool satisfiable_by_enumeration(const Cnf& f) {
  for (uint64_t bits = 0; bits < (uint64_t(1) << f.num_vars); ++bits) {
    std::vector<bool> x(static_cast<std::size_t>(f.num_vars));
    for (int v = 0; v < f.num_vars; ++v) x[std::size_t(v)] = (bits >> v) & 1;
    if (f.satisfied_by(x)) return true;
  }
  return false;
}

}  // namespace

TEST(SatBruteForce, AgreesWithEnumeration) {
  std::mt19937_64 rng(21);
  int sat = 0, total = 0;
  for (int trial = 0; trial < 300 * test_support::test_repeat(); ++trial) {
    const int n = int(rng() % 13);
    const Cnf f = test_support::random_cnf(rng, n, int(rng() % (5 * n + 2)), 1, 4);
    const auto model = solve_sat_brute_force(f);
    ASSERT_EQ(model.has_value(), satisfiable_by_enumeration(f));
    if (model) {
      EXPECT_TRUE(f.satisfied_by(*model));
    }
    sat += model.has_value();
    ++total;
  }
  EXPECT_GT(sat, total / 10);
  EXPECT_LT(sat, total - total / 10);
}

TEST(SatBruteForce, RefusesTooManyVariables) {
  Cnf f;
  f.num_vars = 50;
  EXPECT_THROW(solve_sat_brute_force(f), SizeLimitError);
}

TEST(ExternalSat, CadicalAndMinisatAgreeWithBruteForce) {
  std::mt19937_64 rng(22);
  for (int trial = 0; trial < 40; ++trial) {
    const int n = 3 + int(rng() % 10);
    const Cnf f = test_support::random_cnf(rng, n, int(4.3 * n), 3, 3);
    const bool truth = solve_sat_brute_force(f).has_value();
    for (ExternalSolver s : {ExternalSolver::cadical, ExternalSolver::minisat}) {
      const ExternalAnswer a = run_external_solver(s, f);
      EXPECT_EQ(a.satisfiable, truth) << solver_binary(s);
      if (a.satisfiable) {
        EXPECT_TRUE(f.satisfied_by(a.model)) << solver_binary(s);
      }
    }
  }
}

TEST(ExternalSat, MissingBinaryNamesThePackage) {
  const std::string saved = std::getenv("PATH") ? std::getenv("PATH") : "";
  setenv("PATH", "/nonexistent", 1);
  Cnf f;
  f.num_vars = 1;
  f.clauses = {{1}};
  EXPECT_FALSE(external_solver_available(ExternalSolver::cadical));
  try {
    run_external_solver(ExternalSolver::cadical, f);
    ADD_FAILURE() << "expected ToolError";
  } catch (const ToolError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("Debian package 'cadical'"));
  }
  setenv("PATH", saved.c_str(), 1);
}
