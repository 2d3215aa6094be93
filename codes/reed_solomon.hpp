// Reed-Solomon codes: the stand-in for the algebraic-geometry codes of paper
// 001, Theorem 4.4, in the MA protocol of Theorem 4.5 (DESIGN.md, "kOV ->
// Gap-k-MaxIP").
//
// RS_r on distinct points x_0..x_{n-1} of F: the evaluations (f(x_0), ...,
// f(x_{n-1})) of the polynomials f of degree < r. It is MDS: distance
// n - r + 1 (the designed distance is exact). Encoding is systematic on the
// first r points: encode(m) is the evaluation of the interpolant of m at
// x_0..x_{r-1} (the generator rows are the Lagrange basis polynomials).
// The entrywise product of k codewords evaluates a polynomial of degree
// <= k(r-1), so C^(k) = RS of dimension k(r-1)+1 on the same points; it
// exists while k(r-1)+1 <= n (refused otherwise). Departure from the paper:
// RS needs n <= |F|, so the alphabet grows with the length; AG codes are what
// keep it constant. For the reduction's small parameters that is harmless.
//
// Example (GF(11), points 0..9, dimension 3):
//   auto f = Field::prime(11);
//   auto rs = ReedSolomonCode::first_points(f, 10, 3);
//   rs.evaluate_polynomial({10, 3, 1});   // x^2 + 3x + 10 -> 10,3,9,6,5,6,9,3,10,8
//   rs.encode({10, 3, 9});                // the same word, systematically
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "codes/linear_code.hpp"

namespace sethkit::codes {

class ReedSolomonCode : public LinearCode {
 public:
  // Requires distinct points of the field, 1 <= dimension <= points.size()
  // (InputError otherwise).
  ReedSolomonCode(std::shared_ptr<const Field> field, std::vector<Element> points, std::size_t dimension);
  // On the first n elements in index order (0, 1, ..., n-1 in a prime field);
  // requires n <= |F|.
  static ReedSolomonCode first_points(std::shared_ptr<const Field> field, std::size_t n, std::size_t dimension);

  const std::vector<Element>& points() const { return points_; }

  // (f(x_0), ..., f(x_{n-1})) for f = sum_i coefficients[i] x^i (lowest
  // first; at most dimension() coefficients).
  std::vector<Element> evaluate_polynomial(std::span<const Element> coefficients) const;
  // The coefficients (dimension() of them, lowest first) of the polynomial of
  // degree < dimension() that interpolates word on the information set
  // (Newton's divided differences). For a codeword it agrees everywhere.
  std::vector<Element> polynomial_of(std::span<const Element> word) const;

  // k(r-1)+1 for dimension r.
  static std::size_t product_dimension(std::size_t dimension, int k);
  // C^(k) = RS of dimension k(r-1)+1 on the same points; InputError when
  // k < 1 or k(r-1)+1 > n.
  ReedSolomonCode product_code(int k) const;
  std::unique_ptr<LinearCode> product(int k) const override;

 private:
  std::vector<Element> points_;
};

}  // namespace sethkit::codes
