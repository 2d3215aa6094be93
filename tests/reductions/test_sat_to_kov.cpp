// SAT -> kOV (split and list): the split, the defining identity
// <v_1..v_k> = number of clauses the joined assignment falsifies (checked on
// every assignment of small random formulas), the witness map and its
// inverse, and the size guard.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/errors.hpp"
#include "reductions/sat_to_kov.hpp"
#include "tests/support/random_cnf.hpp"

using namespace sethkit;
using namespace sethkit::reductions;

namespace {

int falsified_clauses(const Cnf& f, const std::vector<bool>& x) {
  int count = 0;
  for (const auto& c : f.clauses) {
    bool sat = false;
    for (int lit : c) sat = sat || ((lit > 0) == x[std::size_t(std::abs(lit) - 1)]);
    count += !sat;
  }
  return count;
}

}  // namespace

TEST(SatToKov, SplitIsNearEqualAndCoversAllVariables) {
  for (int n = 0; n <= 40; ++n) {
    for (int k = 2; k <= 6; ++k) {
      const VariableSplit s = split_variables(n, k);
      ASSERT_EQ(int(s.size.size()), k);
      int next = 1;
      for (int p = 0; p < k; ++p) {
        EXPECT_EQ(s.first_var[p], next);
        EXPECT_TRUE(s.size[p] == n / k || s.size[p] == n / k + 1);
        if (p > 0) {
          EXPECT_LE(s.size[p], s.size[p - 1]);  // larger groups first
        }
        next += s.size[p];
      }
      EXPECT_EQ(next, n + 1);
    }
  }
  EXPECT_THROW(split_variables(5, 1), InputError);
}

TEST(SatToKov, InnerProductCountsFalsifiedClauses) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 40 * test_support::test_repeat(); ++trial) {
    const int n = 1 + int(rng() % 10), k = 2 + int(rng() % 3);
    const Cnf f = test_support::random_cnf(rng, n, int(rng() % 30), 1, 4);
    const KOvInstance inst = sat_to_kov(f, k, 1e9);
    const VariableSplit split = split_variables(n, k);
    ASSERT_EQ(inst.d, int(f.num_clauses()));
    for (uint64_t bits = 0; bits < (uint64_t(1) << n); ++bits) {
      std::vector<bool> x(static_cast<std::size_t>(n));
      for (int v = 0; v < n; ++v) x[std::size_t(v)] = (bits >> v) & 1;
      const auto tuple = assignment_to_kov_tuple(split, x);
      ASSERT_EQ(inst.inner_product(tuple), falsified_clauses(f, x));
      ASSERT_EQ(kov_witness_to_assignment(split, tuple), x);
    }
  }
}

TEST(SatToKov, EmptyClauseMakesEveryTupleNonOrthogonal) {
  Cnf f;
  f.num_vars = 3;
  f.clauses = {{1, 2}, {}};
  const KOvInstance inst = sat_to_kov(f, 2, 1e9);
  for (std::size_t i = 0; i < inst.parties[0].size(); ++i)
    for (std::size_t j = 0; j < inst.parties[1].size(); ++j) EXPECT_GE(inst.inner_product({i, j}), 1);
}

TEST(SatToKov, MoreGroupsThanVariables) {
  Cnf f;
  f.num_vars = 1;
  f.clauses = {{-1}};
  const KOvInstance inst = sat_to_kov(f, 4, 1e9);
  EXPECT_EQ(inst.sizes(), (std::vector<std::size_t>{2, 1, 1, 1}));
  EXPECT_EQ(inst.inner_product({1, 0, 0, 0}), 1);  // x1 = true falsifies (-1)
  EXPECT_EQ(inst.inner_product({0, 0, 0, 0}), 0);
}

TEST(SatToKov, RefusesOverTheSizeLimitWithTheSize) {
  Cnf f;
  f.num_vars = 60;
  f.clauses = {{1}};
  try {
    sat_to_kov(f, 2, 1e9);
    FAIL() << "expected a refusal";
  } catch (const SizeLimitError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("2^30 vectors each"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("GiB"));
  }
}

// With no clauses (d = 0) the vectors take no storage, but a party of 2^45
// vectors is still refused (it once shifted 1 << 45 into a size_t count and
// ran the solvers out of memory), and d = 0 is counted as a word a vector.
TEST(SatToKov, NoClausesStillCountsTheVectors) {
  Cnf f;
  f.num_vars = 90;
  try {
    sat_to_kov(f, 2, 1e30);
    FAIL() << "expected a refusal";
  } catch (const SizeLimitError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("2^45 vectors in party 1, above the limit 2^33"));
  }
  f.num_vars = 20;
  EXPECT_DOUBLE_EQ(sat_to_kov_bytes(f, 2), 2 * 1024 * 8.0);
  EXPECT_THROW(sat_to_kov(f, 2, 2 * 1024 * 8.0 - 1), SizeLimitError);
  const KOvInstance inst = sat_to_kov(f, 2, 2 * 1024 * 8.0);
  EXPECT_EQ(inst.d, 0);
  EXPECT_EQ(inst.sizes(), (std::vector<std::size_t>{1024, 1024}));
}
