// Float32 exact attention as a certified backend (issue 18 part 1): the
// exact streaming kernel (attention/exact_attention.hpp) run in float32, with
// a rigorous a-priori bound, per query row, on the float32 rounding error of
// log D_i and of O[i,:], so the row decider (solvers/attention_decider.hpp)
// can use float32 like any other certified backend.
//
//   const Backend& b = find_backend("float");
//   BackendResult r = b.run(inst, opt);           // opt.precision is float32
//   // |log D~_i - log D_i| <= r.log_d_row_bounds[i]; |O~ - O| <= r.report.error_bound
//   FloatUnderflow u = float_underflow(inst, opt, r);   // O entries below float32's range
//   FloatLogOutput lo = float_log_output(inst, opt);    // log O_i = log N_i - log D_i
//
// The bound (standard floating-point error analysis; N. J. Higham, "Accuracy
// and Stability of Numerical Algorithms", 2nd ed., SIAM 2002: the model
// fl(x op y) = (x op y)(1 + delta), |delta| <= u (Sec. 2.2, with an absolute
// term for underflow, Sec. 2.1), gamma_n = n u / (1 - n u) (Lemma 3.1), dot
// products |fl(x^T y) - x^T y| <= gamma_n |x|^T |y| in any summation order,
// with or without FMA (Eq. 3.5, Sec. 3.1), and sums of nonnegative terms
// |fl(sum x) - sum x| <= gamma_{n-1} sum x (Sec. 4.2)). u = 2^-24 (float32),
// u_d = 2^-53 for the kernel's double steps, tau = 2^-126 per underflowing
// operation (covers flush-to-zero). For query row i, with
//   P_i = |scale| sum_c prod_{p=0}^{k-1} (|x_pc| (1 + u) + tau),
//   x_0c = Q[i,c], x_pc = max_j |K_p[j,c]| (p >= 1; the column maxima),
// which bounds every |score| of the row, the computed score of any tuple t is
//   |s~_t - s_t| <= e_score = gamma_{d+2k+1} P_i + (P_i - P0_i) + 4 u_d P_i + (d + 2) tau max(1, |scale|)
// (k input roundings to float, k - 1 products, a d-term dot product, the
// float scale and the GEMM's alpha: d + 2k + 1 roundings; P0_i is P_i
// without the inflation, the difference covers underflow). The online softmax
// (exact_attention.cpp absorb_tile) exponentiates fl(s~_t - m~) <= 0 with
// m~ the computed row maximum (one float subtraction, error <= u 2 R_i with
// R_i = P0_i + e_score), by detail::exp_nonpositive(float) (vector_exp.hpp:
// relative error <= kFloatExpRelError, derived below), so each term's log
// error is at most
//   e_w = e_score + 2 u R_i + e_exp,     e_exp = kFloatExpRelError / (1 - kFloatExpRelError),
// and, since a sum of positive terms each within a factor e^{+-e_w} is itself
// within e^{+-e_w}, log D has the error
//   e_D = e_w + log(1 + gamma_{tile_b}) + log(1 + gamma^d_{n_add})
//         + log(1 + T e^{-87 + 2 e_w}) + 2 u_d (|log D~_i| + 2 R_i + log T + 1),
// the float row sums of tile_b terms, the double accumulation (n_add adds,
// three roundings per rescale), the terms below e^-87 that the exp flushes to
// zero (T tuples, against the row's largest term, exp(0) = 1), and the final
// log and addition. For the entries of O (values in [-Vmax, Vmax], Vmax =
// max_c prod_p max_j |V_p[j,c]|), with eta = e^{e_w}(1 + gamma_V) - 1 and
// gamma_V = gamma_{tile_b + 2k} + gamma^d_{n_add + 2},
//   |O~[i,c] - O[i,c]| <= Vmax (eta e^{e_D} + e^{e_D} - 1) + 4 T tau + (u_d + u) Vmax
// (the value products and the GEMM P V_b in float, the double sums, the
// division, and the rounding to float32 when O is written as float32).
// Everything is evaluated in double and rounded up by a relative 2^-40.
//
// kFloatExpRelError = 2.5e-6 bounds exp_nonpositive(float) on [-87, 0]:
// the reduction x = k ln2 + r is exact but for the low part (|r error| <=
// 2.1e-8), the degree-7 Taylor remainder on |r| <= 0.347 is <= 1.1e-8
// relative, Horner's rounding with rounded coefficients is <= gamma_15
// p(|r|)/p(r) <= 1.9e-6, and a result just below 2^-126 may be subnormal
// (<= 2^-23.5 relative); the tests measure the actual error (about 1e-7).
//
// For reduced instances (Lemma B.1: scores up to beta/2, B = beta^{1/k}) the
// bound on log D is about gamma_d beta, e.g. 0.05..0.1 for uf20-91, inside
// the threshold's margin (log 2 / 2 + 2 eps_a): the float backend decides
// them. Its O underflows there (log O ~ -beta/2d), so the decider reads
// log D of the full and the data-rows instance, never O.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "attention/backend.hpp"

namespace sethkit::attention {

inline constexpr double kFloatUnitRoundoff = 0x1p-24;
inline constexpr double kFloatExpRelError = 2.5e-6;

struct FloatRowBounds {
  std::vector<double> log_d;  // |log D~_i - log D_i| <= log_d[i] (0 for a row with no allowed tuple)
  std::vector<double> o;      // |O~[i,c] - O[i,c]| <= o[i] for every c
  std::vector<double> term;   // e_w of row i: the log error of each computed term exp(s~_t)
};

// The bounds of the header comment for a float32 run of exact_attention on
// inst with this scale and tuning, given the computed log D~ (one per row).
// requires: inst validated, log_d_computed.size() == n_q.
FloatRowBounds float_exact_bounds(const AttentionInstance& inst, double scale, const ExactTuning& tuning,
                                  const std::vector<double>& log_d_computed);

// O entries that float32 cannot hold (|O| below FLT_MIN, so a float32 O reads
// as 0 or a subnormal with no relative accuracy) on an instance whose O was
// computed by the float backend (result). An entry is a candidate when |O~| <
// 2^-100 max|V| and its value column is not identically zero; its log O is
// then certified through float_log_output on those rows and columns (one
// extra float32 run per candidate column), and it underflows when the
// certified log |O| upper bound is below log FLT_MIN. Signed columns use |V|
// (an upper bound on |O|). With windows the candidates are reported
// unverified (verified = false).
struct FloatUnderflow {
  std::size_t entries = 0;        // underflowing entries
  std::size_t first_row = 0, first_col = 0;
  double first_log_o = 0;         // log |O| of the first (upper bound for signed columns)
  double first_log_o_bound = 0;   // its certified error
  bool verified = true;
  bool any() const { return entries > 0; }
  std::string message() const;    // "O underflows float32 in N entries (first: row i, column c, log O = ...)"
};
FloatUnderflow float_underflow(const AttentionInstance& inst, const BackendOptions& options,
                               const BackendResult& result);

// log O_{ic} = log N_ic - log D_i for nonnegative values, never an
// underflowed O: N_ic is the log-normalizer of the instance restricted to the
// key rows with V_p[j,c] > 0 and log V_p[j,c] added to their scores (an extra
// coordinate per side), computed by the float backend with its bound. -inf
// where no allowed tuple has a positive value (O = 0 exactly).
// requires: every V entry >= 0 (InputError naming the matrix, row and column
//   otherwise), no window (InputError), rows empty or a list of query rows.
struct FloatLogOutput {
  std::size_t rows = 0, cols = 0;
  std::vector<double> log_o;    // rows x cols
  std::vector<double> bound;    // rows x cols: |log O~ - log O| <= bound
  std::vector<std::size_t> row_index;  // the query row of each output row
  double seconds = 0;
};
FloatLogOutput float_log_output(const AttentionInstance& inst, const BackendOptions& options,
                                const std::vector<std::size_t>& rows = {}, const std::vector<std::size_t>& cols = {},
                                bool use_abs_values = false);

}  // namespace sethkit::attention
