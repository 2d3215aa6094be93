// The exact streaming backend (see exact_attention.hpp for the contract).
// Paper 001: Definition 1.1 / C.2 (k = 3), Definition 1.5 (any k), the
// column-wise Kronecker product of Definition 2.4, and Lemma C.3, the
// identity that lets the Kronecker-structured products be computed from the
// factors (here: S = (q (.) K1_tile) K2_tile^T and sum_j1 V1[j1] (.) (P V2)[j1]
// without forming K1 (x) K2 or V1 (x) V2).
//
// Layout of the work: the key sides are K_1..K_{k-1}; the last two are tiled
// ("a" and "b"), the earlier ones ("prefix" sides, k >= 4) are enumerated a
// row at a time with q and the value accumulator multiplied by their rows.
// For k = 2 a unit side (one row of ones, value row of ones) plays "a", so one
// code path serves every k. Per query row the work is
//   for each prefix tuple (j_1..j_{k-3}):   qp = q (.) K_1[j_1] (.) ...
//     for each tile b0 (tile_b rows of K_b):
//       for each tile a0 (tile_a rows of K_a):  Z = qp (.) K_a[a0..]
//         S = scale * Z K_b[b0..]^T                       (GEMM)
//         absorb S into the online softmax                (see absorb_tile)
//         W = P V_b[b0..]                                 (GEMM)
//         acc += vp (.) sum_r V_a[a0+r] (.) W[r]          (weighted row sum)
// with vp = V_1[j_1] (.) ... the prefix value product. The two GEMMs run on
// the AVX-512 micro-kernels of tile_gemm.hpp where the CPU has them
// (ExactTuning::tile_kernels), else through cblas. On the kernels, k = 2
// runs blocks of query rows instead (QueryBlockAttention: its unit side
// would make every tile one row high), with the same result bit for bit.
#include "attention/exact_attention.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <type_traits>

#include "attention/backend_options.hpp"
#include "attention/blas_threads.hpp"
#include "attention/kernel_core.hpp"
#include "attention/tile_gemm.hpp"
#include "attention/vector_exp.hpp"
#include "core/errors.hpp"

namespace sethkit::attention {

namespace {

using kernel::gemm;
using kernel::Range;
using kernel::Side;
using kernel::window_range;

template <class T>
struct Problem {
  std::size_t n_q = 0, d = 0, dv = 0;
  std::vector<Side<T>> sides;  // prefix sides, then a, then b (size >= 2; kernel_core.hpp)
  const T* q = nullptr;        // n_q x d, row stride q_ld (unused by the oracle form)
  std::size_t q_ld = 0;
  T scale = 0;
  std::optional<CausalWindow> window;  // on sides a and b (k = 3)
  std::size_t tile_a = 0, tile_b = 0;  // clamped to the side lengths
  // Rows of K_a per tile when a window cuts K_b's range below tile_b (see
  // RowAttention::tiles); tile_a without a window.
  std::size_t tile_a_wide = 0;
  // A slice of a larger query side (QuerySlice): row i is row first_row + i
  // for the windows, and key_parts is planned for plan_rows rows.
  std::size_t first_row = 0, plan_rows = 0;
  // K_b^T for the AVX-512 tile kernels (tile_gemm.hpp); null: cblas.
  const kernel::KeysTransposed<T>* kt = nullptr;
  // k = 2: side a is the unit side (kernel_core.hpp). Not "side a has one
  // row": k = 3 with a one-row K_1 has that too.
  bool unit_a = false;
  std::size_t prefix() const { return sides.size() - 2; }
};

// The maximum of a score tile and whether every score in it is finite.
template <class T>
struct TileMax {
  T max;
  bool finite;
};

// Terms per exp_shifted_sum call and rows per T partial sum of absorb_tile.
inline constexpr std::size_t kExpRun = 512;
inline constexpr std::size_t kRowGroup = 8;

// Per-thread buffers: one score tile and a few vectors, O(tile_a tile_b).
template <class T>
struct Scratch {
  std::vector<T> s;        // tile_a x tile_b scores, then probabilities
  std::vector<T> w;        // tile_a_wide x d_v: P V_b
  std::vector<T> vp;       // (prefix + 1) x d_v: prefix value products
  std::vector<T> part;     // d_v: a group of rows of the weighted row sum
  std::vector<double> u;   // d_v
  std::vector<double> acc; // d_v
  explicit Scratch(const Problem<T>& p)
      : s(p.tile_a * p.tile_b), w(p.tile_a_wide * p.dv), vp((p.prefix() + 1) * p.dv, T(1)), part(p.dv), u(p.dv),
        acc(p.dv) {}
};

// Scores from the matrices: q (.) prefix rows (.) K_a tile, one GEMM against
// the K_b tile.
template <class T>
class MatrixScorer {
 public:
  explicit MatrixScorer(const Problem<T>& p) : p_(p), qp_((p.prefix() + 1) * p.d), z_(p.tile_a_wide * p.d) {}

  void start_row(std::size_t i) {
    const T* q = p_.q + i * p_.q_ld;
    std::copy(q, q + p_.d, qp_.begin());
  }
  void push_prefix(std::size_t depth, std::size_t j) {
    const T* in = qp_.data() + depth * p_.d;
    const T* key = p_.sides[depth].key + j * p_.sides[depth].key_ld;
    T* out = qp_.data() + (depth + 1) * p_.d;
    for (std::size_t c = 0; c < p_.d; ++c) out[c] = in[c] * key[c];
  }
  // S (ba x bb, leading dimension bb) for K_a rows a0.. and K_b rows b0..;
  // new_a: first tile of this a0, so Z must be formed.
  TileMax<T> scores(T* s, std::size_t a0, std::size_t ba, std::size_t b0, std::size_t bb, bool new_a) {
    const std::size_t d = p_.d;
    const Side<T>& a = p_.sides[p_.prefix()];
    const Side<T>& b = p_.sides[p_.prefix() + 1];
    if (new_a) {
      const T* qp = qp_.data() + p_.prefix() * d;
      for (std::size_t r = 0; r < ba; ++r) {
        const T* key = a.key + (a0 + r) * a.key_ld;
        T* z = z_.data() + r * d;
        for (std::size_t c = 0; c < d; ++c) z[c] = qp[c] * key[c];
      }
    }
    TileMax<T> tile;
    if (p_.kt) {
      tile.max = kernel::score_tile(z_.data(), ba, *p_.kt, b0, bb, p_.scale, s, bb, tile.finite);
    } else {
      gemm(false, true, ba, bb, d, p_.scale, z_.data(), d, b.key + b0 * b.key_ld, b.key_ld, T(0), s, bb);
      tile.max = max_of(s, ba * bb, tile.finite);
    }
    return tile;
  }

 private:
  const Problem<T>& p_;
  std::vector<T> qp_;  // (prefix + 1) x d: q, q (.) K_1[j_1], ...
  std::vector<T> z_;   // tile_a_wide x d
};

// Scores from the caller's k-way inner product.
class OracleScorer {
 public:
  OracleScorer(const Problem<double>& p, const ScoreOracle& f, bool unit_a)
      : p_(p), f_(f), unit_a_(unit_a), idx_(unit_a ? 1 : p.sides.size()) {}
  void start_row(std::size_t i) { i_ = i; }
  void push_prefix(std::size_t depth, std::size_t j) { idx_[depth] = j; }
  TileMax<double> scores(double* s, std::size_t a0, std::size_t ba, std::size_t b0, std::size_t bb, bool) {
    const std::size_t ia = p_.prefix(), ib = unit_a_ ? 0 : p_.prefix() + 1;
    for (std::size_t r = 0; r < ba; ++r) {
      if (!unit_a_) idx_[ia] = a0 + r;
      for (std::size_t c = 0; c < bb; ++c) {
        idx_[ib] = b0 + c;
        s[r * bb + c] = p_.scale * f_(i_, std::span<const std::size_t>(idx_));
      }
    }
    TileMax<double> tile;
    tile.max = max_of(s, ba * bb, tile.finite);
    return tile;
  }

 private:
  const Problem<double>& p_;
  const ScoreOracle& f_;
  bool unit_a_;
  std::vector<std::size_t> idx_;
  std::size_t i_ = 0;
};


// Work items per query row of the forward: 1 from kSplitQueryRows rows on;
// below, enough key-side parts for kSplitQueryRows items in all, each part
// at least kSplitMinRows rows of K_a (smaller ones are not worth a work
// item). A function of the sizes only (never the thread count).
inline constexpr std::size_t kSplitQueryRows = 16;
inline constexpr std::size_t kSplitMinRows = 128;
std::size_t key_parts(std::size_t n_q, std::size_t len_a) {
  if (n_q >= kSplitQueryRows || n_q == 0) return 1;
  const std::size_t most = (len_a + kSplitMinRows - 1) / kSplitMinRows;
  return std::max<std::size_t>(1, std::min((kSplitQueryRows + n_q - 1) / n_q, most));
}
// The side split: 0 (side a), or 1 (side b) when a has one row.
template <class T>
int split_side(const Problem<T>& p) {
  return p.sides[p.prefix()].rows > 1 ? 0 : 1;
}
template <class T>
std::size_t key_parts(const Problem<T>& p) {
  return key_parts(p.plan_rows, p.sides[p.prefix() + split_side(p)].rows);
}

// The online softmax's step to a larger maximum mt (see absorb_tile): the
// sum l and the accumulator scale by exp(m - mt), and m becomes mt. Nothing
// when mt does not exceed m.
template <class T>
void raise_max(T& m, double& l, double* acc, std::size_t dv, T mt) {
  if (!(mt > m)) return;
  const double alpha = std::exp(static_cast<double>(m) - static_cast<double>(mt));
  l *= alpha;
  for (std::size_t c = 0; c < dv; ++c) acc[c] *= alpha;
  m = mt;
}

// One query row, streamed through the online softmax.
template <class T, class Scorer>
class RowAttention {
 public:
  RowAttention(const Problem<T>& p, Scorer& scorer, Scratch<T>& w)
      : p_(p), scorer_(scorer), w_(w) {}

  // Writes O[i,:] and log D_i. Returns false on a non-finite score.
  template <class OutT>
  bool run(std::size_t i, OutT* out, double* log_d) {
    if (!accumulate(i, 0, 1)) return false;
    finish(static_cast<double>(m_), l_, w_.acc.data(), p_.dv, out, log_d);
    return true;
  }

  // Absorbs part `part` of `parts` of row i's tuples: the a-tiles of its
  // (window-cut) K_a range split into `parts` contiguous groups. Afterwards
  // max(), sum() and acc() hold the online-softmax state of that part.
  // Returns false on a non-finite score.
  bool accumulate(std::size_t i, std::size_t part, std::size_t parts) {
    const Side<T>& a = p_.sides[p_.prefix()];
    const Side<T>& b = p_.sides[p_.prefix() + 1];
    range_a_ = {0, a.rows};
    range_b_ = {0, b.rows};
    if (p_.window) {
      range_a_ = window_range(p_.first_row + i, p_.window->w1, a.rows);
      range_b_ = window_range(p_.first_row + i, p_.window->w2, b.rows);
    }
    if (parts > 1) {
      // Side a, or side b when a has one row (k = 2's unit side).
      Range& r = split_side(p_) == 0 ? range_a_ : range_b_;
      const std::size_t tile = split_side(p_) == 0 ? p_.tile_a : p_.tile_b;
      if (!r.empty()) {
        const std::size_t tiles = (r.hi - r.lo + tile - 1) / tile;
        const std::size_t lo = r.lo + (part * tiles / parts) * tile;
        const std::size_t hi = r.lo + ((part + 1) * tiles / parts) * tile;
        r = {lo, std::min(hi, r.hi)};
      }
    }
    m_ = -std::numeric_limits<T>::infinity();
    l_ = 0;
    std::fill(w_.acc.begin(), w_.acc.end(), 0.0);
    finite_ = true;
    if (!range_a_.empty() && !range_b_.empty()) {
      scorer_.start_row(i);
      prefix(0);
    }
    return finite_;
  }
  double max() const { return static_cast<double>(m_); }
  double sum() const { return l_; }
  const double* acc() const { return w_.acc.data(); }

  // O = acc / l and log D = m + log l; no tuple (l = 0): D_i is an empty
  // sum, O = 0 by convention and log D = -inf.
  template <class OutT>
  static void finish(double m, double l, const double* acc, std::size_t dv, OutT* out, double* log_d) {
    if (l == 0) {
      std::fill(out, out + dv, OutT(0));
      *log_d = -std::numeric_limits<double>::infinity();
    } else {
      for (std::size_t c = 0; c < dv; ++c) out[c] = static_cast<OutT>(acc[c] / l);
      *log_d = m + std::log(l);
    }
  }

 private:
  // Enumerates the prefix sides K_1..K_{k-3}, one row each, multiplying q
  // (in the scorer) and the value product vp as it goes down.
  void prefix(std::size_t depth) {
    if (depth == p_.prefix()) {
      tiles(w_.vp.data() + depth * p_.dv);
      return;
    }
    const Side<T>& side = p_.sides[depth];
    for (std::size_t j = 0; j < side.rows && finite_; ++j) {
      scorer_.push_prefix(depth, j);
      const T* in = w_.vp.data() + depth * p_.dv;
      const T* value = side.value + j * side.value_ld;
      T* out = w_.vp.data() + (depth + 1) * p_.dv;
      for (std::size_t c = 0; c < p_.dv; ++c) out[c] = in[c] * value[c];
      prefix(depth + 1);
    }
  }

  // The b-tiles outside, the a-tiles inside: a K_b tile (and its V_b rows)
  // stays in L2 while all of K_a streams past it, instead of all of K_b
  // streaming past every a-tile (tile_b / tile_a = 8 times less traffic at
  // the defaults; K_b and V_b alone are 1 MiB at n = 1024, d = 64 in
  // double). Z is formed again for every tile when K_a has more than one
  // (ba x d products next to the ba x bb x d of the GEMM).
  void tiles(const T* vp) {
    // Tall tiles when a window cuts K_b short (kernel::tile_a_step).
    const std::size_t step = kernel::tile_a_step(p_.tile_a, p_.tile_a_wide, p_.tile_b, range_b_.hi - range_b_.lo);
    const bool one_a = range_a_.hi - range_a_.lo <= step;
    for (std::size_t b0 = range_b_.lo; b0 < range_b_.hi && finite_; b0 += p_.tile_b) {
      const std::size_t bb = std::min(p_.tile_b, range_b_.hi - b0);
      for (std::size_t a0 = range_a_.lo; a0 < range_a_.hi && finite_; a0 += step) {
        const std::size_t ba = std::min(step, range_a_.hi - a0);
        const bool new_a = !one_a || b0 == range_b_.lo;
        const TileMax<T> tile = scorer_.scores(w_.s.data(), a0, ba, b0, bb, new_a);
        absorb_tile(tile, ba, bb, a0, b0, vp);
      }
    }
  }

  // Online softmax (Milakov & Gimelshein 2018; FlashAttention's update).
  // Invariant, over the tuples t of every tile absorbed so far for this row:
  //   m_   = max_t s_t                        (-inf before the first tile)
  //   l_   = sum_t exp(s_t - m_)
  //   acc  = sum_t exp(s_t - m_) * v_t,  v_t = V_1[t_1] (.) ... (.) V_{k-1}[t_{k-1}]
  // A tile with maximum mt > m_ first rescales l_ and acc by exp(m_ - mt)
  // (exp(-inf) = 0 for the first tile; m_ and mt are never both -inf since
  // every score is finite), then adds its own exp(s - m_) terms. At the end
  // O = acc / l_ and log D = m_ + log l_, and no term exceeded exp(0) = 1.
  void absorb_tile(const TileMax<T>& tile, std::size_t ba, std::size_t bb, std::size_t a0, std::size_t b0,
                   const T* vp) {
    const std::size_t dv = p_.dv;
    T* s = w_.s.data();
    const T mt = tile.max;
    if (!tile.finite) {
      finite_ = false;
      return;
    }
    raise_max(m_, l_, w_.acc.data(), dv, mt);
    // Runs of whole rows of about kExpRun terms (one row at the default
    // tile_b; 16 rows of a window's 32 keys, which one call each would
    // spend on call and horizontal-sum overhead), summed in T, then added
    // in double.
    const std::size_t run = std::max<std::size_t>(1, kExpRun / bb);
    for (std::size_t r = 0; r < ba; r += run)
      l_ += static_cast<double>(exp_shifted_sum(s + r * bb, std::min(run, ba - r) * bb, m_));
    const Side<T>& a = p_.sides[p_.prefix()];
    const Side<T>& b = p_.sides[p_.prefix() + 1];
    if (p_.kt)
      kernel::value_tile(s, ba, bb, bb, b.value + b0 * b.value_ld, b.value_ld, dv, w_.w.data());
    else
      gemm(false, false, ba, dv, bb, T(1), s, bb, b.value + b0 * b.value_ld, b.value_ld, T(0), w_.w.data(), dv);
    // u = sum_r V_a[a0 + r] (.) W[r]: groups of kRowGroup rows summed in T,
    // then added in double (a conversion and a double add per group, not
    // per row: a window's tall tiles have 512 rows).
    std::fill(w_.u.begin(), w_.u.end(), 0.0);
    T* part = w_.part.data();
    for (std::size_t r0 = 0; r0 < ba; r0 += kRowGroup) {
      std::fill(part, part + dv, T(0));
      for (std::size_t r = r0; r < std::min(ba, r0 + kRowGroup); ++r) {
        const T* va = a.value + (a0 + r) * a.value_ld;
        const T* wr = w_.w.data() + r * dv;
        for (std::size_t c = 0; c < dv; ++c) part[c] += va[c] * wr[c];
      }
      for (std::size_t c = 0; c < dv; ++c) w_.u[c] += static_cast<double>(part[c]);
    }
    for (std::size_t c = 0; c < dv; ++c) w_.acc[c] += static_cast<double>(vp[c]) * w_.u[c];
  }

  const Problem<T>& p_;
  Scorer& scorer_;
  Scratch<T>& w_;
  Range range_a_, range_b_;
  T m_ = 0;
  double l_ = 0;
  bool finite_ = true;
};

// k = 2 on the tile kernels: blocks of query rows (FlashAttention's
// layout). Row by row, k = 2's tiles are 1 x tile_b (the unit side plays
// "a"): GEMV-shaped products that stream K and V once per query row, at a
// fifth of the GEMM peak. Here a block of R rows shares each K_b/V_b tile:
// S = scale Q_blk K_b^T (R x bb), then per row the online-softmax update of
// RowAttention::absorb_tile, then W = P V_b (R x d_v). Each row keeps its
// own maximum (a block maximum could flush a row's every term), and every
// product is row by row the same arithmetic in the same order as the
// one-row path (the kernels' rows are independent; the unit side's value
// is 1, so acc += W exactly as there): the result is the same bit for bit,
// whatever R and the thread count.
// R: kernel::kQueryBlockRows, fewer when there are not 16 blocks (threads
// then still share the work). A function of the sizes only.
inline std::size_t query_block_rows(std::size_t n_q) {
  return std::clamp<std::size_t>(n_q / 16, 1, kernel::kQueryBlockRows);
}
template <class T>
bool use_query_blocks(const Problem<T>& p, const ExactTuning& t) {
  return t.query_blocks && p.kt && p.unit_a && !p.window && key_parts(p) == 1;
}

template <class T>
class QueryBlockAttention {
 public:
  QueryBlockAttention(const Problem<T>& p, std::size_t rows)
      : p_(p), z_(rows * p.d), s_(rows * p.tile_b), w_(rows * p.dv), m_(rows), l_(rows), acc_(rows * p.dv) {}

  // Rows i0 .. i0 + n (n <= rows): O and log D. False on a non-finite score.
  template <class OutT>
  bool run(std::size_t i0, std::size_t n, OutT* out, std::size_t o_ld, double* log_d) {
    const std::size_t d = p_.d, dv = p_.dv;
    const Side<T>& b = p_.sides[1];
    for (std::size_t r = 0; r < n; ++r) {
      const T* q = p_.q + (i0 + r) * p_.q_ld;
      std::copy(q, q + d, z_.begin() + std::ptrdiff_t(r * d));  // q (.) the unit key row
    }
    std::fill(m_.begin(), m_.end(), -std::numeric_limits<T>::infinity());
    std::fill(l_.begin(), l_.end(), 0.0);
    std::fill(acc_.begin(), acc_.end(), 0.0);
    for (std::size_t b0 = 0; b0 < b.rows; b0 += p_.tile_b) {
      const std::size_t bb = std::min(p_.tile_b, b.rows - b0);
      bool finite = true;
      kernel::score_tile(z_.data(), n, *p_.kt, b0, bb, p_.scale, s_.data(), bb, finite);
      if (!finite) return false;
      for (std::size_t r = 0; r < n; ++r) {
        T* s = s_.data() + r * bb;
        bool ignored = true;
        const T mt = max_of(s, bb, ignored);
        raise_max(m_[r], l_[r], acc_.data() + r * dv, dv, mt);
        l_[r] += static_cast<double>(exp_shifted_sum(s, bb, m_[r]));  // one call a row, as absorb_tile's
      }
      kernel::value_tile(s_.data(), n, bb, bb, b.value + b0 * b.value_ld, b.value_ld, dv, w_.data());
      for (std::size_t r = 0; r < n; ++r) {
        const T* w = w_.data() + r * dv;
        double* acc = acc_.data() + r * dv;
        for (std::size_t c = 0; c < dv; ++c) acc[c] += static_cast<double>(w[c]);
      }
    }
    for (std::size_t r = 0; r < n; ++r)
      RowAttention<T, MatrixScorer<T>>::finish(static_cast<double>(m_[r]), l_[r], acc_.data() + r * dv, dv,
                                               out + (i0 + r) * o_ld, log_d + i0 + r);
    return true;
  }

 private:
  const Problem<T>& p_;
  std::vector<T> z_, s_, w_, m_;
  std::vector<double> l_, acc_;
};

template <class T>
[[noreturn]] void throw_score_overflow() {
  throw InputError("", "score overflow: some attention score is not finite in " +
                           std::string(sizeof(T) == 4 ? "float32" : "float64") +
                           " (entries or scale too large for this precision; try "
                           "--precision double or a smaller scale)");
}

// OpenMP over query rows (kernel::parallel_rows: an exception in a thread,
// allocation or the oracle, is rethrown after the region); each thread owns
// its scorer and scratch. O[i,:] goes to o + i * o_ld.
template <class T, class OutT, class MakeScorer>
void run_rows(const Problem<T>& p, const MakeScorer& make_scorer, int threads, std::size_t rows_per_task, OutT* o,
              std::size_t o_ld, double* log_d) {
  using Scorer = decltype(make_scorer());
  struct State {
    Scorer scorer;
    Scratch<T> scratch;
  };
  std::atomic<bool> overflow{false};
  const std::size_t parts = key_parts(p);
  if (parts == 1) {
    kernel::parallel_rows(
        kernel::FaultRegion::exact_forward, p.n_q, threads, rows_per_task,
        [&] { return State{make_scorer(), Scratch<T>(p)}; },
        [&](std::size_t i, State& st) {
          if (overflow.load(std::memory_order_relaxed)) return;
          RowAttention<T, Scorer> row(p, st.scorer, st.scratch);
          if (!row.run(i, o + i * o_ld, log_d + i)) overflow = true;
        });
  } else {
    // Few query rows: each row's key side is split into `parts` groups of
    // a-tiles, one work item each, and the partial (max, sum, accumulator)
    // states are merged per row in part order (llama.cpp's
    // ggml_flash_attn_ext_reduce_partials): with M = max_p m_p,
    //   l = sum_p exp(m_p - M) l_p,  acc = sum_p exp(m_p - M) acc_p.
    // `parts` depends on the sizes only, so the result is the same bit for
    // bit for any thread count.
    const std::size_t items = p.n_q * parts, stride = p.dv + 2;
    std::vector<double> partial(items * stride);
    kernel::parallel_rows(
        kernel::FaultRegion::exact_forward, items, threads, 1, [&] { return State{make_scorer(), Scratch<T>(p)}; },
        [&](std::size_t item, State& st) {
          if (overflow.load(std::memory_order_relaxed)) return;
          RowAttention<T, Scorer> row(p, st.scorer, st.scratch);
          if (!row.accumulate(item / parts, item % parts, parts)) {
            overflow = true;
            return;
          }
          double* slot = partial.data() + item * stride;
          slot[0] = row.sum() > 0 ? row.max() : -std::numeric_limits<double>::infinity();
          slot[1] = row.sum();
          std::copy(row.acc(), row.acc() + p.dv, slot + 2);
        });
    if (!overflow) {
      std::vector<double> acc(p.dv);
      for (std::size_t i = 0; i < p.n_q; ++i) {
        const double* first = partial.data() + i * parts * stride;
        double m = -std::numeric_limits<double>::infinity(), l = 0;
        for (std::size_t q = 0; q < parts; ++q) m = std::max(m, first[q * stride]);
        std::fill(acc.begin(), acc.end(), 0.0);
        for (std::size_t q = 0; q < parts; ++q) {
          const double* slot = first + q * stride;
          if (slot[1] == 0) continue;
          const double f = std::exp(slot[0] - m);
          l += f * slot[1];
          for (std::size_t c = 0; c < p.dv; ++c) acc[c] += f * slot[2 + c];
        }
        RowAttention<T, Scorer>::finish(m, l, acc.data(), p.dv, o + i * o_ld, log_d + i);
      }
    }
  }
  if (overflow) throw_score_overflow<T>();
}

// OpenMP over blocks of query rows (use_query_blocks: k = 2 on the tile
// kernels).
template <class T, class OutT>
void run_query_blocks(const Problem<T>& p, int threads, OutT* o, std::size_t o_ld, double* log_d) {
  const std::size_t rows = query_block_rows(p.n_q), blocks = (p.n_q + rows - 1) / rows;
  std::atomic<bool> overflow{false};
  kernel::parallel_rows(
      kernel::FaultRegion::exact_forward, blocks, threads, 1, [&] { return QueryBlockAttention<T>(p, rows); },
      [&](std::size_t blk, QueryBlockAttention<T>& st) {
        if (overflow.load(std::memory_order_relaxed)) return;
        const std::size_t i0 = blk * rows;
        if (!st.run(i0, std::min(rows, p.n_q - i0), o, o_ld, log_d)) overflow = true;
      });
  if (overflow) throw_score_overflow<T>();
}

// The matrix form: query blocks where they apply, else row by row.
template <class T, class OutT>
void run_matrix(const Problem<T>& p, const ExactTuning& t, int threads, OutT* o, std::size_t o_ld, double* log_d) {
  if (use_query_blocks(p, t))
    run_query_blocks(p, threads, o, o_ld, log_d);
  else
    run_rows(p, [&] { return MatrixScorer<T>(p); }, threads, t.rows_per_task, o, o_ld, log_d);
}

// The AVX-512 tile kernels run when the tuning allows them and the CPU has
// them (the matrix form only: the oracle form has no keys).
bool use_tile_kernels(const ExactTuning& t) { return t.tile_kernels && kernel::tile_gemm_supported(); }

// What a run allocates beyond its input (see exact_attention_bytes): O and
// log D in double, `copied` input scalars converted to the working precision,
// and per thread a Scratch and a scorer (tiles clamped to the side lengths,
// as the run clamps them).
// n_q counts the O and log D this call allocates (0 when they are the
// caller's); n_rows is the query row count either way.
double working_bytes(std::size_t n_q, std::size_t n_rows, std::size_t d, std::size_t dv, int k, std::size_t len_a,
                     std::size_t len_b, double copied, std::size_t scalar, const ExactTuning& t, int threads,
                     bool window, std::size_t plan_rows = 0) {
  const double tile_a = double(std::min(t.tile_a, len_a)), tile_b = double(std::min(t.tile_b, len_b));
  const double wide = double(kernel::wide_tile_a(std::min(t.tile_a, len_a), len_a, window));
  const double per_thread = double(scalar) * (tile_a * tile_b + wide * dv + double(k) * dv + double(k) * d +
                                              wide * d) +
                            16.0 * dv + 8.0 * k;
  // The key-side partials of a split run: (max, sum, accumulator) doubles
  // per work item.
  const std::size_t parts = key_parts(plan_rows ? plan_rows : n_rows, len_a > 1 ? len_a : len_b);
  const double partials = parts > 1 ? 8.0 * double(n_rows * parts) * (double(dv) + 2.0) : 0.0;
  // K_b^T of the tile kernels, shared by the threads; counted whether or not
  // this CPU has them, so a limit refuses the same sizes on every machine.
  const double transposed = d > 0 && t.tile_kernels ? kernel::transposed_bytes(len_b, d, scalar) : 0.0;
  // k = 2's query blocks (QueryBlockAttention), per thread: Z, S, W and the
  // row maxima in T, sums and accumulators in double.
  const double rows = double(query_block_rows(n_rows));
  const double blocks = k == 2 && t.tile_kernels && t.query_blocks
                            ? rows * (double(scalar) * (double(d) + tile_b + double(dv) + 1.0) + 8.0 * (double(dv) + 1.0))
                            : 0.0;
  return 8.0 * double(n_q) * (double(dv) + 1.0) + double(scalar) * copied +
         double(threads) * (per_thread + blocks) + partials + transposed;
}

void check_working_bytes(double bytes, std::size_t n_q, std::size_t dv, int threads, double max_bytes) {
  check_size("exact attention (O is " + std::to_string(n_q) + " x " + std::to_string(dv) + ", scratch for " +
                 std::to_string(threads) + " threads)",
             bytes, max_bytes, "raise --max-bytes, or use fewer --threads");
}

void check_window(const std::optional<CausalWindow>& window, int k) {
  if (window && k != 3) {
    throw InputError("", "causal windows (w1, w2) are defined for k = 3 only (this instance has k = " +
                             std::to_string(k) + ")");
  }
}

void check_tuning(const ExactTuning& t) {
  if (t.tile_a == 0 || t.tile_b == 0 || t.rows_per_task == 0)
    throw InputError("", "exact attention tuning: tile sizes and rows_per_task must be >= 1");
}

// The rows key_parts is planned for: the whole side of a slice.
std::size_t plan_rows(std::size_t n_q, const QuerySlice& slice) {
  if (slice.total_rows == 0) return n_q;
  if (slice.first_row > slice.total_rows || n_q > slice.total_rows - slice.first_row)
    throw InputError("", "exact attention: the query slice (rows " + std::to_string(slice.first_row) + " .. " +
                             std::to_string(slice.first_row + n_q) + ") does not lie within its side of " +
                             std::to_string(slice.total_rows) + " rows");
  return slice.total_rows;
}

// The matrix problem on views (tiles clamped to the side lengths); kt holds
// K_b^T when the tile kernels run.
template <class T>
Problem<T> matrix_problem(const MatrixView<T>& q, const kernel::SideLayout<T>& layout, std::size_t dv, double scale,
                          const ExactOptions& options, kernel::KeysTransposed<T>& kt) {
  Problem<T> p;
  p.n_q = q.rows;
  p.first_row = options.slice.first_row;
  p.plan_rows = plan_rows(q.rows, options.slice);
  p.d = q.cols;
  p.dv = dv;
  p.q = q.data;
  p.q_ld = q.stride();
  p.scale = static_cast<T>(scale);
  p.window = options.window;
  p.sides = layout.sides;
  p.unit_a = layout.unit;
  p.tile_a = std::min(options.tuning.tile_a, p.sides[p.prefix()].rows);
  p.tile_b = std::min(options.tuning.tile_b, p.sides[p.prefix() + 1].rows);
  p.tile_a_wide = kernel::wide_tile_a(p.tile_a, p.sides[p.prefix()].rows, options.window.has_value());
  if (use_tile_kernels(options.tuning)) {
    const Side<T>& b = p.sides[p.prefix() + 1];
    kt.build(b.key, b.rows, b.key_ld, p.d);
    p.kt = &kt;
  }
  return p;
}

template <class T>
void exact_matrix(const AttentionInstance& inst, const ExactOptions& options, double scale,
                  int threads, AttentionOutput& out) {
  // T = double reads the instance in place; T = float works on rounded copies.
  std::vector<std::vector<T>> storage;
  storage.reserve(2 * inst.keys.size() + 1);
  auto view = [&](const DenseMatrix& m) -> MatrixView<T> {
    if constexpr (std::is_same_v<T, double>) {
      return view_of(m);
    } else {
      storage.emplace_back(m.data.begin(), m.data.end());
      return {storage.back().data(), m.rows, m.cols, m.cols};
    }
  };
  // BLAS takes int dimensions.
  if (inst.d() > std::size_t(std::numeric_limits<int>::max()) ||
      inst.d_v() > std::size_t(std::numeric_limits<int>::max()))
    throw InputError("", "exact attention: d or d_v exceeds the BLAS int range");
  const MatrixView<T> q = view(inst.q);
  std::vector<MatrixView<T>> keys, values;
  for (std::size_t s = 0; s < inst.keys.size(); ++s) {
    keys.push_back(view(inst.keys[s]));
    values.push_back(view(inst.values[s]));
  }
  const kernel::SideLayout<T> layout = kernel::make_sides(keys, values, inst.d(), inst.d_v());
  kernel::KeysTransposed<T> kt;
  const Problem<T> p = matrix_problem(q, layout, inst.d_v(), scale, options, kt);
  run_matrix(p, options.tuning, threads, out.o.data(), p.dv, out.log_d.data());
}

// exact_attention_bytes for a validated instance and a resolved thread count.
double matrix_working_bytes(const AttentionInstance& inst, const ExactOptions& options, int threads) {
  const bool single = options.precision == Precision::float32;
  const double copied = single ? double(inst.entries()) : 0;  // float32 works on rounded copies
  const std::size_t n_b = inst.keys.back().rows;
  const std::size_t n_a = inst.k == 2 ? 1 : inst.keys[inst.keys.size() - 2].rows;
  return working_bytes(inst.n_q(), inst.n_q(), inst.d(), inst.d_v(), inst.k, n_a, n_b, copied, single ? 4 : 8,
                       options.tuning, threads, options.window.has_value(), plan_rows(inst.n_q(), options.slice));
}

}  // namespace

double exact_attention_bytes(const AttentionInstance& inst, const ExactOptions& options) {
  inst.validate();
  return matrix_working_bytes(inst, options, resolve_threads(options.threads));
}

AttentionOutput exact_attention(const AttentionInstance& inst, const ExactOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  inst.validate();
  check_window(options.window, inst.k);
  check_tuning(options.tuning);
  const double scale = resolve_scale(options.scale, inst.scale);
  const int threads = resolve_threads(options.threads);
  check_working_bytes(matrix_working_bytes(inst, options, threads), inst.n_q(), inst.d_v(), threads,
                      options.max_bytes);

  AttentionOutput out;
  out.rows = inst.n_q();
  out.cols = inst.d_v();
  out.precision = options.precision;
  out.o.assign(out.rows * out.cols, 0.0);
  out.log_d.assign(out.rows, 0.0);
  BlasSingleThreaded blas_guard;
  if (options.precision == Precision::float32) {
    exact_matrix<float>(inst, options, scale, threads, out);
  } else {
    exact_matrix<double>(inst, options, scale, threads, out);
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

AttentionOutput exact_attention_oracle(const OracleInstance& inst, const ExactOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (inst.values.empty())
    throw InputError("", "oracle attention needs k >= 2: at least one value matrix");
  if (!inst.score) throw InputError("", "oracle attention: no score callback given");
  if (options.precision != Precision::float64)
    throw InputError("", "oracle attention computes in float64 only");
  const int k = static_cast<int>(inst.values.size()) + 1;
  if (k > kMaxAttentionOrder)
    throw InputError("", "oracle attention: order k = " + std::to_string(k) + " exceeds " +
                             std::to_string(kMaxAttentionOrder));
  const std::size_t dv = inst.values[0].cols;
  for (std::size_t s = 0; s < inst.values.size(); ++s) {
    const DenseMatrix& v = inst.values[s];
    const std::string name = "oracle attention: V" + std::to_string(s + 1);
    if (v.rows == 0 || v.cols != dv || dv == 0 || v.data.size() != v.rows * v.cols)
      throw InputError("", name + " must be n_p x d_v with n_p >= 1 and the same d_v >= 1 as V1");
    for (double x : v.data)
      if (!std::isfinite(x)) throw InputError("", name + " has a non-finite entry");
  }
  check_window(options.window, k);
  check_tuning(options.tuning);
  const double scale = resolve_scale(options.scale, inst.scale);
  const int threads = resolve_threads(options.threads);
  const std::size_t n_b = inst.values.back().rows, n_a = k == 2 ? 1 : inst.values[inst.values.size() - 2].rows;
  check_working_bytes(working_bytes(inst.n_q, inst.n_q, 0, dv, k, n_a, n_b, 0, 8, options.tuning, threads,
                                    options.window.has_value(), plan_rows(inst.n_q, options.slice)), inst.n_q, dv,
                      threads, options.max_bytes);

  AttentionOutput out;
  out.rows = inst.n_q;
  out.cols = dv;
  out.precision = Precision::float64;
  out.o.assign(out.rows * out.cols, 0.0);
  out.log_d.assign(out.rows, 0.0);

  std::vector<double> unit_value(dv, 1.0);
  Problem<double> p;
  p.n_q = inst.n_q;
  p.first_row = options.slice.first_row;
  p.plan_rows = plan_rows(inst.n_q, options.slice);
  p.d = 0;  // implicit
  p.dv = dv;
  p.scale = scale;
  p.window = options.window;
  if (k == 2) p.sides.push_back({nullptr, unit_value.data(), 1, 0, dv});
  for (const auto& v : inst.values) p.sides.push_back({nullptr, v.data.data(), v.rows, 0, dv});
  p.tile_a = std::min(options.tuning.tile_a, p.sides[p.prefix()].rows);
  p.tile_b = std::min(options.tuning.tile_b, p.sides[p.prefix() + 1].rows);
  p.tile_a_wide = kernel::wide_tile_a(p.tile_a, p.sides[p.prefix()].rows, options.window.has_value());
  BlasSingleThreaded blas_guard;
  run_rows(p, [&] { return OracleScorer(p, inst.score, k == 2); }, threads, options.tuning.rows_per_task,
           out.o.data(), dv, out.log_d.data());
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

template <class T>
void exact_forward(const MatrixView<T>& q, const std::vector<MatrixView<T>>& keys,
                   const std::vector<MatrixView<T>>& values, const ExactOptions& options, MutableMatrixView<T> out_o,
                   double* out_log_d) {
  kernel::check_attention_views(q, keys, values);
  const int k = static_cast<int>(keys.size()) + 1;
  const std::size_t n_q = q.rows, d = q.cols, dv = values[0].cols;
  kernel::check_output_view("O", out_o.data, out_o.rows, out_o.cols, out_o.stride(), n_q, dv);
  if (!out_log_d) throw InputError("", "log D: no output buffer given");
  check_window(options.window, k);
  check_tuning(options.tuning);
  const double scale = resolve_scale(options.scale, 1.0 / double(d));
  const int threads = resolve_threads(options.threads);
  const std::size_t n_b = keys.back().rows, n_a = k == 2 ? 1 : keys[keys.size() - 2].rows;
  // The outputs are the caller's: only the scratch counts.
  check_working_bytes(working_bytes(0, n_q, d, dv, k, n_a, n_b, 0, sizeof(T), options.tuning, threads,
                                    options.window.has_value(), plan_rows(n_q, options.slice)), n_q, dv, threads,
                      options.max_bytes);
  const kernel::SideLayout<T> layout = kernel::make_sides(keys, values, d, dv);
  kernel::KeysTransposed<T> kt;
  const Problem<T> p = matrix_problem(q, layout, dv, scale, options, kt);
  BlasSingleThreaded blas_guard;
  run_matrix(p, options.tuning, threads, out_o.data, out_o.stride(), out_log_d);
}

template void exact_forward<float>(const MatrixView<float>&, const std::vector<MatrixView<float>>&,
                                   const std::vector<MatrixView<float>>&, const ExactOptions&,
                                   MutableMatrixView<float>, double*);
template void exact_forward<double>(const MatrixView<double>&, const std::vector<MatrixView<double>>&,
                                    const std::vector<MatrixView<double>>&, const ExactOptions&,
                                    MutableMatrixView<double>, double*);

}  // namespace sethkit::attention
