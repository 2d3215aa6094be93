// Gradients of tensor attention (issue 8; paper 002 Definitions 1 and 2):
//  - the exact streaming backward against central finite differences of the
//    long-double reference loss, k = 2, 3, 4, rectangular sides, default and
//    tiny tiles (relative error <= 1e-6), and against the textbook reference
//    gradient on larger instances (<= 1e-11);
//  - the paper's dX against finite differences of Definition 1 built
//    literally (n x n^2 matrices, the full Kronecker product of Definition
//    2.3, the column-wise one of 2.4, written here from the definitions and
//    not from the library), against A1^T G (A2 (x) A3) / d with the literal
//    G, and against the chain rule from dQ, dK1, dK2;
//  - dX1..dY2 against finite differences of the literal loss;
//  - bit-for-bit equality with 1 and 2 threads, and run to run;
//  - the index convention of the two Kronecker products; bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <random>

#include "gradient_test_support.hpp"
#include "attention/gradient.hpp"
#include "attention/reference_attention.hpp"
#include "core/errors.hpp"

using namespace sethkit;
using namespace sethkit::attention;
using sethkit::testing_support::random_attention;
using sethkit::testing_support::random_matrix;
using sethkit::testing_support::random_paper;
using ::testing::HasSubstr;

namespace {

// max |got - want| / max |want|.
double relative_error(const DenseMatrix& got, const DenseMatrix& want) {
  EXPECT_EQ(got.rows, want.rows);
  EXPECT_EQ(got.cols, want.cols);
  double err = 0, top = 0;
  for (std::size_t t = 0; t < want.data.size() && t < got.data.size(); ++t) {
    err = std::max(err, std::abs(got.data[t] - want.data[t]));
    top = std::max(top, std::abs(want.data[t]));
  }
  return top > 0 ? err / top : err;
}

// Central differences of f at every entry of x (x is restored).
DenseMatrix finite_differences(DenseMatrix& x, const std::function<double()>& f, double h = 1e-5) {
  DenseMatrix g(x.rows, x.cols);
  for (std::size_t t = 0; t < x.data.size(); ++t) {
    const double saved = x.data[t];
    x.data[t] = saved + h;
    const double plus = f();
    x.data[t] = saved - h;
    const double minus = f();
    x.data[t] = saved;
    g.data[t] = (plus - minus) / (2 * h);
  }
  return g;
}

// 0.5 ||O - E||^2 with O from the long-double reference forward.
double reference_loss(const AttentionInstance& inst, const DenseMatrix& e) {
  const AttentionOutput o = reference_attention(inst, inst.scale);
  long double loss = 0;
  for (std::size_t t = 0; t < o.o.size(); ++t) {
    const long double r = (long double)o.o[t] - e.data[t];
    loss += r * r;
  }
  return double(loss / 2);
}

bool same_bits(const DenseMatrix& a, const DenseMatrix& b) {
  return a.rows == b.rows && a.cols == b.cols &&
         std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(double)) == 0;
}

bool same_bits(const AttentionGradient& a, const AttentionGradient& b) {
  if (std::memcmp(&a.loss, &b.loss, sizeof(double)) != 0 || !same_bits(a.d_q, b.d_q) || !same_bits(a.o, b.o))
    return false;
  if (a.d_keys.size() != b.d_keys.size() || a.d_values.size() != b.d_values.size()) return false;
  for (std::size_t p = 0; p < a.d_keys.size(); ++p)
    if (!same_bits(a.d_keys[p], b.d_keys[p]) || !same_bits(a.d_values[p], b.d_values[p])) return false;
  return true;
}

struct Shape {
  std::vector<std::size_t> lengths;  // n_q, n_1, ..
  std::size_t d, dv;
};

// Every gradient of the exact backward against finite differences.
void check_against_finite_differences(const Shape& shape, unsigned seed, const GradientTuning& tuning) {
  AttentionInstance inst = random_attention(seed, shape.lengths, shape.d, shape.dv, 1.5);
  std::mt19937_64 rng(seed + 1000);
  const DenseMatrix e = random_matrix(rng, shape.lengths[0], shape.dv, 1.0, false);
  GradientOptions options;
  options.tuning = tuning;
  const AttentionGradient g = exact_attention_gradient(inst, e, options);
  auto loss = [&] { return reference_loss(inst, e); };
  EXPECT_NEAR(g.loss, loss(), 1e-12 * std::max(1.0, g.loss));
  const std::string what = "k = " + std::to_string(inst.k) + ", seed " + std::to_string(seed);
  EXPECT_LE(relative_error(g.d_q, finite_differences(inst.q, loss)), 1e-6) << "dQ, " << what;
  for (std::size_t p = 0; p < inst.keys.size(); ++p) {
    EXPECT_LE(relative_error(g.d_keys[p], finite_differences(inst.keys[p], loss)), 1e-6)
        << "dK" << p + 1 << ", " << what;
    EXPECT_LE(relative_error(g.d_values[p], finite_differences(inst.values[p], loss)), 1e-6)
        << "dV" << p + 1 << ", " << what;
  }
}

GradientTuning tiny_tiles() {
  GradientTuning t;
  t.tile_a = 2;
  t.tile_b = 3;
  t.max_chunks = 3;
  return t;
}

const std::vector<Shape> kShapes = {
    {{5, 7}, 3, 2},         // k = 2
    {{6, 1}, 2, 3},         // k = 2, a single key
    {{4, 3, 5}, 3, 2},      // k = 3, all sides different
    {{7, 5, 2}, 2, 4},      // k = 3, d_v > d
    {{3, 2, 3, 4}, 2, 3},   // k = 4
    {{2, 3, 1, 2, 2}, 2, 2} // k = 5
};

TEST(gradient_exact, MatchesFiniteDifferences) {
  for (std::size_t s = 0; s < kShapes.size(); ++s) {
    for (unsigned seed = 1; seed <= 3; ++seed) {
      check_against_finite_differences(kShapes[s], unsigned(100 * s) + seed, GradientTuning{});
      check_against_finite_differences(kShapes[s], unsigned(100 * s) + seed + 50, tiny_tiles());
    }
  }
}

TEST(gradient_exact, MatchesTheTextbookReference) {
  const std::vector<Shape> shapes = {{{40, 33}, 4, 3}, {{20, 17, 33}, 4, 4}, {{9, 5, 6, 7}, 3, 2}};
  for (const Shape& shape : shapes) {
    for (bool tiny : {false, true}) {
      const AttentionInstance inst = random_attention(7, shape.lengths, shape.d, shape.dv, 2.0);
      std::mt19937_64 rng(8);
      const DenseMatrix e = random_matrix(rng, shape.lengths[0], shape.dv, 1.0, false);
      GradientOptions options;
      if (tiny) options.tuning = tiny_tiles();
      const AttentionGradient got = exact_attention_gradient(inst, e, options);
      const AttentionGradient want = reference_attention_gradient(inst, e, inst.scale);
      EXPECT_NEAR(got.loss, want.loss, 1e-12 * want.loss);
      EXPECT_LE(relative_error(got.o, want.o), 1e-13);
      EXPECT_LE(relative_error(got.d_q, want.d_q), 1e-11) << "k = " << inst.k;
      for (std::size_t p = 0; p < inst.keys.size(); ++p) {
        EXPECT_LE(relative_error(got.d_keys[p], want.d_keys[p]), 1e-11) << "dK" << p + 1;
        EXPECT_LE(relative_error(got.d_values[p], want.d_values[p]), 1e-11) << "dV" << p + 1;
      }
    }
  }
}

TEST(gradient_exact, ScaleOptionOverridesTheInstance) {
  AttentionInstance inst = random_attention(3, {4, 3, 5}, 3, 2, 1.0);
  std::mt19937_64 rng(4);
  const DenseMatrix e = random_matrix(rng, 4, 2, 1.0, false);
  GradientOptions options;
  options.scale = 0.8;
  const AttentionGradient got = exact_attention_gradient(inst, e, options);
  const AttentionGradient want = reference_attention_gradient(inst, e, 0.8);
  EXPECT_LE(relative_error(got.d_q, want.d_q), 1e-11);
  EXPECT_GT(relative_error(exact_attention_gradient(inst, e).d_q, want.d_q), 1e-3) << "the scale must matter";
}

TEST(gradient_exact, SameBitsWithOneAndTwoThreadsAndRunToRun) {
  const std::vector<Shape> shapes = {{{61, 40}, 4, 4}, {{57, 30, 45}, 4, 4}, {{23, 6, 7, 9}, 3, 2}};
  for (const Shape& shape : shapes) {
    const AttentionInstance inst = random_attention(11, shape.lengths, shape.d, shape.dv, 1.0);
    std::mt19937_64 rng(12);
    const DenseMatrix e = random_matrix(rng, shape.lengths[0], shape.dv, 1.0, false);
    for (const GradientTuning& tuning : {GradientTuning{}, tiny_tiles()}) {
      GradientOptions one, two;
      one.threads = 1;
      two.threads = 2;
      one.tuning = two.tuning = tuning;
      const AttentionGradient a = exact_attention_gradient(inst, e, one);
      const AttentionGradient b = exact_attention_gradient(inst, e, two);
      const AttentionGradient c = exact_attention_gradient(inst, e, two);
      EXPECT_GT(a.chunks, 1u);
      EXPECT_TRUE(same_bits(a, b)) << "1 vs 2 threads, k = " << inst.k;
      EXPECT_TRUE(same_bits(b, c)) << "2 threads, run to run, k = " << inst.k;
    }
  }
}

TEST(gradient_exact, BadInputIsReported) {
  const AttentionInstance inst = random_attention(1, {4, 3, 5}, 3, 2, 1.0);
  try {
    exact_attention_gradient(inst, DenseMatrix(4, 3));
    FAIL() << "a target of the wrong shape was accepted";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("target E is 4 x 3 but O is n_q x d_v = 4 x 2"));
  }
  DenseMatrix nan_target(4, 2);
  nan_target(2, 1) = std::nan("");
  EXPECT_THROW(exact_attention_gradient(inst, nan_target), InputError);
  GradientOptions bad;
  bad.threads = -1;
  EXPECT_THROW(exact_attention_gradient(inst, DenseMatrix(4, 2), bad), InputError);
  AttentionInstance huge = inst;
  huge.scale = 1e308;
  for (double& v : huge.q.data) v = 100.0;
  try {
    exact_attention_gradient(huge, DenseMatrix(4, 2));
    FAIL() << "overflowing scores were accepted";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("overflow"));
  }
}

// ---- paper 002, Definition 1, built literally ------------------------------

DenseMatrix mul(const DenseMatrix& a, const DenseMatrix& b) {
  DenseMatrix c(a.rows, b.cols);
  for (std::size_t i = 0; i < a.rows; ++i)
    for (std::size_t t = 0; t < a.cols; ++t)
      for (std::size_t j = 0; j < b.cols; ++j) c(i, j) += a(i, t) * b(t, j);
  return c;
}
DenseMatrix transpose(const DenseMatrix& a) {
  DenseMatrix t(a.cols, a.rows);
  for (std::size_t i = 0; i < a.rows; ++i)
    for (std::size_t j = 0; j < a.cols; ++j) t(j, i) = a(i, j);
  return t;
}
// Paper 001 Definition 2.3, with its 1-based indices:
// K_{i1 + (i2-1) n, j1 + (j2-1) d} = (K1)_{i1,j1} (K2)_{i2,j2}.
DenseMatrix literal_kronecker(const DenseMatrix& k1, const DenseMatrix& k2) {
  const std::size_t n = k1.rows, d = k1.cols;
  DenseMatrix k(k1.rows * k2.rows, k1.cols * k2.cols);
  for (std::size_t i1 = 1; i1 <= k1.rows; ++i1)
    for (std::size_t i2 = 1; i2 <= k2.rows; ++i2)
      for (std::size_t j1 = 1; j1 <= k1.cols; ++j1)
        for (std::size_t j2 = 1; j2 <= k2.cols; ++j2)
          k(i1 + (i2 - 1) * n - 1, j1 + (j2 - 1) * d - 1) = k1(i1 - 1, j1 - 1) * k2(i2 - 1, j2 - 1);
  return k;
}
// Definition 2.4: K_{i1 + (i2-1) n, j} = (K1)_{i1,j} (K2)_{i2,j}.
DenseMatrix literal_column_kronecker(const DenseMatrix& k1, const DenseMatrix& k2) {
  const std::size_t n = k1.rows;
  DenseMatrix k(k1.rows * k2.rows, k1.cols);
  for (std::size_t i1 = 1; i1 <= k1.rows; ++i1)
    for (std::size_t i2 = 1; i2 <= k2.rows; ++i2)
      for (std::size_t j = 1; j <= k1.cols; ++j) k(i1 + (i2 - 1) * n - 1, j - 1) = k1(i1 - 1, j - 1) * k2(i2 - 1, j - 1);
  return k;
}

struct Literal {
  DenseMatrix a, o;  // exp(S) (n x n^2) and D^{-1} A (A4 (x) A5) Y (n x d)
  DenseMatrix vv;    // (A4 (x) A5) Y, n^2 x d
  DenseMatrix kron;  // A2 (x) A3, n^2 x d^2
  std::vector<double> dsum;
  double loss = 0;
};

// Definition 1 of paper 002 at a given X, matrices and all.
Literal literal_loss(const PaperInstance& p, const DenseMatrix& x) {
  const double d = double(p.d());
  Literal l;
  l.kron = literal_kronecker(p.a2, p.a3);
  DenseMatrix s = mul(mul(p.a1, x), transpose(l.kron));  // n x n^2
  l.a = s;
  for (double& v : l.a.data) v = std::exp(v / d);
  l.vv = mul(literal_kronecker(p.a4, p.a5), literal_column_kronecker(p.y1, p.y2));
  l.o = mul(l.a, l.vv);
  l.dsum.assign(l.a.rows, 0.0);
  for (std::size_t i = 0; i < l.a.rows; ++i) {
    for (std::size_t j = 0; j < l.a.cols; ++j) l.dsum[i] += l.a(i, j);
    for (std::size_t c = 0; c < l.o.cols; ++c) l.o(i, c) /= l.dsum[i];
  }
  for (std::size_t t = 0; t < l.o.data.size(); ++t) {
    const double r = l.o.data[t] - p.e.data[t];
    l.loss += 0.5 * r * r;
  }
  return l;
}

DenseMatrix literal_x(const PaperInstance& p) {
  return mul(p.x1, transpose(literal_column_kronecker(p.x2, p.x3)));
}

TEST(gradient_paper, KroneckerProductsFollowDefinitions23And24) {
  DenseMatrix a(2, 2), b(2, 2);
  a.data = {1, 2, 3, 4};
  b.data = {5, 6, 7, 8};
  const DenseMatrix k = kronecker(a, b);
  // 0-based (1, 0): i1 = 1, i2 = 0, j1 = j2 = 0 -> a(1,0) b(0,0) = 15
  // (numpy.kron would give a(0,0) b(1,0) = 7 there).
  EXPECT_EQ(k(1, 0), 15);
  EXPECT_EQ(k(0, 1), 10);  // j1 = 1: a(0,1) b(0,0)
  EXPECT_TRUE(same_bits(k, literal_kronecker(a, b)));
  const DenseMatrix c = column_kronecker(a, b);
  EXPECT_EQ(c(1, 0), 15);
  EXPECT_EQ(c(2, 1), 16);  // i1 = 0, i2 = 1: a(0,1) b(1,1) = 2 * 8
  EXPECT_TRUE(same_bits(c, literal_column_kronecker(a, b)));
  const PaperInstance p = random_paper(5, 3, 2, 4, 3);
  EXPECT_LE(relative_error(paper_x(p), literal_x(p)), 1e-15);
}

TEST(gradient_paper, DxMatchesFiniteDifferencesOfTheLiteralLoss) {
  struct Case {
    std::size_t nq, n1, n2, d;
    double bound;
  };
  for (const Case& c : {Case{3, 3, 3, 2, 1.0}, Case{4, 2, 3, 3, 1.0}, Case{2, 4, 3, 2, 2.0}}) {
    for (unsigned seed = 1; seed <= 2; ++seed) {
      const PaperInstance p = random_paper(seed * 31 + unsigned(c.d), c.nq, c.n1, c.n2, c.d, c.bound);
      const PaperGradient g = paper_gradient(p);
      DenseMatrix x = literal_x(p);
      const Literal at = literal_loss(p, x);
      EXPECT_NEAR(g.loss, at.loss, 1e-12 * std::max(1.0, at.loss));
      const DenseMatrix fd = finite_differences(x, [&] { return literal_loss(p, x).loss; });
      EXPECT_EQ(g.d_x.rows, c.d);
      EXPECT_EQ(g.d_x.cols, c.d * c.d);
      EXPECT_LE(relative_error(g.d_x, fd), 1e-6) << "dX, d = " << c.d;

      // The closed form A1^T G (A2 (x) A3) / d with G = dLoss/dS literal.
      DenseMatrix gmat(at.a.rows, at.a.cols);
      for (std::size_t i = 0; i < gmat.rows; ++i) {
        double delta = 0;
        std::vector<double> dout(at.o.cols);
        for (std::size_t t = 0; t < at.o.cols; ++t) {
          dout[t] = at.o(i, t) - p.e(i, t);
          delta += dout[t] * at.o(i, t);
        }
        for (std::size_t j = 0; j < gmat.cols; ++j) {
          double dp = 0;
          for (std::size_t t = 0; t < at.o.cols; ++t) dp += dout[t] * at.vv(j, t);
          gmat(i, j) = at.a(i, j) / at.dsum[i] * (dp - delta);
        }
      }
      DenseMatrix closed = mul(mul(transpose(p.a1), gmat), at.kron);
      for (double& v : closed.data) v /= double(c.d);
      EXPECT_LE(relative_error(g.d_x, closed), 1e-12);
    }
  }
}

TEST(gradient_paper, FactorGradientsMatchFiniteDifferences) {
  PaperInstance p = random_paper(77, 3, 4, 2, 2);
  const PaperGradient g = paper_gradient(p);
  auto loss = [&] { return literal_loss(p, literal_x(p)).loss; };
  EXPECT_LE(relative_error(g.d_x1, finite_differences(p.x1, loss)), 1e-6) << "dX1";
  EXPECT_LE(relative_error(g.d_x2, finite_differences(p.x2, loss)), 1e-6) << "dX2";
  EXPECT_LE(relative_error(g.d_x3, finite_differences(p.x3, loss)), 1e-6) << "dX3";
  EXPECT_LE(relative_error(g.d_y1, finite_differences(p.y1, loss)), 1e-6) << "dY1";
  EXPECT_LE(relative_error(g.d_y2, finite_differences(p.y2, loss)), 1e-6) << "dY2";
}

TEST(gradient_paper, DxAgreesWithTheChainRuleThroughQAndK) {
  for (unsigned seed = 1; seed <= 3; ++seed) {
    const std::size_t d = 2 + seed;
    const PaperInstance p = random_paper(seed, 30 + seed, 17, 25, d);
    GradientOptions options;
    options.tuning = tiny_tiles();
    const PaperGradient g = paper_gradient(p, options);
    // X = X1 W^T, W = X2 o/ X3 (d^2 x d): dX1 = dX W, dW = dX^T X1 and
    // dX2[b1,c] = sum_b2 dW[b1 + b2 d, c] X3[b2,c], dX3[b2,c] = sum_b1 dW[..] X2[b1,c].
    const DenseMatrix w = literal_column_kronecker(p.x2, p.x3);
    const DenseMatrix dw = mul(transpose(g.d_x), p.x1);
    DenseMatrix dx2(d, d), dx3(d, d);
    for (std::size_t b1 = 0; b1 < d; ++b1)
      for (std::size_t b2 = 0; b2 < d; ++b2)
        for (std::size_t c = 0; c < d; ++c) {
          dx2(b1, c) += dw(b1 + b2 * d, c) * p.x3(b2, c);
          dx3(b2, c) += dw(b1 + b2 * d, c) * p.x2(b1, c);
        }
    // A1^T dQ, A2^T dK1, A3^T dK2 (what paper_gradient returns), from dX.
    EXPECT_LE(relative_error(mul(g.d_x, w), g.d_x1), 1e-10);
    EXPECT_LE(relative_error(mul(transpose(p.a1), g.attention.d_q), g.d_x1), 1e-12);
    EXPECT_LE(relative_error(dx2, g.d_x2), 1e-10);
    EXPECT_LE(relative_error(mul(transpose(p.a2), g.attention.d_keys[0]), g.d_x2), 1e-12);
    EXPECT_LE(relative_error(dx3, g.d_x3), 1e-10);
    EXPECT_LE(relative_error(mul(transpose(p.a3), g.attention.d_keys[1]), g.d_x3), 1e-12);
    // Same dQ, dK, dV as the attention form on Q = A1 X1, ...
    const AttentionGradient direct = exact_attention_gradient(paper_attention_instance(p), p.e, options);
    EXPECT_TRUE(same_bits(direct, g.attention));
  }
}

TEST(gradient_paper, SameBitsWithOneAndTwoThreads) {
  const PaperInstance p = random_paper(9, 53, 21, 34, 4);
  for (const GradientTuning& tuning : {GradientTuning{}, tiny_tiles()}) {
    GradientOptions one, two;
    one.threads = 1;
    two.threads = 2;
    one.tuning = two.tuning = tuning;
    const PaperGradient a = paper_gradient(p, one);
    const PaperGradient b = paper_gradient(p, two);
    const PaperGradient c = paper_gradient(p, two);
    EXPECT_TRUE(same_bits(a.d_x, b.d_x));
    EXPECT_TRUE(same_bits(b.d_x, c.d_x));
    EXPECT_TRUE(same_bits(a.d_y2, b.d_y2));
    EXPECT_TRUE(same_bits(a.attention, b.attention));
  }
}

TEST(gradient_paper, BadInputNamesTheMatrix) {
  PaperInstance p = random_paper(1, 3, 3, 3, 2);
  p.a4 = DenseMatrix(2, 2);
  try {
    paper_gradient(p);
    FAIL() << "A4 with the wrong row count was accepted";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("A4: has 2 rows but A2 has 3"));
  }
  p = random_paper(1, 3, 3, 3, 2);
  p.x2 = DenseMatrix(2, 3);
  try {
    paper_gradient(p);
    FAIL() << "a 2 x 3 X2 was accepted";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("X2: has shape 2 x 3; X2 must be d x d with d = 2"));
  }
  p = random_paper(1, 3, 3, 3, 2);
  p.e(0, 0) = std::numeric_limits<double>::infinity();
  EXPECT_THROW(paper_gradient(p), InputError);
  p = random_paper(1, 3, 3, 3, 2);
  GradientOptions other_scale;
  other_scale.scale = 0.3;
  EXPECT_THROW(paper_gradient(p, other_scale), InputError);
}

}  // namespace
