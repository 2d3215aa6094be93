// attention/poly_approx: the certified relative error of P ~ exp on [-R, R]
// (paper 001 Corollary D.2). Properties, not stored outputs: the certificate
// is above the true error (dense long-double sampling) and not vacuous (close
// to the proven lower bound); a degree that is too low, or coefficients that
// were tampered with, are reported as missing eps; the search returns the
// smallest certified degree; Chebyshev needs fewer degrees than Taylor.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "attention/poly_approx.hpp"
#include "core/errors.hpp"

using namespace sethkit;
using namespace sethkit::attention;

namespace {

const ExpApproxMethod kMethods[] = {ExpApproxMethod::chebyshev, ExpApproxMethod::taylor};

// max over 4001 equispaced points (both ends included) of |P(x) - e^x| / e^x,
// in long double, plus the size of its own rounding (for the comparison).
struct Sampled {
  long double max_rel = 0;
  long double slack = 0;
};

Sampled sample_error(const std::vector<double>& c, double radius) {
  Sampled s;
  long double abs_sum = 0;
  for (std::size_t m = 0; m < c.size(); ++m)
    abs_sum += std::abs(static_cast<long double>(c[m])) * std::pow(static_cast<long double>(radius), m);
  const int points = 4000;
  for (int i = 0; i <= points; ++i) {
    const long double x = -radius + 2.0L * radius * i / points;
    long double p = 0;
    for (std::size_t m = c.size(); m-- > 0;) p = p * x + c[m];
    const long double e = std::exp(x);
    s.max_rel = std::max(s.max_rel, std::abs(p - e) / e);
  }
  // long double Horner: about 2g ulps of sum |c_m| R^m, relative to e^-R.
  s.slack = 4.0L * (c.size() + 1) * 1.1e-19L * abs_sum * std::exp(static_cast<long double>(radius));
  return s;
}

TEST(PolyApprox, CertificateIsAboveTheTrueErrorAndTight) {
  int cases = 0;
  for (ExpApproxMethod method : kMethods) {
    for (double radius : {0.0, 0.3, 1.0, 2.5, 4.0, 8.0}) {
      for (int g : {0, 1, 3, 7, 12, 20}) {
        const ExpPolynomial p = exp_polynomial(method, radius, g);
        ASSERT_EQ(p.coeffs.size(), std::size_t(g) + 1);
        const Sampled s = sample_error(p.coeffs, radius);
        SCOPED_TRACE(to_string(method) + " R=" + std::to_string(radius) + " g=" + std::to_string(g));
        // Sound: the certificate is above every sampled error.
        EXPECT_LE(s.max_rel, static_cast<long double>(p.rel_error) + s.slack);
        // The lower bound is a lower bound of the true maximum.
        EXPECT_LE(p.rel_error_lower, p.rel_error);
        EXPECT_LE(static_cast<long double>(p.rel_error_lower), s.max_rel * (1 + 1e-6L) + s.slack);
        // Not vacuous: within 25% of the sampled maximum.
        EXPECT_LE(static_cast<long double>(p.rel_error), 1.25L * s.max_rel + s.slack + 1e-300L);
        // abs_sum bounds sum |c_m| R^m.
        long double abs_sum = 0;
        for (std::size_t m = 0; m < p.coeffs.size(); ++m)
          abs_sum += std::abs(static_cast<long double>(p.coeffs[m])) * std::pow(static_cast<long double>(radius), m);
        EXPECT_GE(static_cast<long double>(p.abs_sum), abs_sum * (1 - 1e-15L));
        ++cases;
      }
    }
  }
  EXPECT_EQ(cases, 72);
}

TEST(PolyApprox, TooLowDegreeReportsEpsNotMet) {
  for (ExpApproxMethod method : kMethods) {
    const ExpPolynomial low = exp_polynomial(method, 4.0, 5);
    EXPECT_FALSE(low.meets(1e-6)) << to_string(method);
    // Provably not met: even the lower bound exceeds eps.
    EXPECT_GT(low.rel_error_lower, 1e-6) << to_string(method);
    EXPECT_GT(low.rel_error, 1e-6) << to_string(method);
  }
  // One degree below the smallest certified one misses eps as well.
  const auto best = smallest_exp_polynomial(ExpApproxMethod::chebyshev, 4.0, 1e-6, 64);
  ASSERT_TRUE(best);
  EXPECT_FALSE(exp_polynomial(ExpApproxMethod::chebyshev, 4.0, best->degree - 1).meets(1e-6));
}

TEST(PolyApprox, TamperedCoefficientsAreCaught) {
  const auto p = smallest_exp_polynomial(ExpApproxMethod::chebyshev, 2.0, 1e-9, 64);
  ASSERT_TRUE(p);
  ASSERT_LE(p->rel_error, 1e-9);
  // c_0 + 1e-6 moves P(0) by 1e-6 = a relative error of 1e-6 at x = 0.
  std::vector<double> c = p->coeffs;
  c[0] += 1e-6;
  ExpCertificate cert = certify_exp_relative_error(c, 2.0);
  EXPECT_GE(cert.rel_error, 0.99e-6);
  EXPECT_GE(cert.rel_error_lower, 0.99e-6);
  // A change of the top coefficient by 1e-3 of itself shows at x = +-R.
  c = p->coeffs;
  const double shift = c.back() * 1e-3;
  c.back() += shift;
  cert = certify_exp_relative_error(c, 2.0);
  const double at_minus_r = std::abs(shift) * std::pow(2.0, p->degree) / std::exp(-2.0);
  EXPECT_GE(cert.rel_error, 0.9 * at_minus_r - 1e-9);
  EXPECT_GT(cert.rel_error, p->rel_error);
}

TEST(PolyApprox, SmallestDegreeIsMinimalAndMeetsEps) {
  for (ExpApproxMethod method : kMethods) {
    for (double radius : {0.5, 1.0, 3.0, 6.0}) {
      for (double eps : {1e-3, 1e-6, 1e-9}) {
        SCOPED_TRACE(to_string(method) + " R=" + std::to_string(radius) + " eps=" + std::to_string(eps));
        const auto p = smallest_exp_polynomial(method, radius, eps, 80);
        ASSERT_TRUE(p);
        EXPECT_TRUE(p->meets(eps));
        EXPECT_EQ(p->degree + 1, int(p->coeffs.size()));
        if (p->degree > 0) {
          EXPECT_GT(exp_polynomial(method, radius, p->degree - 1).rel_error, eps);
        }
        // The a-priori estimate is close to the certified degree.
        EXPECT_NEAR(estimate_exp_degree(method, radius, eps), p->degree, 2);
      }
    }
  }
}

TEST(PolyApprox, ChebyshevNeedsFewerDegreesThanTaylor) {
  for (double radius : {0.5, 1.0, 2.0, 4.0, 8.0}) {
    for (double eps : {1e-3, 1e-6, 1e-9}) {
      const auto c = smallest_exp_polynomial(ExpApproxMethod::chebyshev, radius, eps, 80);
      const auto t = smallest_exp_polynomial(ExpApproxMethod::taylor, radius, eps, 80);
      ASSERT_TRUE(c && t) << "R=" << radius << " eps=" << eps;
      EXPECT_LT(c->degree, t->degree) << "R=" << radius << " eps=" << eps;
    }
  }
  // and by a growing margin: at R = 8, eps = 1e-9 (28 against 40 here).
  const auto c = smallest_exp_polynomial(ExpApproxMethod::chebyshev, 8.0, 1e-9, 80);
  const auto t = smallest_exp_polynomial(ExpApproxMethod::taylor, 8.0, 1e-9, 80);
  EXPECT_GE(t->degree - c->degree, 8);
}

TEST(PolyApprox, ZeroRadiusIsTheConstantOne) {
  const auto p = smallest_exp_polynomial(ExpApproxMethod::chebyshev, 0.0, 1e-12, 10);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->degree, 0);
  EXPECT_EQ(p->coeffs, std::vector<double>{1.0});
  EXPECT_EQ(p->rel_error, 0.0);
}

TEST(PolyApprox, DoubleFloorIsRefusedNotFaked) {
  // u e^{2R} at R = 16 is about 1e-2: no degree can certify 1e-9, and the
  // search says so instead of returning something uncertified.
  EXPECT_FALSE(smallest_exp_polynomial(ExpApproxMethod::chebyshev, 16.0, 1e-9, 128));
  // and a max_degree below the need gives nullopt too
  EXPECT_FALSE(smallest_exp_polynomial(ExpApproxMethod::chebyshev, 4.0, 1e-6, 10));
}

TEST(PolyApprox, RejectsBadArguments) {
  EXPECT_THROW(exp_polynomial(ExpApproxMethod::chebyshev, -1.0, 3), InputError);
  EXPECT_THROW(exp_polynomial(ExpApproxMethod::chebyshev, std::nan(""), 3), InputError);
  EXPECT_THROW(exp_polynomial(ExpApproxMethod::chebyshev, 1.0, -1), InputError);
  EXPECT_THROW(exp_polynomial(ExpApproxMethod::chebyshev, 1.0, kMaxExpDegree + 1), InputError);
  EXPECT_THROW(smallest_exp_polynomial(ExpApproxMethod::chebyshev, 1.0, 0.0, 10), InputError);
  EXPECT_THROW(smallest_exp_polynomial(ExpApproxMethod::chebyshev, 1.0, 1.0, 10), InputError);
  EXPECT_THROW(certify_exp_relative_error(std::vector<double>{}, 1.0), InputError);
  EXPECT_THROW(certify_exp_relative_error(std::vector<double>{1.0, INFINITY}, 1.0), InputError);
}

}  // namespace
