// Chosen variable splits (--split, issue 16 part 7): parse_split's groups and
// errors, and split and list on them checked against brute force: for every
// assignment x, the k-wise inner product of x's kOV tuple is the number of
// clauses x falsifies, the witness map inverts the tuple, and the chain
// decides (and maps back) on an interleaved split as on the default one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/errors.hpp"
#include "problems/cnf_families.hpp"
#include "reductions/chain.hpp"
#include "reductions/sat_to_kov.hpp"

using namespace sethkit;
using namespace sethkit::reductions;
using ::testing::HasSubstr;

TEST(ParseSplit, InterleavedAndRanges) {
  const VariableSplit s = parse_split("interleaved", 7, 3);
  EXPECT_EQ(s.vars, (std::vector<std::vector<int>>{{1, 4, 7}, {2, 5}, {3, 6}}));
  EXPECT_EQ(s.size, (std::vector<int>{3, 2, 2}));
  const VariableSplit r = parse_split("5-7,1-2,3-4", 7, 3);
  EXPECT_EQ(r.vars, (std::vector<std::vector<int>>{{5, 6, 7}, {1, 2}, {3, 4}}));
  EXPECT_EQ(r.spec, "5-7,1-2,3-4");
  EXPECT_EQ(parse_split("1-3,4", 4, 2).vars, (std::vector<std::vector<int>>{{1, 2, 3}, {4}}));
}

TEST(ParseSplit, RefusesBadGroups) {
  auto message = [](const std::string& spec) {
    try {
      parse_split(spec, 6, 3);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(message("1-3,4-6"), HasSubstr("has 2 groups but k = 3"));
  EXPECT_THAT(message("1-3,3-4,5-6"), HasSubstr("variable 3 is in two groups"));
  EXPECT_THAT(message("1-2,4-4,5-6"), HasSubstr("variable 3 is in no group"));
  EXPECT_THAT(message("1-2,3-4,5-7"), HasSubstr("names variable 7 but the formula has 6"));
  EXPECT_THAT(message("1-2,4-3,5-6"), HasSubstr("is empty"));
  EXPECT_THAT(message("1-2,a,3-6"), HasSubstr("expected a variable number, found 'a'"));
}

TEST(SplitAndList, InnerProductCountsFalsifiedClausesOnAnySplit) {
  for (uint64_t seed = 0; seed < 6; ++seed) {
    const Cnf cnf = random_ksat(9, 30, 3, seed);
    for (const std::string spec : {"interleaved", "7-9,1-3,4-6", "1,2-8,9"}) {
      const VariableSplit split = parse_split(spec, cnf.num_vars, 3);
      const KOvInstance kov = sat_to_kov(cnf, split, 1e9);
      for (std::size_t p = 0; p < 3; ++p) EXPECT_EQ(kov.parties[p].size(), std::size_t(1) << split.size[p]);
      for (unsigned bits = 0; bits < (1u << cnf.num_vars); ++bits) {
        std::vector<bool> x(std::size_t(cnf.num_vars));
        for (int v = 0; v < cnf.num_vars; ++v) x[std::size_t(v)] = (bits >> v) & 1u;
        long falsified = 0;
        for (const auto& clause : cnf.clauses) {
          bool sat = false;
          for (int lit : clause) sat = sat || (lit > 0) == x[std::size_t(std::abs(lit) - 1)];
          falsified += !sat;
        }
        const std::vector<std::size_t> tuple = assignment_to_kov_tuple(split, x);
        ASSERT_EQ(kov.inner_product(tuple), falsified) << spec << " seed " << seed << " x " << bits;
        ASSERT_EQ(kov_witness_to_assignment(split, tuple), x);
      }
    }
  }
}

TEST(SplitAndList, ChainMapsBackThroughAChosenSplit) {
  for (uint64_t seed = 0; seed < 4; ++seed) {
    const Cnf cnf = random_ksat(8, 20, 3, seed);
    Route route;
    route.to = Level::maxip;
    route.k = 2;
    route.split = "interleaved";
    const Chain chain = build_chain(plan_chain(cnf, route, 1e9));
    EXPECT_EQ(chain.plan.split.spec, "interleaved");
    // Every orthogonal tuple maps back to a satisfying assignment.
    for (std::size_t a = 0; a < chain.kov.parties[0].size(); ++a)
      for (std::size_t b = 0; b < chain.kov.parties[1].size(); ++b) {
        if (chain.kov.inner_product({a, b}) == 0) {
          EXPECT_TRUE(cnf.satisfied_by(chain.map_back(Level::maxip, {a, b})));
        }
      }
  }
}
