// Paper 001 Lemma B.1 as printed, built literally on a small Gap-MaxIP
// instance (issue 18 part 5). With d~ = 2d the score of a data tuple is
// beta <a,b,c> / d~ = 0.5 beta <a,b,c> / d, so Case 2 of the proof should read
// "<= 0.5 beta (1 - eps) t / d", not "<= 0.25 beta (1 - eps) t / d"; with the
// printed 0.25 in the threshold of Eq. (8), t~ = exp(0.25 beta t / d) / (12
// n^2 tau), a NO row (every tuple at most (1 - eps) t) has
//   u_i >= exp(0.5 beta (1 - eps) t / d) / D_i >= exp(0.25 beta t / d) / (4 n^2 tau)
// whenever eps <= 1/2 (Theorem 4.7 uses eps = 1/2): above the threshold
// t~_0 = 2 t~. Everything here is exact arithmetic on the paper's matrices
// (long double, log domain; u_i = (D^{-1} A v)_i with no approximation error,
// the best case for the lemma), with the paper's constants: C = d / log n,
// C_0 = t / log n, C_b = sqrt(40 C / (C_0 eps)) (Eq. 3), B = C_b (log n)^{1/3},
// beta = B^3 (Eq. 5), tau = exp(beta / 2) (Eq. 1). The corrected constant 0.5
// in Eq. (8) separates the same rows, and so does the threshold the code
// computes (reductions/maxip_to_attention.hpp), checked on its own instance.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "reductions/maxip_to_attention.hpp"

using namespace sethkit;
using namespace sethkit::reductions;

namespace {

using Vec = std::vector<int>;

long double log_sum_exp(const std::vector<long double>& x) {
  long double m = -std::numeric_limits<long double>::infinity();
  for (long double v : x) m = std::max(m, v);
  long double s = 0;
  for (long double v : x) s += std::exp(v - m);
  return m + std::log(s);
}

int inner3(const Vec& a, const Vec& b, const Vec& c) {
  int s = 0;
  for (std::size_t j = 0; j < a.size(); ++j) s += a[j] * b[j] * c[j];
  return s;
}

// The instance: n = 2, d = 6, t = 4, eps = 1/2. Row 0 is YES (<a0,b0,c0> = 4
// = t); row 1 is NO (a1 has two ones: every tuple is at most 2 = (1 - eps) t,
// and (a1, b0, c0) reaches it).
const int kN = 2, kD = 6, kT = 4;
const long double kEps = 0.5L;
const std::vector<Vec> kA = {{1, 1, 1, 1, 0, 0}, {1, 1, 0, 0, 0, 0}};
const std::vector<Vec> kB = {{1, 1, 1, 1, 0, 0}, {0, 0, 1, 1, 1, 1}};
const std::vector<Vec> kC = {{1, 1, 1, 1, 0, 0}, {0, 0, 1, 1, 1, 1}};

// log u_i = log (D^{-1} A v)_i for the matrices of the proof: Q = B [a ; 1],
// K_p = B [b ; 0] and B [0 ; 1], A = exp(Q (K1 (x) K2)^T / d~), v = 1 on the
// n^2 data tuples. The score of (row i, key rows j1, j2) is beta/d~ times
// sum_c Q[i,c] K1[j1,c] K2[j2,c] / B^3, written out below.
long double log_u(std::size_t i, long double beta) {
  const int dt = 2 * kD;  // d~ = 2d (Eq. 2)
  std::vector<long double> all, data;
  for (int j1 = 0; j1 < 2 * kN; ++j1)
    for (int j2 = 0; j2 < 2 * kN; ++j2) {
      int ip = 0;
      for (int c = 0; c < 2 * kD; ++c) {
        const int q = c < kD ? kA[i][std::size_t(c)] : 1;
        const int k1 = j1 < kN ? (c < kD ? kB[std::size_t(j1)][std::size_t(c)] : 0) : (c < kD ? 0 : 1);
        const int k2 = j2 < kN ? (c < kD ? kC[std::size_t(j2)][std::size_t(c)] : 0) : (c < kD ? 0 : 1);
        ip += q * k1 * k2;
      }
      const long double s = beta * ip / dt;
      all.push_back(s);
      if (j1 < kN && j2 < kN) data.push_back(s);
    }
  return log_sum_exp(data) - log_sum_exp(all);
}

TEST(LemmaB1Errata, TheInstanceKeepsTheGapPromise) {
  for (std::size_t i = 0; i < kA.size(); ++i) {
    int best = 0;
    for (const Vec& b : kB)
      for (const Vec& c : kC) best = std::max(best, inner3(kA[i], b, c));
    if (i == 0) {
      EXPECT_GE(best, kT);
    } else {
      EXPECT_EQ(best, int((1 - kEps) * kT));  // exactly at the NO bound
    }
  }
}

TEST(LemmaB1Errata, ThePrintedThresholdPutsANoRowAboveIt) {
  const long double log_n = std::log((long double)kN);
  const long double c = kD / log_n, c0 = kT / log_n;           // d = C log n, t = C_0 log n
  const long double c_b = std::sqrt(40 * c / (c0 * kEps));     // Eq. (3)
  const long double b = c_b * std::cbrt(log_n);                // B = C_b (log n)^{1/3}
  const long double beta = b * b * b;                          // Eq. (5)
  const long double log_tau = beta / 2;                        // Eq. (1)
  const long double n2 = (long double)kN * kN;
  // Eq. (8) as printed: t~ = (1/3) exp(0.25 beta t / d) / (4 n^2 tau); threshold 2 t~.
  const long double log_t0_printed = std::log(2.0L / 3) + 0.25L * beta * kT / kD - std::log(4 * n2) - log_tau;
  const long double yes = log_u(0, beta), no = log_u(1, beta);
  EXPECT_GT(yes, log_t0_printed);  // Case 1 holds
  // Case 2 fails: the NO row is above the printed threshold, by far more than rounding.
  EXPECT_GT(no, log_t0_printed + 1.0L) << "log u_NO = " << double(no) << ", log t~_0 = " << double(log_t0_printed);
  // The corrected Eq. (8): t~ = (1/3) exp(0.5 beta t / d) / (4 n^2 tau). Case 1
  // gives u >= 3 t~ - 0 (exact arithmetic), and Case 2 u <= n^2 exp(0.5 beta
  // (1 - eps) t / d) / (n^2 tau) < t~ once exp(0.5 beta eps t / d) > 12 n^2.
  const long double log_t0_fixed = std::log(2.0L / 3) + 0.5L * beta * kT / kD - std::log(4 * n2) - log_tau;
  ASSERT_GT(0.5L * beta * kEps * kT / kD, std::log(12 * n2));
  EXPECT_GT(yes, log_t0_fixed);
  EXPECT_LT(no, log_t0_fixed);
  // With the printed constant nothing separates at eps = 1/2: the NO row's
  // own bound exp(0.25 beta t / d) / D equals the YES row's lower bound.
}

TEST(LemmaB1Errata, TheCodesThresholdSeparatesTheSameInstance) {
  // The code computes beta and the threshold from certified bounds on D_i for
  // the instance (k = 3 on the same vectors).
  MaxIpInstance inst;
  inst.k = 3;
  inst.d = kD;
  for (const auto* party : {&kA, &kB, &kC}) {
    IntVectors v(party->size(), kD);
    for (std::size_t i = 0; i < party->size(); ++i)
      for (int j = 0; j < kD; ++j) v.row(i)[j] = (*party)[i][std::size_t(j)];
    inst.parties.push_back(v);
  }
  inst.gap = MaxIpGap{kT, int64_t((1 - kEps) * kT)};
  const AttentionEmbedding e = maxip_to_attention(inst, 1e-6, 1e8);
  // log O of the code's instance, exactly (its scale is 1/d~, its B = beta^{1/3}).
  const long double yes = log_u(0, e.beta), no = log_u(1, e.beta);
  EXPECT_GT(yes, e.log_threshold);
  EXPECT_LT(no, e.log_threshold);
  EXPECT_GE(double(yes), e.log_o_yes_min - 1e-9);
  EXPECT_LE(double(no), e.log_o_no_max + 1e-9);
}

}  // namespace
