// attention/poly_attention: Algorithm 1 of paper 001 for k = 2, 3, 4.
// - the rank is C(d+g, g), checked by counting multi-indices;
// - with the exp error taken out (the output compared with the attention of
//   P itself, in long double), the features and the Kronecker identity of
//   Lemma C.3 are exact up to rounding;
// - over many random instances (k = 2, 3, 4; d <= 8; entry bounds 0.1..2;
//   signed and nonnegative values; float and double) the measured error
//   against the long-double reference never exceeds the certified bound, nor
//   |log D~ - log D| its bound (the ratios are printed);
// - refusals name the rank and the bytes; a too-low degree reports eps not
//   met, and a nonpositive denominator is caught, not divided by.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <random>
#include <set>
#include <vector>

#include "attention/poly_attention.hpp"
#include "attention/reference_attention.hpp"
#include "core/errors.hpp"

using namespace sethkit;
using namespace sethkit::attention;
using ::testing::HasSubstr;

namespace {

DenseMatrix random_matrix(std::mt19937_64& rng, std::size_t rows, std::size_t cols, double lo,
                          double hi) {
  std::uniform_real_distribution<double> u(lo, hi);
  DenseMatrix m(rows, cols);
  for (auto& x : m.data) x = u(rng);
  return m;
}

// lengths = {n_q, n_1, ..}; keys in [-bound, bound]; values in [-1, 1] or [0, 1].
AttentionInstance random_instance(unsigned seed, const std::vector<std::size_t>& lengths,
                                  std::size_t d, std::size_t dv, double bound,
                                  bool nonnegative_values) {
  std::mt19937_64 rng(seed);
  DenseMatrix q = random_matrix(rng, lengths[0], d, -bound, bound);
  std::vector<DenseMatrix> keys, values;
  for (std::size_t p = 1; p < lengths.size(); ++p) {
    keys.push_back(random_matrix(rng, lengths[p], d, -bound, bound));
    values.push_back(random_matrix(rng, lengths[p], dv, nonnegative_values ? 0.0 : -1.0, 1.0));
  }
  return make_attention_instance(std::move(q), std::move(keys), std::move(values));
}

// Calls f(j) for every key tuple j (j[p] < n_p).
template <class F>
void for_each_tuple(const AttentionInstance& inst, F f) {
  const std::size_t sides = inst.keys.size();
  std::vector<std::size_t> j(sides, 0);
  for (;;) {
    f(j);
    std::size_t p = 0;
    while (p < sides && ++j[p] == inst.keys[p].rows) j[p++] = 0;
    if (p == sides) return;
  }
}

long double score(const AttentionInstance& inst, std::size_t i, const std::vector<std::size_t>& j) {
  long double s = 0;
  for (std::size_t c = 0; c < inst.d(); ++c) {
    long double t = inst.q(i, c);
    for (std::size_t p = 0; p < j.size(); ++p) t *= inst.keys[p](j[p], c);
    s += t;
  }
  return s * inst.scale;
}

// The attention of P itself (A = P(S)), in long double.
AttentionOutput polynomial_reference(const AttentionInstance& inst, const std::vector<double>& c) {
  AttentionOutput out;
  out.rows = inst.n_q();
  out.cols = inst.d_v();
  out.o.assign(out.rows * out.cols, 0.0);
  out.log_d.assign(out.rows, 0.0);
  for (std::size_t i = 0; i < inst.n_q(); ++i) {
    std::vector<long double> num(inst.d_v(), 0.0L);
    long double den = 0;
    for_each_tuple(inst, [&](const std::vector<std::size_t>& j) {
      const long double s = score(inst, i, j);
      long double a = 0;
      for (std::size_t m = c.size(); m-- > 0;) a = a * s + c[m];
      den += a;
      for (std::size_t v = 0; v < inst.d_v(); ++v) {
        long double val = a;
        for (std::size_t p = 0; p < j.size(); ++p) val *= inst.values[p](j[p], v);
        num[v] += val;
      }
    });
    for (std::size_t v = 0; v < inst.d_v(); ++v) out.o[i * out.cols + v] = double(num[v] / den);
    out.log_d[i] = double(std::log(den));
  }
  return out;
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double e = 0;
  for (std::size_t i = 0; i < a.size(); ++i) e = std::max(e, std::abs(a[i] - b[i]));
  return e;
}

std::vector<std::size_t> lengths_for(int k) {
  switch (k) {
    case 2: return {20, 37};
    case 3: return {9, 11, 8};
    default: return {6, 5, 6, 4};
  }
}

TEST(PolyAttention, RankIsTheNumberOfMultiIndices) {
  for (std::size_t d = 1; d <= 6; ++d) {
    for (int g = 0; g <= 8; ++g) {
      // brute force: all a in {0..g}^d with |a| <= g
      std::size_t count = 0;
      std::vector<int> a(d, 0);
      for (;;) {
        int sum = 0;
        for (int x : a) sum += x;
        if (sum <= g) ++count;
        std::size_t p = 0;
        while (p < d && ++a[p] > g) a[p++] = 0;
        if (p == d) break;
      }
      EXPECT_EQ(poly_rank(d, g), double(count)) << "d=" << d << " g=" << g;
      const auto exps = poly_exponents(d, g);
      ASSERT_EQ(exps.size(), count) << "d=" << d << " g=" << g;
      std::set<std::vector<int>> distinct(exps.begin(), exps.end());
      EXPECT_EQ(distinct.size(), count);
      int last_degree = 0;
      for (const auto& e : exps) {
        int sum = 0;
        for (int x : e) {
          EXPECT_GE(x, 0);
          sum += x;
        }
        EXPECT_LE(sum, g);
        EXPECT_GE(sum, last_degree);  // degree by degree
        last_degree = sum;
      }
    }
  }
  EXPECT_EQ(poly_rank(8, 40), 377348994.0);  // C(48, 8)
  EXPECT_EQ(poly_rank(4, 35), 82251.0);      // C(39, 4)
}

// Listing the multi-indices is refused past rank 1e7, with the rank.
TEST(PolyAttention, ListingAHugeRankIsRefusedWithTheRank) {
  try {
    poly_exponents(100, 10);  // C(110, 10) = 4.69e13
    FAIL() << "expected a refusal";
  } catch (const SizeLimitError& e) {
    EXPECT_THAT(e.what(), HasSubstr("rank 4.69e+13 is too large to list"));
  }
}

TEST(PolyAttention, FeaturesAndKroneckerIdentityAreExact) {
  // A forced degree with the exp error taken out: O~ must equal the
  // attention of P itself, so only rounding separates them.
  for (int k : {2, 3, 4}) {
    for (std::size_t d : {1u, 3u, 5u}) {
      const AttentionInstance inst = random_instance(100 + k * 10 + unsigned(d), lengths_for(k), d, 3, 1.3, false);
      PolyOptions opt;
      opt.degree = 7;
      opt.tuning.row_block = 4;   // several blocks per side
      opt.tuning.rank_chunk = 5;  // several chunks of the query GEMM
      opt.threads = 2;
      const PolyAttentionResult res = poly_attention(inst, opt);
      ASSERT_TRUE(res.report.polynomial);
      EXPECT_EQ(res.report.rank, poly_rank(d, 7));
      const AttentionOutput ref = polynomial_reference(inst, res.report.polynomial->coeffs);
      EXPECT_LT(max_abs_diff(res.out.o, ref.o), 1e-12) << "k=" << k << " d=" << d;
      EXPECT_LT(max_abs_diff(res.out.log_d, ref.log_d), 1e-12) << "k=" << k << " d=" << d;
    }
  }
}

struct SweepStats {
  int ran = 0, refused = 0;
  std::vector<double> ratios;  // bound / measured
};

void sweep_case(unsigned seed, SweepStats& st) {
  std::mt19937_64 rng(seed);
  const int k = 2 + int(rng() % 3);
  const std::size_t d = 1 + rng() % 8;
  const double bounds[] = {0.1, 0.25, 0.5, 0.8, 1.0, 1.3, 1.6, 2.0};
  const double bound = bounds[rng() % 8];
  const double epss[] = {1e-3, 1e-6, 1e-9};
  const double eps = epss[rng() % 3];
  const bool nonneg = rng() % 2;
  const bool use_float = rng() % 4 == 0;
  const bool sqrt_scale = rng() % 3 == 0;
  AttentionInstance inst = random_instance(seed, lengths_for(k), d, 2, bound, nonneg);
  if (sqrt_scale) inst.scale = 1.0 / std::sqrt(double(d));
  PolyOptions opt;
  opt.eps = eps;
  opt.precision = use_float ? Precision::float32 : Precision::float64;
  opt.max_bytes = 16.0 * (1 << 20);  // "wherever the rank fits": 16 MiB here
  opt.threads = 1 + int(rng() % 2);
  const PolyReport plan = plan_poly_attention(inst, opt);
  SCOPED_TRACE("seed=" + std::to_string(seed) + " k=" + std::to_string(k) + " d=" + std::to_string(d) +
               " B=" + std::to_string(bound) + " eps=" + std::to_string(eps) +
               (use_float ? " float" : " double") + (nonneg ? " V>=0" : " V signed"));
  if (!plan.runnable()) {
    EXPECT_THAT(plan.refusal, HasSubstr("rank r = "));
    EXPECT_THROW(poly_attention(inst, opt), SizeLimitError);
    ++st.refused;
    return;
  }
  opt.polynomial = plan.polynomial;
  const PolyAttentionResult res = poly_attention(inst, opt);
  const PolyReport& rep = res.report;
  EXPECT_TRUE(rep.eps_met);
  EXPECT_LE(rep.exp_rel_error, eps);
  EXPECT_EQ(rep.bad_rows, 0u);
  EXPECT_LE(rep.radius, rep.radius_uniform);
  const AttentionOutput ref = reference_attention(inst, inst.scale);
  const double measured = max_abs_diff(res.out.o, ref.o);
  // the reference's own rounding to double: half an ulp of |O| <= 1
  EXPECT_LE(measured, rep.error_bound + 1.2e-16);
  const double log_measured = max_abs_diff(res.out.log_d, ref.log_d);
  double max_log = 0;
  for (double x : ref.log_d) max_log = std::max(max_log, std::abs(x));
  EXPECT_LE(log_measured, rep.log_d_bound + 2.3e-16 * std::max(1.0, max_log));
  // brute force: no score passes R
  double top = 0;
  for (std::size_t i = 0; i < inst.n_q(); ++i)
    for_each_tuple(inst, [&](const std::vector<std::size_t>& j) {
      top = std::max(top, double(std::abs(score(inst, i, j))));
    });
  EXPECT_LE(top, rep.radius);
  if (measured > 0) st.ratios.push_back(rep.error_bound / measured);
  ++st.ran;
}

TEST(PolyAttention, CertifiedBoundHoldsOnRandomInstances) {
  SweepStats st;
  for (unsigned seed = 1; seed <= 160; ++seed) sweep_case(seed, st);
  EXPECT_GE(st.ran, 120);
  std::sort(st.ratios.begin(), st.ratios.end());
  ASSERT_FALSE(st.ratios.empty());
  const double median = st.ratios[st.ratios.size() / 2];
  std::cout << "[ poly sweep ] ran " << st.ran << ", refused " << st.refused
            << "; bound/measured: min " << st.ratios.front() << ", median " << median << ", max "
            << st.ratios.back() << "\n";
  ::testing::Test::RecordProperty("bound_over_measured_median", std::to_string(median));
  // Every ratio >= 1 is the claim; the bound is also not absurdly loose.
  EXPECT_GE(st.ratios.front(), 1.0);
  EXPECT_LT(median, 1e4);
}

TEST(PolyAttention, BoundIsHalvedForNonnegativeValues) {
  // Values in [-1, 1] with both ends present on every side, and their
  // absolute values (0 present): value products span [-1, 1] and [0, 1].
  AttentionInstance sgn = random_instance(7, {5, 6, 7}, 3, 2, 1.0, false);
  for (auto& v : sgn.values)
    for (std::size_t c = 0; c < v.cols; ++c) {
      v(0, c) = 1;
      v(1, c) = -1;
      v(2, c) = 0;
    }
  AttentionInstance pos = sgn;
  for (auto& v : pos.values)
    for (double& x : v.data) x = std::abs(x);
  const PolyReport a = plan_poly_attention(sgn, {});
  const PolyReport b = plan_poly_attention(pos, {});
  ASSERT_TRUE(a.runnable() && b.runnable());
  // signed: halfrange = Vmax; nonnegative: Vmax / 2 (the header's two cases)
  EXPECT_NEAR(a.value_max, 1.0, 1e-14);
  EXPECT_NEAR(a.value_halfrange, 1.0, 1e-14);
  EXPECT_NEAR(b.value_max, 1.0, 1e-14);
  EXPECT_NEAR(b.value_halfrange, 0.5, 1e-14);
  EXPECT_NEAR(a.approx_bound, 2 * b.approx_bound, 1e-12 * a.approx_bound);
  EXPECT_NEAR(b.approx_bound, b.exp_rel_error / (1 - b.exp_rel_error) * 0.5,
              1e-12 * b.approx_bound);
}

// Within any memory limit, a rank past int32 (the feature tables' index
// type) is still refused, before anything is allocated.
TEST(PolyAttention, RankPastTheIndexRangeIsRefused) {
  const AttentionInstance inst = random_instance(5, {2, 2}, 40, 1, 0.1, false);
  PolyOptions opt;
  opt.degree = 20;  // rank C(60, 20) = 4.2e15
  opt.max_bytes = 1e300;
  try {
    poly_attention(inst, opt);
    FAIL() << "expected a refusal";
  } catch (const SizeLimitError& e) {
    EXPECT_THAT(e.what(), HasSubstr("rank r = "));
    EXPECT_THAT(e.what(), HasSubstr("exceeds the index range"));
  }
}

TEST(PolyAttention, RefusalNamesRankAndBytes) {
  // k = 3, d = 8, entries up to 2: R = 8, eps = 1e-9 needs g = 28, rank
  // C(36, 8) = 30260340: over 10 GiB, past the default 4 GiB.
  AttentionInstance inst = random_instance(3, {4, 4, 4}, 8, 8, 2.0, true);
  for (DenseMatrix* m : {&inst.q, &inst.keys[0], &inst.keys[1]})
    for (std::size_t c = 0; c < 8; ++c) (*m)(0, c) = 2.0;  // column maxima exactly 2
  PolyOptions strict;
  strict.eps = 1e-9;
  const PolyReport plan = plan_poly_attention(inst, strict);
  EXPECT_FALSE(plan.runnable());
  EXPECT_NEAR(plan.radius, 8.0, 1e-12);
  EXPECT_GT(plan.bytes, kPolyMaxBytes);
  EXPECT_EQ(plan.rank, poly_rank(8, plan.degree));
  try {
    poly_attention(inst, strict);
    FAIL() << "expected a refusal";
  } catch (const SizeLimitError& e) {
    const std::string msg = e.what();
    EXPECT_THAT(msg, HasSubstr("rank r = C(d+g, g) = " + std::to_string(std::llround(plan.rank))));
    EXPECT_THAT(msg, HasSubstr("degree g = " + std::to_string(plan.degree)));
    EXPECT_THAT(msg, HasSubstr("needs " + human_bytes(plan.bytes)));
    EXPECT_THAT(msg, HasSubstr("(limit 4.00 GiB)"));
    EXPECT_THAT(msg, HasSubstr("B = 2"));
  }
  // A small limit refuses a small instance, naming its (certified) rank.
  PolyOptions opt;
  opt.degree = 6;
  opt.max_bytes = 64 * 1024;
  const AttentionInstance small = random_instance(4, {30, 30}, 6, 2, 0.5, false);
  try {
    poly_attention(small, opt);
    FAIL() << "expected a refusal";
  } catch (const SizeLimitError& e) {
    EXPECT_THAT(e.what(), HasSubstr("rank r = C(d+g, g) = 924"));  // C(12, 6)
    EXPECT_THAT(e.what(), HasSubstr("(limit 64.00 KiB)"));
  }
}

TEST(PolyAttention, PrecisionFloorIsRefused) {
  // R = 16 (d = 1, scale 1, entries 4): eps = 1e-9 is below double's floor.
  DenseMatrix q(2, 1), k1(3, 1), v1(3, 1);
  q.data = {4, -4};
  k1.data = {4, 1, -2};
  v1.data = {1, 0, 1};
  AttentionInstance inst = make_attention_instance(q, {k1}, {v1});
  inst.scale = 1.0;
  PolyOptions opt;
  opt.eps = 1e-9;
  const PolyReport plan = plan_poly_attention(inst, opt);
  EXPECT_FALSE(plan.runnable());
  EXPECT_THAT(plan.refusal, HasSubstr("no degree g <="));
  EXPECT_THAT(plan.refusal, HasSubstr("floors near"));
  EXPECT_THROW(poly_attention(inst, opt), SizeLimitError);
  // Scores of a reduced instance (beta/2, far past exp's range): refused at
  // once, naming R, the estimated degree and rank.
  inst.scale = 1e4;
  const PolyReport huge = plan_poly_attention(inst, opt);
  EXPECT_FALSE(huge.runnable());
  EXPECT_TRUE(huge.degree_estimated);
  EXPECT_THAT(huge.refusal, HasSubstr("R = 1.6e+05"));
  EXPECT_THAT(huge.refusal, HasSubstr("estimated degree g = 512+"));
  EXPECT_LT(huge.seconds_plan, 1.0);
}

TEST(PolyAttention, TooLowDegreeIsReportedAndBadDenominatorsGuarded) {
  // k = 2, d = 1, scale 1: scores -4 (row 0) and +4 (row 1); R = 4. The
  // degree-1 Chebyshev interpolant on [-4, 4] is negative at -4.
  DenseMatrix q(2, 1), k1(2, 1), v1(2, 1);
  q.data = {-2, 2};
  k1.data = {2, 2};
  v1.data = {0.5, 1};
  AttentionInstance inst = make_attention_instance(q, {k1}, {v1});
  inst.scale = 1.0;
  PolyOptions opt;
  opt.degree = 1;
  const PolyAttentionResult res = poly_attention(inst, opt);
  EXPECT_FALSE(res.report.eps_met);
  EXPECT_GT(res.report.exp_rel_error, 1.0);
  EXPECT_EQ(res.report.bad_rows, 1u);
  EXPECT_TRUE(std::isnan(res.out.o[0]));
  EXPECT_TRUE(std::isnan(res.out.log_d[0]));
  EXPECT_FALSE(std::isnan(res.out.o[1]));
  EXPECT_EQ(res.report.error_bound, INFINITY);
  // Degree 5 at R = 4: certified error > 1e-6, so eps is reported not met.
  opt.degree = 5;
  const PolyReport low = plan_poly_attention(inst, opt);
  EXPECT_FALSE(low.eps_met);
  EXPECT_GT(low.exp_rel_error, opt.eps);
}

TEST(PolyAttention, PlanMatchesRunAndPolynomialIsReusable) {
  const AttentionInstance inst = random_instance(11, {33, 17, 12}, 4, 3, 1.0, false);
  PolyOptions opt;
  opt.eps = 1e-6;
  const PolyReport plan = plan_poly_attention(inst, opt);
  ASSERT_TRUE(plan.runnable());
  const PolyAttentionResult a = poly_attention(inst, opt);
  EXPECT_EQ(a.report.degree, plan.degree);
  EXPECT_EQ(a.report.rank, plan.rank);
  EXPECT_EQ(a.report.radius, plan.radius);
  EXPECT_EQ(a.report.exp_rel_error, plan.exp_rel_error);
  EXPECT_EQ(a.report.approx_bound, plan.approx_bound);
  EXPECT_EQ(a.report.bytes, plan.bytes);
  opt.polynomial = plan.polynomial;
  opt.threads = 1;
  const PolyAttentionResult b = poly_attention(inst, opt);
  EXPECT_LT(max_abs_diff(a.out.o, b.out.o), 1e-14);
  // A polynomial certified on a smaller interval is refused.
  opt.polynomial = exp_polynomial(ExpApproxMethod::chebyshev, plan.radius / 2, plan.degree);
  EXPECT_THROW(poly_attention(inst, opt), InputError);
}

TEST(PolyAttention, ScaleOptionAndBadOptions) {
  const AttentionInstance inst = random_instance(12, {8, 9}, 3, 2, 1.0, false);
  PolyOptions opt;
  opt.scale = 0.5;
  const PolyAttentionResult res = poly_attention(inst, opt);
  AttentionInstance scaled = inst;
  scaled.scale = 0.5;
  const AttentionOutput ref = reference_attention(scaled, 0.5);
  EXPECT_LE(max_abs_diff(res.out.o, ref.o), res.report.error_bound);
  EXPECT_EQ(res.report.scale, 0.5);
  PolyOptions bad;
  bad.eps = 0;
  EXPECT_THROW(poly_attention(inst, bad), InputError);
  bad = {};
  bad.eps = 1;
  EXPECT_THROW(plan_poly_attention(inst, bad), InputError);
  bad = {};
  bad.tuning.row_block = 0;
  EXPECT_THROW(poly_attention(inst, bad), InputError);
  bad = {};
  bad.threads = -1;
  EXPECT_THROW(poly_attention(inst, bad), InputError);
}

}  // namespace
