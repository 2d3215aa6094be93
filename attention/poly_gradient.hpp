// The fast gradient of tensor attention by the polynomial method (issue 8
// part 3; paper 002's fast gradient, DESIGN.md "Attention backends" ->
// gradient), for any order k >= 2, with a proven error bound against the
// exact gradient reported beside the result.
//
// Worked example:
//
//   #include "attention/poly_gradient.hpp"
//   using namespace sethkit::attention;
//   PolyOptions opt;
//   opt.eps = 1e-6;
//   PolyAttentionGradient pg = poly_attention_gradient(inst, e, opt);
//   pg.gradient.d_q(i, c);      // ~ dLoss/dQ[i,c]; |.. - exact| <= pg.d_q_bound
//   pg.gradient.d_keys[p];      // ~ dLoss/dK_{p+1}; entrywise within pg.d_key_bounds[p]
//   pg.gradient.d_values[p];    // ~ dLoss/dV_{p+1}; entrywise within pg.d_value_bounds[p]
//   pg.gradient.loss;           // 0.5 ||O~ - E||^2; |.. - Loss| <= pg.loss_bound
//   pg.report;                  // the forward's PolyReport (degree, rank, eps_P, ..)
//
// What is computed (the choice, stated): the exact backward formula with
// exp replaced by P. With A~_l = P(S_l) (l = (j_1..j_{k-1}) a key tuple of
// row i), D~_i = sum_l A~_l, O~ = the poly forward, dO = O~ - E,
// delta_i = dO_i . O~_i, v_l = V_1[j_1] o .. o V_{k-1}[j_{k-1}],
//    G~_l = (A~_l / D~_i) (dO_i . v_l - delta_i)
// takes the place of dLoss/dS_l, and dQ, dK_p, dV_p follow from G~ and the
// weights A~_l / D~_i exactly as in the exact backward. This approximates the
// TRUE gradient (not the gradient of the approximate loss, whose dS would
// carry P'(S) / P(S)); its distance to the true gradient is what we bound.
//
// How (the features of poly_attention.hpp: U_0[i,a] carries w_a, U_p[j,a]
// the normalized monomials of side p, P(S_l) = sum_a U_0[i,a] prod_p U_p[j_p,a]):
//    F_p[a,c',c] = sum_j U_p[j,a] V_p[j,c'] K_p[j,c],  F'_p[a,c] = sum_j U_p[j,a] K_p[j,c],
//    E_p[a,c']   = sum_j U_p[j,a] V_p[j,c']                      (one pass per side)
//    dQ_ic = scale / D~_i sum_a U_0[i,a] [sum_c' dO_ic' prod_p F_p[a,c',c] - delta_i prod_p F'_p[a,c]]
//    H[a,c',c] = sum_i U_0[i,a] dO_ic' Q_ic / D~_i,  H'[a,c] = sum_i U_0[i,a] delta_i Q_ic / D~_i,
//    J[a,c'] = sum_i U_0[i,a] dO_ic' / D~_i                      (one pass over the queries)
//    dK_p[j,c] = scale sum_a U_p[j,a] [sum_c' V_p[j,c'] H prod_{p'!=p} F_p' - H' prod_{p'!=p} F'_p']
//    dV_p[j,c'] = sum_a U_p[j,a] J[a,c'] prod_{p'!=p} E_p'[a,c']
// Time O((n_q + sum_p n_p) r d d_v) (+ r d per row for the features), memory
// O(r d d_v) per row chunk: nothing of size n^{k-1}. Row chunks are fixed by
// n_q only and summed in chunk order, so the result does not depend on the
// thread count.
//
// The bound (proven for the arithmetic as analysed; per matrix, entrywise).
// Let eps = eps_P (P's certified relative error on [-R, R]), beta = the
// forward's error_bound (|O~ - O| entrywise, rounding included), lambda = its
// log_d_bound (|log D~ - log D|), Vm = max_c' prod_p max_j |V_p[j,c']|, and
// w_l = A_l / D_i, w~_l = A~_l / D~_i. Then w~_l = w_l (1 + delta_l) e^{-theta}
// with |delta_l| <= eps, |theta| <= lambda, so
//    sum_l |w~_l - w_l| <= eta := (1 + eps) e^lambda - 1.
// With g_l = dO_true . (v_l - O) and g~_l = dO . (v_l - O~):
//    |g~_l| <= ||dO_i||_1 (2 Vm + beta),
//    |g~_l - g_l| <= d_v beta (2 Vm + beta) + (||dO_i||_1 + d_v beta) beta,
// hence sum_l |G~_l - G_l| <= e_i := eta ||dO_i||_1 (2Vm + beta) + (the second line).
// Every dS_l/dQ_ic is bounded by |scale| prod_p max|K_p[:,c]|, so
//    |dQ~_ic - dQ_ic| <= |scale| prod_p max|K_p[:,c]| e_i;
//    |dK~_p - dK_p| <= |scale| max_c (max|Q[:,c]| prod_{p'!=p} max|K_p'[:,c]|) sum_i e_i;
//    |dV~_p[j,c'] - dV_p[j,c']| <= prod_{p'!=p} max|V_p'[:,c']| sum_i (eta |dO_ic'| + beta);
//    |Loss~ - Loss| <= sum_ic' beta (|dO_ic'| + beta / 2).
// The dK and dV bounds sum over all rows (a key row sees at most all of
// them), so they are loose by up to a factor of n_p; still proven. To each
// gradient bound we add the backward's rounding, a posteriori in the style of
// poly_attention.hpp: the expanded sums have terms bounded by Pabs(R) (= the
// certificate's abs_sum) times the tuple counts and the entry bounds, each
// through at most L roundings (L counts the feature chain, the sums over
// every side length, the rank and d_v), so rounding <= gamma_L times those
// absolute sums; with  rho_i = gamma_L |scale| Pabs(R) prod_p n_p
// (||dO_i||_1 Vm + |delta_i|) / D~_i  it adds rho_i prod_p max|K_p[:,c]| to
// dQ, and the analogous sums (divided by n_p) to dK_p and dV_p.
#pragma once

#include <vector>

#include "attention/gradient.hpp"
#include "attention/poly_attention.hpp"
#include "problems/attention_instance.hpp"

namespace sethkit::attention {

struct PolyAttentionGradient {
  AttentionGradient gradient;         // loss, O~, log D~, dQ, dK_p, dV_p (fast)
  PolyReport report;                  // the poly forward's report (degree, rank, eps_P, bounds on O~)
  double loss_bound = 0;              // |gradient.loss - exact loss| <= this
  double d_q_bound = 0;               // |dQ~ - dQ| <= this, entrywise
  std::vector<double> d_key_bounds;   // per key side, entrywise
  std::vector<double> d_value_bounds; // per value side, entrywise
  double error_bound = 0;             // the largest of the gradient bounds (inf if any row failed)
};

// requires: inst.validate() passes; target n_q x d_v, finite (InputError);
//   options as poly_attention (precision is forced to float64: the backward
//   is double only); the plan runnable (SizeLimitError otherwise).
// ensures: the gradient of the header comment and the proven bounds; the
//   result does not depend on options.threads, bit for bit, except through
//   poly_attention's forward (whose key sums may differ in the last bits).
PolyAttentionGradient poly_attention_gradient(const AttentionInstance& inst, const DenseMatrix& target,
                                              const PolyOptions& options = {});

// Working memory of poly_attention_gradient beyond the instance, in bytes
// (plan.rank from plan_poly_attention): for refusing before the work starts.
double poly_attention_gradient_bytes(const AttentionInstance& inst, double rank);

// ---- paper 002 Theorem 1: dX by the polynomial method ------------------------
//
// Theorem 1 solves ATAttLGC (Definition 2): output g~ (d x d^2) with
// ||g~ - dLoss/dX||_inf <= eps, entrywise, in n^{1+o(1)} time when
// B = o(cbrt(log n)). Here that entrywise bound is certified for the run
// (d_x_bound) rather than promised by the asymptotics.
//
// The paper's form (gradient.hpp, Definition 1; Theorem 1: dX in n^{1+o(1)}
// time for small entries). paper_attention_instance maps it onto attention
// (Q = A1 X1, K1 = A2 X2, K2 = A3 X3, V1 = A4 Y1, V2 = A5 Y2, scale 1/d) and
// dX = scale A1^T G (A2 (x) A3) with G = dLoss/dS, as paper_gradient does for
// the exact one. With G~ of the header above (P in place of exp) and the
// side sums, in the same passes as dQ, dK, dV,
//    FA_p[a,c',b]  = sum_j U_p[j,a] V_p[j,c'] A_{p+1}'[j,b],  FA'_p[a,b] = sum_j U_p[j,a] A_{p+1}'[j,b]
//    (A_1' = A2, A_2' = A3: the matrices whose Kronecker product dX pairs),
//    HX[a,c',a'] = sum_i U_0[i,a] dO_ic' A1[i,a'] / D~_i,  HX'[a,a'] = sum_i U_0[i,a] delta_i A1[i,a'] / D~_i,
//    dX~[a', b1 + b2 d] = scale sum_a [sum_c' HX[a,c',a'] FA_1[a,c',b1] FA_2[a,c',b2]
//                                       - HX'[a,a'] FA'_1[a,b1] FA'_2[a,b2]],
// time O((n_q + n_1 + n_2) r d d_v + r d_v d^3): linear in n for fixed d, g.
//
// The bound (entrywise, certified; the proof of the header above carried
// through the chain rule): |dX~ - dX|[a', b1 + b2 d] <= |scale| max|A2| max|A3|
// sum_i |A1[i,a']| e_i, since sum_l |G~_l - G_l| <= e_i in row i and every
// dS_il/dX[a',b] is scale A1[i,a'] A2[j1,b1] A3[j2,b2]; plus the rounding of
// the expanded sum, max|A2| max|A3| sum_i |A1[i,a']| rho_i (rho_i as above,
// with L counting four more roundings for the A factors). d_x_bound is the
// largest over a'. The factor gradients are products with the A's:
// dX1 = A1^T dQ~ etc., so |dX1~ - dX1| <= max_a sum_i |A1[i,a]| d_q_bound +
// gamma_{n_q} max (|A1|^T |dQ~|) (the GEMM's rounding, any summation order;
// Higham, Accuracy and Stability, Sec. 3.5), the same for dX2 (A2, dK1),
// dX3 (A3, dK2), dY1 (A4, dV1), dY2 (A5, dV2). As for the exact paper
// gradient, "exact" means at the instance's Q = A1 X1, .. as computed in
// double (the rounding of those d-term products is not counted).
struct PolyPaperGradient {
  PaperGradient gradient;               // loss, dX (d x d^2), dX1..dY2, attention (dQ.., O~, log D~)
  PolyReport report;                    // the poly forward's report
  double loss_bound = 0;                // |loss - exact loss|
  double d_x_bound = 0;                 // |dX~ - dX|, entrywise
  double d_x1_bound = 0, d_x2_bound = 0, d_x3_bound = 0;  // entrywise
  double d_y1_bound = 0, d_y2_bound = 0;                  // entrywise
  PolyAttentionGradient attention_bounds;  // the attention form's bounds (its gradient field is empty)
};

// requires: paper.validate() passes (checked); options as poly_attention
//   (precision forced to float64); options.scale unset or 1/d (InputError);
//   the plan runnable (SizeLimitError otherwise).
// ensures: the dX and bounds above; infinite bounds when a row failed.
PolyPaperGradient poly_paper_gradient(const PaperInstance& paper, const PolyOptions& options = {});

// Working memory of poly_paper_gradient beyond the paper's matrices, in bytes.
double poly_paper_gradient_bytes(const AttentionInstance& inst, double rank);

}  // namespace sethkit::attention
