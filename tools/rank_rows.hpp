// attention and grad under mpirun (issue 19): the query rows are split
// across ranks (distributed::my_range), every rank runs the backend on its
// rows, and rank 0 gathers the results in row order and alone writes them.
//
// What is identical to the single-process run (same backend, options and
// threads per rank):
// - attention: O and log D bit for bit for the exact and reference backends
//   (every query row is computed alone: no sum or GEMM runs across query
//   rows). Each rank's rows are a QuerySlice of the whole side
//   (attention/exact_attention.hpp): the exact kernel takes the causal
//   windows at the absolute row (--window is split too) and plans its
//   key-side work items (a row's keys split into parts when the side has
//   fewer than 16 query rows) for the whole side, not for the rank's rows.
//   poly is not split: its query pass multiplies a block of query rows in one
//   GEMM, whose rounding depends on the block (measured: 3 ranks differ in the
//   last bits). For poly, the float backend (--precision float) and the
//   reference backend with --window every rank runs the whole instance and
//   rank 0 writes it.
// - grad (exact backend): everything bit for bit. dQ, O and log D are
//   row-local; the loss is summed by rank 0 over the gathered O in the
//   single process's order; dK_p and dV_p are sums over the backward's row
//   chunks, which the single process adds as 0 + chunk_0 + chunk_1 + ...
//   (kernel::ordered_reduce): the same chunks (kernel::row_chunks, planned on
//   the whole instance) are dealt to the ranks in order, each chunk is run
//   alone (its forward as a QuerySlice of the whole side), and
//   distributed::ordered_sum adds them in chunk order. The cost:
//   a rank's backward runs chunk after chunk, one thread each (its forward
//   keeps every thread). The poly gradient is not split.
#pragma once

#include <cstddef>
#include <string>

#include "attention/backend.hpp"
#include "problems/attention_instance.hpp"

namespace sethkit::tools {

// Whether this run splits query rows: distributed, and exact (with or without
// a window; the gradient without), or reference without a window.
bool split_query_rows(const attention::Backend& backend, const attention::BackendOptions& options, bool gradient);

// The instance with only Q's rows [lo, hi) (and the manifest's row map cut to them).
AttentionInstance query_rows(const AttentionInstance& inst, std::size_t lo, std::size_t hi);
DenseMatrix matrix_rows(const DenseMatrix& m, std::size_t lo, std::size_t hi);

// A backend run on this rank's rows, gathered on rank 0 (the other ranks get
// their own rows back). Errors on any rank end every rank (distributed::step).
attention::BackendResult run_split_attention(const attention::Backend& backend, const AttentionInstance& inst,
                                             const attention::BackendOptions& options);
// The gradient likewise (see above for what is identical).
attention::GradientResult run_split_gradient(const attention::Backend& backend, const AttentionInstance& inst,
                                             const DenseMatrix& target, const attention::BackendOptions& options);

}  // namespace sethkit::tools
