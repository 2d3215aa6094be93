// The property test of issue 3: for many random CNFs (N <= 12, several clause
// widths and densities) and k in {2, 3, 4}, the kOV answer equals brute-force
// SAT and CaDiCaL, and every witness decodes to a satisfying assignment.
// Also the bundled examples.
#include <gtest/gtest.h>

#include <filesystem>

#include "solvers/cnf_decider.hpp"
#include "solvers/external_sat.hpp"
#include "tests/support/random_cnf.hpp"

using namespace sethkit;
using namespace sethkit::solvers;

namespace {

void check_all_routes(const Cnf& f, bool truth, const std::string& label) {
  DecideOptions options;
  options.via = Level::sat;
  const Decision brute = decide_cnf(f, options);
  ASSERT_EQ(brute.satisfiable, truth) << label;
  for (int k = 2; k <= 4; ++k) {
    options.via = Level::kov;
    options.k = k;
    for (KOvAlgorithm a : {KOvAlgorithm::automatic, KOvAlgorithm::packed}) {
      options.kov_algorithm = a;
      options.kov_prune = a == KOvAlgorithm::automatic;
      const Decision d = decide_cnf(f, options);
      ASSERT_EQ(d.satisfiable, truth) << label << " k=" << k;
      if (d.satisfiable) {
        ASSERT_TRUE(f.satisfied_by(d.assignment)) << label << " k=" << k;
      }
    }
    for (Level level : {Level::maxip, Level::attention}) {
      if (level == Level::attention && (k == 4 || f.num_clauses() == 0)) continue;  // keep the test fast
      options.via = level;
      const Decision m = decide_cnf(f, options);
      ASSERT_EQ(m.satisfiable, truth) << label << " " << to_string(level) << " k=" << k;
      if (m.satisfiable) {
        ASSERT_TRUE(f.satisfied_by(m.assignment)) << label << " " << to_string(level) << " k=" << k;
      }
    }
  }
}

}  // namespace

TEST(ChainKov, RandomCnfsAgreeWithCadicalAndBruteForce) {
  std::mt19937_64 rng(33);
  int sat = 0, total = 0;
  for (int trial = 0; trial < 150 * test_support::test_repeat(); ++trial) {
    const int n = 1 + int(rng() % 12);
    const int width = 1 + int(rng() % 4);
    const double ratio = (width == 1 ? 0.5 : width == 2 ? 1.0 : width == 3 ? 4.3 : 9.9) * (0.6 + 0.8 * double(rng() % 100) / 100);
    const Cnf f = test_support::random_cnf(rng, n, int(ratio * n) + 1, std::max(1, width - 1), width);
    const ExternalAnswer ref = run_external_solver(ExternalSolver::cadical, f);
    check_all_routes(f, ref.satisfiable, "trial " + std::to_string(trial));
    sat += ref.satisfiable;
    ++total;
  }
  EXPECT_GT(sat, total / 5);
  EXPECT_LT(sat, total - total / 5);
}

TEST(ChainKov, BundledExamples) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator("examples")) {
    if (entry.path().extension() != ".cnf") continue;
    const Cnf f = read_dimacs_file(entry.path().string());
    const ExternalAnswer ref = run_external_solver(ExternalSolver::cadical, f);
    check_all_routes(f, ref.satisfiable, entry.path().string());
    ++files;
  }
  EXPECT_GE(files, 6);
}
