// Polynomials P ~ exp on [-R, R] with a certified RELATIVE error: the
// approximation step of the polynomial method (paper 001, Corollary D.2,
// which is Corollary 2.2 of [AS23], used in Lemma E.2 with R = B^3).
//
// Worked example:
//
//   #include "attention/poly_approx.hpp"
//   using namespace sethkit::attention;
//   // the smallest Chebyshev degree whose certificate meets 1e-6 on [-4, 4]:
//   std::optional<ExpPolynomial> p = smallest_exp_polynomial(ExpApproxMethod::chebyshev, 4.0, 1e-6, 64);
//   // p->degree == 15, p->coeffs = c_0..c_15 (P(x) = sum_m c_m x^m, these
//   // exact doubles), p->rel_error <= 1e-6 is a proven bound on
//   //   max_{|x| <= 4} |P(x) - e^x| / e^x.
//   ExpPolynomial low = exp_polynomial(ExpApproxMethod::chebyshev, 4.0, 5);
//   low.meets(1e-6);   // false: the certificate says so, and low.rel_error_lower,
//                      // itself a proven lower bound, shows it cannot be met
//
// Methods:
// - chebyshev: interpolation of exp at the g+1 Chebyshev points of the first
//   kind, x_i = R cos((2i+1) pi / (2g+2)), built in MPFR (precision grows with
//   g and R) through the Chebyshev coefficients and converted to the monomial
//   basis there, then rounded once to double. A priori (not used for the
//   certificate) the interpolation remainder is
//     |e^x - p_g(x)| <= e^R |prod_i (x - x_i)| / (g+1)! <= 2 (R/2)^{g+1} e^R / (g+1)!
//   (Cauchy's remainder with the Chebyshev node polynomial 2^{-g} R^{g+1}
//   T_{g+1}(x/R); Trefethen, Approximation Theory and Approximation Practice,
//   Thm 8.2 and ch. 11), hence a relative error <= 2 (R/2)^{g+1} e^{2R} / (g+1)!
//   using e^x >= e^{-R}. estimate_exp_degree uses the sharper heuristic
//   2 I_{g+1}(R) e^R (the size of the first neglected Chebyshev coefficient).
// - taylor: P(x) = sum_{m <= g} x^m / m! (coefficients rounded to double),
//   for comparison; its relative error is largest at x = -R, about
//   R^{g+1} e^R / (g+1)!, which is 2^{g+1} times Chebyshev's.
//
// The certificate (certify_exp_relative_error) is rigorous and covers the
// double coefficients actually used, not the ideal interpolant: with
// E(x) = P(x) - e^x, split [-R, R] into N = 8(g+1) pieces (endpoints
// -R cos(pi i / N), denser near +-R where E oscillates fastest); on a piece
// [a, b] with a midpoint m (a double) and radius h >= max(m - a, b - m),
// Taylor's theorem with E^{(g+1)} = -exp gives exactly
//   E(x) = sum_{j<=g} E_j (x - m)^j - e^xi (x - m)^{g+1} / (g+1)!,
//   E_j = P^{(j)}(m)/j! - e^m/j!,
// so  sup_{[a,b]} |E| <= sum_j |E_j| h^j + e^{m+h} h^{g+1} / (g+1)!, and the
// relative error there is at most that divided by e^{m-h}. Every quantity is
// an MPFI interval (outward rounding: the true value is always inside), the
// E_j come from an interval Taylor shift of the coefficients, and the result
// is the right endpoint of the maximum over the pieces. No sampling enters the
// upper bound. rel_error_lower is also proven (interval evaluation of
// |P(x)/e^x - 1| at 2g+3 points, left endpoints), so lower <= true max <=
// rel_error always, and a degree with rel_error_lower > eps provably misses eps.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>
#include "core/options.hpp"

namespace sethkit::attention {

enum class ExpApproxMethod { chebyshev, taylor };

// "chebyshev" / "taylor".
std::string to_string(ExpApproxMethod method);

// The rigorous bounds for one coefficient vector on [-R, R].
struct ExpCertificate {
  double rel_error = 0;        // upper bound on max_{|x|<=R} |P(x) - e^x| / e^x (rounded up)
  double rel_error_lower = 0;  // lower bound on the same maximum (rounded down)
  double abs_sum = 0;          // upper bound on sum_m |c_m| R^m (= max over |x| <= R of sum |c_m x^m|)
};

// A polynomial in the monomial basis and its certificate on [-radius, radius].
struct ExpPolynomial {
  ExpApproxMethod method = ExpApproxMethod::chebyshev;
  double radius = 0;            // R
  int degree = 0;               // g (coeffs.size() == g + 1)
  std::vector<double> coeffs;   // c_0..c_g: P(x) = sum_m c_m x^m, exactly these doubles
  double rel_error = 0;         // certified upper bound (ExpCertificate::rel_error)
  double rel_error_lower = 0;   // proven lower bound
  double abs_sum = 0;           // upper bound on sum_m |c_m| R^m

  // True iff the certificate proves max |P/exp - 1| <= eps on [-R, R].
  bool meets(double eps) const { return rel_error <= eps; }
};

// requires: radius finite and >= 0; coeffs non-empty and finite.
// ensures: the bounds of the header comment, for P with exactly these coeffs.
//   Cost O(g^3) interval operations (N = 8(g+1) pieces, an O(g^2) shift each).
ExpCertificate certify_exp_relative_error(std::span<const double> coeffs, double radius);

// Builds the degree-g polynomial of `method` on [-radius, radius] and
// certifies it.
// requires: radius finite, >= 0; 0 <= degree <= kMaxExpDegree (InputError).
ExpPolynomial exp_polynomial(ExpApproxMethod method, double radius, int degree);

// The smallest degree g <= max_degree whose certificate meets eps: every
// smaller degree has either a proven lower bound above eps (it cannot meet
// eps) or a certificate above eps. Degrees are tried upwards; one whose cheap
// lower bound (2g+3 points, O(g^2)) already exceeds eps is rejected without
// the full certificate.
// nullopt when no g <= max_degree qualifies, or when the search stalls: past
// estimate_exp_degree, kExpDegreeStall degrees in a row without halving the
// proven lower bound. That is the floor of double coefficients in the
// monomial basis: rounding c_m perturbs P by up to u sum |c_m| R^m ~ u e^R,
// which is u e^{2R} relative at x = -R (about 1e-9 at R = 8, 1e-2 at R = 16),
// and more degree cannot lower it.
// requires: radius finite >= 0; 0 < eps < 1; max_degree <= kMaxExpDegree.
std::optional<ExpPolynomial> smallest_exp_polynomial(ExpApproxMethod method, double radius,
                                                     double eps, int max_degree);
inline constexpr int kExpDegreeStall = core::option_as<int>("poly.degree_stall");

// A heuristic degree (not certified, O(g) in double) for sizes that will not
// be built: the smallest g whose estimated relative error is <= eps
// (chebyshev: 2 I_{g+1}(R) e^R; taylor: R^{g+1} e^R / (g+1)! / (1 - R/(g+2))).
// Used to say what a refused instance would need. Returns up to 100000.
int estimate_exp_degree(ExpApproxMethod method, double radius, double eps);

// Degrees above this are refused: certification costs O(g^3) interval
// operations at 160 + 3R + g bits (2.4 s at g = 100, R = 30 on the reference
// machine), and no rank that fits in memory needs more except at d = 1.
inline constexpr int kMaxExpDegree = core::option_as<int>("poly.degree_limit");

}  // namespace sethkit::attention
