// Tests of codes/reed_solomon, the stand-in for the AG codes of paper 001,
// Theorem 4.4 in the protocol of Theorem 4.5: a known answer, systematic
// encoding by interpolation, MDS distance n - r + 1 by enumeration, and the
// k-way closure C^(k) = RS_{k(r-1)+1} (DESIGN.md "kOV -> Gap-k-MaxIP").
#include <gtest/gtest.h>

#include "codes/reed_solomon.hpp"
#include "codes_test_support.hpp"
#include "core/errors.hpp"

namespace sethkit::codes {
namespace {
TEST(codes_reed_solomon, KnownAnswerGF11) {
  auto f = Field::prime(11);
  const ReedSolomonCode rs = ReedSolomonCode::first_points(f, 10, 3);
  const std::vector<Element> expect = {10, 3, 9, 6, 5, 6, 9, 3, 10, 8};
  // x^2 + 3x + 10 at 0..9.
  EXPECT_EQ(rs.evaluate_polynomial(std::vector<Element>{10, 3, 1}), expect);
  // Systematic: the same word from its values at the first three points.
  EXPECT_EQ(rs.encode(std::vector<Element>{10, 3, 9}), expect);
  EXPECT_EQ(rs.polynomial_of(expect), (std::vector<Element>{10, 3, 1}));
  EXPECT_TRUE(rs.contains(expect));
  EXPECT_EQ(rs.information_set(), (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(rs.designed_distance(), std::optional<std::size_t>(8));
  std::vector<Element> corrupted = expect;
  corrupted[9] = 7;
  EXPECT_FALSE(rs.contains(corrupted));
}

TEST(codes_reed_solomon, LagrangeGeneratorEqualsNtlSystematicFormOfVandermonde) {
  for (auto fp : {Field::prime(13), Field::quadratic(3), Field::quadratic(5)}) {
    const Field& f = *fp;
    for (std::size_t n : {1ul, 5ul, std::size_t(f.size())}) {
      for (std::size_t r = 1; r <= n; r += 2) {
        const ReedSolomonCode rs = ReedSolomonCode::first_points(fp, n, r);
        Matrix vandermonde(r, n);
        for (std::size_t i = 0; i < r; ++i)
          for (std::size_t j = 0; j < n; ++j) vandermonde(i, j) = f.pow(rs.points()[j], i);
        const LinearCode generic(fp, vandermonde);
        EXPECT_EQ(generic.information_set(), rs.information_set());
        EXPECT_EQ(generic.generator(), rs.generator()) << f.name() << " n=" << n << " r=" << r;
      }
    }
  }
}

TEST(codes_reed_solomon, SystematicEncodingAndInterpolationRoundTrip) {
  std::mt19937_64 rng(20);
  for (auto fp : {Field::prime(17), Field::quadratic(7)}) {
    const Field& f = *fp;
    for (int rep = 0; rep < 200 * test::test_repeat(); ++rep) {
      const std::size_t n = 1 + rng() % f.size(), r = 1 + rng() % n;
      // Arbitrary distinct points, not just the first n.
      std::vector<Element> points = f.elements();
      std::shuffle(points.begin(), points.end(), rng);
      points.resize(n);
      const ReedSolomonCode rs(fp, points, r);
      const auto m = test::random_message(f, r, rng);
      const auto c = rs.encode(m);
      for (std::size_t i = 0; i < r; ++i) ASSERT_EQ(c[rs.information_set()[i]], m[i]);
      ASSERT_TRUE(rs.contains(c));
      const auto poly = rs.polynomial_of(c);
      ASSERT_EQ(rs.evaluate_polynomial(poly), c);
      // Any polynomial of degree < r gives a codeword.
      const auto any = rs.evaluate_polynomial(test::random_message(f, r, rng));
      ASSERT_TRUE(rs.contains(any));
      // A word that disagrees with a codeword in one position is not one
      // (distance n - r + 1 >= 2 when r < n).
      if (r < n) {
        auto w = c;
        const std::size_t j = rng() % n;
        w[j] = f.add(w[j], 1 + Element(rng() % (f.size() - 1)));
        ASSERT_FALSE(rs.contains(w));
      }
    }
  }
}

TEST(codes_reed_solomon, MinimumDistanceByEnumerationIsNMinusRPlusOne) {
  struct Case { int q; std::size_t n, r; };
  for (const Case c : {Case{7, 7, 1}, Case{7, 7, 3}, Case{7, 6, 4}, Case{11, 10, 3}, Case{11, 11, 5}, Case{4, 4, 2},
                       Case{9, 9, 4}, Case{9, 8, 6}, Case{25, 12, 3}, Case{13, 13, 12}, Case{5, 5, 5}}) {
    auto fp = Field::of_order(c.q);
    const ReedSolomonCode rs = ReedSolomonCode::first_points(fp, c.n, c.r);
    // Each method where it is enumerable; every case has at least one.
    std::size_t methods = 0;
    if (*span_size(*fp, c.r) <= kDefaultEnumerationLimit) {
      const MinimumDistance direct = rs.minimum_distance(kDefaultEnumerationLimit, DistanceMethod::direct);
      ASSERT_TRUE(direct.value) << rs.name();
      EXPECT_EQ(*direct.value, c.n - c.r + 1) << rs.name();
      ++methods;
    }
    if (c.r < c.n && *span_size(*fp, c.n - c.r) <= kDefaultEnumerationLimit) {
      const MinimumDistance dual = rs.minimum_distance(kDefaultEnumerationLimit, DistanceMethod::dual);
      ASSERT_TRUE(dual.value) << rs.name();
      EXPECT_EQ(*dual.value, c.n - c.r + 1) << rs.name();
      ++methods;
    }
    EXPECT_GE(methods, 1u) << rs.name();
    EXPECT_EQ(rs.designed_distance(), std::optional<std::size_t>(c.n - c.r + 1));
  }
}

TEST(codes_reed_solomon, ProductsOfKCodewordsLieInTheProductCode) {
  std::mt19937_64 rng(21);
  struct Case { int q; std::size_t n, r; };
  for (const Case c : {Case{67, 64, 8}, Case{49, 40, 5}, Case{11, 10, 3}}) {
    auto fp = Field::of_order(c.q);
    const Field& f = *fp;
    const ReedSolomonCode rs = ReedSolomonCode::first_points(fp, c.n, c.r);
    for (int k : {2, 3, 4}) {
      if (ReedSolomonCode::product_dimension(c.r, k) > c.n) continue;
      const auto product = rs.product(k);
      ASSERT_EQ(product->dimension(), std::size_t(k) * (c.r - 1) + 1);
      ASSERT_EQ(product->designed_distance(), std::optional<std::size_t>(c.n - k * (c.r - 1)));
      // The next smaller RS code does not contain the products: closure is
      // tight, so a product code one dimension short fails this test.
      const ReedSolomonCode smaller(fp, rs.points(), product->dimension() - 1);
      std::size_t outside_smaller = 0;
      const int samples = 1000 * test::test_repeat();
      for (int t = 0; t < samples; ++t) {
        std::vector<std::vector<Element>> words;
        for (int i = 0; i < k; ++i) words.push_back(rs.encode(test::random_message(f, c.r, rng)));
        const auto w = entrywise_product(f, words);
        ASSERT_TRUE(product->contains(w)) << rs.name() << " k=" << k;
        outside_smaller += !smaller.contains(w);
      }
      EXPECT_GT(outside_smaller, std::size_t(samples / 2));
    }
  }
}

TEST(codes_reed_solomon, ProductCodeEqualsSchurPower) {
  for (auto [q, n, r] : {std::tuple{11, 10, 3}, std::tuple{9, 9, 2}, std::tuple{13, 13, 4}}) {
    auto fp = Field::of_order(q);
    const ReedSolomonCode rs = ReedSolomonCode::first_points(fp, std::size_t(n), std::size_t(r));
    for (int k : {1, 2, 3, 4}) {
      if (ReedSolomonCode::product_dimension(std::size_t(r), k) > std::size_t(n)) continue;
      const auto product = rs.product(k);
      const LinearCode power = rs.schur_power(k);
      EXPECT_EQ(power.dimension(), product->dimension());
      EXPECT_EQ(power.generator(), product->generator()) << "same reduced systematic form";
    }
  }
}

TEST(codes_reed_solomon, VanishingOnTheInformationSetOfC) {
  // The protocol's Merlin messages: codewords of C^(k) zero on C's
  // information set; |F|^(k(r-1)+1-r) of them.
  auto fp = Field::prime(13);
  const ReedSolomonCode rs = ReedSolomonCode::first_points(fp, 13, 3);
  for (int k : {2, 3}) {
    const auto product = rs.product(k);
    const Matrix v = product->vanishing_subcode(rs.information_set());
    EXPECT_EQ(v.rows(), product->dimension() - rs.dimension());
    std::size_t count = 0;
    for_each_codeword(*fp, v, [&](std::span<const Element> w) {
      ++count;
      ASSERT_TRUE(product->contains(w));
      for (std::size_t j : rs.information_set()) ASSERT_EQ(w[j], 0u);
    });
    EXPECT_EQ(count, *span_size(*fp, product->dimension() - rs.dimension()));
  }
}

TEST(codes_reed_solomon, BadParametersAreInputErrors) {
  auto f = Field::prime(11);
  EXPECT_THROW(ReedSolomonCode::first_points(f, 12, 3), InputError);  // n > q
  EXPECT_THROW(ReedSolomonCode::first_points(f, 5, 6), InputError);   // r > n
  EXPECT_THROW(ReedSolomonCode::first_points(f, 5, 0), InputError);
  EXPECT_THROW(ReedSolomonCode::first_points(f, 0, 0), InputError);
  EXPECT_THROW(ReedSolomonCode(f, {1, 2, 1}, 2), InputError);  // repeated point
  EXPECT_THROW(ReedSolomonCode(f, {1, 2, 11}, 2), InputError);  // not in the field
  const ReedSolomonCode rs = ReedSolomonCode::first_points(f, 10, 4);
  EXPECT_NO_THROW(rs.product(3));  // 3*3+1 = 10 <= 10
  try {
    rs.product(4);  // 4*3+1 = 13 > 10
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("k(r-1)+1"), std::string::npos) << e.what();
  }
  EXPECT_THROW(rs.product(0), InputError);
  // The boundary: k(r-1)+1 = n + 1 is refused by the product rule itself.
  try {
    ReedSolomonCode::first_points(f, 10, 6).product(2);  // 2*5+1 = 11 > 10
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("k(r-1)+1 = 2*(6-1)+1 = 11 > n = 10"), std::string::npos) << e.what();
  }
  EXPECT_EQ(ReedSolomonCode::first_points(f, 11, 6).product(2)->dimension(), 11u);  // = n: allowed
}

// Size guards: refused before the generator is built, with its size.
TEST(codes_reed_solomon, TooManyGeneratorEntriesAreRefusedWithTheSize) {
  const auto f = Field::prime(65521);
  const std::string what = test::size_refusal([&] { ReedSolomonCode::first_points(f, 65521, 300); });
  EXPECT_NE(what.find("Reed-Solomon generator is a 300 x 65521 matrix (1.97e+07 entries, limit 1.68e+07)"),
            std::string::npos)
      << what;
  std::vector<Element> points(65521);
  for (std::size_t i = 0; i < points.size(); ++i) points[i] = Element(i);
  const std::string direct = test::size_refusal([&] { ReedSolomonCode(f, points, 300); });
  EXPECT_NE(direct.find("300 x 65521 matrix"), std::string::npos) << direct;
}

TEST(codes_reed_solomon, TooMuchEliminationWorkIsRefusedWithTheSize) {
  // 2048 x 4096 = 2^23 entries (under 2^24), but 2048^2 * 4096 = 1.7e10 work.
  const std::string what =
      test::size_refusal([] { ReedSolomonCode::first_points(Field::prime(4099), 4096, 2048); });
  EXPECT_NE(what.find("Reed-Solomon generator (2048 x 4096) needs about 1.72e+10 field operations to eliminate "
                      "(limit 1e+10)"),
            std::string::npos)
      << what;
}

TEST(codes_reed_solomon, HugeParityCheckIsRefusedWithTheSize) {
  // A 1 x 65521 generator is small; its parity check is 65520 x 65521.
  const ReedSolomonCode code = ReedSolomonCode::first_points(Field::prime(65521), 65521, 1);
  const std::string what = test::size_refusal([&] { (void)code.parity_check(); });
  EXPECT_NE(what.find("parity-check matrix is a 65520 x 65521 matrix (4.29e+09 entries"), std::string::npos)
      << what;
  EXPECT_NE(test::size_refusal([&] { (void)code.dual(); }).find("65520 x 65521"), std::string::npos);
}

TEST(codes_reed_solomon, HugeMacWilliamsTransformIsRefusedWithTheSize) {
  // |F|^(n-k) = 2161 dual codewords are few, but the MacWilliams tables for
  // n = 2154 take about 500 MiB.
  const ReedSolomonCode code = ReedSolomonCode::first_points(Field::prime(2161), 2154, 2153);
  EXPECT_GT(macwilliams_bytes(2154, 2161), kMaxMacWilliamsBytes);
  for (DistanceMethod method : {DistanceMethod::automatic, DistanceMethod::dual}) {
    const std::string what = test::size_refusal([&] { (void)code.minimum_distance(kDefaultEnumerationLimit, method); });
    EXPECT_NE(what.find("MacWilliams transform for the exact minimum distance of RS[2154, 2153] over GF(2161) "
                        "(length n = 2154, from 2161 dual codewords) needs "),
              std::string::npos)
        << what;
    EXPECT_NE(what.find(" MiB (limit 256.00 MiB)"), std::string::npos) << what;
  }
  // A shorter code of the same kind still gets its exact distance that way.
  const ReedSolomonCode small = ReedSolomonCode::first_points(Field::prime(211), 200, 199);
  const MinimumDistance d = small.minimum_distance();
  ASSERT_TRUE(d.value.has_value());
  EXPECT_EQ(*d.value, 2u);
  EXPECT_EQ(d.method, "dual enumeration + MacWilliams identity");
}

}  // namespace
}  // namespace sethkit::codes
