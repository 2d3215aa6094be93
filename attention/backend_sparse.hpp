// A certified sparse attention backend (issue 18 part 2), `--backend sparse`:
// for each query row, bound the scores of whole blocks of key tuples from
// per-block statistics, evaluate exactly (BLAS tiles, as the exact backend,
// attention/exact_attention.hpp) only the block-tuples that can carry more
// than a share eps of the row's mass, and certify O_i and log D_i from the
// skipped blocks' bounds. Paper 001 Definition 1.1 / 1.5 is what is computed;
// the blocks follow its column-wise Kronecker structure (Definition 2.4): a
// block-tuple is a product of one block of rows per key side.
//
//   const Backend& b = find_backend("sparse");
//   BackendResult r = b.run(inst, opt);   // opt.eps: the skipped mass budget
//   // |log D~_i - log D_i| <= r.log_d_row_bounds[i], |O~ - O| <= r.report.error_bound
//   // r.report.details["tuples_evaluated_fraction"], ["rows_exact"]
//
// Block bound. Each key side K_p is cut into blocks of consecutive rows
// (SparseTuning::block_tuple_size fixes their length; doubled on the side
// with most blocks until there are at most max_block_tuples block-tuples). A block
// keeps, per coordinate c, the interval [min_j K_p[j,c], max_j K_p[j,c]]. For a
// query row q and a block-tuple t = (B_1, .., B_{k-1}), interval arithmetic
// over q_c * I_1c * .. * I_{k-1,c} and the sum over c gives [L_t, U_t] with
// L_t <= s <= U_t for every score s of the tuples in t (rounded outward by
// gamma_{d+2k+2} P_i, P_i below). The mass of t is at most |t| exp(U_t), at
// least |t| exp(L_t). For 0/1 and +-1 data (reduced instances) the intervals
// are the popcount-style bounds: a coordinate where some block is all zero
// contributes exactly 0, so on Lemma B.1 instances every tuple that mixes
// data and padding rows is bounded by exp(0) and all-data tuples by
// exp(beta/4) against the padding tuples' exp(beta/2).
//
// Selection (per row). With rho* = eps / (2 max(1, W)), W the widest value
// interval (below), the row's budget is rho* times a lower bound of its mass:
// the exactly evaluated mass of the block-tuple with the largest mass bound,
// or sum_t |t| exp(L_t) if larger. Block-tuples are skipped from the smallest
// bound up while the skipped bounds sum to at most the budget; the others are
// evaluated exactly, consecutive blocks of the last side merged into one GEMM.
// Fallback: before any evaluation, the tuples whose bound alone passes
// rho* sum_t |t| exp(U_t) (the largest budget possible) must be evaluated;
// when they, or the selected set, exceed SparseTuning::exact_fraction of the
// row's tuples, the row goes to the exact backend's kernel unchanged (so when
// nothing can be pruned the cost is the exact backend's plus an O(blocks d)
// bound pass per row).
//
// Certificate (per row). D = D_E + S, with D_E the evaluated mass and 0 <= S
// <= S_U, the sum of the skipped bounds. With rho = S_U / D_E (bounded above
// through the computed D~_E and its rounding bound e_D):
//   log D in [log D_E, log D_E + log1p(rho)]: log D~ is the midpoint and
//     |log D~_i - log D_i| <= e_D + log1p(rho) / 2;
//   O - O_E = S (o_S - O_E) / (D_E + S) with o_S, O_E in the value interval
//     [Vlo_c, Vhi_c] (interval product of the columns of V_1..V_{k-1}), so
//     |O~[i,c] - O[i,c]| <= o_round + rho / (1 + rho) * W, W = max_c Vhi_c - Vlo_c.
// Rounding is counted (rounding_counted): the float32 backend's a-priori
// analysis (attention/backend_float.hpp, Higham's gamma_n model) with the
// double unit roundoff u = 2^-53, the exact double exp's relative error
// (kSparseExpRelError: attention/vector_exp.hpp's degree-12 Taylor, < 2e-16
// truncation, Horner rounding gamma_25 e^{0.7} < 6e-15) and each row's actual
// tile count, for the evaluated rows and the exact-fallback rows alike.
// Departure: none from the paper. It computes in double (a float32 request
// runs in double, report.precision says so); windows, the oracle form and the
// gradient are not supported (use --backend exact).
#pragma once

#include <cstddef>

#include "attention/backend.hpp"
#include "core/options.hpp"

namespace sethkit::attention {

// Relative error of detail::exp_nonpositive(double) (see the header comment).
inline constexpr double kSparseExpRelError = 1e-14;

struct SparseTuning {
  // Key tuples per block-tuple, at least: each side's blocks have p rows, p
  // the least power of two with p^{k-1} >= this (k = 2: 1024, k = 3: 32,
  // k = 4: 16), so the bound pass (about 12 d scalar operations per
  // block-tuple) costs a few percent of the exact tiles it may replace (2 d
  // flops per tuple at GEMM speed); a power of two keeps the blocks aligned
  // with the data/padding halves of reduced instances.
  std::size_t block_tuple_size = core::option_as<std::size_t>("sparse.block_tuple_size");
  // Block-tuples per query row: the bound pass keeps three doubles each.
  std::size_t max_block_tuples = core::option_as<std::size_t>("sparse.max_block_tuples");
  // A row whose selected tuples pass this share of its tuples runs the exact
  // kernel instead (its tiles are larger and need no selection).
  double exact_fraction = core::option("sparse.exact_fraction");
};

}  // namespace sethkit::attention
