// Tests of codes/field (paper 001, Theorem 4.4: codes over F_{q^2}, q prime).
// Properties, not stored outputs: the field axioms on all elements, the fast
// coordinate arithmetic against NTL's, x^{p^2} = x, the Frobenius as an
// automorphism of order 2 fixing exactly F_p, the element count, and that
// several fields coexist without touching NTL's global modulus.
#include <gtest/gtest.h>

#include <NTL/lzz_p.h>

#include <set>

#include "codes/field.hpp"
#include "codes_test_support.hpp"
#include "core/errors.hpp"

namespace sethkit::codes {
namespace {
std::vector<std::shared_ptr<const Field>> small_fields() {
  std::vector<std::shared_ptr<const Field>> fields;
  for (int p : {2, 3, 5, 7}) {
    fields.push_back(Field::prime(p));
    fields.push_back(Field::quadratic(p));
  }
  fields.push_back(Field::quadratic(11));
  return fields;
}

TEST(codes_field, ElementCountAndIndexConvention) {
  for (int p : {2, 3, 5, 7, 11, 13}) {
    auto fp = Field::prime(p);
    auto fq = Field::quadratic(p);
    EXPECT_EQ(fp->size(), std::uint64_t(p));
    EXPECT_EQ(fq->size(), std::uint64_t(p) * p);
    EXPECT_EQ(fq->elements().size(), fq->size());
    // Indices < p are the prime subfield with their integer value.
    for (int v = 0; v < p; ++v) {
      EXPECT_EQ(fq->from_integer(v), Element(v));
      EXPECT_EQ(fq->pow(Element(v), std::uint64_t(p)), Element(v)) << "F_p is fixed by x -> x^p";
    }
    EXPECT_EQ(fq->from_integer(-1), Element(p - 1));
    EXPECT_EQ(fq->from_integer(3 * p + 2), Element(2 % p));
    // The modulus is irreducible: w^2 + c1 w + c0 has no root in F_p.
    const auto c = fq->modulus_coefficients();
    for (std::uint32_t x = 0; x < std::uint32_t(p); ++x)
      EXPECT_NE((x * x + c[1] * x + c[0]) % std::uint32_t(p), 0u) << "root " << x << " in F_" << p;
  }
}

TEST(codes_field, AxiomsOnAllElements) {
  for (const auto& fp : small_fields()) {
    const Field& f = *fp;
    SCOPED_TRACE(f.name());
    const auto all = f.elements();
    std::size_t units = 0;
    for (Element x : all) {
      EXPECT_EQ(f.add(x, f.zero()), x);
      EXPECT_EQ(f.mul(x, f.one()), x);
      EXPECT_EQ(f.mul(x, f.zero()), f.zero());
      EXPECT_EQ(f.add(x, f.neg(x)), f.zero());
      if (x != 0) {
        EXPECT_EQ(f.mul(x, f.inv(x)), f.one());
        ++units;
      }
      for (Element y : all) {
        EXPECT_EQ(f.add(x, y), f.add(y, x));
        EXPECT_EQ(f.mul(x, y), f.mul(y, x));
        EXPECT_EQ(f.sub(f.add(x, y), y), x);
        if (x != 0 && y != 0) {
          EXPECT_NE(f.mul(x, y), f.zero()) << "zero divisor";
        }
        if (y != 0) {
          EXPECT_EQ(f.mul(f.div(x, y), y), x);
        }
      }
    }
    EXPECT_EQ(units, f.size() - 1);
    EXPECT_THROW(f.inv(0), std::domain_error);
  }
}

TEST(codes_field, AssociativityAndDistributivityOnAllTriples) {
  for (const auto& fp : small_fields()) {
    const Field& f = *fp;
    if (f.size() > 49) continue;  // 49^3 triples is plenty
    SCOPED_TRACE(f.name());
    const auto all = f.elements();
    for (Element x : all)
      for (Element y : all)
        for (Element z : all) {
          ASSERT_EQ(f.add(f.add(x, y), z), f.add(x, f.add(y, z)));
          ASSERT_EQ(f.mul(f.mul(x, y), z), f.mul(x, f.mul(y, z)));
          ASSERT_EQ(f.mul(x, f.add(y, z)), f.add(f.mul(x, y), f.mul(x, z)));
        }
  }
}

TEST(codes_field, FastArithmeticAgreesWithNtl) {
  for (const auto& fp : small_fields()) {
    const Field& f = *fp;
    SCOPED_TRACE(f.name());
    for (Element x = 0; x < f.size(); ++x) {
      if (x != 0) {
        ASSERT_EQ(f.inv(x), f.inv_reference(x));
      }
      for (Element y = 0; y < f.size(); ++y) {
        ASSERT_EQ(f.mul(x, y), f.mul_reference(x, y)) << f.to_string(x) << " * " << f.to_string(y);
        ASSERT_EQ(f.add(x, y), f.add_reference(x, y));
      }
    }
  }
}

TEST(codes_field, DotProductWithLazyReductionMatchesTermwise) {
  std::mt19937_64 rng(1);
  for (int p : {2, 3, 65521}) {
    for (auto fp : {Field::prime(p), Field::quadratic(p)}) {
      const Field& f = *fp;
      for (int rep = 0; rep < 20 * test::test_repeat(); ++rep) {
        const std::size_t len = rng() % 3000;
        auto a = test::random_message(f, len, rng), b = test::random_message(f, len, rng);
        if (rep == 0) {  // the worst case for the accumulators: all p-1
          a.assign(len, f.size() - 1);
          b.assign(len, f.size() - 1);
        }
        Element expect = 0;
        for (std::size_t i = 0; i < len; ++i) expect = f.add(expect, f.mul_reference(a[i], b[i]));
        ASSERT_EQ(f.dot(a, b), expect) << f.name() << " length " << len;
      }
    }
  }
}

TEST(codes_field, LargeCharacteristicAgreesWithNtlOnSamples) {
  std::mt19937_64 rng(2);
  auto f = Field::quadratic(65521);
  for (int rep = 0; rep < 2000 * test::test_repeat(); ++rep) {
    const Element x = test::random_element(*f, rng), y = test::random_element(*f, rng);
    ASSERT_EQ(f->mul(x, y), f->mul_reference(x, y));
    if (x != 0) {
      ASSERT_EQ(f->inv(x), f->inv_reference(x));
    }
  }
}

TEST(codes_field, EveryElementSatisfiesXToTheFieldSize) {
  for (const auto& fp : small_fields()) {
    const Field& f = *fp;
    for (Element x : f.elements()) {
      ASSERT_EQ(f.pow(x, f.size()), x) << f.name() << " x = " << f.to_string(x);
      if (x != 0) {
        ASSERT_EQ(f.pow(x, f.size() - 1), f.one());
      }
    }
  }
}

TEST(codes_field, MultiplicativeGroupIsCyclic) {
  for (const auto& fp : small_fields()) {
    const Field& f = *fp;
    std::size_t generators = 0;
    for (Element x = 1; x < f.size(); ++x) {
      std::set<Element> powers;
      Element y = 1;
      for (std::uint64_t e = 0; e + 1 < f.size(); ++e, y = f.mul(y, x)) powers.insert(y);
      generators += powers.size() == f.size() - 1;
    }
    EXPECT_GT(generators, 0u) << f.name();
  }
}

TEST(codes_field, FrobeniusIsAnAutomorphismOfOrderTwo) {
  for (int p : {2, 3, 5, 7, 11}) {
    auto fp = Field::quadratic(p);
    const Field& f = *fp;
    std::size_t fixed = 0;
    std::set<Element> image;
    for (Element x : f.elements()) {
      const Element fx = f.frobenius(x);
      EXPECT_EQ(fx, f.pow(x, std::uint64_t(p)));
      EXPECT_EQ(f.frobenius(fx), x) << "order divides 2";
      image.insert(fx);
      fixed += fx == x;
      for (Element y : f.elements()) {
        ASSERT_EQ(f.frobenius(f.add(x, y)), f.add(fx, f.frobenius(y)));
        ASSERT_EQ(f.frobenius(f.mul(x, y)), f.mul(fx, f.frobenius(y)));
      }
    }
    EXPECT_EQ(image.size(), f.size()) << "bijective";
    EXPECT_EQ(fixed, std::size_t(p)) << "fixed field is F_p, so the order is exactly 2";
  }
  // On a prime field the Frobenius is the identity.
  auto f7 = Field::prime(7);
  for (Element x : f7->elements()) EXPECT_EQ(f7->frobenius(x), x);
}

TEST(codes_field, SeveralFieldsInOneProcessLeaveNtlModulusAlone) {
  NTL::zz_p::init(101);  // the caller's NTL state
  auto f5 = Field::quadratic(5);
  auto f7 = Field::quadratic(7);
  auto g5 = Field::quadratic(5);
  EXPECT_EQ(NTL::zz_p::modulus(), 101);
  EXPECT_TRUE(*f5 == *g5);
  EXPECT_FALSE(*f5 == *f7);
  for (Element x = 0; x < 25; ++x)
    for (Element y = 0; y < 49; ++y) {
      // Interleave the two fields' NTL paths.
      ASSERT_EQ(f5->mul_reference(x, x), f5->mul(x, x));
      ASSERT_EQ(f7->mul_reference(y, x), f7->mul(y, x));
    }
  EXPECT_EQ(NTL::zz_p::modulus(), 101);
  EXPECT_EQ(NTL::rep(NTL::to_zz_p(205)), 3);
}

TEST(codes_field, BadOrdersAreInputErrors) {
  EXPECT_THROW(Field::prime(1), InputError);
  EXPECT_THROW(Field::prime(9), InputError);
  EXPECT_THROW(Field::quadratic(4), InputError);
  EXPECT_THROW(Field::prime(65537), InputError);  // prime, but beyond kMaxCharacteristic
  EXPECT_THROW(Field::of_order(6), InputError);
  EXPECT_THROW(Field::of_order(8), InputError);
  EXPECT_THROW(Field::of_order(-5), InputError);
  EXPECT_THROW(Field::of_order(std::int64_t(1) << 62), InputError);
  EXPECT_EQ(Field::of_order(9)->degree(), 2);
  EXPECT_EQ(Field::of_order(9)->characteristic(), 3u);
  EXPECT_EQ(Field::of_order(13)->degree(), 1);
}

TEST(codes_field, ToStringNamesCoordinates) {
  auto f = Field::quadratic(5);
  EXPECT_EQ(f->to_string(0), "0");
  EXPECT_EQ(f->to_string(3), "3");
  EXPECT_EQ(f->to_string(f->from_coordinates(0, 1)), "w");
  EXPECT_EQ(f->to_string(f->from_coordinates(2, 4)), "2 + 4*w");
  EXPECT_EQ(f->name(), "GF(5^2)");
  EXPECT_EQ(Field::prime(11)->name(), "GF(11)");
}

TEST(codes_field, ListingAHugeFieldIsRefusedWithTheSize) {
  const auto big = Field::quadratic(65521);  // 65521^2 elements: 16 GiB as a list
  const std::string what = test::size_refusal([&] { (void)big->elements(); });
  EXPECT_NE(what.find("listing the elements of GF(65521^2) needs 15.99 GiB (4293001441 elements, limit 67108864)"),
            std::string::npos)
      << what;
  EXPECT_EQ(Field::quadratic(251)->elements().size(), 251u * 251u);
}

}  // namespace
}  // namespace sethkit::codes
