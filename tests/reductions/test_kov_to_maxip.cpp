// Direct route: <a'_1..a'_k> = M - <a_1..a_k> on every tuple of random kOV
// instances, so the maximum is M exactly when an orthogonal tuple exists.
#include <gtest/gtest.h>

#include <random>

#include "core/errors.hpp"
#include "reductions/kov_to_maxip.hpp"

using namespace sethkit;

TEST(KovToMaxIp, InnerProductIsMMinusKovInnerProduct) {
  std::mt19937_64 rng(17);
  for (int trial = 0; trial < 100; ++trial) {
    KOvInstance kov;
    kov.k = 2 + trial % 3;
    kov.d = int(rng() % 20);
    for (int p = 0; p < kov.k; ++p) {
      PackedVectors v(1 + rng() % 4, kov.d);
      for (std::size_t i = 0; i < v.size(); ++i)
        for (int j = 0; j < kov.d; ++j) v.set(i, j, rng() % 3 != 0);
      kov.parties.push_back(v);
    }
    const MaxIpInstance mip = reductions::kov_to_maxip(kov, 1e9);
    ASSERT_EQ(mip.d, 2 * kov.d);
    ASSERT_TRUE(mip.gap.has_value());
    EXPECT_EQ(mip.gap->threshold, kov.d);
    EXPECT_EQ(mip.gap->no_bound, kov.d - 1);
    std::vector<std::size_t> idx(std::size_t(kov.k), 0);
    while (true) {
      ASSERT_EQ(mip.inner_product(idx), kov.d - kov.inner_product(idx));
      std::size_t p = 0;
      while (p < idx.size() && ++idx[p] == kov.parties[p].size()) idx[p++] = 0;
      if (p == idx.size()) break;
    }
  }
}

TEST(KovToMaxIp, RefusesOverTheLimit) {
  KOvInstance kov;
  kov.k = 2;
  kov.d = 1000;
  kov.parties = {PackedVectors(1000, 1000), PackedVectors(1000, 1000)};
  EXPECT_THROW(reductions::kov_to_maxip(kov, 1e6), SizeLimitError);
}
