// The packed kOV solver's kernels (scalar, AVX2, AVX-512: each one this CPU
// runs) against brute force over the tuples (issue 17 part 4): k = 2, 3, 4,
// d not a multiple of 64, party sizes across the kernels' edges (8-vector
// groups, 4-prefix blocks, 256-prefix chunks, 16 KiB tiles of the last
// party), and planted unique witnesses at those edges.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>

#include "core/errors.hpp"
#include "core/progress.hpp"
#include "solvers/kov_packed.hpp"
#include "tests/support/random_cnf.hpp"

using namespace sethkit;
using namespace sethkit::solvers;

namespace {

const KOvKernel kKernels[] = {KOvKernel::scalar, KOvKernel::avx2, KOvKernel::avx512};

PackedVectors random_party(std::mt19937_64& rng, std::size_t n, int d, double density) {
  std::bernoulli_distribution one(density);
  PackedVectors party(n, d);
  for (std::size_t i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) party.set(i, j, one(rng));
  return party;
}

// Brute force: AND the words of every tuple (odometer), independent of the
// solver's layout and blocking.
bool exists_orthogonal(const KOvInstance& inst) {
  const std::size_t words = words_for_bits(inst.d);
  std::vector<std::size_t> idx(std::size_t(inst.k), 0);
  while (true) {
    bool zero = true;
    for (std::size_t w = 0; w < words && zero; ++w) {
      uint64_t x = ~uint64_t(0);
      for (int p = 0; p < inst.k; ++p) x &= inst.parties[std::size_t(p)].row(idx[std::size_t(p)])[w];
      zero = x == 0;
    }
    if (zero) return true;
    std::size_t p = 0;
    while (p < idx.size() && ++idx[p] == inst.parties[p].size()) idx[p++] = 0;
    if (p == idx.size()) return false;
  }
}

void expect_correct(const KOvInstance& inst, const KOvResult& r, bool truth, KOvKernel kernel) {
  ASSERT_EQ(r.found, truth) << to_string(kernel) << " k = " << inst.k << " d = " << inst.d;
  if (r.found) {
    ASSERT_EQ(r.witness.size(), std::size_t(inst.k));
    for (int p = 0; p < inst.k; ++p) ASSERT_LT(r.witness[std::size_t(p)], inst.parties[std::size_t(p)].size());
    EXPECT_EQ(inst.inner_product(r.witness), 0) << to_string(kernel);
  }
}

// Every vector has coordinates 0..k-1 set, except one planted vector per
// party: party p's has exactly the coordinates 0..k-1 other than p. The
// planted tuple is the only orthogonal one (any other tuple keeps the
// coordinate of a party whose vector is not planted).
KOvInstance planted(std::mt19937_64& rng, int k, int d, const std::vector<std::size_t>& sizes,
                    const std::vector<std::size_t>& at) {
  KOvInstance inst;
  inst.k = k;
  inst.d = d;
  for (int p = 0; p < k; ++p) {
    PackedVectors party = random_party(rng, sizes[std::size_t(p)], d, 0.5);
    for (std::size_t i = 0; i < party.size(); ++i)
      for (int j = 0; j < k; ++j) party.set(i, j, true);
    if (at[std::size_t(p)] < party.size()) {
      const std::size_t i = at[std::size_t(p)];
      for (int j = 0; j < d; ++j) party.set(i, j, j < k && j != p);
    }
    inst.parties.push_back(std::move(party));
  }
  return inst;
}

}  // namespace

TEST(KovPacked, ScalarIsAlwaysSupported) {
  EXPECT_TRUE(kov_kernel_supported(KOvKernel::scalar));
  EXPECT_TRUE(kov_kernel_supported(best_kov_kernel()));
  for (KOvKernel kernel : kKernels)
    if (!kov_kernel_supported(kernel)) {
      KOvInstance inst;
      inst.k = 2;
      inst.d = 1;
      inst.parties = {PackedVectors(1, 1), PackedVectors(1, 1)};
      EXPECT_THROW(solve_kov_packed(inst, kernel), InputError);
    }
}

TEST(KovPacked, EveryKernelAgreesWithBruteForce) {
  std::mt19937_64 rng(17);
  const int dims[] = {1, 5, 63, 64, 65, 127, 130, 191, 200, 256, 257, 300, 333};
  int found = 0, total = 0;
  for (int trial = 0; trial < 120 * test_support::test_repeat(); ++trial) {
    const int k = 2 + trial % 3;
    const int d = dims[trial % 13];
    KOvInstance inst;
    inst.k = k;
    inst.d = d;
    for (int p = 0; p < k; ++p) {
      const std::size_t n = k == 4 ? 1 + rng() % 12 : k == 3 ? 1 + rng() % 40 : 1 + rng() % 300;
      // P(a tuple is orthogonal) = (1 - q^k)^d with q the density: aim at
      // about one orthogonal tuple per instance.
      const double tuples = k == 4 ? 6.5 * 6.5 * 6.5 * 6.5 : k == 3 ? 20.5 * 20.5 * 20.5 : 150.0 * 150.0;
      const double q = std::pow(1.0 - std::pow(1.0 / tuples, 1.0 / d), 1.0 / k);
      inst.parties.push_back(random_party(rng, n, d, q));
    }
    const bool truth = exists_orthogonal(inst);
    found += truth;
    ++total;
    for (KOvKernel kernel : kKernels)
      if (kov_kernel_supported(kernel)) expect_correct(inst, solve_kov_packed(inst, kernel), truth, kernel);
    expect_correct(inst, solve_kov_packed(inst), truth, KOvKernel::automatic);
  }
  EXPECT_GT(found, total / 10);
  EXPECT_LT(found, total - total / 10);
}

// Planted unique witnesses at the edges of groups (8), blocks (4), chunks
// (256 party-(k-2) prefixes) and tiles (16 KiB of the last party: 2048
// vectors at one word, 512 at four), and the same instances without the
// planted tuple.
TEST(KovPacked, PlantedWitnessAtEveryEdge) {
  std::mt19937_64 rng(5);
  struct Case {
    int k, d;
    std::vector<std::size_t> sizes, at;
  };
  const std::vector<Case> cases = {
      {2, 64, {3, 2049}, {2, 2048}},        {2, 64, {300, 2100}, {256, 2047}},
      {2, 40, {1, 4099}, {0, 4098}},        {3, 64, {2, 257, 2050}, {1, 256, 2049}},
      {3, 64, {2, 300, 9}, {1, 255, 8}},    {3, 256, {2, 260, 513}, {0, 259, 512}},
      {3, 250, {3, 5, 1025}, {2, 3, 511}},  {3, 129, {2, 7, 700}, {1, 4, 639}},
      {4, 70, {2, 3, 257, 40}, {1, 2, 256, 39}}, {4, 64, {3, 2, 5, 2049}, {2, 1, 4, 2048}},
      {4, 320, {2, 2, 9, 300}, {1, 1, 8, 299}},
  };
  for (const Case& c : cases) {
    const KOvInstance with = planted(rng, c.k, c.d, c.sizes, c.at);
    std::vector<std::size_t> nowhere(c.sizes.size(), SIZE_MAX);
    const KOvInstance without = planted(rng, c.k, c.d, c.sizes, nowhere);
    for (KOvKernel kernel : kKernels) {
      if (!kov_kernel_supported(kernel)) continue;
      const KOvResult r = solve_kov_packed(with, kernel);
      ASSERT_TRUE(r.found) << to_string(kernel) << " k = " << c.k << " d = " << c.d;
      EXPECT_EQ(r.witness, c.at) << to_string(kernel) << " k = " << c.k << " d = " << c.d;
      EXPECT_FALSE(solve_kov_packed(without, kernel).found) << to_string(kernel) << " k = " << c.k;
    }
  }
}

// The one-word kernel tests runs of 24 groups (then of 3) and rescans a run
// that holds a zero; its 12 tests a run body place each (prefix slot, group
// of the body) in a different mask chain. A unique witness at every group
// of a whole tile (256 groups) and a bit past it, in every lane, for each
// of the 4 prefix slots of a block, must be found, and exactly.
TEST(KovPacked, OneWordWitnessInEveryRunSlot) {
  std::mt19937_64 rng(11);
  const std::size_t n_last = 2048 + 200;
  KOvInstance inst;
  inst.k = 3;
  inst.d = 64;
  for (std::size_t n : {std::size_t(3), std::size_t(8), n_last}) {
    PackedVectors party(n, 64);
    for (std::size_t i = 0; i < n; ++i) party.row(i)[0] = rng() | 7;  // bits 0..2: never orthogonal
    inst.parties.push_back(std::move(party));
  }
  inst.parties[0].row(1)[0] = 0b110 | (rng() << 3);  // planted: bits 1, 2 of party 0,
  for (KOvKernel kernel : kKernels) {
    if (!kov_kernel_supported(kernel)) continue;
    for (std::size_t slot = 4; slot < 8; ++slot) {  // the second block of party 1
      KOvInstance with = inst;
      with.parties[1].row(slot)[0] = 0b101 | (rng() << 3);  // bits 0, 2 of party 1,
      for (std::size_t g = 0; g < n_last / 8; ++g) {
        const std::size_t c = g * 8 + (g + slot) % 8;
        const uint64_t saved = with.parties[2].row(c)[0];
        // bits 0, 1 and the complement of the planted pair's other bits.
        with.parties[2].row(c)[0] = 0b011 | ~((with.parties[0].row(1)[0] & with.parties[1].row(slot)[0]) | 7);
        const KOvResult r = solve_kov_packed(with, kernel);
        ASSERT_TRUE(r.found) << to_string(kernel) << " slot " << slot << " vector " << c;
        ASSERT_EQ(r.witness, (std::vector<std::size_t>{1, slot, c})) << to_string(kernel);
        with.parties[2].row(c)[0] = saved;
      }
      EXPECT_FALSE(solve_kov_packed(with, kernel).found) << to_string(kernel);
    }
  }
}

TEST(KovPacked, ZeroPrefixAndZeroVectors) {
  // A zero vector in an early party makes every completion orthogonal; a
  // zero vector in the last party is orthogonal to every prefix.
  for (KOvKernel kernel : kKernels) {
    if (!kov_kernel_supported(kernel)) continue;
    for (int zero_party = 0; zero_party < 3; ++zero_party) {
      std::mt19937_64 rng(9);
      KOvInstance inst;
      inst.k = 3;
      inst.d = 90;
      for (int p = 0; p < 3; ++p) {
        PackedVectors party = random_party(rng, 20, 90, 1.0);
        if (p == zero_party)
          for (int j = 0; j < 90; ++j) party.set(13, j, false);
        inst.parties.push_back(std::move(party));
      }
      const KOvResult r = solve_kov_packed(inst, kernel);
      ASSERT_TRUE(r.found) << to_string(kernel);
      EXPECT_EQ(r.witness[std::size_t(zero_party)], 13u);
      EXPECT_EQ(inst.inner_product(r.witness), 0);
    }
  }
}

TEST(KovPacked, RoofCountsZeroPairs) {
  std::mt19937_64 rng(3);
  constexpr std::size_t kPrefixes = 42, kRows = 37;  // 42: a last block of 2
  for (std::size_t words : {1u, 3u, 4u}) {
    std::vector<uint64_t> pre(kPrefixes * words), rows(kRows * words);
    // Density 1/4: a word pair ANDs to zero with probability 1.6 %, so about
    // half the (prefix, word) pairs meet a zero among the 37 rows.
    for (auto& x : pre) x = rng() & rng();
    for (auto& x : rows) x = rng() & rng();
    // (prefix, word) pairs with some row ANDing to zero in that word.
    std::size_t truth = 0;
    for (std::size_t i = 0; i < kPrefixes; ++i)
      for (std::size_t w = 0; w < words; ++w) {
        bool zero = false;
        for (std::size_t r = 0; r < kRows; ++r) zero |= (pre[i * words + w] & rows[r * words + w]) == 0;
        truth += zero;
      }
    ASSERT_GT(truth, kPrefixes * words / 5);
    ASSERT_LT(truth, kPrefixes * words * 4 / 5);
    for (KOvKernel kernel : kKernels) {
      if (!kov_kernel_supported(kernel)) continue;
      EXPECT_EQ(kov_and_test_roof(pre.data(), kPrefixes, rows.data(), kRows, words, kernel), truth)
          << to_string(kernel);
    }
  }
}

TEST(KovPacked, CountsEveryWorkItemForTheProgressLine) {
  // No orthogonal tuple (every vector all ones): the search runs to the end,
  // so the progress meter (core/progress.hpp) must reach its total; the
  // command line's progress line shows done/total from it.
  std::mt19937_64 rng(3);
  KOvInstance inst;
  inst.k = 3;
  inst.d = 70;
  for (std::size_t n : {37u, 600u, 45u}) inst.parties.push_back(random_party(rng, n, 70, 1.0));
  for (KOvKernel kernel : kKernels) {
    if (!kov_kernel_supported(kernel)) continue;
    reset_work_meter();
    ASSERT_FALSE(solve_kov_packed(inst, kernel).found);
    const WorkMeter m = work_meter();
    EXPECT_GT(m.total, 37u) << to_string(kernel);  // first party x chunks of the middle one
    EXPECT_EQ(m.done, m.total) << to_string(kernel);
  }
}
