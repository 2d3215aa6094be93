// The MA disjointness protocol (Theorem 4.5), checked exhaustively: every
// tuple of sets and every admissible Merlin message. Disjoint sets: the
// honest message is admissible and accepted at all n_C positions.
// Intersecting sets: no admissible message passes more than the soundness
// bound n_C - dist(C'), and some input reaches the bound (it is tight).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "codes/hermitian.hpp"
#include "codes/reed_solomon.hpp"
#include "core/errors.hpp"
#include "protocols/ma_disjointness.hpp"

using namespace sethkit;
using namespace sethkit::protocols;

namespace {

std::shared_ptr<const codes::LinearCode> rs(std::int64_t p, std::size_t n, std::size_t r) {
  return std::make_shared<codes::ReedSolomonCode>(codes::ReedSolomonCode::first_points(codes::Field::prime(p), n, r));
}

std::vector<std::uint8_t> set_of(std::uint64_t bits, std::size_t m) {
  std::vector<std::uint8_t> s(m);
  for (std::size_t e = 0; e < m; ++e) s[e] = (bits >> e) & 1;
  return s;
}

struct Outcome {
  std::size_t disjoint = 0, intersecting = 0, worst_intersecting = 0;
};

// Runs the protocol on the set tuples given by `codes` (k set bitmasks each).
Outcome check_tuples(const MaDisjointness& proto, const std::vector<std::vector<std::uint64_t>>& tuples) {
  Outcome out;
  const std::size_t m = proto.universe(), n = proto.positions(), bound = *proto.soundness_bound();
  std::vector<std::vector<codes::Element>> merlin;
  proto.for_each_merlin_message([&](std::span<const codes::Element> mu) { merlin.emplace_back(mu.begin(), mu.end()); });
  for (const auto& tuple : tuples) {
    std::vector<EncodedSet> enc;
    std::uint64_t common = ~std::uint64_t(0);
    for (std::uint64_t s : tuple) {
      enc.push_back(proto.encode_set(set_of(s, m)));
      common &= s;
    }
    common &= (std::uint64_t(1) << m) - 1;
    const std::vector<codes::Element> mu = proto.honest_message(enc);
    std::size_t best = 0;
    for (const auto& mu_hat : merlin) best = std::max(best, proto.acceptance_count(mu_hat, enc));
    if (common == 0) {
      ++out.disjoint;
      EXPECT_TRUE(proto.admissible(mu));
      EXPECT_EQ(proto.acceptance_count(mu, enc), n);
      EXPECT_EQ(best, n);  // the honest message is among Merlin's messages
    } else {
      ++out.intersecting;
      EXPECT_FALSE(proto.admissible(mu));
      EXPECT_EQ(proto.acceptance_count(mu, enc), 0u);
      EXPECT_LE(best, bound);
      out.worst_intersecting = std::max(out.worst_intersecting, best);
    }
  }
  return out;
}

std::vector<std::vector<std::uint64_t>> all_tuples(std::size_t m, int k) {
  std::vector<std::vector<std::uint64_t>> out;
  const std::uint64_t sets = std::uint64_t(1) << m;
  std::vector<std::uint64_t> t(std::size_t(k), 0);
  while (true) {
    out.push_back(t);
    std::size_t p = 0;
    while (p < t.size() && ++t[p] == sets) t[p++] = 0;
    if (p == t.size()) return out;
  }
}

}  // namespace

TEST(MaDisjointness, ReedSolomonExhaustive) {
  // (k, m, T, p, n_C, r): r = 2 blocks of a few elements, n_C >= k(r-1)+1.
  struct Case { int k; std::size_t m, t; std::int64_t p; std::size_t n, r; };
  for (const Case c : {Case{2, 4, 2, 3, 3, 2}, Case{2, 6, 3, 5, 5, 2}, Case{3, 4, 2, 5, 4, 2},
                       Case{3, 4, 2, 5, 5, 2}, Case{4, 3, 2, 5, 5, 2}}) {
    MaDisjointness proto(c.m, c.k, c.t, rs(c.p, c.n, c.r));
    ASSERT_EQ(*proto.soundness_bound(), std::size_t(c.k) * (c.r - 1));
    ASSERT_EQ(*proto.merlin_message_count(), std::uint64_t(std::pow(double(c.p), double(c.k * (c.r - 1) + 1 - c.r))));
    const Outcome o = check_tuples(proto, all_tuples(c.m, c.k));
    EXPECT_GT(o.disjoint, 0u);
    EXPECT_GT(o.intersecting, 0u);
    EXPECT_EQ(o.worst_intersecting, *proto.soundness_bound()) << "bound not tight for k=" << c.k << " m=" << c.m;
  }
}

TEST(MaDisjointness, HermitianExhaustiveK2) {
  // q = 3: C = L(3P) over F_9 on 27 points, r = 2; C' = L(6P), dim 4; T = 2
  // blocks (char 3 > T), m = 4; 81 Merlin messages; all 256 set pairs.
  auto code = std::make_shared<codes::HermitianCode>(3, 3);
  ASSERT_EQ(code->dimension(), 2u);
  MaDisjointness proto(4, 2, 2, code);
  EXPECT_EQ(*proto.soundness_bound(), 6u);
  const Outcome o = check_tuples(proto, all_tuples(4, 2));
  EXPECT_EQ(o.disjoint, 81u);  // 3^4 disjoint pairs of subsets of a 4-set
  EXPECT_LE(o.worst_intersecting, 6u);
}

TEST(MaDisjointness, HermitianK3RandomTuples) {
  // The smallest k = 3 Hermitian parameters: q = 3, a = 3 (r = 2), C' =
  // L(9P) of dimension 7, 9^5 = 59049 Merlin messages; 24 random set
  // triples over m = 4 (T = 2), half of them disjoint by construction.
  auto code = std::make_shared<codes::HermitianCode>(3, 3);
  MaDisjointness proto(4, 3, 2, code);
  EXPECT_EQ(*proto.merlin_message_count(), 59049u);
  std::mt19937_64 rng(8);
  std::vector<std::vector<std::uint64_t>> tuples;
  for (int i = 0; i < 24; ++i) {
    std::vector<std::uint64_t> t = {rng() % 16, rng() % 16, rng() % 16};
    if (i % 2 == 0) t[2] &= ~(t[0] & t[1]);  // force disjoint
    else t[0] |= 1, t[1] |= 1, t[2] |= 1;    // force a common element
    tuples.push_back(t);
  }
  const Outcome o = check_tuples(proto, tuples);
  EXPECT_EQ(o.disjoint, 12u);
  EXPECT_EQ(o.intersecting, 12u);
}

TEST(MaDisjointness, BadParameters) {
  EXPECT_THROW(MaDisjointness(4, 2, 2, rs(2, 2, 2)), InputError);  // char 2 <= T = 2
  try {
    MaDisjointness(4, 2, 2, rs(2, 2, 2));
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("char(F) = 2 <= T = 2"));
  }
  EXPECT_THROW(MaDisjointness(9, 2, 2, rs(5, 5, 2)), InputError);  // T r = 4 < m = 9
  EXPECT_THROW(MaDisjointness(4, 3, 2, rs(5, 3, 2)), InputError);  // C' dim 4 > n = 3
  EXPECT_THROW(MaDisjointness(4, 1, 2, rs(5, 5, 2)), InputError);  // k = 1
}

TEST(MaDisjointness, ParameterChooserMeetsTheTarget) {
  for (int k = 2; k <= 4; ++k) {
    for (std::size_t m : {3u, 6u, 9u, 20u}) {
      for (double target : {0.25, 0.5, 0.8}) {
        const ProtocolPlan plan = choose_parameters(m, k, target, "rs");
        EXPECT_LE(plan.soundness, target + 1e-12);
        EXPECT_GT(plan.characteristic, plan.blocks);
        EXPECT_GE(plan.blocks * plan.block_size, m);
        if (plan.log2_merlin_messages < 12 && plan.positions <= 64) {
          MaDisjointness proto(m, k, plan.blocks, build_code(plan));
          EXPECT_EQ(*proto.soundness_bound(), plan.soundness_bound);
          EXPECT_EQ(proto.merlin_dimension() * std::log2(double(plan.field_size)), plan.log2_merlin_messages);
        }
      }
    }
  }
  const ProtocolPlan h = choose_parameters(4, 2, 0.5, "hermitian");
  EXPECT_LE(h.soundness, 0.5);
  EXPECT_EQ(h.positions, h.characteristic * h.characteristic * h.characteristic);
  EXPECT_THROW(choose_parameters(4, 2, 0.5, "golay"), InputError);
}
