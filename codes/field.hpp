// Finite fields F_p and F_{p^2} for the codes of the MA protocol.
//
// Paper 001, Theorem 4.4 (and the proof of Theorem 4.5): the codes are over
// F_{q^2} with q prime, q > T, so that 0/1 membership values, their k-way
// products and sums of T of them are computed in a field of characteristic
// q. Reed-Solomon works over any F_p or F_{p^2}; the Hermitian code needs
// F_{q^2} (its curve y^q + y = x^{q+1} uses the Frobenius x -> x^q).
//
// Elements are dense indices (`Element`), so protocol tables can be indexed by
// them directly:
//   F_p:     the residue v in [0, p) is the index v;
//   F_{p^2}: F_p[w]/(w^2 + c1 w + c0), the first irreducible in the order
//            (c1, c0) (w^2 - s, s the least non-square, for odd p);
//            a0 + a1 w has the index a0 + p * a1.
// Hence index 0 is zero, index 1 is one, and indices < p are exactly the prime
// subfield with the integer value of the index (F_p embeds as the identity on
// indices). Enumerating all elements is iterating 0 .. size() - 1.
//
// Arithmetic runs on the coordinates (no big tables, O(1) per operation); a
// slow reference path through NTL (zz_p / zz_pE, with the modulus scoped by
// zz_pPush / zz_pEPush so several fields live in one process and NTL's global
// modulus is left as found) is kept beside it, and the tests compare the two
// on all pairs for small p.
//
// Example:
//   auto f = Field::quadratic(5);            // F_25
//   Element w = f->from_coordinates(0, 1);   // the generator w of F_25 / F_5
//   Element x = f->mul(w, f->add(w, f->one()));
//   assert(f->pow(x, 25) == x && f->frobenius(f->frobenius(x)) == x);
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>
#include "core/options.hpp"

namespace sethkit::codes {

// A field element as its dense index in [0, Field::size()).
using Element = std::uint32_t;

// Characteristics are kept below 2^16 so that the lazy-reduction dot product
// can add 2^30 coordinate products in 64 bits.
inline constexpr std::uint32_t kMaxCharacteristic = core::option_as<std::uint32_t>("field.max_characteristic");

// Field::elements() lists at most this many elements (4 bytes each, so
// 256 MiB); the largest fields here have 65521^2 ~ 2^32 elements (16 GiB).
inline constexpr std::uint64_t kMaxListedElements = core::option_as<std::uint64_t>("field.max_listed_elements");

class Field {
 public:
  struct NtlState;  // NTL contexts (codes/ntl_bridge.hpp); opaque here.

  // F_p. Requires p prime, 2 <= p <= kMaxCharacteristic; else InputError.
  static std::shared_ptr<const Field> prime(std::int64_t p);
  // F_{p^2} = F_p[w]/(irreducible quadratic). Same requirement on p.
  static std::shared_ptr<const Field> quadratic(std::int64_t p);
  // F_q for q = p (prime) or q = p^2; anything else is an InputError.
  static std::shared_ptr<const Field> of_order(std::int64_t q);

  std::uint32_t characteristic() const { return p_; }
  int degree() const { return degree_; }
  std::uint64_t size() const { return size_; }
  // "GF(11)" or "GF(5^2)".
  std::string name() const;
  // "w^2 + 4*w + 2" for F_{p^2}; empty for a prime field.
  std::string modulus_string() const;
  // (c0, c1) of the modulus w^2 + c1 w + c0 (both 0 for a prime field).
  std::array<std::uint32_t, 2> modulus_coefficients() const { return {c0_, c1_}; }

  bool contains(Element x) const { return x < size_; }
  Element zero() const { return 0; }
  Element one() const { return 1; }
  // The image of an integer (any sign) in the prime subfield.
  Element from_integer(std::int64_t v) const;
  // a0 + a1 w; requires a0, a1 < p, and a1 == 0 for a prime field.
  Element from_coordinates(std::uint32_t a0, std::uint32_t a1) const;
  std::array<std::uint32_t, 2> coordinates(Element x) const { return {x % p_, x / p_}; }
  // 0 .. size()-1, the whole field in index order; SizeLimitError (with the
  // size) when size() > kMaxListedElements.
  std::vector<Element> elements() const;

  Element add(Element x, Element y) const;
  Element sub(Element x, Element y) const;
  Element neg(Element x) const;
  Element mul(Element x, Element y) const;
  // Requires x != 0 (throws std::domain_error on zero).
  Element inv(Element x) const;
  Element div(Element x, Element y) const { return mul(x, inv(y)); }
  Element pow(Element x, std::uint64_t e) const;
  // x -> x^p: the generator of Gal(F_{p^2}/F_p); the identity on F_p.
  Element frobenius(Element x) const;
  // sum_i a[i] b[i] with one reduction at the end (requires equal sizes,
  // at most 2^30 terms).
  Element dot(std::span<const Element> a, std::span<const Element> b) const;

  // The field element sum_i a_i b_i from its coordinate sums, for callers
  // that accumulate products of coordinates themselves: with a_i = a0 + a1 w
  // and b_i = b0 + b1 w, s0 = sum a0 b0, s1 = sum (a0 b1 + a1 b0),
  // s2 = sum a1 b1 (s1 = s2 = 0 in a prime field). Requires no overflow:
  // at most 2^30 terms.
  Element combine_products(std::uint64_t s0, std::uint64_t s1, std::uint64_t s2) const;

  // The slow path through NTL, kept for the tests to compare against.
  Element mul_reference(Element x, Element y) const;
  Element inv_reference(Element x) const;
  Element add_reference(Element x, Element y) const;

  // "7" in F_p; "3 + 2*w", "w", "4*w" in F_{p^2}.
  std::string to_string(Element x) const;

  // Same characteristic, degree and modulus (so indices mean the same).
  bool operator==(const Field& other) const;

  const NtlState& ntl_state() const { return *ntl_; }

  struct Token {};  // for make_shared only; use the factories.
  Field(Token, std::uint32_t p, int degree);

 private:
  std::uint32_t p_ = 2;
  int degree_ = 1;
  std::uint64_t size_ = 2;
  std::uint32_t c0_ = 0, c1_ = 0;  // modulus w^2 + c1 w + c0
  std::uint32_t m0_ = 0, m1_ = 0;  // w^2 = m1 w + m0, i.e. m0 = -c0, m1 = -c1
  std::vector<std::uint32_t> prime_inverse_;  // 1/v in F_p, index v (0 unused)
  std::shared_ptr<const NtlState> ntl_;
};

// Deterministic trial division; for the small numbers used here.
bool is_prime(std::int64_t n);

}  // namespace sethkit::codes
