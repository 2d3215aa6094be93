// The kernel core of sethkit_attention: what the exact forward
// (exact_attention.cpp), the exact backward (exact_backward.cpp, gradient.cpp),
// the polynomial method (poly_attention.cpp, paper 001 Algorithm 1) and its
// gradient (poly_gradient.cpp) share, written once:
//  - MatrixView / MutableMatrixView: typed, copy-free row-major views for
//    in-process callers (the Python package passes NumPy buffers);
//  - the side layout of the streaming kernels: the key sides K_1..K_{k-1} as
//    prefix sides (enumerated a row at a time, k >= 4) and the two tiled sides
//    "a" and "b"; for k = 2 a unit side (one key row of ones, one value row of
//    ones) plays "a", so one code path serves every k (paper 001 Definition
//    1.5 with the column-wise Kronecker product of Definition 2.4);
//  - typed GEMM wrappers (float and double over cblas);
//  - parallel_rows: an OpenMP loop whose per-thread set-up and work items may
//    throw (bad_alloc included): the first exception is kept, the other items
//    are skipped, and it is rethrown after the region, never std::terminate;
//    every item polls the run's deadline (--timeout, core/deadline.hpp);
//  - one row-chunking policy with its budget, and the ordered reduction of
//    chunk accumulators: the chunk count depends on the sizes only, never on
//    the thread count, so sums are the same bit for bit for any thread count;
//  - column_abs_max (the polynomial method's normalizers);
//  - a test hook that makes every parallel region throw (FaultRegion).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/deadline.hpp"
#include "core/progress.hpp"
#include "problems/attention_instance.hpp"

namespace sethkit::attention {

// A row-major matrix in the caller's memory: entry (i, c) at
// data[i * row_stride + c]. row_stride == 0 means cols (C-contiguous).
template <class T>
struct MatrixView {
  const T* data = nullptr;
  std::size_t rows = 0, cols = 0, row_stride = 0;
  std::size_t stride() const { return row_stride == 0 ? cols : row_stride; }
  const T* row(std::size_t i) const { return data + i * stride(); }
};

template <class T>
struct MutableMatrixView {
  T* data = nullptr;
  std::size_t rows = 0, cols = 0, row_stride = 0;
  std::size_t stride() const { return row_stride == 0 ? cols : row_stride; }
  T* row(std::size_t i) const { return data + i * stride(); }
  operator MatrixView<T>() const { return {data, rows, cols, row_stride}; }
};

// A view of a DenseMatrix (double, contiguous).
inline MatrixView<double> view_of(const DenseMatrix& m) { return {m.data.data(), m.rows, m.cols, m.cols}; }

namespace kernel {

// ---- GEMM -------------------------------------------------------------------

// C (m x n) = alpha op(A) op(B) + beta C, row-major; op(A) is m x k, op(B) k x n.
void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, double alpha, const double* a,
          std::size_t lda, const double* b, std::size_t ldb, double beta, double* c, std::size_t ldc);
void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a,
          std::size_t lda, const float* b, std::size_t ldb, float beta, float* c, std::size_t ldc);

// ---- side layout ------------------------------------------------------------

template <class T>
struct Side {
  const T* key = nullptr;    // rows x d (row stride key_ld); null in the oracle form
  const T* value = nullptr;  // rows x d_v (row stride value_ld)
  std::size_t rows = 0, key_ld = 0, value_ld = 0;
};

// Prefix sides, then a, then b (size >= 2). For k = 2 sides[0] is the unit
// side, whose buffers the layout owns.
template <class T>
struct SideLayout {
  std::vector<Side<T>> sides;
  std::vector<T> unit_key, unit_value;
  bool unit = false;
  std::size_t prefix() const { return sides.size() - 2; }
  std::size_t first_real() const { return unit ? 1 : 0; }  // index of K_1
  const Side<T>& a() const { return sides[prefix()]; }
  const Side<T>& b() const { return sides[prefix() + 1]; }
};

// keys[p] and values[p] are K_{p+1} and V_{p+1} (k - 1 >= 1 each; keys may be
// empty views with null data for the oracle form, then d = 0).
template <class T>
SideLayout<T> make_sides(const std::vector<MatrixView<T>>& keys, const std::vector<MatrixView<T>>& values,
                         std::size_t d, std::size_t dv) {
  SideLayout<T> l;
  if (values.size() == 1) {
    l.unit = true;
    l.unit_key.assign(d, T(1));
    l.unit_value.assign(dv, T(1));
    l.sides.push_back({d ? l.unit_key.data() : nullptr, l.unit_value.data(), 1, d, dv});
  }
  for (std::size_t p = 0; p < values.size(); ++p) {
    const MatrixView<T>* key = p < keys.size() ? &keys[p] : nullptr;
    l.sides.push_back({key ? key->data : nullptr, values[p].data, values[p].rows, key ? key->stride() : 0,
                       values[p].stride()});
  }
  return l;
}

// Keys j of one side allowed for query row i under a causal window w
// (FBGEMM's 2-simplicial convention): i - w < j <= i, within [0, n).
struct Range {
  std::size_t lo = 0, hi = 0;
  bool empty() const { return lo >= hi; }
};
Range window_range(std::size_t i, std::int64_t w, std::size_t n);

// Tall tiles under a window. A window that leaves fewer than tile_b keys of
// K_b (FBGEMM's w2 = 32) would make every product ba x 32: the a-tiles grow
// instead, up to kWideTiles x tile_a, so a tile keeps about tile_a x tile_b
// scores and the GEMMs their shape (the time per allowed tuple stays near
// full attention's). A function of the row's ranges only, so results do not
// depend on the thread count.
inline constexpr std::size_t kWideTiles = 8;
inline std::size_t wide_tile_a(std::size_t tile_a, std::size_t len_a, bool window) {
  return window ? std::min(len_a, kWideTiles * tile_a) : tile_a;
}
// Rows of K_a per tile for a row whose K_b range holds len_b keys.
inline std::size_t tile_a_step(std::size_t tile_a, std::size_t tile_a_wide, std::size_t tile_b, std::size_t len_b) {
  return len_b >= tile_b ? tile_a : std::min(tile_a_wide, tile_a * std::max<std::size_t>(1, tile_b / len_b));
}

// ---- fault injection (tests only) -------------------------------------------

// Every OpenMP region of the attention kernels.
enum class FaultRegion : int {
  none = 0,
  exact_forward,       // exact_attention.cpp: query rows
  exact_backward,      // exact_backward.cpp: row chunks
  ordered_reduce,      // the chunk reduction (exact and poly gradients)
  poly_key_pass,       // poly_attention.cpp: key-side feature sums
  poly_query_pass,     // poly_attention.cpp: query rows
  poly_gradient_rows,  // poly_gradient.cpp: chunked row sums
  poly_gradient_keys,  // poly_gradient.cpp: per-key-row gradients
};

namespace testing {
// Arms region r: its next work items throw (std::bad_alloc if bad_alloc,
// else std::runtime_error "injected fault"). A test-only switch, not an
// environment variable; disarm with FaultRegion::none.
void inject_fault(FaultRegion r, bool bad_alloc = false);
// RAII: arms r for a scope.
class ScopedFault {
 public:
  explicit ScopedFault(FaultRegion r, bool bad_alloc = false) { inject_fault(r, bad_alloc); }
  ~ScopedFault() { inject_fault(FaultRegion::none); }
  ScopedFault(const ScopedFault&) = delete;
  ScopedFault& operator=(const ScopedFault&) = delete;
};
}  // namespace testing

extern std::atomic<int> g_fault_region;
void throw_fault();
// Throws when r is armed (one relaxed load otherwise).
inline void fault_point(FaultRegion r) {
  if (g_fault_region.load(std::memory_order_relaxed) == int(r)) throw_fault();
}

// ---- parallel loops with exception capture ----------------------------------

// The first exception of a parallel region, kept for rethrowing after it.
class ErrorSlot {
 public:
  void record() noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!error_) error_ = std::current_exception();
    failed_.store(true, std::memory_order_relaxed);
  }
  bool failed() const noexcept { return failed_.load(std::memory_order_relaxed); }
  void rethrow() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::mutex mutex_;
  std::exception_ptr error_;
  std::atomic<bool> failed_{false};
};

// For i in [0, n): body(i, state) on `threads` OpenMP threads (dynamic
// schedule, `chunk` items per grab), state = make_state() once per thread.
// An exception in make_state or body is caught in the thread; the remaining
// items are skipped and the first exception is rethrown after the region.
template <class MakeState, class Body>
void parallel_rows(FaultRegion region, std::size_t n, int threads, std::size_t chunk, MakeState&& make_state,
                   Body&& body) {
  using State = std::decay_t<std::invoke_result_t<MakeState&>>;
  ErrorSlot slot;
  const auto count = static_cast<std::int64_t>(n);
  const int grab = static_cast<int>(std::max<std::size_t>(1, std::min<std::size_t>(chunk, std::size_t(1) << 20)));
  progress_expect(n);  // the command line's progress line (core/progress.hpp)
#pragma omp parallel num_threads(threads)
  {
    std::optional<State> state;
    try {
      fault_point(region);
      state.emplace(make_state());
    } catch (...) {
      slot.record();
    }
#pragma omp for schedule(dynamic, grab)
    for (std::int64_t i = 0; i < count; ++i) {
      if (slot.failed()) continue;
      try {
        fault_point(region);
        check_deadline();  // --timeout: TimeoutError, rethrown after the region
        body(static_cast<std::size_t>(i), *state);
        progress_advance();
      } catch (...) {
        slot.record();
      }
    }
  }
  slot.rethrow();
}

// No per-thread state.
struct NoState {};

// ---- row chunks and ordered reductions --------------------------------------

// The chunking policy of every gradient: at most max_chunks chunks of rows,
// fewer when their accumulators (chunk_bytes each) would pass budget bytes.
inline constexpr std::size_t kMaxChunks = 64;
inline constexpr double kChunkBudget = double(std::size_t(1) << 30);  // 1 GiB of chunk accumulators

struct ChunkPlan {
  std::size_t chunks = 1, rows_per_chunk = 1;
  std::size_t lo(std::size_t c) const { return c * rows_per_chunk; }
  std::size_t hi(std::size_t c, std::size_t n) const { return std::min(n, (c + 1) * rows_per_chunk); }
};
// A function of n, chunk_bytes, max_chunks and budget only (never the thread
// count). n == 0 gives one empty chunk.
ChunkPlan row_chunks(std::size_t n, double chunk_bytes, std::size_t max_chunks = kMaxChunks,
                     double budget = kChunkBudget);

// One part of an ordered sum that covers the entries [lo, lo + size) of the
// result (data[0] is entry lo); outside them it adds exact zeros.
template <class T>
struct Band {
  const T* data = nullptr;
  std::size_t lo = 0, size = 0;
};

// result[t] = sum over c = 0.. in order of the parts that cover t (double
// sums), for t in [0, size): bit-identical for any thread count, and to the
// sum of whole parts that hold zeros outside their bands.
template <class T>
void ordered_reduce(const std::vector<Band<T>>& parts, std::size_t size, double* result, int threads) {
  double work = 0;
  for (const Band<T>& part : parts) work += double(part.size);
  // Small sums are not worth waking the threads for.
  const bool wide = work > 65536.0;
  constexpr std::size_t kBlock = 4096;
  const std::size_t blocks = (size + kBlock - 1) / kBlock;
  parallel_rows(FaultRegion::ordered_reduce, blocks, wide ? threads : 1, 1, [] { return NoState{}; },
                [&](std::size_t blk, NoState&) {
                  const std::size_t lo = blk * kBlock, hi = std::min(size, lo + kBlock);
                  std::fill(result + lo, result + hi, 0.0);
                  for (const Band<T>& part : parts) {
                    const std::size_t a = std::max(lo, part.lo), b = std::min(hi, part.lo + part.size);
                    for (std::size_t t = a; t < b; ++t) result[t] += double(part.data[t - part.lo]);
                  }
                });
}

// Whole parts: parts[c][t] for every t in [0, size).
template <class T>
void ordered_reduce(const std::vector<const T*>& parts, std::size_t size, double* result, int threads) {
  std::vector<Band<T>> bands;
  bands.reserve(parts.size());
  for (const T* part : parts) bands.push_back({part, 0, size});
  ordered_reduce(bands, size, result, threads);
}

// ---- view checks ------------------------------------------------------------

// Checks the operands of one attention call on views (InputError naming the
// operand and how to fix it): keys.size() == values.size() == k - 1 with
// 2 <= k <= kMaxAttentionOrder, data set, rows >= 1, Q and every K_p with the
// same d >= 1, every V_p with the same d_v >= 1 and K_p's rows, row strides
// >= cols, d and d_v within BLAS's int range, every entry finite.
template <class T>
void check_attention_views(const MatrixView<T>& q, const std::vector<MatrixView<T>>& keys,
                           const std::vector<MatrixView<T>>& values);
// An input operand (dO, O): rows x cols, stride >= cols, data set, finite.
template <class T>
void check_input_view(const char* name, const MatrixView<T>& m, std::size_t rows, std::size_t cols);
// name is rows x cols with a stride >= cols and data set (InputError otherwise).
void check_output_view(const char* name, const void* data, std::size_t rows, std::size_t cols, std::size_t stride,
                       std::size_t want_rows, std::size_t want_cols);

// ---- small shared helpers ---------------------------------------------------

// max_i |m(i, c)| per column c.
std::vector<double> column_abs_max(const DenseMatrix& m);

template <class T>
bool all_finite(const T* x, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    if (!(x[i] - x[i] == 0)) return false;
  return true;
}

}  // namespace kernel
}  // namespace sethkit::attention
