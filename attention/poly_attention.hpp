// The polynomial-method backend: paper 001 Algorithm 1 (Theorem E.3) for any
// order k >= 2, with a certified l-infinity error bound on the output.
//
// Worked example:
//
//   #include "attention/poly_attention.hpp"
//   using namespace sethkit::attention;
//   sethkit::AttentionInstance inst = sethkit::read_attention_directory("dir");
//   PolyOptions opt;
//   opt.eps = 1e-6;                                    // relative error of P ~ exp
//   PolyReport plan = plan_poly_attention(inst, opt);  // sizes and bounds, no work
//   if (!plan.runnable()) { std::cerr << plan.refusal << "\n"; return 1; }
//   opt.polynomial = plan.polynomial;                  // reuse the certificate
//   PolyAttentionResult res = poly_attention(inst, opt);   // throws SizeLimitError if refused
//   double o_ic = res.out.o[i * res.out.cols + c];     // O~[i,c]
//   double ld   = res.out.log_d[i];                    // log D~_i
//   // |O~[i,c] - O[i,c]| <= res.report.error_bound for every i, c (proven);
//   // |log D~_i - log D_i| <= res.report.log_d_bound;
//   // res.report.degree, .rank, .radius, .exp_rel_error say what was run.
//
// The method (Lemma E.1, generalized; DESIGN.md "polynomial method"):
//   1. R: every score s = scale <q, k_1, .., k_{k-1}> satisfies |s| <= R with
//        R = |scale| sum_c max_i |Q[i,c]| prod_p max_j |K_p[j,c]|   (column-wise),
//      never larger than the uniform bound of Lemma D.3, |scale| d B_Q prod_p B_Kp
//      (reported as radius_uniform); R is computed rounded up.
//   2. P(x) = sum_{m<=g} c_m x^m ~ exp on [-R, R] with certified relative error
//      eps_P <= eps (poly_approx.hpp): the smallest certified Chebyshev degree.
//   3. Features: normalize each column (x_c = K_p[j,c] / max_j |K_p[j,c]|, same
//      for Q) and let gamma_c = scale max|Q[:,c]| prod_p max|K_p[:,c]|, so that
//      s = sum_c gamma_c xq_c xk1_c .. and sum_c |gamma_c| = R. With the
//      multinomial theorem,
//        P(s) = sum_{|a| <= g} w_a  xq^a  xk1^a .. xk_{k-1}^a,
//        w_a = c_{|a|} multinomial(|a|; a) gamma^a,
//      over the multi-indices a in N^d, so U_p(k_p) = (k_p^a)_a (all entries in
//      [-1, 1]) and the query side carries w_a: rank r = sum_{m<=g} C(m+d-1, d-1)
//      = C(d+g, g) (the paper's C(3(g+d), 3g) counts monomials in all 3d
//      variables at once; tying the exponents of the k sides is exact).
//   4. Lemma C.3 (column-wise Kronecker identity), with V'_p = [V_p | 1]:
//        G_p = U_p^T V'_p  (r x (d_v+1), one pass over side p),
//        H   = w o G_1 o .. o G_{k-1}  (Hadamard),
//        [N~ | D~] = U_0 H,  O~ = N~ / D~,  log D~ = log(last column),
//      in O((n_q + sum_p n_p) r (d_v + 1)) time and O(r (d_v + 1 + row_block))
//      memory per thread: nothing of size n^{k-1}, nor U_p whole (row blocks).
//      The products have d_v + 1 columns: vectorized loops, no BLAS.
//
// The error bound (all of it proven; reported separately):
//   approx_bound (exact arithmetic; Lemmas D.5, D.6, sharpened). Write
//   A~ = A (1 + delta_l) with |delta_l| <= eps_P, weights w_l = A_l / D_i and
//   dbar = sum_l w_l delta_l, so D~ = D (1 + dbar) (Lemma D.5). Then
//     O~ - O = sum_l w_l (delta_l - dbar) (V_l - c) / (1 + dbar)   for any c,
//   because sum_l w_l (delta_l - dbar) = 0. Take c the midpoint of the range
//   [Lo_v, Hi_v] of the value products V1[j1,v] .. V_{k-1}[j_{k-1},v]; by
//   Cauchy-Schwarz and Popoviciu's variance inequality sum_l w_l |delta_l - dbar|
//   <= eps_P. Hence, per column v,
//     |O~ - O| <= eps_P / (1 - eps_P) * (Hi_v - Lo_v) / 2,
//   i.e. eps_P Vmax / (2 (1 - eps_P)) for nonnegative values in [0, Vmax]
//   (indicator values of reduced instances) and eps_P Vmax / (1 - eps_P) for
//   signed values in [-Vmax, Vmax]; Lemma D.6 gives (eps_A + eps_D) Vmax =
//   2 eps_P Vmax for the latter. Needs eps_P < 1 (then every A~ > 0).
//   rounding_bound (floating point, a posteriori per row, Higham's gamma_L):
//   each term w_a xq^a prod_p xk_p^a V'_p of the expanded sums passes through at
//   most L roundings (feature chains 2g + .., key sums of depth row_block +
//   blocks + threads, the query sum chunked to depth rank_chunk + r/rank_chunk),
//   so with Pabs(x) = sum_m |c_m| x^m, R_i = sum_c |gamma_c xq_c| <= R and
//   eta_i = gamma_L prod_p n_p Pabs(R_i):
//     |N^ - N~| <= eta_i Vmax,  |D^ - D~| <= eta_i,
//     |N^/D^ - N~/D~| <= 2 eta_i Vmax / D^_i    (|O~| <= Vmax),
//   plus the final division's rounding. u = 2^-53 (float64) or 2^-24
//   (float32; double steps counted at float's u as well).
//   error_bound = approx_bound + max_i rounding_i;
//   log_d_bound = max_i [-log(1 - eps_P) - log(1 - eta_i / D^_i)] + 4 ulps of |log D^_i|.
//   A row whose computed D^ is <= 0 or not finite (possible only when eps_P is
//   not < 1 or under overflow) gets O = NaN, log D = NaN and is counted in
//   bad_rows; error_bound is then +inf.
//
// Departures from the paper: any k; rank C(d+g, g) instead of C(3(g+d), 3g);
// R from column maxima instead of d B^3; degree from a certificate instead of
// the O(.) of Corollary D.2; d_v may differ from d and sides may differ in
// length; scale is a parameter (paper: 1/d).
// Floor: the monomial expansion cancels terms of size up to e^R down to e^-R,
// so in double no eps below about 2^-53 e^{2R} can be certified (R <= 8 reaches
// 1e-9; R = 16 only 1e-3): such an eps is refused, saying so.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "attention/exact_attention.hpp"
#include "attention/poly_approx.hpp"
#include "problems/attention_instance.hpp"
#include "core/options.hpp"

namespace sethkit::attention {

// Scratch and output of one run above this are refused (SizeLimitError).
inline constexpr double kPolyMaxBytes = core::option("poly.max_bytes");  // 4 GiB
// Scores past this radius are refused without a degree search: the double
// floor 2^-53 e^{2R} is then above 1e17 (reduced instances, whose scores reach
// beta/2, land here).
inline constexpr double kPolyMaxRadius = core::option("poly.max_radius");

struct PolyTuning {
  // Rows of a side per feature block: U is rank x row_block per thread, and
  // row_block is the length of the key-side dot products (their summation
  // depth). 128 rows of 8-byte features fill two AVX-512 lanes 8 times.
  std::size_t row_block = core::option_as<std::size_t>("poly.row_block");
  // The query side sums over the rank in chunks of this many terms and then
  // adds the chunks: same flops, summation depth chunk + r/chunk instead of r
  // (the rounding bound depends on it).
  std::size_t rank_chunk = core::option_as<std::size_t>("poly.rank_chunk");
};

struct PolyOptions {
  double eps = 1e-6;  // target certified relative error of P ~ exp on [-R, R], in (0, 1)
  std::optional<double> scale;  // unset: the instance's scale
  Precision precision = Precision::float64;
  ExpApproxMethod method = ExpApproxMethod::chebyshev;
  // Force the degree (no search): the report says whether eps is met, and the
  // bounds use the polynomial's own certified error.
  std::optional<int> degree;
  // Use this certified polynomial (from an earlier plan): no search, no
  // certificate; its radius must be >= the instance's R (InputError).
  std::optional<ExpPolynomial> polynomial;
  int max_degree = core::option_as<int>("poly.max_degree");  // the degree search stops here
  double max_bytes = kPolyMaxBytes;  // refuse above this (rank and bytes in the message)
  int threads = 0;                   // 0: OpenMP's default
  PolyTuning tuning;
};

// What a run would do (plan_poly_attention) or did (poly_attention).
struct PolyReport {
  int k = 0;
  std::vector<std::size_t> lengths;  // n_q, n_1, .., n_{k-1}
  std::size_t d = 0, d_v = 0;
  double scale = 0;
  std::vector<double> entry_bounds;  // B_Q, B_K1, .., B_K{k-1}: max |entry| per side
  double entry_bound = 0;            // the largest of them: "the B of the instance"
  double radius = 0;                 // R used (column-wise, rounded up)
  double radius_uniform = 0;         // |scale| d B_Q prod B_Kp, for comparison (>= radius)
  ExpApproxMethod method = ExpApproxMethod::chebyshev;
  int degree = 0;                    // g (estimated when refused before certifying)
  bool degree_estimated = false;     // true: degree/rank are estimate_exp_degree's, not run
  double rank = 0;                   // r = C(d+g, g), exact below 2^53
  double bytes = 0;                  // scratch + output of the run
  std::optional<ExpPolynomial> polynomial;  // the certified P, when one was found
  double exp_rel_error = 0;          // eps_P: certified (inf if none)
  bool eps_met = false;              // eps_P <= options.eps
  double value_max = 0;              // max_v prod_p max_j |V_p[j,v]|
  double value_halfrange = 0;        // max_v (Hi_v - Lo_v) / 2
  double approx_bound = 0;           // eps_P / (1 - eps_P) * value_halfrange (inf if eps_P >= 1)
  std::string refusal;               // empty iff runnable; else the whole message
  // Filled by poly_attention only:
  double rounding_bound = 0;         // max_i rounding_i
  double error_bound = 0;            // approx_bound + rounding_bound: |O~ - O| <= this, entrywise
  double log_d_bound = 0;            // |log D~_i - log D_i| <= this
  std::size_t bad_rows = 0;          // rows with D~ <= 0 or not finite (O, log D = NaN)
  double seconds_plan = 0;           // R, degree search and certificate
  double seconds_compute = 0;        // features, products, division

  bool runnable() const { return refusal.empty(); }
};

struct PolyAttentionResult {
  AttentionOutput out;  // rows n_q, cols d_v, o, log_d (of D~), precision, seconds (total)
  PolyReport report;
};

// requires: inst.validate() passes; 0 < eps < 1; max_degree in
//   [0, kMaxExpDegree]; a forced degree in [0, kMaxExpDegree]; a given
//   polynomial's radius >= R; threads >= 0; row_block, rank_chunk >= 1
//   (InputError otherwise).
// ensures: every field above except the run fields; refusal non-empty when
//   the run would pass max_bytes (naming r and the bytes) or no degree
//   <= max_degree can be certified to eps (naming R, the estimated degree and
//   rank, and the double floor). Cost: the degree search (milliseconds to
//   a fraction of a second; O(g^3) interval arithmetic).
PolyReport plan_poly_attention(const AttentionInstance& inst, const PolyOptions& options = {});

// requires: as plan_poly_attention; throws SizeLimitError(report.refusal)
//   when the plan is not runnable.
// ensures: out.o = N~ / D~ and out.log_d = log D~ as in the header comment,
//   and the proven bounds in report. Uses OpenMP, not BLAS (the products have
//   d_v + 1 columns); reentrant.
PolyAttentionResult poly_attention(const AttentionInstance& inst, const PolyOptions& options = {});

// r = C(d + g, g) as a double (exact while below 2^53, +inf past double).
double poly_rank(std::size_t d, int degree);

// The multi-indices a (|a| <= g) in the order of the features, as exponent
// vectors of length d (tests and small d, g only: r d ints).
std::vector<std::vector<int>> poly_exponents(std::size_t d, int degree);

}  // namespace sethkit::attention
