// The one-point Hermitian code: the algebraic-geometry code behind paper 001,
// Theorem 4.4 ([SAK+01], see also [Rub18]), for the MA protocol of
// Theorem 4.5 (DESIGN.md, "kOV -> Gap-k-MaxIP").
//
// Curve H_q: y^q + y = x^{q+1} over F_{q^2}, q prime. It has q^3 affine
// rational points (for each x, x^{q+1} = N(x) lies in F_q and the trace
// y^q + y takes each value of F_q exactly q times) and one point P_inf at
// infinity; genus g = q(q-1)/2. The functions with poles only at P_inf form
// F[x, y]/(y^q + y - x^{q+1}); x has pole order q and y has q+1, so
// L(a P_inf) has the basis {x^i y^j : j < q, i q + j (q+1) <= a} and its
// dimension is the number of elements <= a of the Weierstrass semigroup
// <q, q+1> (= a + 1 - g once a >= 2g - 1).
// The code C_L(a P_inf) evaluates L(a P_inf) at the q^3 affine points: length
// n = q^3, designed distance n - a (a function with at most a poles has at
// most a zeros), injective while a < n. Entrywise products of k codewords
// are evaluations of products of k functions with pole order <= a each, so
// C^(k) = C_L(k a P_inf), valid while k a < q^3 (refused otherwise: at
// k a >= q^3 the evaluation map stops being injective).
//
// Departures from the paper: Theorem 4.4 uses an asymptotically good tower
// with constant rate and distance for all lengths; one curve gives a code of
// fixed length q^3 over a fixed field, which is what the reduction's small
// instances need. The information set is found by elimination (the
// lexicographically first independent columns), not a closed form.
//
// Supported: every prime q with the q^3 x dim generator within the size
// limits of linear_algebra.hpp (q = 2, 3, 5, 7, 11 in practice; q = 13 for
// small a). Prime powers q = p^e with e >= 2 would need F_{p^{2e}}, which the
// field layer does not provide.
//
// Example:
//   HermitianCode c(5, 40);                 // over GF(5^2), n = 125, dim 31
//   auto c3 = c.product(3);                 // L(120 P_inf), dim 111
//   c.encode(message)[c.information_set()[i]] == message[i];
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "codes/linear_code.hpp"

namespace sethkit::codes {

struct CurvePoint {
  Element x = 0, y = 0;
  bool operator==(const CurvePoint&) const = default;
};

// x^i y^j, a function on H_q with pole order i q + j (q+1) at P_inf.
struct Monomial {
  std::uint64_t i = 0, j = 0;
  std::uint64_t pole_order = 0;
};

class HermitianCode : public LinearCode {
 public:
  // C_L(a P_inf) over F_{q^2}. InputError unless q is prime and 0 <= a < q^3;
  // SizeLimitError when the generator is beyond the size limits.
  HermitianCode(std::int64_t q, std::int64_t a);
  // The same on a given field, which must be F_{q^2} (so several codes share
  // it and their point orders agree).
  HermitianCode(std::shared_ptr<const Field> field, std::int64_t a);

  std::uint32_t q() const { return q_; }
  std::uint64_t a() const { return a_; }
  std::uint64_t genus() const { return genus(q_); }
  static std::uint64_t genus(std::uint64_t q) { return q * (q - 1) / 2; }

  // The q^3 affine points in the order of the code's positions.
  const std::vector<CurvePoint>& points() const { return points_; }
  // The basis of L(a P_inf) in increasing pole order (one per generator row
  // before the systematic reduction).
  const std::vector<Monomial>& monomials() const { return monomials_; }

  // All affine points of y^q + y = x^{q+1} over field = F_{q^2}, x then y in
  // index order; each is checked on the curve. SizeLimitError (with the
  // count) when the q^3 points, the columns of a generator, are more than
  // kMaxMatrixEntries.
  static std::vector<CurvePoint> affine_points(const Field& field);
  // The monomials x^i y^j (j < q) of pole order i q + j (q+1) <= a.
  // SizeLimitError (with the count) when there are more than
  // kMaxMatrixEntries, the rows of a generator.
  static std::vector<Monomial> pole_basis(std::uint64_t q, std::uint64_t a);
  // |pole_basis(q, a)| in O(q), without listing it.
  static std::uint64_t riemann_roch_dimension(std::uint64_t q, std::uint64_t a);

  // C^(k) = C_L(k a P_inf) on the same points; InputError when k < 1 or
  // k a >= q^3.
  HermitianCode product_code(int k) const;
  std::unique_ptr<LinearCode> product(int k) const override;

 private:
  struct Parts;
  explicit HermitianCode(Parts&& parts);

  std::uint32_t q_ = 0;
  std::uint64_t a_ = 0;
  std::vector<CurvePoint> points_;
  std::vector<Monomial> monomials_;
};

}  // namespace sethkit::codes
