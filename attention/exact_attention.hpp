// Exact k-th order (tensor) softmax attention: the facade of sethkit_attention's
// exact backend (DESIGN.md "Attention backends", "Conventions").
//
// Computes paper 001 Definition 1.1 (k = 3; TensorAtt of Definition C.2) and
// Definition 1.5 (any k >= 2) with the DESIGN.md conventions (0-based):
//   S[i,j1..j_{k-1}] = scale * sum_c Q[i,c] K1[j1,c] ... K_{k-1}[j_{k-1},c]
//   D_i = sum_{j} exp(S[i,j]),
//   O[i,c] = sum_{j} exp(S[i,j]) V1[j1,c] ... V_{k-1}[j_{k-1},c] / D_i,
// which is D^{-1} A (V1 (x) ... (x) V_{k-1}) with the column-wise Kronecker
// product of Definition 2.4 (row j1 + j2*n1 + ...). Departures from the paper:
// side lengths may differ (n_q, n_1, .., n_{k-1}), d_v may differ from d, the
// scale is a parameter (paper: 1/d; 2-simplicial attention: 1/sqrt(d)), and
// log D_i is returned so callers decide in the log domain (scores of reduced
// instances reach beta/2, far beyond exp's range).
//
// Worked example:
//
//   #include "attention/exact_attention.hpp"
//   sethkit::AttentionInstance inst = sethkit::read_attention_directory("dir");
//   sethkit::attention::ExactOptions opt;
//   opt.precision = sethkit::attention::Precision::float32;
//   opt.window = sethkit::attention::CausalWindow{64, 64};   // k = 3 only
//   sethkit::attention::AttentionOutput out = sethkit::attention::exact_attention(inst, opt);
//   double o_ic  = out.o[i * out.cols + c];    // O[i,c]
//   double log_d = out.log_d[i];                // log D_i, -inf if no key allowed
//
// How (the 2-simplicial restructuring of Meta's FBGEMM kernels, on BLAS): for
// one query row q and a tile of K1 rows, Z = q (.) K1_tile; one GEMM
// S = scale * Z K2_tile^T gives the n1 x n2 score tile; an online softmax
// absorbs it; W = P V2_tile (GEMM) and a weighted row sum against V1 add it
// to the output accumulator. Lemma C.3 of paper 001 is the identity behind
// this: the Kronecker-structured product never needs the n1 n2 x d matrix
// K1 (x) K2. For k >= 4 the outer sides K1..K_{k-3} are enumerated one tuple
// at a time (q is multiplied by their rows, the V's likewise) and the last two
// sides are tiled as for k = 3; k = 2 is the same code with a unit second side.
// Scratch per thread: one tile (tile_a x tile_b), never n^{k-1} scores.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "attention/backend_options.hpp"
#include "attention/kernel_core.hpp"
#include "problems/attention_instance.hpp"
#include "core/options.hpp"

namespace sethkit::attention {

enum class Precision { float32, float64 };

// Causal windows for k = 3 with the FBGEMM 2-simplicial convention (0-based):
// key tuple (j1, j2) is allowed for query row i iff
//   i - w1 < j1 <= i  and  i - w2 < j2 <= i.
// A row with no allowed tuple (w1 <= 0, w2 <= 0, or a window beyond the key
// sides) gets O[i,:] = 0 and log D_i = -inf: D_i is an empty sum.
struct CausalWindow {
  int64_t w1 = 0;
  int64_t w2 = 0;
};

// The tunables of the exact backend; their defaults and ranges are in
// core/options.hpp (read by bench/bench_grad.cpp). Scratch per thread is about tile_a * tile_b scalars.
struct ExactTuning {
  // Rows of K_{k-2} per tile: the M of the score GEMM and the rows of P.
  // 64 keeps Z (64 x d) and a W row block in L1/L2.
  std::size_t tile_a = core::option_as<std::size_t>("exact.tile_a");
  // Rows of K_{k-1} per tile: N of the score GEMM, K of the value GEMM.
  // 512 x 64 scores (256 KiB double) sit in L2 on the reference machine.
  std::size_t tile_b = core::option_as<std::size_t>("exact.tile_b");
  // Query rows per OpenMP work item (dynamic schedule: windows make rows
  // uneven).
  std::size_t rows_per_task = core::option_as<std::size_t>("exact.rows_per_task");
  // The AVX-512 micro-kernels for the two tile products (tile_gemm.hpp)
  // where the CPU has AVX-512F; false: cblas for both (the path of machines
  // without it, and the benchmarks' comparison).
  bool tile_kernels = core::option_as<std::size_t>("exact.tile_kernels") != 0;
  // k = 2 on the tile kernels: blocks of query rows share each K/V tile
  // (same result bit for bit as row by row; false: row by row, for the
  // tests and benchmarks that compare the two).
  bool query_blocks = true;
};

// The query rows of a run as a slice of a larger query side (tools/rank_rows:
// each MPI rank runs its own rows): Q's row i is row first_row + i of a side
// of total_rows rows. Causal windows are taken at the absolute row, and the
// split of a row's key side into work items (few query rows, see
// exact_attention.cpp key_parts) is planned for total_rows, so every row is
// computed with the same tiles, in the same order, as in the run on the
// whole side: bit for bit. total_rows = 0: Q is the whole side.
struct QuerySlice {
  std::size_t first_row = 0;
  std::size_t total_rows = 0;
};

// Default memory limit of the exact backend (O, log D, float32 copies and
// per-thread scratch; the instance itself is the caller's).
inline constexpr double kExactMaxBytes = core::option("exact.max_bytes");  // 4 GiB

struct ExactOptions {
  // Score scale; unset: the instance's scale (1/d unless its manifest says
  // otherwise), or OracleInstance::scale.
  std::optional<double> scale;
  std::optional<CausalWindow> window;  // k = 3 only
  Precision precision = Precision::float64;
  int threads = 0;  // 0: OpenMP's default (OMP_NUM_THREADS or all cores); at most kMaxThreads
  ExactTuning tuning;
  QuerySlice slice;  // first_row + n_q <= total_rows when total_rows > 0 (InputError otherwise)
  double max_bytes = kExactMaxBytes;  // refuse above this (SizeLimitError with the bytes)
};

struct AttentionOutput {
  std::size_t rows = 0;        // n_q
  std::size_t cols = 0;        // d_v
  std::vector<double> o;       // rows x cols, row-major
  std::vector<double> log_d;   // rows; -inf for a row with no allowed key
  Precision precision = Precision::float64;
  double seconds = 0;          // wall time of the computation
};

// requires: inst.validate() passes (checked: InputError); options.window only
//   for inst.k == 3 (InputError otherwise); options.threads >= 0; the scale
//   finite; every score finite (InputError "score overflow" otherwise:
//   entries too large for the precision).
// ensures: out.rows == n_q, out.cols == d_v; for every row with an allowed
//   tuple, out.o and out.log_d equal the definition up to rounding (float32:
//   scores, exponentials and GEMMs in float, sums in double); the BLAS thread
//   count is 1 during the call and restored afterwards (OpenBLAS).
// Not reentrant with other threads of the caller that use OpenBLAS at the
// same time (the BLAS thread count is process-global).
AttentionOutput exact_attention(const AttentionInstance& inst, const ExactOptions& options = {});

// Bytes exact_attention(inst, options) allocates: O and log D, the float32
// copies of the input, and one score tile with its buffers per thread.
// exact_attention refuses (SizeLimitError) when this passes options.max_bytes.
double exact_attention_bytes(const AttentionInstance& inst, const ExactOptions& options = {});

// The copy-free typed entry point for in-process callers (the Python package
// passes NumPy buffers): the same kernel as exact_attention on the caller's
// memory, no copy of the inputs. keys[p], values[p] are K_{p+1}, V_{p+1}
// (k - 1 of each, k >= 2); T = float computes scores, exponentials and GEMMs
// in float with sums in double (as Precision::float32), T = double in double.
// requires: the views pass kernel::check_attention_views (InputError naming
//   the operand otherwise); out_o is n_q x d_v; out_log_d holds n_q doubles;
//   options.window only for k = 3; options.scale unset means 1/d;
//   options.precision is ignored (T decides); the per-thread scratch within
//   options.max_bytes (SizeLimitError).
// ensures: out_o and out_log_d as exact_attention's o and log_d (O rounded to
//   T); bit-identical for any options.threads. BLAS single-threaded during
//   the call, as exact_attention.
template <class T>
void exact_forward(const MatrixView<T>& q, const std::vector<MatrixView<T>>& keys,
                   const std::vector<MatrixView<T>>& values, const ExactOptions& options, MutableMatrixView<T> out_o,
                   double* out_log_d);
extern template void exact_forward<float>(const MatrixView<float>&, const std::vector<MatrixView<float>>&,
                                          const std::vector<MatrixView<float>>&, const ExactOptions&,
                                          MutableMatrixView<float>, double*);
extern template void exact_forward<double>(const MatrixView<double>&, const std::vector<MatrixView<double>>&,
                                           const std::vector<MatrixView<double>>&, const ExactOptions&,
                                           MutableMatrixView<double>, double*);

// The oracle form, for implicit instances whose dimension is far too large to
// store (Gap-MaxIP vectors of the protocol construction): the caller supplies
// the k-way inner product, unscaled:
//   score(i, j) = sum_c Q[i,c] K1[j[0],c] ... K_{k-1}[j[k-2],c],  j.size() == k-1.
// Values stay explicit (they are n_p x d_v indicators in the reduction).
using ScoreOracle = std::function<double(std::size_t query, std::span<const std::size_t> keys)>;

struct OracleInstance {
  std::size_t n_q = 0;
  std::vector<DenseMatrix> values;  // k - 1 matrices n_p x d_v; k = values.size() + 1
  ScoreOracle score;                // must be safe to call from several threads at once
  double scale = 0;                 // the caller knows d: the paper's 1/d
};

// requires: values.size() >= 1 (k >= 2), all with the same d_v >= 1 and
//   n_p >= 1 rows, finite; score set; options.precision == float64 (the
//   oracle computes in double); options.window only for k == 3; the scores
//   finite (InputError otherwise). An exception thrown by score is rethrown.
// ensures: the same result as exact_attention on the explicit instance the
//   oracle describes (same tiles, same online softmax; the scores come from
//   the callback instead of a GEMM).
AttentionOutput exact_attention_oracle(const OracleInstance& inst, const ExactOptions& options = {});

}  // namespace sethkit::attention
