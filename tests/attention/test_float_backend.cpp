// The certified float32 backend (attention/backend_float.hpp, issue 18 part
// 1) against a long-double brute force written here: on random and
// adversarial instances (scores at the radius, peaked rows, one dominant
// tuple, reduced Lemma B.1 instances) the measured error of log D and of O is
// within the certified per-row bound, always; the float exp is within its
// stated error; log O is computed in the log domain where O underflows, and
// the underflow is reported; the decider refuses a straddling row.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>

#include "attention/backend_float.hpp"
#include "attention/vector_exp.hpp"
#include "core/errors.hpp"
#include "long_double_truth.hpp"
#include "random_attention.hpp"
#include "solvers/attention_decider.hpp"

using namespace sethkit;
using namespace sethkit::attention;
using sethkit::testing_support::brute_force;
using sethkit::testing_support::random_attention;
using sethkit::testing_support::Truth;
using ::testing::HasSubstr;

namespace {

struct Measured {
  double worst_log_ratio = 0;  // max over rows of measured / bound (log D)
  double worst_o_ratio = 0;
};

// Runs the float backend and checks every row and entry against the truth.
Measured expect_within_bounds(const AttentionInstance& inst, const BackendOptions& opt, const std::string& what) {
  SCOPED_TRACE(what);
  const Backend& b = find_backend("float");
  const BackendResult r = b.run(inst, opt);
  const Truth t = brute_force(inst, opt.scale.value_or(inst.scale), opt.window);
  EXPECT_EQ(r.report.precision, Precision::float32);
  EXPECT_TRUE(r.report.rounding_counted);
  EXPECT_EQ(r.log_d_row_bounds.size(), inst.n_q());
  Measured m;
  for (std::size_t i = 0; i < inst.n_q(); ++i) {
    if (std::isinf(t.log_d[i])) {
      EXPECT_TRUE(std::isinf(r.out.log_d[i]) && r.out.log_d[i] < 0) << "empty row " << i;
      continue;
    }
    const double err = double(std::abs(static_cast<long double>(r.out.log_d[i]) - t.log_d[i]));
    const double bound = r.log_d_bound(i);
    EXPECT_LE(bound, r.report.log_d_bound);
    EXPECT_LE(err, bound) << "row " << i << ": log D~ = " << r.out.log_d[i] << ", truth " << double(t.log_d[i]);
    m.worst_log_ratio = std::max(m.worst_log_ratio, err / bound);
  }
  for (std::size_t x = 0; x < r.out.o.size(); ++x) {
    const double err = double(std::abs(static_cast<long double>(r.out.o[x]) - t.o[x]));
    EXPECT_LE(err, r.report.error_bound) << "entry " << x;
    m.worst_o_ratio = std::max(m.worst_o_ratio, err / r.report.error_bound);
  }
  return m;
}

AttentionInstance uniform_entries(int k, std::size_t n, std::size_t d, double value, double v) {
  DenseMatrix q(n, d);
  for (double& x : q.data) x = value;
  std::vector<DenseMatrix> keys, values;
  for (int p = 1; p < k; ++p) {
    DenseMatrix key(n + 1, d), val(n + 1, 1);
    for (double& x : key.data) x = value;
    for (double& x : val.data) x = v;
    keys.push_back(key);
    values.push_back(val);
  }
  return make_attention_instance(std::move(q), std::move(keys), std::move(values));
}

TEST(FloatBackend, FloatExpIsWithinItsStatedError) {
  // Dense grid on [-87, 0] plus the ends of the reduction intervals.
  double worst = 0;
  for (int t = 0; t <= 2000000; ++t) {
    const float x = float(-87.0 * t / 2000000.0);
    const long double truth = std::exp(static_cast<long double>(x));
    const float y = detail::exp_nonpositive(x);
    worst = std::max(worst, double(std::abs((static_cast<long double>(y) - truth) / truth)));
  }
  EXPECT_LE(worst, kFloatExpRelError);
  EXPECT_GT(worst, 0);  // the test sees the float rounding, so it is measuring something
  std::printf("float exp: measured max relative error %.3g (stated bound %.3g)\n", worst, kFloatExpRelError);
  EXPECT_EQ(detail::exp_nonpositive(-88.0f), 0.0f);  // the flush the bound counts
}

TEST(FloatBackend, RandomInstancesAreWithinTheBound) {
  unsigned seed = 100;
  Measured worst;
  for (const auto& lengths : std::vector<std::vector<std::size_t>>{{7, 9}, {5, 6, 7}, {3, 4, 3, 5}}) {
    for (double entry : {0.3, 1.5, 4.0}) {
      for (std::size_t d : {3u, 16u, 40u}) {
        const AttentionInstance inst = random_attention(seed++, lengths, d, 2, entry, false);
        BackendOptions opt;
        opt.threads = 2;
        const Measured m = expect_within_bounds(inst, opt, "k = " + std::to_string(inst.k) + ", B = " +
                                                               std::to_string(entry) + ", d = " + std::to_string(d));
        worst.worst_log_ratio = std::max(worst.worst_log_ratio, m.worst_log_ratio);
        worst.worst_o_ratio = std::max(worst.worst_o_ratio, m.worst_o_ratio);
      }
    }
  }
  std::printf("random: worst measured/bound log D %.3g, O %.3g\n", worst.worst_log_ratio, worst.worst_o_ratio);
}

TEST(FloatBackend, WindowsAndAScaleAreWithinTheBound) {
  const AttentionInstance inst = random_attention(7, {8, 8, 8}, 12, 3, 2.0, false);
  for (CausalWindow w : {CausalWindow{3, 5}, CausalWindow{1, 1}, CausalWindow{0, 2}}) {
    BackendOptions opt;
    opt.window = w;
    opt.scale = 0.37;
    expect_within_bounds(inst, opt, "window " + std::to_string(w.w1) + "," + std::to_string(w.w2));
  }
}

TEST(FloatBackend, ScoresAtTheRadiusAreWithinTheBound) {
  // Every score equals the radius P_i: the column-maxima bound is tight, and
  // the float rounding of 1/3 and of the entries is the largest relative
  // error an entry can carry.
  for (int k : {2, 3, 4}) {
    for (double value : {1.0 / 3.0, 2.1, 7.3}) {
      const AttentionInstance inst = uniform_entries(k, 4, 24, value, 0.7);
      BackendOptions opt;
      opt.scale = 1.0 / 3.0;
      expect_within_bounds(inst, opt, "k = " + std::to_string(k) + ", entry " + std::to_string(value));
    }
  }
}

TEST(FloatBackend, PeakedRowsAndOneDominantTupleAreWithinTheBound) {
  // Peaked: a random instance with one key row (and one query row) scaled up
  // so that one key row dominates each row's mass; dominant tuple: one
  // tuple's score is far above every other (scores in the hundreds, beyond
  // float's exp range for the rest).
  AttentionInstance peaked = random_attention(9, {6, 10, 9}, 20, 2, 1.0, false);
  for (std::size_t c = 0; c < peaked.d(); ++c) {
    peaked.keys[0](3, c) *= 6;
    peaked.q(2, c) *= 5;
  }
  expect_within_bounds(peaked, {}, "peaked");
  AttentionInstance dominant = random_attention(10, {5, 8, 7}, 10, 2, 0.5, false);
  for (std::size_t c = 0; c < dominant.d(); ++c) {
    dominant.keys[0](5, c) = 9 * (dominant.q(0, c) >= 0 ? 1 : -1);
    dominant.keys[1](2, c) = 9 * (dominant.q(0, c) >= 0 ? 1 : -1);
  }
  dominant.values[0](5, 1) = 0;  // the dominant tuple carries no mass in column 1
  BackendOptions opt;
  opt.scale = 4.0;
  expect_within_bounds(dominant, opt, "dominant tuple");
}

// A Lemma B.1-shaped instance (reductions/maxip_to_attention.hpp): Q rows
// B [a ; 1], key rows B [b ; 0] (data) and B [0 ; 1] (padding), V the data
// indicator, scale 1/(2 d); a in {0,1}, b in {-1,0,1} as the direct route.
AttentionInstance reduced_shape(unsigned seed, int k, std::size_t n, std::size_t d, double beta) {
  std::mt19937_64 rng(seed);
  const double b = std::pow(beta, 1.0 / k);
  DenseMatrix q(n, 2 * d);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t c = 0; c < d; ++c) {
      q(i, c) = b * double(rng() % 2);
      q(i, d + c) = b;
    }
  std::vector<DenseMatrix> keys, values;
  for (int p = 1; p < k; ++p) {
    DenseMatrix key(2 * n, 2 * d), val(2 * n, 1);
    for (std::size_t j = 0; j < n; ++j) {
      for (std::size_t c = 0; c < d; ++c) key(j, c) = b * (p == 1 ? double(rng() % 3) - 1.0 : double(rng() % 2));
      val(j, 0) = 1;
      for (std::size_t c = 0; c < d; ++c) key(n + j, d + c) = b;
    }
    keys.push_back(key);
    values.push_back(val);
  }
  AttentionInstance inst = make_attention_instance(std::move(q), std::move(keys), std::move(values));
  return inst;
}

TEST(FloatBackend, ReducedInstancesAreWithinTheBoundAndLogOIsCertified) {
  for (int k : {2, 3}) {
    const AttentionInstance inst = reduced_shape(20 + k, k, 6, 12, 937.3);
    const Measured m = expect_within_bounds(inst, {}, "reduced k = " + std::to_string(k));
    std::printf("reduced k = %d: measured/bound log D %.3g\n", k, m.worst_log_ratio);
    // log O in the log domain: O itself is about e^-300, zero in float32.
    const Truth t = brute_force(inst, inst.scale);
    const FloatLogOutput lo = float_log_output(inst, {});
    ASSERT_EQ(lo.rows, inst.n_q());
    for (std::size_t i = 0; i < lo.rows; ++i) {
      const long double truth = t.log_n[i] - t.log_d[i];
      ASSERT_LT(truth, -87.4L);  // below float32's range: the case this is for
      EXPECT_LE(double(std::abs(static_cast<long double>(lo.log_o[i]) - truth)), lo.bound[i]) << "row " << i;
    }
    // The float backend's O reads as zero there: the underflow is reported.
    const BackendResult r = find_backend("float").run(inst, {});
    const FloatUnderflow u = float_underflow(inst, {}, r);
    EXPECT_EQ(u.entries, inst.n_q());
    EXPECT_TRUE(u.verified);
    EXPECT_THAT(u.message(), HasSubstr("O underflows float32 in " + std::to_string(inst.n_q()) + " entries"));
  }
}

TEST(FloatBackend, NoUnderflowIsReportedWhereOIsRepresentableOrZero) {
  AttentionInstance inst = random_attention(30, {5, 6, 7}, 8, 2, 1.0, false);
  for (DenseMatrix& v : inst.values)
    for (double& x : v.data) x = std::abs(x);
  for (std::size_t j = 0; j < inst.values[0].rows; ++j) inst.values[0](j, 1) = 0;  // O[:,1] = 0 exactly
  const BackendResult r = find_backend("float").run(inst, {});
  EXPECT_FALSE(float_underflow(inst, {}, r).any());
  const Truth t = brute_force(inst, inst.scale);
  const FloatLogOutput lo = float_log_output(inst, {});
  for (std::size_t i = 0; i < inst.n_q(); ++i) {
    EXPECT_TRUE(std::isinf(lo.log_o[i * 2 + 1]) && lo.log_o[i * 2 + 1] < 0);
    const long double truth = t.log_n[i * 2] - t.log_d[i];
    EXPECT_LE(double(std::abs(static_cast<long double>(lo.log_o[i * 2]) - truth)), lo.bound[i * 2]);
  }
}

TEST(FloatBackend, LogOutputRefusesSignedValuesAndWindows) {
  const AttentionInstance inst = random_attention(31, {4, 5, 6}, 3, 2, 1.0, false);
  try {
    float_log_output(inst, {});
    FAIL() << "signed values must be refused";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("is negative; log O is defined for nonnegative values only"));
  }
  BackendOptions w;
  w.window = CausalWindow{2, 2};
  EXPECT_THROW(float_log_output(inst, w), InputError);
}

TEST(FloatBackend, EpsMetOnlyWhenTheBoundIsWithinEps) {
  const AttentionInstance inst = random_attention(32, {4, 5, 6}, 8, 2, 2.0, false);
  BackendOptions opt;
  opt.eps = 0.5;
  BackendResult r = find_backend("float").run(inst, opt);
  EXPECT_EQ(r.report.details.at("eps_met").get<bool>(), r.report.error_bound <= 0.5);
  opt.eps = 1e-9;  // below float32's floor
  r = find_backend("float").run(inst, opt);
  EXPECT_FALSE(r.report.details.at("eps_met").get<bool>());
  EXPECT_FALSE(r.report.to_json().at("log_d_bound").is_null());
}

TEST(FloatBackend, TheDeciderRefusesAStraddlingRowAndDecidesOtherwise) {
  AttentionInstance inst = reduced_shape(40, 3, 6, 12, 937.3);
  AttentionManifest m;
  m.row_map.resize(3);
  for (std::size_t i = 0; i < inst.n_q(); ++i) m.row_map[0].push_back(int64_t(i));
  for (std::size_t p = 1; p < 3; ++p)
    for (std::size_t j = 0; j < inst.keys[p - 1].rows; ++j) m.row_map[p].push_back(j < 6 ? int64_t(j) : -1);
  const Truth t = brute_force(inst, inst.scale);
  std::vector<long double> log_o;
  for (std::size_t i = 0; i < inst.n_q(); ++i) log_o.push_back(t.log_n[i] - t.log_d[i]);
  // A threshold in the widest gap between rows: decided as the truth.
  std::vector<long double> sorted = log_o;
  std::sort(sorted.begin(), sorted.end());
  std::size_t gap = 0;
  for (std::size_t i = 1; i + 1 < sorted.size(); ++i)
    if (sorted[i + 1] - sorted[i] > sorted[gap + 1] - sorted[gap]) gap = i;
  ASSERT_GT(sorted[gap + 1] - sorted[gap], 1.0L);
  m.threshold = double(0.5L * (sorted[gap] + sorted[gap + 1]));
  inst.manifest = m;
  solvers::AttentionDecideOptions opt;
  opt.precision = Precision::float32;  // with backend "exact": the float backend
  const solvers::AttentionRowDecisions r = solvers::decide_attention_rows(inst, opt);
  EXPECT_EQ(r.backend, "float");
  ASSERT_EQ(r.log_o_errors.size(), inst.n_q());
  for (std::size_t i = 0; i < inst.n_q(); ++i) {
    EXPECT_GT(r.log_o_errors[i], 0);
    if (std::abs(log_o[i] - *m.threshold) > r.log_o_errors[i]) {
      EXPECT_EQ(r.yes[i], log_o[i] >= *m.threshold) << "row " << i;
    }
  }
  // A threshold on row 0's log O: inside its interval, refused.
  inst.manifest->threshold = double(log_o[0]);
  try {
    solvers::decide_attention_rows(inst, opt);
    FAIL() << "a straddling row must be refused";
  } catch (const SizeLimitError& e) {
    EXPECT_THAT(e.what(), HasSubstr("straddles the threshold"));
    EXPECT_THAT(e.what(), HasSubstr("float backend"));
  }
}

}  // namespace
