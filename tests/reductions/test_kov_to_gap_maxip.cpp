// kOV -> Gap-k-MaxIP: explicit and implicit inner products agree; an
// orthogonal kOV tuple reaches the threshold n_C with some Merlin message
// (the erratum: the paper's proof of Theorem 4.7 says orthogonal tuples get
// at most m/2); a non-orthogonal one stays at or below the NO bound.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "codes/reed_solomon.hpp"
#include "core/errors.hpp"
#include "reductions/kov_to_gap_maxip.hpp"

using namespace sethkit;
using namespace sethkit::reductions;

namespace {

KOvInstance random_kov(std::mt19937_64& rng, int k, int d, std::size_t n) {
  KOvInstance inst;
  inst.k = k;
  inst.d = d;
  for (int p = 0; p < k; ++p) {
    PackedVectors v(n, d);
    for (std::size_t i = 0; i < n; ++i)
      for (int j = 0; j < d; ++j) v.set(i, j, rng() % 3 == 0);
    inst.parties.push_back(v);
  }
  return inst;
}

std::shared_ptr<const protocols::MaDisjointness> protocol_for(int k, int m) {
  const protocols::ProtocolPlan plan = protocols::choose_parameters(std::size_t(m), k, 0.8, "rs");
  return std::make_shared<protocols::MaDisjointness>(std::size_t(m), k, plan.blocks, protocols::build_code(plan));
}

}  // namespace

TEST(KovToGapMaxIp, OrthogonalTuplesReachTheThresholdOthersStayBelowTheBound) {
  std::mt19937_64 rng(61);
  int orthogonal = 0, other = 0;
  for (int trial = 0; trial < 30; ++trial) {
    const int k = 2 + trial % 2, m = 3 + trial % 3;
    const KOvInstance kov = random_kov(rng, k, m, 3);
    const GapMaxIpReduction gap(kov, protocol_for(k, m), 1e8);
    ASSERT_LT(gap.no_bound(), gap.threshold());
    std::vector<std::size_t> t(std::size_t(k), 0);
    while (true) {
      int64_t best = -1;
      for (std::size_t mu = 0; mu < gap.merlin_messages(); ++mu) {
        std::vector<std::size_t> g = t;
        g[0] = gap.party1_index(t[0], mu);
        best = std::max(best, gap.inner_product(g));
        ASSERT_EQ(gap.kov_tuple(g), t);
      }
      if (kov.inner_product(t) == 0) {
        ++orthogonal;
        EXPECT_EQ(best, gap.threshold());  // reversed cases (Theorem 4.7 as printed) fail here
      } else {
        ++other;
        EXPECT_LE(best, gap.no_bound());
      }
      std::size_t p = 0;
      while (p < t.size() && ++t[p] == kov.parties[p].size()) t[p++] = 0;
      if (p == t.size()) break;
    }
  }
  EXPECT_GT(orthogonal, 20);
  EXPECT_GT(other, 20);
}

TEST(KovToGapMaxIp, ExplicitAndImplicitFormsAgree) {
  std::mt19937_64 rng(62);
  for (int trial = 0; trial < 12; ++trial) {
    const int k = 2 + trial % 2, m = 3 + trial % 2;
    const KOvInstance kov = random_kov(rng, k, m, 2 + trial % 2);
    const GapMaxIpReduction gap(kov, protocol_for(k, m), 1e8);
    const MaxIpInstance mip = gap.explicit_instance(1e8);
    ASSERT_EQ(double(mip.d), gap.explicit_dimension());
    ASSERT_EQ(mip.sizes(), gap.sizes());
    EXPECT_EQ(mip.gap->threshold, gap.threshold());
    std::vector<std::size_t> t(std::size_t(k), 0);
    while (true) {
      ASSERT_EQ(mip.inner_product(t), gap.inner_product(t));
      std::size_t p = 0;
      while (p < t.size() && ++t[p] == mip.parties[p].size()) t[p++] = 0;
      if (p == t.size()) break;
    }
  }
}

TEST(KovToGapMaxIp, SizeGuards) {
  std::mt19937_64 rng(63);
  const KOvInstance kov = random_kov(rng, 2, 4, 3);
  const GapMaxIpReduction gap(kov, protocol_for(2, 4), 1e8);
  try {
    gap.explicit_instance(16);
    FAIL() << "expected a refusal";
  } catch (const SizeLimitError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("the explicit Gap-MaxIP instance (dimension "));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("(limit 16 B)"));
  }
  // Each allocation of the constructor in turn: Merlin's messages first, then
  // the encodings of the 6 kOV vectors (T blocks of n_C symbols each).
  const auto protocol = protocol_for(2, 4);
  const double merlin = double(*protocol->merlin_message_count()) * double(protocol->positions()) * 4.0;
  const double encodings = 6.0 * double(protocol->blocks() * protocol->positions()) * 4.0;
  ASSERT_LT(merlin, encodings);  // so a limit between the two reaches the second guard
  auto refusal = [&](double max_bytes) {
    try {
      GapMaxIpReduction(kov, protocol, max_bytes);
    } catch (const SizeLimitError& e) {
      return std::string(e.what());
    }
    return std::string("no refusal");
  };
  EXPECT_THAT(refusal(merlin - 1), ::testing::HasSubstr("admissible messages"));
  EXPECT_THAT(refusal(encodings - 1), ::testing::HasSubstr("the protocol encodings of the kOV vectors needs"));
  EXPECT_NO_THROW(GapMaxIpReduction(kov, protocol, encodings));
}
