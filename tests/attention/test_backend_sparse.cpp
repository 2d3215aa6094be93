// The certified sparse backend (attention/backend_sparse.hpp, issue 18 part
// 2) against a long-double brute force written here: on random instances and
// adversarial ones (every score at the radius, peaked rows, one dominant
// tuple, blocks whose bounds are attained, Lemma B.1-shaped instances) the
// measured error of log D and of O is within the certified bound, always;
// pruning happens where the data allows it and the result is the exact
// kernel's, bit for bit, where nothing can be pruned; the row decider with
// the sparse backend agrees with CaDiCaL on random CNFs and the examples.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <random>

#include "attention/backend_sparse.hpp"
#include "attention/exact_attention.hpp"
#include "core/errors.hpp"
#include "problems/cnf.hpp"
#include "long_double_truth.hpp"
#include "random_attention.hpp"
#include "solvers/cnf_decider.hpp"
#include "solvers/external_sat.hpp"
#include "tests/support/random_cnf.hpp"

using namespace sethkit;
using namespace sethkit::attention;
using sethkit::testing_support::brute_force;
using sethkit::testing_support::random_attention;
using sethkit::testing_support::Truth;
using ::testing::HasSubstr;

namespace {

struct Measured {
  double fraction = 1;            // tuples_evaluated_fraction
  std::size_t rows_exact = 0;
  double worst_log_ratio = 0;     // max measured / bound (log D)
};

// Runs the sparse backend and checks every row and entry against the truth.
Measured expect_within_bounds(const AttentionInstance& inst, const BackendOptions& opt, const std::string& what) {
  SCOPED_TRACE(what);
  const BackendResult r = find_backend("sparse").run(inst, opt);
  const Truth t = brute_force(inst, opt.scale.value_or(inst.scale));
  EXPECT_TRUE(r.report.rounding_counted);
  EXPECT_EQ(r.log_d_row_bounds.size(), inst.n_q());
  Measured m;
  for (std::size_t i = 0; i < inst.n_q(); ++i) {
    const double err = double(std::abs(static_cast<long double>(r.out.log_d[i]) - t.log_d[i]));
    const double bound = r.log_d_bound(i);
    EXPECT_GT(bound, 0);
    EXPECT_LE(bound, r.report.log_d_bound);
    EXPECT_LE(err, bound) << "row " << i << ": log D~ = " << r.out.log_d[i] << ", truth " << double(t.log_d[i]);
    m.worst_log_ratio = std::max(m.worst_log_ratio, err / bound);
  }
  for (std::size_t x = 0; x < r.out.o.size(); ++x) {
    const double err = double(std::abs(static_cast<long double>(r.out.o[x]) - t.o[x]));
    EXPECT_LE(err, r.report.error_bound) << "entry " << x;
  }
  const nlohmann::json j = r.report.to_json();
  m.fraction = j.at("tuples_evaluated_fraction").get<double>();
  m.rows_exact = j.at("rows_exact").get<std::size_t>();
  EXPECT_GT(m.fraction, 0);
  EXPECT_LE(m.fraction, 1);
  EXPECT_EQ(j.at("eps_met").get<bool>(), r.report.error_bound <= opt.eps);
  return m;
}

// A Lemma B.1 instance of the direct route (reductions/maxip_to_attention.hpp
// on DESIGN.md's signed vectors): Q rows B [1_M ; a ; 1_d], key rows
// B [1_M ; -b ; 0_d] (side 1) or B [1_M ; b ; 0_d] (data), then B [0_d ; 1_d]
// (padding), d = 2M, V the data indicator, scale 1/(2d); a, b in {0,1}.
AttentionInstance direct_shape(unsigned seed, int k, std::size_t n_q, std::size_t n, std::size_t m, double beta) {
  std::mt19937_64 rng(seed);
  const double b = std::pow(beta, 1.0 / k);
  const std::size_t d = 2 * m;
  DenseMatrix q(n_q, 2 * d);
  for (std::size_t i = 0; i < n_q; ++i)
    for (std::size_t c = 0; c < d; ++c) {
      q(i, c) = c < m ? b : b * double(rng() % 2);
      q(i, d + c) = b;
    }
  std::vector<DenseMatrix> keys, values;
  for (int p = 1; p < k; ++p) {
    DenseMatrix key(2 * n, 2 * d), val(2 * n, 1);
    for (std::size_t j = 0; j < n; ++j) {
      for (std::size_t c = 0; c < d; ++c) key(j, c) = c < m ? b : b * (p == 1 ? -1.0 : 1.0) * double(rng() % 2);
      val(j, 0) = 1;
      for (std::size_t c = 0; c < d; ++c) key(n + j, d + c) = b;
    }
    keys.push_back(key);
    values.push_back(val);
  }
  AttentionInstance inst = make_attention_instance(std::move(q), std::move(keys), std::move(values));
  inst.scale = 1.0 / double(2 * d);
  return inst;
}

TEST(SparseBackend, RandomInstancesAreWithinTheBound) {
  unsigned seed = 1;
  for (const std::vector<std::size_t>& lengths :
       std::vector<std::vector<std::size_t>>{{6, 300}, {5, 70, 90}, {3, 40, 33, 20}}) {
    for (double entry : {0.5, 2.0, 4.0}) {
      const AttentionInstance inst = random_attention(seed++, lengths, 3, 2, entry);
      for (double eps : {1e-2, 1e-6}) {
        BackendOptions opt;
        opt.eps = eps;
        opt.threads = 2;
        expect_within_bounds(inst, opt, "k = " + std::to_string(inst.k) + " entry " + std::to_string(entry) +
                                            " eps " + std::to_string(eps));
      }
    }
  }
}

TEST(SparseBackend, ScoresAtTheRadiusFallBackToTheExactKernel) {
  // Every score equal to R: every block-tuple carries the same mass.
  AttentionInstance inst = random_attention(3, {7, 96, 64}, 4, 2, 1.0);
  for (DenseMatrix* m : {&inst.q, &inst.keys[0], &inst.keys[1]}) std::fill(m->data.begin(), m->data.end(), 2.0);
  BackendOptions opt;
  const Measured m = expect_within_bounds(inst, opt, "at the radius");
  EXPECT_EQ(m.rows_exact, inst.n_q());
  EXPECT_EQ(m.fraction, 1.0);
}

TEST(SparseBackend, NothingToPruneGivesTheExactKernelsResult) {
  // Small entries: every score within [-0.2, 0.2], nothing can be skipped;
  // the rows go to the exact kernel unchanged (the same bits as exact).
  const AttentionInstance inst = random_attention(4, {20, 128, 160}, 8, 3, 0.6);
  BackendOptions opt;
  opt.threads = 2;
  const BackendResult sparse = find_backend("sparse").run(inst, opt);
  const BackendResult exact = find_backend("exact").run(inst, opt);
  EXPECT_EQ(sparse.report.details.at("rows_exact").get<std::size_t>(), inst.n_q());
  EXPECT_EQ(sparse.report.details.at("tuples_evaluated_fraction").get<double>(), 1.0);
  EXPECT_EQ(sparse.out.o, exact.out.o);
  EXPECT_EQ(sparse.out.log_d, exact.out.log_d);
}

TEST(SparseBackend, OneDominantTupleIsFoundAndTheRestPruned) {
  // Row 77 of every key side is large and aligned with every query: the
  // block-tuple holding (77, .., 77) carries the mass, the others are pruned.
  for (const std::vector<std::size_t>& lengths : std::vector<std::vector<std::size_t>>{{6, 4096}, {6, 128, 128}}) {
    AttentionInstance inst = random_attention(5, lengths, 4, 2, 0.3);
    std::mt19937_64 rng(9);
    for (double& x : inst.q.data) x = 0.5 + 0.5 * double(rng() % 100) / 100;
    for (DenseMatrix& key : inst.keys)
      for (std::size_t c = 0; c < key.cols; ++c) key(77, c) = 6.0;
    BackendOptions opt;
    opt.scale = inst.k == 2 ? 3.0 : 1.0;
    const Measured m = expect_within_bounds(inst, opt, "dominant tuple, k = " + std::to_string(inst.k));
    EXPECT_EQ(m.rows_exact, 0u);
    EXPECT_LT(m.fraction, 0.3);
  }
}

TEST(SparseBackend, PeakedRowsAreWithinTheBound) {
  // Large entries and scale: each row's mass sits on a few key blocks.
  for (unsigned seed : {11u, 12u, 13u}) {
    AttentionInstance inst = random_attention(seed, {8, 128, 96}, 3, 2, 3.0);
    BackendOptions opt;
    opt.scale = 2.0;
    for (double eps : {1e-1, 1e-8}) {
      opt.eps = eps;
      expect_within_bounds(inst, opt, "peaked, seed " + std::to_string(seed) + " eps " + std::to_string(eps));
    }
  }
}

TEST(SparseBackend, AttainedBlockBoundsUseTheWholeBudgetAndStayWithinIt) {
  // Every block of 32 key rows holds one repeated row, so each skipped
  // block-tuple's bound is its mass: the skipped mass reaches the budget and
  // the midpoint of log D is off by about half the certified bound.
  AttentionInstance inst = random_attention(6, {8, 128, 128}, 3, 2, 2.0);
  for (DenseMatrix& key : inst.keys)
    for (std::size_t j = 0; j < key.rows; ++j)
      for (std::size_t c = 0; c < key.cols; ++c) key(j, c) = key(j - j % 32, c);
  for (DenseMatrix& value : inst.values)
    for (double& v : value.data) v = 0.5 + 0.25 * v;  // in [0, 1]: the value width W is 1
  BackendOptions opt;
  opt.scale = 1.0;
  opt.eps = 0.5;
  const Measured m = expect_within_bounds(inst, opt, "attained bounds");
  EXPECT_LT(m.fraction, 1.0);
  EXPECT_GT(m.worst_log_ratio, 0.2) << "the bound is loose where it should be nearly attained";
}

TEST(SparseBackend, ReducedInstancesPruneTheMixedAndDataTuples) {
  // Mixed data/padding tuples score exactly 0, all-data tuples at most
  // beta/4, the padding tuples beta/2: only the latter are evaluated.
  for (int k : {2, 3}) {
    const AttentionInstance inst = direct_shape(20 + k, k, 6, k == 2 ? 1024 : 64, 6, 937.3);
    BackendOptions opt;
    const Measured m = expect_within_bounds(inst, opt, "reduced k = " + std::to_string(k));
    EXPECT_EQ(m.rows_exact, 0u);
    EXPECT_LE(m.fraction, k == 2 ? 0.5 : 0.25);
  }
}

TEST(SparseBackend, RefusesWhatItDoesNotSupportAndComputesInDouble) {
  const AttentionInstance inst = random_attention(7, {4, 5, 6}, 3, 2, 0.5);
  BackendOptions opt;
  opt.precision = Precision::float32;  // runs in double, and says so
  EXPECT_EQ(find_backend("sparse").run(inst, opt).report.precision, Precision::float64);
  BackendOptions windowed;
  windowed.window = CausalWindow{2, 2};
  EXPECT_THAT([&] { find_backend("sparse").plan(inst, windowed); },
              ::testing::ThrowsMessage<InputError>(HasSubstr("--window is not supported by the sparse backend")));
  BackendOptions tiny;
  tiny.max_bytes = 64;
  EXPECT_THAT(find_backend("sparse").plan(inst, tiny).refusal, HasSubstr("--max-bytes"));
}

// The decider with the sparse backend through the whole chain.
bool decide_sparse(const Cnf& f, int k, const std::string& label) {
  solvers::DecideOptions options;
  options.via = solvers::Level::attention;
  options.k = k;
  options.backend = "sparse";
  const solvers::Decision d = solvers::decide_cnf(f, options);
  EXPECT_THAT(d.solver, HasSubstr("sparse")) << label;
  if (d.satisfiable) {
    EXPECT_TRUE(f.satisfied_by(d.assignment)) << label;
  }
  return d.satisfiable;
}

TEST(SparseBackend, DeciderAgreesWithCadicalOnRandomCnfs) {
  std::mt19937_64 rng(41);
  int sat = 0, total = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const int n = 2 + int(rng() % 11);
    const int width = 2 + int(rng() % 2);
    const double ratio = (width == 2 ? 1.0 : 4.3) * (0.6 + 0.8 * double(rng() % 100) / 100);
    const Cnf f = test_support::random_cnf(rng, n, int(ratio * n) + 1, width - 1, width);
    const bool truth = solvers::run_external_solver(solvers::ExternalSolver::cadical, f).satisfiable;
    for (int k : {2, 3}) EXPECT_EQ(decide_sparse(f, k, "trial " + std::to_string(trial)), truth) << "k = " << k;
    sat += truth;
    ++total;
  }
  EXPECT_GT(sat, total / 5);
  EXPECT_LT(sat, total - total / 5);
}

TEST(SparseBackend, DeciderAgreesWithCadicalOnTheExamples) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator("examples")) {
    if (entry.path().extension() != ".cnf") continue;
    const Cnf f = read_dimacs_file(entry.path().string());
    const bool truth = solvers::run_external_solver(solvers::ExternalSolver::cadical, f).satisfiable;
    for (int k : {2, 3}) EXPECT_EQ(decide_sparse(f, k, entry.path().string()), truth) << "k = " << k;
    ++files;
  }
  EXPECT_GE(files, 6);
}

}  // namespace
