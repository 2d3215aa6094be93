// Lemma B.1 generalized: on random Gap-MaxIP instances (0/1 and signed,
// k = 2, 3, 4) the certified bounds hold for the true log O_i computed by
// brute force in long double, YES rows land above the threshold and NO rows
// below, beta is (nearly) the smallest that separates, and the matrices have
// the shape and entries of the construction.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/errors.hpp"
#include "reductions/maxip_to_attention.hpp"

using namespace sethkit;
using namespace sethkit::reductions;

namespace {

MaxIpInstance random_gap_instance(std::mt19937_64& rng, int k, bool signed_entries) {
  MaxIpInstance inst;
  inst.k = k;
  inst.d = 2 + int(rng() % 6);
  for (int p = 0; p < k; ++p) {
    IntVectors v(1 + rng() % (k == 4 ? 3 : 5), inst.d);
    for (std::size_t i = 0; i < v.size(); ++i)
      for (int j = 0; j < inst.d; ++j)
        v.row(i)[j] = signed_entries ? int32_t(rng() % 3) - 1 : int32_t(rng() % 4 != 0);
    inst.parties.push_back(v);
  }
  // Threshold: the instance's own maximum or one above, so both answers occur.
  int64_t best = INT64_MIN;
  std::vector<std::size_t> idx(std::size_t(k), 0);
  while (true) {
    best = std::max(best, inst.inner_product(idx));
    std::size_t p = 0;
    while (p < idx.size() && ++idx[p] == inst.parties[p].size()) idx[p++] = 0;
    if (p == idx.size()) break;
  }
  const int64_t t = std::max<int64_t>(best + int64_t(rng() % 2), 1);
  inst.gap = MaxIpGap{t, t - 1};
  return inst;
}

// log O_i and log D_i straight from the definition, in long double.
std::pair<long double, long double> true_log_o_and_d(const AttentionInstance& a, std::size_t i) {
  const std::size_t k1 = a.keys.size(), d = a.d();
  std::vector<std::size_t> j(k1, 0);
  std::vector<long double> scores, weights;
  while (true) {
    long double s = 0;
    for (std::size_t c = 0; c < d; ++c) {
      long double prod = a.q(i, c);
      for (std::size_t p = 0; p < k1; ++p) prod *= a.keys[p](j[p], c);
      s += prod;
    }
    long double v = 1;
    for (std::size_t p = 0; p < k1; ++p) v *= a.values[p](j[p], 0);
    scores.push_back(s * a.scale);
    weights.push_back(v);
    std::size_t p = 0;
    while (p < k1 && ++j[p] == a.keys[p].rows) j[p++] = 0;
    if (p == k1) break;
  }
  long double m = scores[0];
  for (auto s : scores) m = std::max(m, s);
  long double num = 0, den = 0;
  for (std::size_t t = 0; t < scores.size(); ++t) {
    den += std::exp(scores[t] - m);
    num += weights[t] * std::exp(scores[t] - m);
  }
  return {std::log(num) - std::log(den), m + std::log(den)};
}

bool row_is_yes(const MaxIpInstance& inst, std::size_t i) {
  std::vector<std::size_t> idx(std::size_t(inst.k), 0);
  idx[0] = i;
  while (true) {
    if (inst.inner_product(idx) >= inst.gap->threshold) return true;
    std::size_t p = 1;
    while (p < idx.size() && ++idx[p] == inst.parties[p].size()) idx[p++] = 0;
    if (p == idx.size()) return false;
  }
}

}  // namespace

TEST(MaxIpToAttention, CertifiedBoundsSeparateRows) {
  std::mt19937_64 rng(41);
  int yes = 0, no = 0;
  for (int trial = 0; trial < 120; ++trial) {
    const int k = 2 + trial % 3;
    const MaxIpInstance inst = random_gap_instance(rng, k, trial % 2 == 1);
    const AttentionEmbedding e = maxip_to_attention(inst, 1e-6, 1e9);
    ASSERT_LT(e.log_o_no_max, e.log_threshold);
    ASSERT_LT(e.log_threshold, e.log_o_yes_min);
    const DenominatorBounds b = denominator_bounds(inst, e.beta);
    for (std::size_t i = 0; i < inst.parties[0].size(); ++i) {
      const auto [log_o, log_d] = true_log_o_and_d(e.instance, i);
      EXPECT_GE(double(log_d), b.log_min - 1e-9);
      EXPECT_LE(double(log_d), b.log_max + 1e-9);
      if (row_is_yes(inst, i)) {
        ++yes;
        EXPECT_GE(double(log_o), e.log_o_yes_min - 1e-9) << "trial " << trial << " row " << i;
      } else {
        ++no;
        EXPECT_LE(double(log_o), e.log_o_no_max + 1e-9) << "trial " << trial << " row " << i;
      }
    }
  }
  EXPECT_GT(yes, 30);
  EXPECT_GT(no, 30);
}

TEST(MaxIpToAttention, BetaIsTheSmallestThatSeparates) {
  std::mt19937_64 rng(42);
  for (int trial = 0; trial < 30; ++trial) {
    const MaxIpInstance inst = random_gap_instance(rng, 3, false);
    const AttentionEmbedding e = maxip_to_attention(inst, 1e-6, 1e9);
    // At 0.99 beta the certified gap falls short of 2 log((1+eps)/(1-eps)) + log 2.
    const double target = 2 * std::log((1 + 1e-6) / (1 - 1e-6)) + std::log(2.0);
    const double s = 1.0 / (2.0 * inst.d), beta = 0.99 * e.beta;
    const DenominatorBounds b = denominator_bounds(inst, beta);
    double log_n = 0;
    for (int p = 1; p < 3; ++p) log_n += std::log(double(inst.parties[std::size_t(p)].size()));
    const double gap = (s * beta * double(inst.gap->threshold) - b.log_max) -
                       (log_n + s * beta * double(inst.gap->no_bound) - b.log_min);
    EXPECT_LT(gap, target);
    EXPECT_NEAR(e.log_o_yes_min - e.log_o_no_max, target, 1e-6 * target + 1e-9);
  }
}

TEST(MaxIpToAttention, ConstructionShape) {
  MaxIpInstance inst;
  inst.k = 3;
  inst.d = 2;
  inst.parties = {IntVectors(1, 2), IntVectors(2, 2), IntVectors(3, 2)};
  inst.parties[0].row(0)[0] = 1;
  inst.parties[1].row(1)[1] = 1;
  inst.gap = MaxIpGap{1, 0};
  const AttentionEmbedding e = maxip_to_attention(inst, 1e-6, 1e9);
  const AttentionInstance& a = e.instance;
  const double b = std::cbrt(e.beta);
  EXPECT_NEAR(e.entry_bound, b, 1e-12 * b);
  ASSERT_EQ(a.lengths(), (std::vector<std::size_t>{1, 4, 6}));
  EXPECT_EQ(a.d(), 4u);
  EXPECT_DOUBLE_EQ(a.scale, 0.25);
  EXPECT_DOUBLE_EQ(a.q(0, 0), b);
  EXPECT_DOUBLE_EQ(a.q(0, 1), 0);
  EXPECT_DOUBLE_EQ(a.q(0, 2), b);
  EXPECT_DOUBLE_EQ(a.keys[0](1, 1), b);  // data row 1 of party 2
  EXPECT_DOUBLE_EQ(a.keys[0](1, 3), 0);
  EXPECT_DOUBLE_EQ(a.keys[0](2, 0), 0);  // padding
  EXPECT_DOUBLE_EQ(a.keys[0](2, 2), b);
  EXPECT_DOUBLE_EQ(a.values[1](2, 0), 1);
  EXPECT_DOUBLE_EQ(a.values[1](3, 0), 0);
  EXPECT_EQ(a.manifest->row_map[1], (std::vector<int64_t>{0, 1, -1, -1}));
  EXPECT_EQ(a.manifest->row_map[2], (std::vector<int64_t>{0, 1, 2, -1, -1, -1}));
}

TEST(MaxIpToAttention, Refusals) {
  MaxIpInstance inst;
  inst.k = 2;
  inst.d = 2;
  inst.parties = {IntVectors(1, 2), IntVectors(1, 2)};
  EXPECT_THROW(maxip_to_attention(inst, 1e-6, 1e9), InputError);  // no gap
  inst.gap = MaxIpGap{1, 0};
  inst.parties[0].row(0)[0] = 5;  // inner products up to 5 > d
  inst.parties[1].row(0)[0] = 1;
  EXPECT_THROW(maxip_to_attention(inst, 1e-6, 1e9), InputError);
  inst.parties[0].row(0)[0] = 1;
  EXPECT_THROW(maxip_to_attention(inst, 1e-6, 10), SizeLimitError);
}
