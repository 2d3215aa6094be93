// Finite fields F_p and F_{p^2} (paper 001, Theorem 4.4: codes over F_{q^2},
// q prime). See field.hpp for the index convention.
#include "codes/field.hpp"

#include <stdexcept>

#include <NTL/lzz_pXFactoring.h>

#include "codes/ntl_bridge.hpp"
#include "core/errors.hpp"

namespace sethkit::codes {

bool is_prime(std::int64_t n) {
  if (n < 2) return false;
  for (std::int64_t d = 2; d * d <= n; ++d)
    if (n % d == 0) return false;
  return true;
}

namespace {

void require_characteristic(std::int64_t p, const char* what) {
  if (p < 2 || p > std::int64_t(kMaxCharacteristic) || !is_prime(p)) {
    throw InputError("", std::string(what) + ": the characteristic must be a prime between 2 and " +
                             std::to_string(kMaxCharacteristic) + ", got " + std::to_string(p));
  }
}

}  // namespace

Field::Field(Token, std::uint32_t p, int degree) : p_(p), degree_(degree) {
  size_ = degree == 1 ? std::uint64_t(p) : std::uint64_t(p) * p;
  auto state = std::make_shared<NtlState>();
  state->prime_context = NTL::zz_pContext(long(p));
  if (degree == 2) {
    NTL::zz_pPush push(state->prime_context);
    // The first monic irreducible w^2 + c1 w + c0 in the order (c1, c0), so
    // the representation (and every index) is the same in every run; NTL's
    // BuildIrred makes no such promise. For odd p this is w^2 - s with s the
    // smallest non-square. Irreducibility is certified by NTL's DetIrredTest.
    bool found = false;
    for (std::uint32_t c1 = 0; c1 < p && !found; ++c1) {
      for (std::uint32_t c0 = 1; c0 < p && !found; ++c0) {
        NTL::zz_pX candidate;
        NTL::SetCoeff(candidate, 2, 1);
        NTL::SetCoeff(candidate, 1, long(c1));
        NTL::SetCoeff(candidate, 0, long(c0));
        if (NTL::DetIrredTest(candidate)) {
          state->modulus = candidate;
          c0_ = c0;
          c1_ = c1;
          found = true;
        }
      }
    }
    if (!found) throw std::logic_error("no irreducible quadratic over F_" + std::to_string(p));
    state->extension_context = NTL::zz_pEContext(state->modulus);
    m0_ = (p - c0_) % p;
    m1_ = (p - c1_) % p;
  }
  ntl_ = std::move(state);
  prime_inverse_.assign(p, 0);
  prime_inverse_[1 % p] = 1;
  for (std::uint32_t v = 2; v < p; ++v)  // 1/v = -(p / v) * 1/(p mod v)
    prime_inverse_[v] = std::uint32_t((std::uint64_t(p - p / v) * prime_inverse_[p % v]) % p);
}

std::shared_ptr<const Field> Field::prime(std::int64_t p) {
  require_characteristic(p, "prime field F_p");
  return std::make_shared<const Field>(Token{}, std::uint32_t(p), 1);
}

std::shared_ptr<const Field> Field::quadratic(std::int64_t p) {
  require_characteristic(p, "quadratic field F_{p^2}");
  return std::make_shared<const Field>(Token{}, std::uint32_t(p), 2);
}

std::shared_ptr<const Field> Field::of_order(std::int64_t q) {
  const std::int64_t max_p = kMaxCharacteristic;
  if (q >= 2 && q <= max_p && is_prime(q)) return prime(q);
  if (q >= 4 && q <= max_p * max_p) {
    std::int64_t r = 1;
    while ((r + 1) * (r + 1) <= q) ++r;
    if (r * r == q && is_prime(r)) return quadratic(r);
  }
  throw InputError("", "field of order " + std::to_string(q) +
                           ": supported orders are a prime p <= " + std::to_string(kMaxCharacteristic) + " or the square p^2 of one");
}

std::string Field::name() const {
  return degree_ == 1 ? "GF(" + std::to_string(p_) + ")" : "GF(" + std::to_string(p_) + "^2)";
}

std::string Field::modulus_string() const {
  if (degree_ == 1) return "";
  std::string s = "w^2";
  if (c1_ == 1) s += " + w";
  else if (c1_ != 0) s += " + " + std::to_string(c1_) + "*w";
  if (c0_ != 0) s += " + " + std::to_string(c0_);
  return s;
}

Element Field::from_integer(std::int64_t v) const {
  std::int64_t r = v % std::int64_t(p_);
  if (r < 0) r += p_;
  return Element(r);
}

Element Field::from_coordinates(std::uint32_t a0, std::uint32_t a1) const {
  if (a0 >= p_ || a1 >= p_ || (degree_ == 1 && a1 != 0))
    throw std::invalid_argument("Field::from_coordinates: coordinates out of range for " + name());
  return a0 + p_ * a1;
}

std::vector<Element> Field::elements() const {
  if (size_ > kMaxListedElements)
    throw SizeLimitError("listing the elements of " + name() + " needs " + human_bytes(4.0 * double(size_)) + " (" +
                         std::to_string(size_) + " elements, limit " + std::to_string(kMaxListedElements) +
                         "); iterate over the indices 0 .. size()-1 instead");
  std::vector<Element> all(size_);
  for (std::uint64_t i = 0; i < size_; ++i) all[i] = Element(i);
  return all;
}

Element Field::add(Element x, Element y) const {
  if (degree_ == 1) {
    const Element s = x + y;
    return s >= p_ ? s - p_ : s;
  }
  std::uint32_t a0 = x % p_ + y % p_, a1 = x / p_ + y / p_;
  if (a0 >= p_) a0 -= p_;
  if (a1 >= p_) a1 -= p_;
  return a0 + p_ * a1;
}

Element Field::neg(Element x) const {
  if (degree_ == 1) return x == 0 ? 0 : p_ - x;
  const std::uint32_t a0 = x % p_, a1 = x / p_;
  return (a0 == 0 ? 0 : p_ - a0) + p_ * (a1 == 0 ? 0 : p_ - a1);
}

Element Field::sub(Element x, Element y) const { return add(x, neg(y)); }

Element Field::mul(Element x, Element y) const {
  if (degree_ == 1) return Element((std::uint64_t(x) * y) % p_);
  const std::uint64_t a0 = x % p_, a1 = x / p_, b0 = y % p_, b1 = y / p_;
  // (a0 + a1 w)(b0 + b1 w) = a0 b0 + (a0 b1 + a1 b0) w + a1 b1 w^2, w^2 = m1 w + m0
  const std::uint64_t t2 = (a1 * b1) % p_;
  const std::uint64_t r0 = (a0 * b0 + m0_ * t2) % p_;
  const std::uint64_t r1 = (a0 * b1 + a1 * b0 + m1_ * t2) % p_;
  return Element(r0 + p_ * r1);
}

Element Field::frobenius(Element x) const {
  if (degree_ == 1) return x;
  // w^p is the other root of the modulus, w' = -c1 - w = m1 - w (Vieta), so
  // (a0 + a1 w)^p = a0 + a1 w' = (a0 + m1 a1) - a1 w.
  const std::uint64_t a0 = x % p_, a1 = x / p_;
  const std::uint64_t r0 = (a0 + m1_ * a1) % p_;
  const std::uint64_t r1 = a1 == 0 ? 0 : p_ - a1;
  return Element(r0 + p_ * r1);
}

Element Field::inv(Element x) const {
  if (x == 0) throw std::domain_error("Field::inv: zero has no inverse in " + name());
  if (degree_ == 1) return prime_inverse_[x];
  // 1/x = x^p / N(x) with the norm N(x) = x^{p+1} = x * x^p in F_p.
  const Element conj = frobenius(x);
  const Element norm = mul(x, conj);  // index < p: the prime subfield
  return mul(conj, prime_inverse_[norm]);
}

Element Field::pow(Element x, std::uint64_t e) const {
  Element result = 1, base = x;
  while (e != 0) {
    if (e & 1) result = mul(result, base);
    base = mul(base, base);
    e >>= 1;
  }
  return result;
}

Element Field::dot(std::span<const Element> a, std::span<const Element> b) const {
  if (a.size() != b.size()) throw std::invalid_argument("Field::dot: sizes differ");
  // Coordinates are < 2^16, so each product is < 2^32 and 2^30 of them fit in
  // 64 bits: one reduction at the end.
  if (degree_ == 1) {
    std::uint64_t s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += std::uint64_t(a[i]) * b[i];
    return Element(s % p_);
  }
  std::uint64_t s0 = 0, s1 = 0, s2 = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::uint64_t a0 = a[i] % p_, a1 = a[i] / p_, b0 = b[i] % p_, b1 = b[i] / p_;
    s0 += a0 * b0;
    s1 += a0 * b1 + a1 * b0;
    s2 += a1 * b1;
  }
  return combine_products(s0, s1, s2);
}

Element Field::combine_products(std::uint64_t s0, std::uint64_t s1, std::uint64_t s2) const {
  if (degree_ == 1) return Element(s0 % p_);
  // w^2 = m1 w + m0
  const std::uint64_t t2 = s2 % p_;
  const std::uint64_t r0 = (s0 % p_ + m0_ * t2) % p_;
  const std::uint64_t r1 = (s1 % p_ + m1_ * t2) % p_;
  return Element(r0 + p_ * r1);
}

Element Field::mul_reference(Element x, Element y) const {
  NtlScope scope(*this);
  if (degree_ == 1) return from_ntl(*this, to_ntl_prime(*this, x) * to_ntl_prime(*this, y));
  return from_ntl(*this, to_ntl_extension(*this, x) * to_ntl_extension(*this, y));
}

Element Field::add_reference(Element x, Element y) const {
  NtlScope scope(*this);
  if (degree_ == 1) return from_ntl(*this, to_ntl_prime(*this, x) + to_ntl_prime(*this, y));
  return from_ntl(*this, to_ntl_extension(*this, x) + to_ntl_extension(*this, y));
}

Element Field::inv_reference(Element x) const {
  NtlScope scope(*this);
  if (degree_ == 1) return from_ntl(*this, NTL::inv(to_ntl_prime(*this, x)));
  return from_ntl(*this, NTL::inv(to_ntl_extension(*this, x)));
}

std::string Field::to_string(Element x) const {
  const auto c = coordinates(x);
  if (degree_ == 1 || c[1] == 0) return std::to_string(c[0]);
  const std::string w = c[1] == 1 ? "w" : std::to_string(c[1]) + "*w";
  return c[0] == 0 ? w : std::to_string(c[0]) + " + " + w;
}

bool Field::operator==(const Field& other) const {
  return p_ == other.p_ && degree_ == other.degree_ && c0_ == other.c0_ && c1_ == other.c1_;
}

}  // namespace sethkit::codes
