// Paper 002 Theorem 1: dX (d x d^2) of Definition 1 by the polynomial method
// (attention/poly_gradient.hpp, poly_paper_gradient):
//  - on random small-entry paper instances (rectangular sides, d = 2..4,
//    eps from 1e-4 to 1e-10) every entry of dX, dX1..dY2 and the loss is
//    within its reported bound of the exact gradient (paper_gradient), and
//    for eps <= 1e-6 the bound is not vacuous: below 1e-3 of max |dX|;
//  - with forced low degrees (eps_P up to ~0.1) the bound still holds where
//    it is large;
//  - dX against central finite differences of the loss of Definition 1
//    written here literally (no library code), in long double;
//  - a scale other than 1/d and a bad instance are refused.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "gradient_test_support.hpp"
#include "attention/gradient.hpp"
#include "attention/poly_gradient.hpp"
#include "core/errors.hpp"

using namespace sethkit;
using namespace sethkit::attention;
using sethkit::testing_support::max_abs;
using sethkit::testing_support::max_abs_diff;
using sethkit::testing_support::random_matrix;
using sethkit::testing_support::random_paper;

namespace {

// Checks every matrix within its bound; returns max |dX~ - dX| / d_x_bound.
double check_within_bound(const PaperInstance& p, const PolyOptions& opt, const std::string& what) {
  const PaperGradient exact = paper_gradient(p);
  const PolyPaperGradient fast = poly_paper_gradient(p, opt);
  const double err = max_abs_diff(fast.gradient.d_x, exact.d_x);
  EXPECT_LE(err, fast.d_x_bound) << what << " dX";
  EXPECT_LE(max_abs_diff(fast.gradient.d_x1, exact.d_x1), fast.d_x1_bound) << what << " dX1";
  EXPECT_LE(max_abs_diff(fast.gradient.d_x2, exact.d_x2), fast.d_x2_bound) << what << " dX2";
  EXPECT_LE(max_abs_diff(fast.gradient.d_x3, exact.d_x3), fast.d_x3_bound) << what << " dX3";
  EXPECT_LE(max_abs_diff(fast.gradient.d_y1, exact.d_y1), fast.d_y1_bound) << what << " dY1";
  EXPECT_LE(max_abs_diff(fast.gradient.d_y2, exact.d_y2), fast.d_y2_bound) << what << " dY2";
  EXPECT_LE(std::abs(fast.gradient.loss - exact.loss), fast.loss_bound) << what << " loss";
  EXPECT_EQ(fast.gradient.d_x.rows, p.d());
  EXPECT_EQ(fast.gradient.d_x.cols, p.d() * p.d());
  return err / fast.d_x_bound;
}

TEST(PolyPaperGradient, DxWithinItsBoundOfTheExactDxAndTheBoundIsNotVacuous) {
  struct Case {
    std::size_t nq, n1, n2, d;
    double bound, eps;
  };
  int checked = 0;
  for (const Case& c : {Case{8, 6, 5, 2, 0.5, 1e-6}, Case{12, 7, 9, 3, 0.5, 1e-8}, Case{16, 10, 8, 4, 0.4, 1e-6},
                        Case{5, 3, 4, 3, 1.0, 1e-10}, Case{20, 12, 11, 2, 0.8, 1e-4}}) {
    for (unsigned seed = 1; seed <= 3; ++seed) {
      const PaperInstance p = random_paper(seed * 101 + unsigned(c.d), c.nq, c.n1, c.n2, c.d, c.bound, 1.0);
      PolyOptions opt;
      opt.eps = c.eps;
      const std::string what = "d = " + std::to_string(c.d) + " eps = " + std::to_string(c.eps) + " seed " +
                               std::to_string(seed);
      check_within_bound(p, opt, what);
      const PaperGradient exact = paper_gradient(p);
      const PolyPaperGradient fast = poly_paper_gradient(p, opt);
      EXPECT_GT(max_abs(exact.d_x), 1e-7) << what << ": dX is not trivially small";
      // Where eps is small the bound is too: a wrong formula (off by O(|dX|))
      // cannot hide under it.
      if (c.eps <= 1e-6) {
        EXPECT_LT(fast.d_x_bound, 1e-3 * max_abs(exact.d_x)) << what << ": the bound is vacuous";
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 15);
}

TEST(PolyPaperGradient, BoundHoldsWhereItIsLarge) {
  // Forced low degrees: eps_P is far from tiny and the error is real.
  double worst_ratio = 0;
  for (int degree : {1, 2, 3, 4}) {
    for (unsigned seed = 1; seed <= 3; ++seed) {
      const PaperInstance p = random_paper(seed + 7, 9, 6, 7, 3, 0.6, 1.0);
      PolyOptions opt;
      opt.degree = degree;
      opt.eps = 0.5;
      worst_ratio =
          std::max(worst_ratio, check_within_bound(p, opt, "degree " + std::to_string(degree) + " seed " +
                                                               std::to_string(seed)));
    }
  }
  // The bound is not loose by orders of magnitude everywhere: at low degree
  // the error reaches a visible part of it.
  EXPECT_GT(worst_ratio, 1e-4);
}

// ---- Definition 1 of paper 002, literally, in long double --------------------
// S[i, j1 + j2 n1] = (A1 X (A2 (x) A3)^T)[i, .] / d with (A2 (x) A3)[j1 + j2 n1,
// b1 + b2 d] = A2[j1,b1] A3[j2,b2] (Definition 2.3, 0-based); the values
// ((A4 (x) A5) Y)[j1 + j2 n1, c] with Y = Y1 o/ Y2, Y[b1 + b2 d, c] =
// Y1[b1,c] Y2[b2,c] (Definition 2.4).
long double literal_loss(const PaperInstance& p, const DenseMatrix& x) {
  using LD = long double;
  const std::size_t d = p.d(), nq = p.a1.rows, n1 = p.a2.rows, n2 = p.a3.rows;
  LD loss = 0;
  for (std::size_t i = 0; i < nq; ++i) {
    std::vector<LD> a(n1 * n2), o(d, 0.0L);
    LD sum = 0;
    for (std::size_t j2 = 0; j2 < n2; ++j2)
      for (std::size_t j1 = 0; j1 < n1; ++j1) {
        LD s = 0;
        for (std::size_t al = 0; al < d; ++al)
          for (std::size_t b2 = 0; b2 < d; ++b2)
            for (std::size_t b1 = 0; b1 < d; ++b1)
              s += LD(p.a1(i, al)) * LD(x(al, b1 + b2 * d)) * LD(p.a2(j1, b1)) * LD(p.a3(j2, b2));
        a[j1 + j2 * n1] = std::exp(s / LD(d));
        sum += a[j1 + j2 * n1];
      }
    for (std::size_t c = 0; c < d; ++c) {
      for (std::size_t j2 = 0; j2 < n2; ++j2)
        for (std::size_t j1 = 0; j1 < n1; ++j1) {
          LD v = 0;
          for (std::size_t b2 = 0; b2 < d; ++b2)
            for (std::size_t b1 = 0; b1 < d; ++b1)
              v += LD(p.a4(j1, b1)) * LD(p.a5(j2, b2)) * LD(p.y1(b1, c)) * LD(p.y2(b2, c));
          o[c] += a[j1 + j2 * n1] * v;
        }
      const LD r = o[c] / sum - LD(p.e(i, c));
      loss += r * r / 2;
    }
  }
  return loss;
}

TEST(PolyPaperGradient, DxMatchesFiniteDifferencesOfTheLiteralLoss) {
  for (unsigned seed = 1; seed <= 2; ++seed) {
    const PaperInstance p = random_paper(seed * 13, 3, 3, 2, 2, 0.7, 1.0);
    PolyOptions opt;
    opt.eps = 1e-10;
    const PolyPaperGradient fast = poly_paper_gradient(p, opt);
    DenseMatrix x = paper_x(p);
    EXPECT_NEAR(fast.gradient.loss, double(literal_loss(p, x)), 1e-9);
    const double h = 1e-5;
    double err = 0, top = 0;
    for (std::size_t t = 0; t < x.data.size(); ++t) {
      const double saved = x.data[t];
      x.data[t] = saved + h;
      const long double plus = literal_loss(p, x);
      x.data[t] = saved - h;
      const long double minus = literal_loss(p, x);
      x.data[t] = saved;
      const double fd = double((plus - minus) / (2 * h));
      err = std::max(err, std::abs(fast.gradient.d_x.data[t] - fd));
      top = std::max(top, std::abs(fd));
    }
    EXPECT_GT(top, 1e-4);
    EXPECT_LE(err, 1e-7 * top + fast.d_x_bound) << "seed " << seed;
  }
}

TEST(PolyPaperGradient, RefusesAnotherScaleAndBadInput) {
  const PaperInstance p = random_paper(3, 4, 3, 3, 2, 0.5, 1.0);
  PolyOptions opt;
  opt.scale = 1.0;
  EXPECT_THROW(poly_paper_gradient(p, opt), InputError);
  PaperInstance bad = p;
  bad.a5 = DenseMatrix(2, 2);  // A5 must have A3's rows
  EXPECT_THROW(poly_paper_gradient(bad), InputError);
  try {
    poly_paper_gradient(bad);
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("A5"), std::string::npos) << e.what();
  }
}

}  // namespace
