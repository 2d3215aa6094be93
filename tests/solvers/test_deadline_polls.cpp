// Every hot loop polls the run's deadline (issue 14 part 3, core/deadline.hpp):
// with a deadline that has already passed, each loop below must stop with
// TimeoutError by itself. The inputs are small (each loop's own poll
// fires), so a test fails exactly when that loop's check is removed: the
// call then returns normally. Without a deadline the same calls succeed.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>

#include "attention/gradient.hpp"
#include "codes/field.hpp"
#include "codes/linear_code.hpp"
#include "codes/reed_solomon.hpp"
#include "core/deadline.hpp"
#include "core/errors.hpp"
#include "protocols/code_family.hpp"
#include "protocols/ma_disjointness.hpp"
#include "reductions/kov_to_gap_maxip.hpp"
#include "reductions/kov_to_maxip.hpp"
#include "reductions/maxip_to_attention.hpp"
#include "reductions/sat_to_kov.hpp"
#include "solvers/sat_brute_force.hpp"

using namespace sethkit;

namespace {

// A deadline that has passed for the scope; cleared after it.
struct Expired {
  Expired() {
    set_deadline(1e-6);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ~Expired() { set_deadline(0); }
};

// x1 and not x1, over n variables: unsatisfiable, and brute force must visit
// every assignment of the n - 6 high variables (2 clauses each).
Cnf contradiction(int n) {
  Cnf cnf;
  cnf.num_vars = n;
  cnf.clauses = {{1}, {-1}, {n}};
  return cnf;
}

KOvInstance random_kov(int k, std::size_t n, int d) {
  KOvInstance kov;
  kov.k = k;
  kov.d = d;
  unsigned state = 7;
  for (int p = 0; p < k; ++p) {
    PackedVectors v(n, d);
    for (std::size_t i = 0; i < n; ++i)
      for (int j = 0; j < d; ++j) v.set(i, j, ((state = state * 1103515245u + 12345u) >> 16) % 3 == 0);
    kov.parties.push_back(v);
  }
  return kov;
}

std::shared_ptr<const protocols::MaDisjointness> protocol_for(int k, int m) {
  const protocols::ProtocolPlan plan = protocols::choose_parameters(std::size_t(m), k, 0.8, "rs");
  return std::make_shared<protocols::MaDisjointness>(std::size_t(m), k, plan.blocks, protocols::build_code(plan));
}

DenseMatrix filled(std::size_t rows, std::size_t cols, double seed) {
  DenseMatrix m(rows, cols);
  for (std::size_t t = 0; t < m.data.size(); ++t) m.data[t] = 0.1 * double((t * 7 + std::size_t(seed)) % 11) - 0.5;
  return m;
}

}  // namespace

TEST(DeadlinePolls, BruteForceSatStopsInsteadOfAnsweringUnsatisfiable) {
  const Cnf cnf = contradiction(34);  // 2^28 high assignments: seconds of work without the poll
  {
    Expired expired;
    EXPECT_THROW(solvers::solve_sat_brute_force(cnf), TimeoutError);
  }
  EXPECT_FALSE(solvers::solve_sat_brute_force(contradiction(12)).has_value());
}

TEST(DeadlinePolls, SplitAndListStopsWhileFillingAParty) {
  Cnf cnf;
  cnf.num_vars = 8;
  cnf.clauses = {{1, -2}, {3, 4, -8}};
  {
    Expired expired;
    EXPECT_THROW(reductions::sat_to_kov(cnf, 2, 1e9), TimeoutError);
  }
  EXPECT_EQ(reductions::sat_to_kov(cnf, 2, 1e9).parties.size(), 2u);
}

TEST(DeadlinePolls, DirectMaxIpStopsWhileWritingRows) {
  // d = 2m = 2^15 entries a row: the poll fires every 32 rows.
  const KOvInstance kov = random_kov(2, 64, 1 << 14);
  {
    Expired expired;
    EXPECT_THROW(reductions::kov_to_maxip(kov, 1e9), TimeoutError);
  }
  EXPECT_EQ(reductions::kov_to_maxip(kov, 1e9).d, 1 << 15);
}

TEST(DeadlinePolls, AttentionEmbeddingStopsWhileReadingTheInstance) {
  const MaxIpInstance mip = reductions::kov_to_maxip(random_kov(2, 4, 3), 1e9);
  {
    Expired expired;
    EXPECT_THROW(reductions::maxip_to_attention(mip, 0.01, 1e9), TimeoutError);
  }
  EXPECT_GT(reductions::maxip_to_attention(mip, 0.01, 1e9).beta, 0);
}

TEST(DeadlinePolls, GapMaxIpStopsWhileEncodingAndWhileMakingItExplicit) {
  const KOvInstance kov = random_kov(2, 4, 4);
  const auto protocol = protocol_for(2, 4);
  {
    Expired expired;
    EXPECT_THROW(reductions::GapMaxIpReduction(kov, protocol, 1e9), TimeoutError);
  }
  const reductions::GapMaxIpReduction gap(kov, protocol, 1e9);
  {
    Expired expired;
    EXPECT_THROW(gap.explicit_instance(1e9), TimeoutError);
  }
  EXPECT_EQ(gap.explicit_instance(1e9).k, 2);
}

TEST(DeadlinePolls, ProtocolEncodingAndAcceptanceCountsStop) {
  const auto protocol = protocol_for(2, 4);
  const std::vector<std::uint8_t> set = {1, 0, 1, 0};
  const std::vector<protocols::EncodedSet> enc = {protocol->encode_set(set), protocol->encode_set(set)};
  const std::vector<codes::Element> mu = protocol->honest_message(enc);
  {
    Expired expired;
    EXPECT_THROW(protocol->encode_set(set), TimeoutError);
    // The analysis calls acceptance_count once per (tuple, message): it
    // polls every 64 calls.
    EXPECT_THROW(
        for (int i = 0; i < 200; ++i) protocol->acceptance_count(mu, enc), TimeoutError);
  }
  EXPECT_LE(protocol->acceptance_count(mu, enc), protocol->positions());
}

TEST(DeadlinePolls, CodeConstructionStops) {
  const auto field = codes::Field::prime(257);
  {
    Expired expired;
    // Reed-Solomon's systematic generator: 200 columns, a poll every 64.
    EXPECT_THROW(codes::ReedSolomonCode::first_points(field, 200, 3), TimeoutError);
    // Elimination (NTL) is checked between its steps.
    codes::Matrix g(2, 3);
    g(0, 0) = 1, g(0, 1) = 2, g(1, 2) = 1;
    EXPECT_THROW(codes::LinearCode(field, g, "test"), TimeoutError);
  }
  EXPECT_EQ(codes::ReedSolomonCode::first_points(field, 200, 3).dimension(), 3u);
}

TEST(DeadlinePolls, ReferenceGradientAndKroneckerProductsStop) {
  // 128 query rows over 16 x 16 key tuples: 2^16 tuples a pass, a poll
  // about every 2^18 / (3 * 7) of them.
  const AttentionInstance inst =
      make_attention_instance(filled(128, 4, 1), {filled(16, 4, 2), filled(16, 4, 3)}, {filled(16, 2, 4), filled(16, 2, 5)});
  const DenseMatrix target = filled(128, 2, 6);
  const DenseMatrix a = filled(32, 32, 1), b = filled(32, 32, 2);
  const DenseMatrix tall_a = filled(512, 4, 1), tall_b = filled(512, 4, 2);
  {
    Expired expired;
    EXPECT_THROW(attention::reference_attention_gradient(inst, target, 0.25), TimeoutError);
    EXPECT_THROW(attention::kronecker(a, b), TimeoutError);            // 1024 x 1024
    EXPECT_THROW(attention::column_kronecker(tall_a, tall_b), TimeoutError);  // 262144 x 4
  }
  EXPECT_EQ(attention::kronecker(a, b).rows, 1024u);
  EXPECT_EQ(attention::column_kronecker(tall_a, tall_b).rows, 262144u);
}
