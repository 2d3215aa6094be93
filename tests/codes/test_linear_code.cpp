// Tests of codes/linear_code and codes/linear_algebra: the systematic code
// interface of paper 001, Theorem 4.4 (systematicity, membership, distance,
// k-way closure) on codes given only by a generator matrix.
#include <gtest/gtest.h>

#include <set>

#include "codes/linear_code.hpp"
#include "codes_test_support.hpp"
#include "core/errors.hpp"

namespace sethkit::codes {
namespace {
Matrix random_matrix(const Field& f, std::size_t rows, std::size_t cols, std::mt19937_64& rng) {
  Matrix m(rows, cols);
  for (std::size_t i = 0; i < rows; ++i)
    for (std::size_t j = 0; j < cols; ++j) m(i, j) = test::random_element(f, rng);
  return m;
}

// Independent of NTL: the dimension of a row space by plain elimination.
std::size_t naive_rank(const Field& f, Matrix m) {
  std::size_t rank = 0;
  for (std::size_t c = 0; c < m.cols() && rank < m.rows(); ++c) {
    std::size_t pivot = rank;
    while (pivot < m.rows() && m(pivot, c) == 0) ++pivot;
    if (pivot == m.rows()) continue;
    for (std::size_t j = 0; j < m.cols(); ++j) std::swap(m(rank, j), m(pivot, j));
    const Element inv = f.inv(m(rank, c));
    for (std::size_t i = 0; i < m.rows(); ++i) {
      if (i == rank || m(i, c) == 0) continue;
      const Element factor = f.mul(m(i, c), inv);
      for (std::size_t j = 0; j < m.cols(); ++j) m(i, j) = f.sub(m(i, j), f.mul(factor, m(rank, j)));
    }
    ++rank;
  }
  return rank;
}

// Codewords by brute force: all |F|^rows combinations in index order.
std::set<std::vector<Element>> brute_span(const Field& f, const Matrix& basis) {
  std::set<std::vector<Element>> words;
  std::vector<Element> coeff(basis.rows(), 0);
  for (;;) {
    std::vector<Element> w(basis.cols(), 0);
    for (std::size_t i = 0; i < basis.rows(); ++i)
      for (std::size_t j = 0; j < basis.cols(); ++j) w[j] = f.add(w[j], f.mul(coeff[i], basis(i, j)));
    words.insert(w);
    std::size_t t = 0;
    while (t < coeff.size() && coeff[t] == f.size() - 1) coeff[t++] = 0;
    if (t == coeff.size()) break;
    ++coeff[t];
  }
  return words;
}

TEST(codes_linear_code, SystematicFormOfRandomGenerators) {
  std::mt19937_64 rng(10);
  for (auto fp : {Field::prime(2), Field::prime(7), Field::quadratic(3), Field::quadratic(5)}) {
    const Field& f = *fp;
    for (int rep = 0; rep < 30 * test::test_repeat(); ++rep) {
      const std::size_t n = 1 + rng() % 12, rows = 1 + rng() % (n + 2);
      Matrix g = random_matrix(f, rows, n, rng);
      if (rep % 5 == 0 && rows > 1) {  // force a dependent row
        for (std::size_t j = 0; j < n; ++j) g(rows - 1, j) = f.add(g(0, j), f.mul(2 % f.size(), g(rows - 2, j)));
      }
      if (naive_rank(f, g) == 0) continue;
      LinearCode code(fp, g, "random");
      SCOPED_TRACE(f.name() + " n=" + std::to_string(n));
      EXPECT_EQ(code.dimension(), naive_rank(f, g));
      ASSERT_EQ(code.information_set().size(), code.dimension());
      const Matrix& sys = code.generator();
      for (std::size_t i = 0; i < code.dimension(); ++i)
        for (std::size_t c = 0; c < code.dimension(); ++c)
          EXPECT_EQ(sys(i, code.information_set()[c]), i == c ? 1u : 0u);
      // Same row space: stacking adds no rank.
      Matrix both = g;
      for (std::size_t i = 0; i < sys.rows(); ++i) both.append_row(sys.row(i));
      EXPECT_EQ(naive_rank(f, both), code.dimension());
      // Every original row is a codeword.
      for (std::size_t i = 0; i < g.rows(); ++i) EXPECT_TRUE(code.contains(g.row(i)));
      // H G^T = 0 and H has full rank n - k.
      const Matrix h = code.parity_check();
      EXPECT_EQ(h.rows(), n - code.dimension());
      if (h.rows() > 0) {
        const Matrix hg = multiply(f, h, transpose(sys));
        for (Element e : hg.entries()) EXPECT_EQ(e, 0u);
        EXPECT_EQ(naive_rank(f, h), h.rows());
      }
    }
  }
}

TEST(codes_linear_code, EncodeIsSystematicAndMembershipIsExact) {
  std::mt19937_64 rng(11);
  auto fp = Field::quadratic(3);
  const Field& f = *fp;
  for (int rep = 0; rep < 50 * test::test_repeat(); ++rep) {
    const std::size_t n = 2 + rng() % 10, rows = 1 + rng() % (n - 1);
    Matrix g = random_matrix(f, rows, n, rng);
    if (naive_rank(f, g) == 0) continue;
    LinearCode code(fp, g);
    const auto m = test::random_message(f, code.dimension(), rng);
    const auto c = code.encode(m);
    for (std::size_t i = 0; i < m.size(); ++i) EXPECT_EQ(c[code.information_set()[i]], m[i]);
    EXPECT_EQ(code.message_of(c), m);
    EXPECT_TRUE(code.contains(c));
    for (std::size_t j = 0; j < n; ++j) EXPECT_EQ(code.symbol(m, j), c[j]);
    // Membership agrees with the syndrome H c^T = 0 on arbitrary words.
    const Matrix h = code.parity_check();
    for (int t = 0; t < 5; ++t) {
      std::vector<Element> w = c;
      w[rng() % n] = test::random_element(f, rng);
      bool zero_syndrome = true;
      for (std::size_t a = 0; a < h.rows(); ++a) zero_syndrome &= f.dot(h.row(a), w) == 0;
      EXPECT_EQ(code.contains(w), zero_syndrome);
    }
  }
}

TEST(codes_linear_code, EnumerationVisitsEveryCodewordOnce) {
  std::mt19937_64 rng(12);
  for (auto fp : {Field::prime(2), Field::prime(3), Field::quadratic(2), Field::quadratic(3)}) {
    const Field& f = *fp;
    for (int rep = 0; rep < 10; ++rep) {
      const std::size_t n = 3 + rng() % 5;
      LinearCode code(fp, random_matrix(f, 1 + rng() % 3, n, rng));
      std::set<std::vector<Element>> seen;
      std::size_t visits = 0;
      for_each_codeword(f, code.generator(), [&](std::span<const Element> w) {
        ++visits;
        seen.insert(std::vector<Element>(w.begin(), w.end()));
        EXPECT_TRUE(code.contains(w));
      });
      EXPECT_EQ(visits, *span_size(f, code.dimension()));
      EXPECT_EQ(seen, brute_span(f, code.generator()));
      const auto weights = weight_distribution(f, code.generator());
      std::vector<std::uint64_t> expect(n + 1, 0);
      for (const auto& w : seen) ++expect[hamming_weight(w)];
      EXPECT_EQ(weights, expect);
    }
  }
  auto f = Field::quadratic(5);
  EXPECT_THROW(for_each_codeword(*f, Matrix(6, 4), [](std::span<const Element>) {}, 1000), SizeLimitError);
}

TEST(codes_linear_code, MinimumDistanceDirectAndDualAgree) {
  std::mt19937_64 rng(13);
  for (auto fp : {Field::prime(2), Field::prime(5), Field::quadratic(2), Field::quadratic(3)}) {
    const Field& f = *fp;
    for (int rep = 0; rep < 12 * test::test_repeat(); ++rep) {
      const std::size_t n = 2 + rng() % 7;
      // At most 4 rows so the brute-force set below stays small.
      const Matrix g = random_matrix(f, 1 + rng() % std::min<std::size_t>(n - 1, 4), n, rng);
      if (naive_rank(f, g) == 0) continue;
      LinearCode code(fp, g);
      if (code.dimension() == n) continue;
      const MinimumDistance direct = code.minimum_distance(kDefaultEnumerationLimit, DistanceMethod::direct);
      const MinimumDistance dual = code.minimum_distance(kDefaultEnumerationLimit, DistanceMethod::dual);
      ASSERT_TRUE(direct.value && dual.value);
      EXPECT_EQ(*direct.value, *dual.value) << f.name() << " n=" << n << " k=" << code.dimension();
      EXPECT_EQ(direct.method, "enumeration");
      EXPECT_EQ(dual.method, "dual enumeration + MacWilliams identity");
      // Brute force: the lightest nonzero codeword.
      std::size_t best = n + 1;
      for (const auto& w : brute_span(f, code.generator()))
        if (hamming_weight(w) > 0) best = std::min(best, hamming_weight(w));
      EXPECT_EQ(*direct.value, best);
    }
  }
}

TEST(codes_linear_code, MinimumDistanceIsUnknownNotGuessedBeyondTheLimit) {
  std::mt19937_64 rng(14);
  auto fp = Field::quadratic(5);
  LinearCode code(fp, random_matrix(*fp, 8, 20, rng));
  ASSERT_EQ(code.dimension(), 8u);
  const MinimumDistance d = code.minimum_distance(1000);  // 25^8 and 25^12 are both over
  EXPECT_FALSE(d.value.has_value());
  EXPECT_EQ(d.method, "");
}

TEST(codes_linear_code, VanishingSubcode) {
  std::mt19937_64 rng(15);
  auto fp = Field::prime(5);
  const Field& f = *fp;
  for (int rep = 0; rep < 30 * test::test_repeat(); ++rep) {
    const std::size_t n = 4 + rng() % 8;
    LinearCode code(fp, random_matrix(f, 1 + rng() % n, n, rng));
    std::vector<std::size_t> positions;
    for (std::size_t j = 0; j < n; ++j)
      if (rng() % 3 == 0) positions.push_back(j);
    const Matrix v = code.vanishing_subcode(positions);
    // Independent rows, all codewords, all zero on the positions.
    if (v.rows() > 0) {
      EXPECT_EQ(naive_rank(f, v), v.rows());
    }
    for (std::size_t i = 0; i < v.rows(); ++i) {
      EXPECT_TRUE(code.contains(v.row(i)));
      for (std::size_t j : positions) EXPECT_EQ(v(i, j), 0u);
    }
    // Dimension: k - rank(G[:, positions]).
    const std::size_t expect = code.dimension() - naive_rank(f, select_columns(code.generator(), positions));
    EXPECT_EQ(v.rows(), expect);
    // Brute force count when small.
    if (code.dimension() <= 5) {
      std::size_t count = 0;
      for (const auto& w : brute_span(f, code.generator())) {
        bool zero = true;
        for (std::size_t j : positions) zero &= w[j] == 0;
        count += zero;
      }
      EXPECT_EQ(count, *span_size(f, v.rows()));
    }
  }
}

TEST(codes_linear_code, SchurPowerContainsAllProductsAndIsSpannedByThem) {
  std::mt19937_64 rng(16);
  auto fp = Field::quadratic(3);
  const Field& f = *fp;
  for (int rep = 0; rep < 10 * test::test_repeat(); ++rep) {
    const std::size_t n = 6 + rng() % 6;
    LinearCode code(fp, random_matrix(f, 2, n, rng));
    if (code.dimension() != 2) continue;
    for (int k : {1, 2, 3}) {
      const LinearCode power = code.schur_power(k);
      auto generic = code.product(k);
      EXPECT_EQ(generic->dimension(), power.dimension());
      for (int t = 0; t < 50; ++t) {
        std::vector<std::vector<Element>> words;
        for (int i = 0; i < k; ++i) words.push_back(code.encode(test::random_message(f, code.dimension(), rng)));
        EXPECT_TRUE(power.contains(entrywise_product(f, words)));
      }
      // Spanned by products of generator rows: for dimension 2 these are
      // g0^a g1^(k-a), a = 0..k.
      Matrix products;
      for (int a = 0; a <= k; ++a) {
        std::vector<Element> w(n, 1);
        for (std::size_t j = 0; j < n; ++j) {
          w[j] = f.mul(f.pow(code.generator()(0, j), std::uint64_t(a)), f.pow(code.generator()(1, j), std::uint64_t(k - a)));
        }
        products.append_row(w);
      }
      EXPECT_EQ(power.dimension(), naive_rank(f, products));
    }
  }
  Matrix g(1, 3);
  g(0, 1) = 1;
  EXPECT_THROW(LinearCode(fp, g).schur_power(0), InputError);
  EXPECT_THROW(LinearCode(fp, g).product(-1), InputError);
}

TEST(codes_linear_code, DegenerateInputsAreRefused) {
  auto fp = Field::prime(3);
  EXPECT_THROW(LinearCode(fp, Matrix(2, 3)), InputError);  // zero generator
  EXPECT_THROW(LinearCode(fp, Matrix(1, 0)), InputError);  // no positions
  Matrix bad(1, 2);
  bad(0, 0) = 7;  // not an element of F_3
  EXPECT_THROW(LinearCode(fp, bad), InputError);
  Matrix g(1, 3);
  g(0, 0) = 1;
  LinearCode c(fp, g);
  EXPECT_THROW(c.encode(std::vector<Element>{1, 2}), std::invalid_argument);
  EXPECT_THROW(c.contains(std::vector<Element>{1}), std::invalid_argument);
  EXPECT_FALSE(c.contains(std::vector<Element>{5, 0, 0}));
  EXPECT_EQ(c.dual().dimension(), 2u);
}

TEST(codes_linear_algebra, QuadraticEliminationThroughPrimeFieldMatchesMatZzpE) {
  // The F_{p^2} fast path (F_p coordinates, mat_zz_p) against NTL's
  // mat_zz_pE directly, on random matrices of every rank.
  std::mt19937_64 rng(18);
  for (int p : {2, 3, 5, 7}) {
    auto fp = Field::quadratic(p);
    const Field& f = *fp;
    for (int rep = 0; rep < 40 * test::test_repeat(); ++rep) {
      const std::size_t rows = 1 + rng() % 8, cols = 1 + rng() % 10, rank_target = 1 + rng() % rows;
      // A product of random rows x rank_target and rank_target x cols
      // matrices, with some zero columns, has rank <= rank_target.
      Matrix a = multiply(f, random_matrix(f, rows, rank_target, rng), random_matrix(f, rank_target, cols, rng));
      for (std::size_t j = 0; j < cols; ++j) {
        if (rng() % 4 == 0) {
          for (std::size_t i = 0; i < rows; ++i) a(i, j) = 0;
        }
      }
      const RowEchelon fast = reduced_row_echelon(f, a);
      const RowEchelon reference = reduced_row_echelon_reference(f, a);
      ASSERT_EQ(fast.rank, naive_rank(f, a));
      ASSERT_EQ(fast.rank, reference.rank);
      ASSERT_EQ(fast.pivots, reference.pivots);
      ASSERT_EQ(fast.basis, reference.basis) << f.name() << " " << rows << "x" << cols;
    }
  }
}

TEST(codes_linear_algebra, InverseAndKernelAgainstDefinitions) {
  std::mt19937_64 rng(17);
  for (auto fp : {Field::prime(7), Field::quadratic(5)}) {
    const Field& f = *fp;
    for (int rep = 0; rep < 20; ++rep) {
      const std::size_t s = 1 + rng() % 6;
      Matrix a = random_matrix(f, s, s, rng);
      if (naive_rank(f, a) == s) {
        const Matrix inv = inverse(f, a);
        const Matrix id = multiply(f, a, inv);
        for (std::size_t i = 0; i < s; ++i)
          for (std::size_t j = 0; j < s; ++j) EXPECT_EQ(id(i, j), i == j ? 1u : 0u);
      } else {
        EXPECT_THROW(inverse(f, a), InputError);
      }
      const Matrix b = random_matrix(f, s + 2, s, rng);
      const Matrix k = left_kernel(f, b);
      EXPECT_EQ(k.rows(), s + 2 - naive_rank(f, b));
      const Matrix kb = multiply(f, k, b);
      for (Element e : kb.entries()) EXPECT_EQ(e, 0u);
    }
  }
}

}  // namespace
}  // namespace sethkit::codes
