// The pruned Gap-MaxIP decision (issue 17 part 5) against independent truth:
// accepting_message against every Merlin message (brute force over the
// listed messages), implicit storage against the table, and random 3-CNFs
// with N = 9 variables decided through the protocol route against brute
// force over the 2^9 assignments.
#include <gtest/gtest.h>

#include <random>

#include "core/errors.hpp"
#include "reductions/kov_to_gap_maxip.hpp"
#include "solvers/cnf_decider.hpp"
#include "solvers/gap_maxip_solver.hpp"
#include "solvers/sat_brute_force.hpp"
#include "tests/support/random_cnf.hpp"

using namespace sethkit;
using namespace sethkit::solvers;
using reductions::GapMaxIpReduction;
using reductions::MerlinStorage;

namespace {

// Coordinates are 1 with probability 1/one_in (one_in > 0) or 1 - 1/-one_in.
KOvInstance random_kov(std::mt19937_64& rng, int k, int d, std::size_t n, int one_in) {
  KOvInstance inst;
  inst.k = k;
  inst.d = d;
  for (int p = 0; p < k; ++p) {
    PackedVectors v(n, d);
    for (std::size_t i = 0; i < n; ++i)
      for (int j = 0; j < d; ++j)
        v.set(i, j, one_in > 0 ? rng() % unsigned(one_in) == 0 : rng() % unsigned(-one_in) != 0);
    inst.parties.push_back(v);
  }
  return inst;
}

std::shared_ptr<const protocols::MaDisjointness> protocol_for(int k, int m, double soundness) {
  const protocols::ProtocolPlan plan = protocols::choose_parameters(std::size_t(m), k, soundness, "rs");
  return std::make_shared<protocols::MaDisjointness>(std::size_t(m), k, plan.blocks, protocols::build_code(plan));
}

}  // namespace

// For every kOV tuple: the brute force over all Merlin messages finds one
// reaching n_C exactly when accepting_message names one, and it is that one.
TEST(GapMaxIpSolver, AcceptingMessageIsTheOnlyMessageReachingTheThreshold) {
  std::mt19937_64 rng(7);
  int yes = 0, no = 0;
  for (int trial = 0; trial < 12; ++trial) {
    const int k = 2 + trial % 2, m = 4 + trial % 5;
    const KOvInstance kov = random_kov(rng, k, m, 3, 2);
    const auto protocol = protocol_for(k, m, 0.8);
    const GapMaxIpReduction gap(kov, protocol, 1e9);
    const GapMaxIpReduction lazy(kov, protocol, 1e9, MerlinStorage::implicit);
    ASSERT_EQ(lazy.merlin_messages(), gap.merlin_messages());
    std::vector<std::size_t> t(std::size_t(k), 0);
    while (true) {
      std::vector<std::size_t> reaching;
      std::vector<std::size_t> g = t;
      for (std::size_t mu = 0; mu < gap.merlin_messages(); ++mu) {
        g[0] = gap.party1_index(t[0], mu);
        const int64_t ip = gap.inner_product(g);
        ASSERT_EQ(lazy.inner_product(g), ip);  // implicit messages equal the listed ones
        if (ip == gap.threshold()) reaching.push_back(mu);
      }
      ASSERT_LE(reaching.size(), 1u);
      const auto found = gap.accepting_message(t);
      ASSERT_EQ(found.has_value(), !reaching.empty());
      ASSERT_EQ(lazy.accepting_message(t), found);
      if (found) {
        EXPECT_EQ(*found, reaching[0]);
      }
      // Theorem 4.7 (with the erratum): YES exactly for orthogonal tuples.
      EXPECT_EQ(found.has_value(), kov.inner_product(t) == 0);
      (found ? yes : no)++;
      std::size_t p = 0;
      while (p < t.size() && ++t[p] == kov.parties[p].size()) t[p++] = 0;
      if (p == t.size()) break;
    }
    const GapSearch s = find_accepting_tuple(lazy);
    if (s.found) {
      EXPECT_EQ(lazy.inner_product(s.tuple), lazy.threshold());
      EXPECT_EQ(kov.inner_product(lazy.kov_tuple(s.tuple)), 0);
    }
  }
  EXPECT_GT(yes, 10);
  EXPECT_GT(no, 10);
}

TEST(GapMaxIpSolver, SearchFindsAWitnessExactlyWhenOneIsOrthogonal) {
  std::mt19937_64 rng(8);
  int found = 0;
  for (int trial = 0; trial < 30; ++trial) {
    const KOvInstance kov = random_kov(rng, 3, 9, 4, -4);
    bool truth = false;
    for (std::size_t a = 0; a < 4; ++a)
      for (std::size_t b = 0; b < 4; ++b)
        for (std::size_t c = 0; c < 4; ++c) truth |= kov.inner_product({a, b, c}) == 0;
    const GapMaxIpReduction gap(kov, protocol_for(3, 9, 0.5), 1e9, MerlinStorage::implicit);
    const GapSearch s = find_accepting_tuple(gap);
    ASSERT_EQ(s.found, truth);
    found += truth;
    if (s.found) {
      EXPECT_EQ(gap.inner_product(s.tuple), gap.threshold());
      EXPECT_EQ(kov.inner_product(gap.kov_tuple(s.tuple)), 0);
    }
  }
  EXPECT_GT(found, 3);
  EXPECT_LT(found, 27);
}

TEST(GapMaxIpSolver, ImplicitStorageRefusesTheExplicitInstance) {
  std::mt19937_64 rng(9);
  const KOvInstance kov = random_kov(rng, 2, 5, 2, 2);
  const GapMaxIpReduction gap(kov, protocol_for(2, 5, 0.8), 1e9, MerlinStorage::implicit);
  EXPECT_THROW(gap.explicit_instance(1e9), InputError);
}

// Random 3-CNFs with N = 9 variables and up to 45 clauses through the
// protocol route (solve --via gap-maxip --code rs), against brute force.
TEST(GapMaxIpSolver, RandomThreeCnfsWithNineVariables) {
  std::mt19937_64 rng(2026);
  int sat = 0, unsat = 0;
  const int clause_counts[] = {30, 45, 45, 40, 45};
  for (int trial = 0; trial < 10 * test_support::test_repeat(); ++trial) {
    const int m = clause_counts[trial % 5];
    const Cnf cnf = test_support::random_cnf(rng, 9, m, 3, 3);
    DecideOptions o;
    o.via = Level::gap_maxip;
    o.code = "rs";
    // o.max_bytes stays 1 GiB, solve's default --max-bytes (cli.max_bytes).
    const Decision d = decide_cnf(cnf, o);
    const bool truth = solve_sat_brute_force(cnf).has_value();
    ASSERT_EQ(d.satisfiable, truth) << "trial " << trial << ", " << m << " clauses";
    (truth ? sat : unsat)++;
  }
  EXPECT_GT(sat, 0);
  EXPECT_GT(unsat, 0);
}
