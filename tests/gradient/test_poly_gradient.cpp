// The fast gradient by the polynomial method (issue 8 part 3;
// attention/poly_gradient.hpp):
//  - over many random bounded instances (k = 2, 3; d <= 4; d_v <= 3; entries
//    |x| <= 1; target |E| <= 1; eps from 1e-2 to 1e-10; scale 1/d and larger)
//    every entry of dQ, dK_p, dV_p and the loss is within its reported bound
//    of the exact gradient (exact_attention_gradient);
//  - the same with forced low degrees (eps_P up to ~0.5): the bound is valid
//    where it is large, not only where it is tiny;
//  - the bound is small where eps is (so a wrong formula, off by O(1),
//    cannot hide under it), and the gradient is not trivially small;
//  - a larger instance (n = 48, k = 3, d = 4), thread counts, bad targets.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <tuple>

#include "gradient_test_support.hpp"
#include "attention/gradient.hpp"
#include "attention/poly_gradient.hpp"
#include "core/errors.hpp"

using namespace sethkit;
using namespace sethkit::attention;
using sethkit::testing_support::random_attention;
using sethkit::testing_support::max_abs;
using sethkit::testing_support::max_abs_diff;
using sethkit::testing_support::random_matrix;

namespace {

// Certified polynomials, shared between instances of the same radius bound
// (the certificate is most of a small run's time). Entries are in (-1, 1), so
// R < |scale| d; a polynomial certified on a larger radius is valid.
const ExpPolynomial& cached_polynomial(double radius, double eps, int degree) {
  static std::map<std::tuple<double, double, int>, ExpPolynomial> cache;
  const auto key = std::make_tuple(radius, eps, degree);
  auto it = cache.find(key);
  if (it == cache.end()) {
    ExpPolynomial p = degree >= 0 ? exp_polynomial(ExpApproxMethod::chebyshev, radius, degree)
                                  : *smallest_exp_polynomial(ExpApproxMethod::chebyshev, radius, eps, 128);
    it = cache.emplace(key, std::move(p)).first;
  }
  return it->second;
}

struct Errors {
  double loss = 0, dq = 0;
  std::vector<double> dk, dv;
};

// Checks fast against exact within the reported bounds; returns the errors.
Errors check_within_bound(const AttentionInstance& inst, const DenseMatrix& e, const PolyOptions& opt,
                          const std::string& what) {
  GradientOptions gopt;
  gopt.scale = opt.scale;
  const AttentionGradient exact = exact_attention_gradient(inst, e, gopt);
  const PolyAttentionGradient fast = poly_attention_gradient(inst, e, opt);
  Errors err;
  err.loss = std::abs(fast.gradient.loss - exact.loss);
  err.dq = max_abs_diff(fast.gradient.d_q, exact.d_q);
  EXPECT_LE(err.loss, fast.loss_bound) << what;
  EXPECT_LE(err.dq, fast.d_q_bound) << what;
  EXPECT_EQ(fast.d_key_bounds.size(), inst.keys.size());
  EXPECT_EQ(fast.d_value_bounds.size(), inst.keys.size());
  double worst = fast.d_q_bound;
  for (std::size_t p = 0; p < inst.keys.size() && p < fast.d_key_bounds.size(); ++p) {
    err.dk.push_back(max_abs_diff(fast.gradient.d_keys[p], exact.d_keys[p]));
    err.dv.push_back(max_abs_diff(fast.gradient.d_values[p], exact.d_values[p]));
    EXPECT_LE(err.dk.back(), fast.d_key_bounds[p]) << what << " side " << p;
    EXPECT_LE(err.dv.back(), fast.d_value_bounds[p]) << what << " side " << p;
    worst = std::max({worst, fast.d_key_bounds[p], fast.d_value_bounds[p]});
  }
  EXPECT_EQ(fast.error_bound, worst) << what;
  return err;
}

TEST(PolyGradient, WithinBoundOnRandomInstances) {
  const double epss[] = {1e-2, 1e-4, 1e-6, 1e-8, 1e-10};
  int cases = 0;
  for (unsigned seed = 0; seed < 160; ++seed) {
    std::mt19937_64 rng(seed * 7919 + 3);
    const int k = 2 + int(seed % 2);
    const std::size_t d = 1 + (seed / 2) % 4, dv = 1 + (seed / 8) % 3;
    std::vector<std::size_t> lengths;
    for (int s = 0; s < k; ++s) lengths.push_back(1 + std::size_t(rng() % 9));
    const AttentionInstance inst = random_attention(seed, lengths, d, dv, 1.0);
    const DenseMatrix e = random_matrix(rng, lengths[0], dv, 1.0, false);
    PolyOptions opt;
    opt.eps = epss[seed % 5];
    if (seed % 3 == 1) opt.scale = 1.0;  // R up to d
    if (seed % 3 == 2) opt.scale = -0.7;
    opt.threads = 1 + int(seed % 2);
    // Every tenth case searches and certifies its own polynomial; the others share.
    if (seed % 10 != 0)
      opt.polynomial = cached_polynomial(std::abs(opt.scale.value_or(1.0 / double(d))) * double(d), opt.eps, -1);
    const PolyAttentionGradient fast = poly_attention_gradient(inst, e, opt);
    ASSERT_TRUE(std::isfinite(fast.error_bound)) << "seed " << seed;
    check_within_bound(inst, e, opt, "seed " + std::to_string(seed));
    ++cases;
  }
  EXPECT_EQ(cases, 160);
}

TEST(PolyGradient, WithinBoundAtForcedLowDegrees) {
  int finite = 0;
  for (unsigned seed = 0; seed < 60; ++seed) {
    std::mt19937_64 rng(seed + 500);
    const int k = 2 + int(seed % 2);
    const std::size_t d = 1 + seed % 4, dv = 1 + (seed / 4) % 3;
    std::vector<std::size_t> lengths;
    for (int s = 0; s < k; ++s) lengths.push_back(2 + std::size_t(rng() % 6));
    const AttentionInstance inst = random_attention(seed + 77, lengths, d, dv, 1.0);
    const DenseMatrix e = random_matrix(rng, lengths[0], dv, 1.0, false);
    PolyOptions opt;
    opt.degree = 1 + int(seed % 4);
    if (seed % 10 != 0) opt.polynomial = cached_polynomial(1.0, 0, *opt.degree);
    const PolyAttentionGradient fast = poly_attention_gradient(inst, e, opt);
    if (!std::isfinite(fast.error_bound)) continue;  // eps_P >= 1: nothing claimed
    ++finite;
    check_within_bound(inst, e, opt, "forced degree, seed " + std::to_string(seed));
  }
  EXPECT_GE(finite, 40);
}

// The bound is tight enough to catch a wrong formula: at eps = 1e-10 it is
// below 1e-6 while the gradients are of order 1e-2 or more.
TEST(PolyGradient, BoundIsSmallWhereEpsIs) {
  for (int k = 2; k <= 3; ++k) {
    const std::vector<std::size_t> lengths = k == 2 ? std::vector<std::size_t>{7, 9}
                                                    : std::vector<std::size_t>{6, 5, 8};
    const AttentionInstance inst = random_attention(40u + unsigned(k), lengths, 4, 3, 1.0);
    std::mt19937_64 rng(9);
    const DenseMatrix e = random_matrix(rng, lengths[0], 3, 1.0, false);
    PolyOptions opt;
    opt.eps = 1e-10;
    opt.scale = 1.0;
    const PolyAttentionGradient fast = poly_attention_gradient(inst, e, opt);
    EXPECT_LT(fast.error_bound, 1e-6) << "k = " << k;
    EXPECT_LT(fast.loss_bound, 1e-6);
    EXPECT_GT(max_abs(fast.gradient.d_q), 1e-2);
    for (const DenseMatrix& m : fast.gradient.d_keys) EXPECT_GT(max_abs(m), 1e-2);
    for (const DenseMatrix& m : fast.gradient.d_values) EXPECT_GT(max_abs(m), 1e-2);
    const Errors err = check_within_bound(inst, e, opt, "k = " + std::to_string(k));
    EXPECT_LT(err.dq, 1e-7);
  }
}

TEST(PolyGradient, LargerInstanceAndThreads) {
  const AttentionInstance inst = random_attention(5, {48, 40, 44}, 4, 4, 1.0);
  std::mt19937_64 rng(5);
  const DenseMatrix e = random_matrix(rng, 48, 4, 1.0, false);
  PolyOptions opt;
  opt.eps = 1e-7;
  opt.threads = 1;
  check_within_bound(inst, e, opt, "n = 48");
  const PolyAttentionGradient one = poly_attention_gradient(inst, e, opt);
  opt.threads = 2;
  const PolyAttentionGradient two = poly_attention_gradient(inst, e, opt);
  // The backward's sums are thread-independent; the forward's key sums may
  // differ in the last bits, so compare to rounding only.
  EXPECT_LE(max_abs_diff(one.gradient.d_q, two.gradient.d_q), 1e-12);
  for (std::size_t p = 0; p < 2; ++p) {
    EXPECT_LE(max_abs_diff(one.gradient.d_keys[p], two.gradient.d_keys[p]), 1e-12);
    EXPECT_LE(max_abs_diff(one.gradient.d_values[p], two.gradient.d_values[p]), 1e-12);
  }
  EXPECT_GT(one.report.rank, 1.0);
}

TEST(PolyGradient, RejectsBadTargets) {
  const AttentionInstance inst = random_attention(1, {4, 5}, 2, 2, 1.0);
  DenseMatrix wrong(3, 2);
  EXPECT_THROW(poly_attention_gradient(inst, wrong), InputError);
  DenseMatrix nan(4, 2);
  nan(1, 1) = std::nan("");
  EXPECT_THROW(poly_attention_gradient(inst, nan), InputError);
}

}  // namespace
