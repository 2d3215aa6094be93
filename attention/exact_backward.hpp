// The exact backward of tensor attention from the upstream gradient dO: the
// copy-free typed entry point that the Python package's autograd (issue 15)
// and the training-loop callers use, and the kernel under
// exact_attention_gradient and paper_gradient (gradient.hpp).
//
// With the forward of exact_attention.hpp (paper 001 Definition 1.1 for k = 3,
// 1.5 for any k >= 2; P_t = exp(S_t - log D_i) over the allowed tuples t of
// row i, O_i = sum_t P_t v_t) and dO = dLoss/dO for any loss:
//    dLoss/dS_t = P_t (dO_i . v_t - delta_i),  delta_i = dO_i . O_i
// (the softmax backward: sum_t P_t = 1), and dQ, dK_p, dV_p follow by the
// chain rule through S_t = scale sum_c Q[i,c] prod_p K_p[t_p,c] and
// v_t = prod_p V_p[t_p]. FlashAttention's backward on the 2-simplicial
// restructuring of exact_attention.cpp (Lemma C.3 of paper 001: every tile
// works on K_a, K_b rows, never on K1 (x) K2): per row and tile of key tuples
// it recomputes P from log D and adds G and P into dQ_i, dK_p, dV_p with six
// GEMMs. Scratch: a few tile_a x tile_b tiles per thread and one dK/dV
// accumulator per row chunk (kernel::row_chunks: the count depends on the
// sizes only, so the result is bit-identical for any thread count).
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "attention/exact_attention.hpp"
#include "attention/gradient.hpp"
#include "attention/kernel_core.hpp"

namespace sethkit::attention {

struct BackwardOptions {
  std::optional<double> scale;         // unset: 1/d
  std::optional<CausalWindow> window;  // k = 3 only, the forward's windows
  int threads = 0;                     // 0: OpenMP's default
  GradientTuning tuning;
  double max_bytes = kExactMaxBytes;   // scratch, chunk accumulators, recomputed O
};

// The backward's row chunks for n_q query rows whose dK/dV accumulator is
// accumulator_bytes (sum over sides of rows * (d + d_v) * sizeof(T), plus the
// paper's dX when asked), at order k (k = 2 gets longer chunks): a function
// of the sizes only, so the split of query rows across MPI ranks
// (tools/rank_rows) can reproduce the single process's chunk sums exactly.
kernel::ChunkPlan backward_row_chunks(std::size_t n_q, double accumulator_bytes, const GradientTuning& tuning,
                                      int k);

struct BackwardStats {
  std::size_t chunks = 0;       // row chunks used
  double forward_seconds = 0;   // the recomputed forward (0 when O and log D were given)
  double backward_seconds = 0;  // the streaming backward
};

// requires: the views pass kernel::check_attention_views (InputError naming
//   the operand otherwise); d_out is n_q x d_v, finite; log_d null or n_q
//   doubles saved by the forward (exact_forward's out_log_d) with these
//   inputs, scale and window; o empty (data null) or the forward's O
//   (n_q x d_v); out_dq n_q x d; out_dk[p], out_dv[p] n_p x d and n_p x d_v
//   (k - 1 each); options.window only for k = 3; the working memory within
//   options.max_bytes (SizeLimitError).
// ensures: out_dq = dLoss/dQ, out_dk[p] = dLoss/dK_{p+1}, out_dv[p] =
//   dLoss/dV_{p+1} for the upstream gradient d_out, up to rounding (T = float:
//   tiles and chunk sums in float, the chunk reduction and delta in double);
//   when o or log_d is missing the forward is recomputed once (the first
//   pass) for delta and log D; a row with no allowed tuple contributes
//   nothing and gets dQ = 0; bit-identical for any options.threads; BLAS
//   single-threaded during the call. InputError "gradient overflow" when an
//   entry is not finite.
template <class T>
BackwardStats exact_backward(const MatrixView<T>& q, const std::vector<MatrixView<T>>& keys,
                             const std::vector<MatrixView<T>>& values, const MatrixView<T>& d_out,
                             const double* log_d, const BackwardOptions& options, MutableMatrixView<T> out_dq,
                             const std::vector<MutableMatrixView<T>>& out_dk,
                             const std::vector<MutableMatrixView<T>>& out_dv, const MatrixView<T>& o = {});

extern template BackwardStats exact_backward<float>(const MatrixView<float>&, const std::vector<MatrixView<float>>&,
                                                    const std::vector<MatrixView<float>>&, const MatrixView<float>&,
                                                    const double*, const BackwardOptions&, MutableMatrixView<float>,
                                                    const std::vector<MutableMatrixView<float>>&,
                                                    const std::vector<MutableMatrixView<float>>&,
                                                    const MatrixView<float>&);
extern template BackwardStats exact_backward<double>(const MatrixView<double>&, const std::vector<MatrixView<double>>&,
                                                     const std::vector<MatrixView<double>>&, const MatrixView<double>&,
                                                     const double*, const BackwardOptions&, MutableMatrixView<double>,
                                                     const std::vector<MutableMatrixView<double>>&,
                                                     const std::vector<MutableMatrixView<double>>&,
                                                     const MatrixView<double>&);

namespace detail {
// Paper 002's dX (gradient.hpp): per row M_i = A2^T G_i A3 from the tiles,
// then sum_i A1[i]^T (x) vec(M_i^T) into an m x m^2 sum (k = 3, no window).
struct PaperDx {
  const double* query = nullptr;  // A1, n_q x m
  const double* left = nullptr;   // A2, n_1 x m (pairs with side a = K1)
  const double* right = nullptr;  // A3, n_2 x m (pairs with side b = K2)
  std::size_t m = 0;
};
// exact_backward<double> that also writes the unscaled dX sum (m x m^2) to
// dx_sum; o and log_d required.
BackwardStats exact_backward_paper(const MatrixView<double>& q, const std::vector<MatrixView<double>>& keys,
                                   const std::vector<MatrixView<double>>& values, const MatrixView<double>& d_out,
                                   const double* log_d, const BackwardOptions& options,
                                   MutableMatrixView<double> out_dq,
                                   const std::vector<MutableMatrixView<double>>& out_dk,
                                   const std::vector<MutableMatrixView<double>>& out_dv, const MatrixView<double>& o,
                                   const PaperDx& dx, std::vector<double>& dx_sum);
}  // namespace detail

}  // namespace sethkit::attention
