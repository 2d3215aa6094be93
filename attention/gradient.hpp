// Gradients of tensor attention: the facade of sethkit_attention's backward
// pass (DESIGN.md "Attention backends" -> gradient; issue 8).
//
// Two objects, one kernel:
//  1. The attention form (what a training loop needs). With the forward of
//     exact_attention.hpp (paper 001 Definition 1.1 for k = 3, 1.5 for any
//     k >= 2) and a target E (n_q x d_v),
//        Loss = 0.5 || O - E ||_F^2,
//     and its gradients dQ (n_q x d), dK_p (n_p x d), dV_p (n_p x d_v).
//  2. The paper's form (paper 002 Definition 1 and 2, k = 3):
//        Loss(X) = 0.5 || D(X)^{-1} exp(A1 X (A2 (x) A3)^T / d) (A4 (x) A5) Y - E ||_F^2,
//        X = X1 (X2 o/ X3)^T  (d x d^2),   Y = Y1 o/ Y2  (d^2 x d),
//     with (x) the full Kronecker product (paper 001 Definition 2.3) and o/
//     the column-wise one (Definition 2.4). By the mixed-product rule
//     (A2 (x) A3)(X2 o/ X3) = (A2 X2) o/ (A3 X3), so this is tensor attention
//     with Q = A1 X1, K1 = A2 X2, K2 = A3 X3, V1 = A4 Y1, V2 = A5 Y2 and scale
//     1/d. The gradient w.r.t. X is
//        dLoss/dX = A1^T G (A2 (x) A3) / d,   G = dLoss/dS (n x n^2),
//     entry [a, b1 + b2*d] = (1/d) sum_i A1[i,a] (A2^T G_i A3)[b1,b2], G_i
//     the n1 x n2 slice of row i; so column b1 + b2*d of dX pairs A2's column
//     b1 with A3's column b2, the index order of Definition 2.3 (0-based:
//     (K1 (x) K2)[i1 + i2*n, j1 + j2*d] = K1[i1,j1] K2[i2,j2]; the first
//     factor's index runs fastest, unlike numpy.kron). Also dX1 = A1^T dQ,
//     dX2 = A2^T dK1, dX3 = A3^T dK2, dY1 = A4^T dV1, dY2 = A5^T dV2.
//
// Worked example:
//
//   #include "attention/gradient.hpp"
//   sethkit::AttentionInstance inst = sethkit::read_attention_directory("dir");
//   sethkit::DenseMatrix e = ...;                       // n_q x d_v target
//   sethkit::attention::AttentionGradient g = sethkit::attention::exact_attention_gradient(inst, e);
//   g.loss;            // 0.5 ||O - E||_F^2
//   g.d_q(i, c);       // dLoss/dQ[i,c]
//   g.d_keys[0];       // dLoss/dK1 (n_1 x d), g.d_values[0]: dLoss/dV1
//
//   sethkit::attention::PaperInstance paper = ...;      // A1..A5, X1..X3, Y1, Y2, E
//   sethkit::attention::PaperGradient pg = sethkit::attention::paper_gradient(paper);
//   pg.d_x(a, b1 + b2 * d);                             // dLoss/dX, d x d^2
//
// How (FlashAttention's backward, on the 2-simplicial restructuring of
// exact_attention.cpp): the forward saves O and log D_i only. The backward
// streams over query rows; per row i and per tile of key tuples it
// recomputes S = scale (q (.) K_a tile) K_b tile^T, P = exp(S - log D_i) and
//    dP = (dO_i (.) V_a tile) V_b tile^T,   G = P o (dP - delta_i),
//    delta_i = dO_i . O_i,   dO_i = O_i - E_i,
// then adds G and P into dQ_i, dK_p and dV_p with six GEMMs per tile (two
// more for the paper's dX). Scratch per thread: a few tile_a x tile_b tiles,
// never n^{k-1} scores per row. dK_p and dV_p are sums over all rows: rows are
// cut into a fixed number of chunks that depends on n_q and the sizes only,
// never on the thread count; each chunk sums its rows in order into its own
// buffer and the chunk buffers are added in chunk order. No atomics, and the
// result is the same bit for bit run to run and for any thread count.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "attention/exact_attention.hpp"
#include "problems/attention_instance.hpp"
#include "core/options.hpp"

namespace sethkit::attention {

// The tunables of the exact backward; their defaults and ranges are in
// core/options.hpp (read by bench/bench_grad.cpp).
struct GradientTuning {
  // Rows of K_{k-2} per tile (M of the score GEMM), as ExactTuning::tile_a.
  std::size_t tile_a = core::option_as<std::size_t>("grad.tile_a");
  // Rows of K_{k-1} per tile. Two tile_a x tile_b tiles per thread (S then
  // P, dP then G): 64 x 256 doubles are 128 KiB each, both in L2.
  std::size_t tile_b = core::option_as<std::size_t>("grad.tile_b");
  // Row chunks that own a private dK/dV (and dX) accumulator. More chunks
  // balance threads better; each costs one accumulator. The count depends on
  // n_q and the sizes only, so the sums are the same for any thread count.
  std::size_t max_chunks = core::option_as<std::size_t>("grad.max_chunks");
  // Chunks are fewer when their accumulators would pass this many bytes.
  double chunk_bytes_budget = core::option("grad.chunk_bytes_budget");
  // The exact backward's six tile products on the AVX-512 micro-kernels
  // (attention/tile_gemm.hpp) where the CPU has AVX-512F, as
  // ExactTuning::tile_kernels; false: cblas.
  bool tile_kernels = core::option_as<std::size_t>("exact.tile_kernels") != 0;
  // k = 2 on the tile kernels: blocks of query rows share each K/V tile, as
  // ExactTuning::query_blocks (the sums over rows then add a block at a
  // time: the same for any thread count, not bit for bit the row path's).
  bool query_blocks = true;
};

// Double precision throughout. The typed, copy-free backward from dO (float
// and double) is exact_backward (exact_backward.hpp).
struct GradientOptions {
  std::optional<double> scale;  // unset: the instance's scale (paper form: 1/d)
  int threads = 0;              // 0: OpenMP's default
  GradientTuning tuning;
  // k = 3 only: the forward's causal windows (exact_attention.hpp); the loss
  // of paper 002 has none (paper_gradient refuses one).
  std::optional<CausalWindow> window;
  // The forward's QuerySlice (exact_attention.hpp): Q is a row chunk of a
  // larger query side (tools/rank_rows.cpp), so O and log D are computed as
  // in the run on the whole side; not with a window (InputError).
  QuerySlice slice;
};

struct AttentionGradient {
  double loss = 0;                    // 0.5 ||O - E||_F^2
  DenseMatrix o;                      // the forward output O, n_q x d_v
  std::vector<double> log_d;          // log D_i, n_q
  DenseMatrix d_q;                    // n_q x d
  std::vector<DenseMatrix> d_keys;    // d_keys[p-1] = dLoss/dK_p, n_p x d
  std::vector<DenseMatrix> d_values;  // d_values[p-1] = dLoss/dV_p, n_p x d_v
  std::size_t chunks = 0;             // row chunks used (see GradientTuning)
  double forward_seconds = 0;         // exact_attention (O and log D)
  double backward_seconds = 0;        // the streaming backward
};

// requires: inst.validate() passes; target is n_q x d_v with finite entries
//   (InputError "target ..." otherwise); options.threads >= 0; the scale
//   finite; every score finite (InputError "score overflow").
// ensures: loss, O and the gradients equal the definition up to rounding
//   (double throughout); the result does not depend on options.threads, bit
//   for bit; the BLAS thread count is 1 during the call and restored after
//   (OpenBLAS). Not reentrant with other threads that use OpenBLAS.
AttentionGradient exact_attention_gradient(const AttentionInstance& inst, const DenseMatrix& target,
                                           const GradientOptions& options = {});

// Working memory of exact_attention_gradient beyond the instance itself, in
// bytes: O, log D, the gradients, the row-chunk accumulators and the
// per-thread scratch for `threads` threads (paper_d > 0: also the paper's
// d x d^2 accumulators with that d). For refusing before the work starts.
double exact_attention_gradient_bytes(const AttentionInstance& inst, const GradientTuning& tuning = {},
                                      int threads = 1, std::size_t paper_d = 0);

// The textbook formula, tuple by tuple over all n_1 ... n_{k-1} key tuples of
// each row, in long double, no BLAS, no tiles: the slow reference for tests
// (2 n_q prod(n_p) k (d + d_v) operations and prod(n_p) scratch per row).
// requires: as exact_attention_gradient. ensures: the definition.
AttentionGradient reference_attention_gradient(const AttentionInstance& inst, const DenseMatrix& target,
                                               double scale);
// The same with a causal window (k = 3): disallowed tuples are left out of
// every sum; a row with none gets O = 0, log D = -inf and adds nothing.
AttentionGradient reference_attention_gradient(const AttentionInstance& inst, const DenseMatrix& target,
                                               double scale, const std::optional<CausalWindow>& window);

// ---- paper 002's form -------------------------------------------------------

// Definition 1 / 2 of paper 002. Departure: the three sides may differ in
// length (A1, E: n_q rows; A2, A4: n_1; A3, A5: n_2); the paper has n for all.
struct PaperInstance {
  DenseMatrix a1, a2, a3, a4, a5;  // n_q x d, n_1 x d, n_2 x d, n_1 x d, n_2 x d
  DenseMatrix x1, x2, x3;          // d x d
  DenseMatrix y1, y2;              // d x d
  DenseMatrix e;                   // n_q x d

  std::size_t d() const { return a1.cols; }
  // Throws InputError(where: "A2 has 3 columns but A1 has d = 4; ...") unless
  // every shape above holds with d >= 1 and n_q, n_1, n_2 >= 1, and every
  // entry is finite. Names are the file stems (A1 .. E).
  void validate(const std::string& where = "") const;
};

// Definition 2.3 (0-based): (a (x) b)[i1 + i2*rows(a), j1 + j2*cols(a)] =
// a[i1,j1] b[i2,j2]; rows(a) rows(b) x cols(a) cols(b).
DenseMatrix kronecker(const DenseMatrix& a, const DenseMatrix& b);
// Definition 2.4 (0-based): (a o/ b)[i1 + i2*rows(a), j] = a[i1,j] b[i2,j];
// requires cols(a) == cols(b).
DenseMatrix column_kronecker(const DenseMatrix& a, const DenseMatrix& b);

// X = X1 (X2 o/ X3)^T, d x d^2 (requires validate()).
DenseMatrix paper_x(const PaperInstance& paper);
// The tensor attention instance of Definition 1: Q = A1 X1, K1 = A2 X2,
// K2 = A3 X3, V1 = A4 Y1, V2 = A5 Y2, scale 1/d (requires validate()).
AttentionInstance paper_attention_instance(const PaperInstance& paper);
// Paper 002's scale 1/d of the instance (d = the columns of A1); a requested
// scale other than that is refused: it would not be the paper's gradient.
double paper_scale(const PaperInstance& paper, const std::optional<double>& requested);

struct PaperGradient {
  double loss = 0;
  DenseMatrix d_x;                   // dLoss/dX, d x d^2, column b1 + b2*d
  DenseMatrix d_x1, d_x2, d_x3;      // d x d, by the chain rule
  DenseMatrix d_y1, d_y2;            // d x d
  AttentionGradient attention;       // dQ, dK1, dK2, dV1, dV2 (and O, log D)
};

// requires: paper.validate() passes (checked); options.scale unset or 1/d
//   (the paper's loss has 1/d; InputError otherwise); scores finite.
// ensures: d_x is dLoss/dX of Definition 1 at X = X1 (X2 o/ X3)^T, computed
//   in the same streaming pass as dQ, dK, dV (per row M_i = A2^T G_i A3 from
//   tiles, then d_x = A1^T [vec M_i]_i / d), never an n x n^2 matrix; the
//   chain-rule gradients d_x1 = A1^T dQ = d_x (X2 o/ X3), d_x2 = A2^T dK1, ...;
//   bit-for-bit independent of options.threads.
PaperGradient paper_gradient(const PaperInstance& paper, const GradientOptions& options = {});

}  // namespace sethkit::attention
