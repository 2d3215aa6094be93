// Instance families (problems/cnf_families.hpp) against independent truth:
// CaDiCaL (the Debian binary) for the known answers of each family, brute
// force over assignments for the small Tseitin and pigeonhole cases, and
// direct counting for the structure (widths, distinct variables, counts).
#include "problems/cnf_families.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>
#include <sstream>
#include <stdexcept>

#include "core/errors.hpp"
#include "solvers/external_sat.hpp"

namespace sethkit {
namespace {

using solvers::ExternalSolver;

bool cadical_sat(const Cnf& f) {
  if (!solvers::external_solver_available(ExternalSolver::cadical)) {
    ADD_FAILURE() << "cadical is not installed (Debian package cadical)";
    return false;
  }
  const auto answer = solvers::run_external_solver(ExternalSolver::cadical, f);
  if (answer.satisfiable) {
    EXPECT_TRUE(f.satisfied_by(answer.model)) << "cadical's model fails";
  }
  return answer.satisfiable;
}

bool brute_force_sat(const Cnf& f) {
  EXPECT_LE(f.num_vars, 22);
  std::vector<bool> x(std::size_t(f.num_vars));
  for (uint64_t m = 0; m < (uint64_t(1) << f.num_vars); ++m) {
    for (int v = 0; v < f.num_vars; ++v) x[std::size_t(v)] = (m >> v) & 1;
    if (f.satisfied_by(x)) return true;
  }
  return false;
}

std::string dimacs(const Cnf& f) {
  std::ostringstream out;
  write_dimacs(out, f);
  return out.str();
}

int64_t binom(int n, int k) {
  int64_t r = 1;
  for (int i = 1; i <= k; ++i) r = r * (n - k + i) / i;
  return r;
}

// Every clause has `k` distinct variables in range, sorted by variable, and
// no clause repeats.
void expect_ksat_structure(const Cnf& f, int vars, int64_t clauses, int k) {
  EXPECT_EQ(f.num_vars, vars);
  ASSERT_EQ(int64_t(f.num_clauses()), clauses);
  std::set<std::vector<int>> seen;
  for (const auto& c : f.clauses) {
    ASSERT_EQ(int(c.size()), k);
    for (std::size_t i = 0; i < c.size(); ++i) {
      EXPECT_GE(std::abs(c[i]), 1);
      EXPECT_LE(std::abs(c[i]), vars);
      if (i) {
        EXPECT_LT(std::abs(c[i - 1]), std::abs(c[i])) << "variables must be distinct and sorted";
      }
    }
    EXPECT_TRUE(seen.insert(c).second) << "repeated clause";
  }
}

TEST(FamilyRng, BelowIsInRangeAndRoughlyUniform) {
  FamilyRng rng(42);
  std::vector<int> hist(7, 0);
  for (int i = 0; i < 70000; ++i) {
    const uint64_t x = rng.below(7);
    ASSERT_LT(x, 7u);
    ++hist[x];
  }
  for (int h : hist) EXPECT_NEAR(h, 10000, 500);
  EXPECT_EQ(rng.below(1), 0u);
  EXPECT_THROW(rng.below(0), std::invalid_argument);
  FamilyRng a(9), b(9);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.below(1000003), b.below(1000003));
}

TEST(RandomKsat, StructureAndReproducibility) {
  const Cnf f = random_ksat(20, 91, 3, 7);
  expect_ksat_structure(f, 20, 91, 3);
  EXPECT_EQ(dimacs(f), dimacs(random_ksat(20, 91, 3, 7)));
  EXPECT_NE(dimacs(f), dimacs(random_ksat(20, 91, 3, 8)));
  // Signs are fair coins: far from all positive or all negative.
  int positive = 0;
  for (const auto& c : f.clauses) positive += int(std::count_if(c.begin(), c.end(), [](int l) { return l > 0; }));
  EXPECT_GT(positive, 273 / 2 - 50);
  EXPECT_LT(positive, 273 / 2 + 50);
  expect_ksat_structure(random_ksat(50, 300, 5, 1), 50, 300, 5);
  expect_ksat_structure(random_ksat(4, 1, 4, 1), 4, 1, 4);  // k = vars
}

TEST(RandomKsat, EveryDistinctClauseWhenAllAreAsked) {
  // C(4, 2) * 2^2 = 24 distinct 2-clauses over 4 variables.
  const Cnf f = random_ksat(4, 24, 2, 3);
  expect_ksat_structure(f, 4, 24, 2);
  EXPECT_FALSE(cadical_sat(f));  // every 2-clause on a pair: unsatisfiable
  EXPECT_THROW(random_ksat(4, 25, 2, 3), std::invalid_argument);
}

TEST(RandomKsat, ParametersOutOfRangeNameTheOption) {
  try {
    random_ksat(3, 5, 4, 1);
    FAIL() << "k > vars accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--k 4 is out of range: it must be in [1, 3]"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(random_ksat(0, 5, 1, 1), std::invalid_argument);
  EXPECT_THROW(clauses_for_ratio(10, 0), std::invalid_argument);
  EXPECT_EQ(clauses_for_ratio(20, 4.26), 85);  // 85.2
  EXPECT_EQ(clauses_for_ratio(2, 0.25), 1);    // 0.5 rounds away from zero
}

TEST(RandomKsat, SizeIsRefusedBeforeGenerating) {
  EXPECT_THROW(random_ksat(1000, 20000000, 3, 1), SizeLimitError);
}

TEST(PlantedKsat, PlantedAssignmentSatisfiesAndCadicalAgrees) {
  for (uint64_t seed = 0; seed < 5; ++seed) {
    // Ratio 6 is far past the random 3-SAT threshold: satisfiable only
    // because of the plant.
    const PlantedCnf p = planted_ksat(40, 240, 3, seed);
    expect_ksat_structure(p.cnf, 40, 240, 3);
    ASSERT_EQ(p.assignment.size(), 40u);
    EXPECT_TRUE(p.cnf.satisfied_by(p.assignment));
    EXPECT_TRUE(cadical_sat(p.cnf));
  }
  // C(3, 3) * (2^3 - 1) = 7 clauses avoid the plant; an eighth cannot.
  const PlantedCnf all = planted_ksat(3, 7, 3, 1);
  EXPECT_TRUE(all.cnf.satisfied_by(all.assignment));
  EXPECT_THROW(planted_ksat(3, 8, 3, 1), std::invalid_argument);
}

TEST(Pigeonhole, CountsAndKnownAnswers) {
  const Cnf f = pigeonhole(4, 3, false, false);
  EXPECT_EQ(f.num_vars, 12);
  EXPECT_EQ(int64_t(f.num_clauses()), 4 + 3 * binom(4, 2));
  const Cnf g = pigeonhole(4, 3, true, true);
  EXPECT_EQ(int64_t(g.num_clauses()), 4 + 3 * binom(4, 2) + 4 * binom(3, 2) + 3);
  for (int p = 1; p <= 5; ++p) {
    for (int h = 1; h <= 5; ++h) {
      for (int mode = 0; mode < 4; ++mode) {
        const bool functional = mode & 1, onto = mode & 2;
        const Cnf php = pigeonhole(p, h, functional, onto);
        const bool expected = (functional && onto) ? p == h : p <= h;
        EXPECT_EQ(cadical_sat(php), expected) << p << " pigeons, " << h << " holes, mode " << mode;
        if (php.num_vars <= 16) {
          EXPECT_EQ(brute_force_sat(php), expected);
        }
      }
    }
  }
  EXPECT_THROW(pigeonhole(2000, 2000, false, false), SizeLimitError);
  EXPECT_THROW(pigeonhole(0, 2, false, false), std::invalid_argument);
}

void expect_regular(const Graph& g, int vertices, int degree) {
  EXPECT_EQ(g.vertices, vertices);
  ASSERT_EQ(int64_t(g.edges.size()), int64_t(vertices) * degree / 2);
  std::vector<int> deg(std::size_t(vertices), 0);
  std::set<std::pair<int, int>> seen;
  for (auto [u, v] : g.edges) {
    ASSERT_LT(u, v) << "loop or unordered edge";
    ASSERT_GE(u, 0);
    ASSERT_LT(v, vertices);
    EXPECT_TRUE(seen.insert({u, v}).second) << "repeated edge";
    ++deg[std::size_t(u)], ++deg[std::size_t(v)];
  }
  for (int d : deg) EXPECT_EQ(d, degree);
}

TEST(RegularGraph, SimpleAndRegular) {
  for (auto [v, d] : std::vector<std::pair<int, int>>{{10, 3}, {12, 4}, {7, 6}, {20, 5}, {2, 1}, {9, 2}, {30, 10}, {16, 15}, {30, 29}, {41, 40}}) {
    const Graph g = random_regular_graph(v, d, 5);
    expect_regular(g, v, d);
    EXPECT_FALSE(g.construction.empty());
  }
  for (int v = 2; v <= 12; ++v) {
    for (int d = 1; d < v; ++d) {
      if (v * d % 2 == 0) expect_regular(circulant_regular_graph(v, d), v, d);
    }
  }
  // The fallback is connected (d >= 2), so an odd charge is UNSAT, even SAT.
  const Graph c = circulant_regular_graph(10, 3);
  std::vector<bool> charge(10, false);
  EXPECT_TRUE(cadical_sat(tseitin(c, charge)));
  charge[3] = true;
  EXPECT_FALSE(cadical_sat(tseitin(c, charge)));
  EXPECT_THROW(random_regular_graph(5, 3, 1), std::invalid_argument);  // V*D odd
  EXPECT_THROW(random_regular_graph(4, 4, 1), std::invalid_argument);  // D >= V
}

TEST(Tseitin, AgreesWithBruteForceOnComponents) {
  // Small graphs with random charges: SAT iff every component is even.
  for (uint64_t seed = 0; seed < 20; ++seed) {
    FamilyRng rng(seed);
    const Graph g = random_graph(7, int64_t(rng.below(12)), seed);
    std::vector<bool> charge(7);
    for (int v = 0; v < 7; ++v) charge[std::size_t(v)] = rng.coin();
    // Component parities by union-find, written independently of the code.
    std::vector<int> comp(7);
    std::iota(comp.begin(), comp.end(), 0);
    for (int pass = 0; pass < 7; ++pass) {
      for (auto [u, v] : g.edges) comp[std::size_t(u)] = comp[std::size_t(v)] = std::min(comp[std::size_t(u)], comp[std::size_t(v)]);
    }
    std::vector<int> parity(7, 0);
    for (int v = 0; v < 7; ++v) parity[std::size_t(comp[std::size_t(v)])] ^= int(charge[std::size_t(v)]);
    const bool expected = std::all_of(parity.begin(), parity.end(), [](int p) { return p == 0; });
    EXPECT_EQ(brute_force_sat(tseitin(g, charge)), expected) << "seed " << seed;
  }
}

TEST(Tseitin, OddChargeUnsatEvenChargeSat) {
  for (auto [v, d] : std::vector<std::pair<int, int>>{{8, 3}, {10, 3}, {9, 4}, {6, 1}, {10, 2}}) {
    for (uint64_t seed = 0; seed < 3; ++seed) {
      const TseitinCnf odd = tseitin_random_regular(v, d, true, seed);
      const TseitinCnf even = tseitin_random_regular(v, d, false, seed);
      expect_regular(odd.graph, v, d);
      EXPECT_EQ(odd.cnf.num_vars, v * d / 2);
      EXPECT_EQ(int64_t(odd.cnf.num_clauses()), int64_t(v) << (d - 1));
      for (const auto& c : odd.cnf.clauses) EXPECT_EQ(int(c.size()), d);
      EXPECT_EQ(std::count(odd.charge.begin(), odd.charge.end(), true) % 2, 1);
      EXPECT_FALSE(cadical_sat(odd.cnf)) << v << " " << d << " seed " << seed;
      EXPECT_TRUE(cadical_sat(even.cnf)) << v << " " << d << " seed " << seed;
    }
  }
  EXPECT_EQ(dimacs(tseitin_random_regular(12, 3, true, 4).cnf), dimacs(tseitin_random_regular(12, 3, true, 4).cnf));
  EXPECT_THROW(tseitin_random_regular(7, 3, true, 1), std::invalid_argument);
}

TEST(Parity, SatisfiableIffEven) {
  for (int n = 2; n <= 9; ++n) {
    const Cnf f = parity_principle(n);
    EXPECT_EQ(f.num_vars, binom(n, 2));
    EXPECT_EQ(int64_t(f.num_clauses()), n + n * binom(n - 1, 2));
    EXPECT_EQ(cadical_sat(f), n % 2 == 0) << "n = " << n;
    if (f.num_vars <= 15) {
      EXPECT_EQ(brute_force_sat(f), n % 2 == 0) << "n = " << n;
    }
  }
  EXPECT_THROW(parity_principle(1), std::invalid_argument);
}

TEST(Coloring, CompleteGraphNeedsAColourPerVertex) {
  for (int c = 1; c <= 5; ++c) {
    const Graph k_next = random_graph(c + 1, binom(c + 1, 2), 3);  // K_{C+1}
    EXPECT_EQ(int64_t(k_next.edges.size()), binom(c + 1, 2));
    EXPECT_FALSE(cadical_sat(graph_coloring(k_next, c))) << "K_" << c + 1 << " with " << c << " colours";
    const Graph k_same = random_graph(c, binom(c, 2), 3);
    EXPECT_TRUE(cadical_sat(graph_coloring(k_same, c))) << "K_" << c << " with " << c << " colours";
  }
  const Graph g = random_graph(10, 20, 1);
  std::set<std::pair<int, int>> seen;
  for (auto [u, v] : g.edges) {
    EXPECT_LT(u, v);
    EXPECT_TRUE(seen.insert({u, v}).second);
  }
  EXPECT_EQ(seen.size(), 20u);
  const Cnf f = graph_coloring(g, 3);
  EXPECT_EQ(f.num_vars, 30);
  EXPECT_EQ(int64_t(f.num_clauses()), 10 + 10 * 3 + 20 * 3);
  EXPECT_THROW(random_graph(10, 46, 1), std::invalid_argument);
  // A dense graph comes from the complement: still distinct edges.
  expect_regular(random_graph(6, 15, 2), 6, 5);
}

}  // namespace
}  // namespace sethkit

namespace sethkit {
namespace {

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

// Pins the bytes: a published (family, parameters, seed) must keep giving
// the same file on every machine and in later versions. A change here
// (another PRNG, distribution or clause order) breaks everyone's seeds: make
// it only on purpose, and say so in the release notes.
TEST(Reproducibility, PinnedFingerprints) {
  EXPECT_EQ(fnv1a(dimacs(random_ksat(20, 91, 3, 7))), 1066964797098643771ull);
  EXPECT_EQ(fnv1a(dimacs(planted_ksat(30, 120, 4, 3).cnf)), 16184945332831375753ull);
  EXPECT_EQ(fnv1a(dimacs(tseitin_random_regular(16, 3, true, 5).cnf)), 3725523187183613632ull);
  EXPECT_EQ(fnv1a(dimacs(graph_coloring(random_graph(12, 30, 9), 3))), 15497506101635214040ull);
}

}  // namespace
}  // namespace sethkit

namespace sethkit {
namespace {

TEST(Coloring, RandomGraphFamilyChecksTheFormulaBeforeTheGraph) {
  const ColoringCnf c = coloring_random_graph(8, 12, 3, 4);
  EXPECT_EQ(c.graph.edges.size(), 12u);
  EXPECT_EQ(dimacs(c.cnf), dimacs(graph_coloring(random_graph(8, 12, 4), 3)));
  EXPECT_THROW(coloring_random_graph(1000000, 10000000, 100000, 1), SizeLimitError);
  EXPECT_THROW(coloring_random_graph(5, 11, 3, 1), std::invalid_argument);
  EXPECT_THROW(coloring_random_graph(5, 3, 0, 1), std::invalid_argument);
}

}  // namespace
}  // namespace sethkit
