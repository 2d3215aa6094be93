// MaxIP brute force against plain enumeration, explicit and implicit forms,
// with and without the early stop; the gap decision.
#include <gtest/gtest.h>

#include <random>

#include "solvers/maxip_solver.hpp"

using namespace sethkit;
using namespace sethkit::solvers;

namespace {

int64_t enumerate_max(const MaxIpInstance& inst) {
  int64_t best = INT64_MIN;
  std::vector<std::size_t> idx(std::size_t(inst.k), 0);
  while (true) {
    best = std::max(best, inst.inner_product(idx));
    std::size_t p = 0;
    while (p < idx.size() && ++idx[p] == inst.parties[p].size()) idx[p++] = 0;
    if (p == idx.size()) return best;
  }
}

}  // namespace

TEST(MaxIpSolver, ExplicitAndImplicitMatchEnumeration) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 300; ++trial) {
    MaxIpInstance inst;
    inst.k = 2 + trial % 3;
    inst.d = 1 + int(rng() % 9);
    for (int p = 0; p < inst.k; ++p) {
      IntVectors v(1 + rng() % 6, inst.d);
      for (std::size_t i = 0; i < v.size(); ++i)
        for (int j = 0; j < inst.d; ++j) v.row(i)[j] = int32_t(rng() % 5) - 2;
      inst.parties.push_back(v);
    }
    const int64_t truth = enumerate_max(inst);
    const MaxIpResult r = maximize_inner_product(inst);
    ASSERT_EQ(r.best, truth);
    ASSERT_EQ(inst.inner_product(r.argmax), truth);
    ImplicitMaxIp implicit{inst.k, inst.sizes(), [&](const std::vector<std::size_t>& t) { return inst.inner_product(t); }};
    const MaxIpResult ri = maximize_inner_product(implicit);
    ASSERT_EQ(ri.best, truth);
    ASSERT_EQ(inst.inner_product(ri.argmax), truth);
    // Early stop: any tuple at or above the target is a valid answer.
    const MaxIpResult rs = maximize_inner_product(inst, truth - 1);
    ASSERT_GE(rs.best, truth - 1);
    ASSERT_EQ(inst.inner_product(rs.argmax), rs.best);
  }
}

TEST(MaxIpSolver, GapAnswer) {
  const MaxIpGap gap{10, 5};
  EXPECT_EQ(gap_answer(10, gap), GapAnswer::yes);
  EXPECT_EQ(gap_answer(5, gap), GapAnswer::no);
  EXPECT_EQ(gap_answer(7, gap), GapAnswer::promise_violated);
}
