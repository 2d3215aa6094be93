// kOV solvers against exhaustive enumeration: the packed solver and the
// small-dimension (subset-zeta) solver must find a witness exactly when one
// exists, and every witness must be orthogonal.
#include <gtest/gtest.h>

#include <random>

#include "core/errors.hpp"
#include "solvers/kov_solver.hpp"
#include "tests/support/random_cnf.hpp"

using namespace sethkit;
using namespace sethkit::solvers;

namespace {

KOvInstance random_kov(std::mt19937_64& rng, int k, int d, std::size_t max_n, double density) {
  std::bernoulli_distribution one(density);
  KOvInstance inst;
  inst.k = k;
  inst.d = d;
  for (int p = 0; p < k; ++p) {
    PackedVectors party(1 + rng() % max_n, d);
    for (std::size_t i = 0; i < party.size(); ++i)
      for (int j = 0; j < d; ++j) party.set(i, j, one(rng));
    inst.parties.push_back(party);
  }
  return inst;
}

bool exists_orthogonal(const KOvInstance& inst) {
  std::vector<std::size_t> idx(std::size_t(inst.k), 0);
  while (true) {
    if (inst.inner_product(idx) == 0) return true;
    std::size_t p = 0;
    while (p < idx.size() && ++idx[p] == inst.parties[p].size()) idx[p++] = 0;
    if (p == idx.size()) return false;
  }
}

void expect_correct(const KOvInstance& inst, const KOvResult& r, bool truth) {
  ASSERT_EQ(r.found, truth);
  if (r.found) {
    ASSERT_EQ(r.witness.size(), std::size_t(inst.k));
    for (int p = 0; p < inst.k; ++p) ASSERT_LT(r.witness[std::size_t(p)], inst.parties[std::size_t(p)].size());
    EXPECT_EQ(inst.inner_product(r.witness), 0);
  }
}

}  // namespace

TEST(KovSolver, AgreesWithEnumerationSmallDimension) {
  std::mt19937_64 rng(1);
  int found = 0, total = 0;
  for (int trial = 0; trial < 400 * test_support::test_repeat(); ++trial) {
    const int k = 2 + trial % 3;
    const int d = int(rng() % 14);
    const double density = 0.3 + 0.6 * double(rng() % 100) / 100.0;
    const KOvInstance inst = random_kov(rng, k, d, k == 4 ? 6 : 12, density);
    const bool truth = exists_orthogonal(inst);
    found += truth;
    ++total;
    expect_correct(inst, solve_kov_packed(inst), truth);
    expect_correct(inst, solve_kov_small_dimension(inst), truth);
    expect_correct(inst, solve_kov(inst), truth);
  }
  // Both outcomes must be exercised for the comparison to mean anything.
  EXPECT_GT(found, total / 10);
  EXPECT_LT(found, total - total / 10);
}

TEST(KovSolver, PackedAcrossWordBoundaries) {
  std::mt19937_64 rng(2);
  int found = 0;
  for (int trial = 0; trial < 200 * test_support::test_repeat(); ++trial) {
    const int k = 2 + trial % 3;
    const int d = 60 + int(rng() % 80);  // 1 to 3 words
    // Density chosen so that orthogonal tuples are neither certain nor absent.
    const double density = k == 2 ? 0.19 : k == 3 ? 0.37 : 0.5;
    const KOvInstance inst = random_kov(rng, k, d, 10, density);
    const bool truth = exists_orthogonal(inst);
    found += truth;
    expect_correct(inst, solve_kov_packed(inst), truth);
  }
  EXPECT_GT(found, 20);
  EXPECT_LT(found, 180);
}

TEST(KovSolver, PruningKeepsTheAnswerAndDropsEveryDominatedVector) {
  std::mt19937_64 rng(4);
  int found = 0, shrunk = 0;
  for (int trial = 0; trial < 300 * test_support::test_repeat(); ++trial) {
    const int k = 2 + trial % 3;
    const KOvInstance inst = random_kov(rng, k, 4 + int(rng() % 70), 14, 0.25 + 0.05 * k);
    const bool truth = exists_orthogonal(inst);
    found += truth;
    std::vector<std::vector<std::size_t>> kept;
    const KOvInstance pruned = prune_dominated(inst, kept);
    ASSERT_EQ(exists_orthogonal(pruned), truth);
    for (int p = 0; p < k; ++p) {
      const PackedVectors& party = pruned.parties[std::size_t(p)];
      shrunk += party.size() < inst.parties[std::size_t(p)].size();
      for (std::size_t i = 0; i < party.size(); ++i) {
        // kept[p] maps back to an identical original vector
        for (int j = 0; j < inst.d; ++j)
          ASSERT_EQ(party.bit(i, j), inst.parties[std::size_t(p)].bit(kept[std::size_t(p)][i], j));
        for (std::size_t u = 0; u < party.size(); ++u) {
          if (u == i) continue;
          bool subset = true;
          for (int j = 0; j < inst.d; ++j) subset = subset && (!party.bit(u, j) || party.bit(i, j));
          ASSERT_FALSE(subset) << "vector " << u << " is inside vector " << i << " of party " << p;
        }
      }
    }
    // The dispatcher maps a pruned witness back to original indices.
    const KOvResult r = solve_kov(inst, KOvAlgorithm::packed, /*prune=*/true);
    expect_correct(inst, r, truth);
  }
  EXPECT_GT(found, 30);
  EXPECT_LT(found, 270);
  EXPECT_GT(shrunk, 100);
}

TEST(KovSolver, EmptyPartyHasNoWitness) {
  KOvInstance inst;
  inst.k = 3;
  inst.d = 4;
  inst.parties = {PackedVectors(2, 4), PackedVectors(0, 4), PackedVectors(3, 4)};
  EXPECT_FALSE(solve_kov_packed(inst).found);
  EXPECT_FALSE(solve_kov_small_dimension(inst).found);
}

TEST(KovSolver, SmallDimensionRefusesLargeD) {
  KOvInstance inst;
  inst.k = 2;
  inst.d = kSmallDimensionMaxBits + 1;
  inst.parties = {PackedVectors(1, inst.d), PackedVectors(1, inst.d)};
  EXPECT_FALSE(small_dimension_applicable(inst));
  EXPECT_THROW(solve_kov_small_dimension(inst), SizeLimitError);
  EXPECT_EQ(solve_kov(inst).algorithm, KOvAlgorithm::packed);
}

TEST(KovSolver, AutomaticChoiceFollowsTheCostModel) {
  std::mt19937_64 rng(3);
  // Many vectors, tiny d: the table wins. Few vectors, d = 26: packed wins.
  const KOvInstance wide = random_kov(rng, 3, 8, 400, 0.9);
  EXPECT_LT(small_dimension_cost_ns(wide), packed_cost_ns(wide));
  KOvInstance narrow = random_kov(rng, 2, 26, 4, 0.9);
  EXPECT_GT(small_dimension_cost_ns(narrow), packed_cost_ns(narrow));
  EXPECT_EQ(solve_kov(narrow).algorithm, KOvAlgorithm::packed);
}
