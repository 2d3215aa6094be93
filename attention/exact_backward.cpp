// The exact backward from dO (see exact_backward.hpp for the contract).
// Paper 001 Definitions 1.1 / 1.5 (the forward), 2.4 (the column-wise
// Kronecker product) and Lemma C.3; paper 002 Definition 2 (dX).
//
// Per query row i (dO_i given, delta_i = dO_i . O_i, L = log D_i saved by the
// forward), with the key sides laid out as in kernel_core.hpp (prefix sides
// K_1..K_{k-3} enumerated a row at a time, the last two tiled as "a" and "b";
// k = 2 gets a unit side a; a causal window cuts the a and b ranges):
//   for each prefix tuple (j_1..j_{k-3}):
//     qp = q (.) K_1[j_1] (.) ...,  vp = V_1[j_1] (.) ...,  dvp = dO (.) vp
//     for each tile (a0, b0):
//       Z  = qp (.) K_a rows,  Zv = dvp (.) V_a rows            (ba x d, ba x d_v)
//       P  = exp(scale Z K_b^T - L)                             (GEMM, recomputed)
//       G  = P o (Zv V_b^T - delta)                             (GEMM): dLoss/dS
//       dV_b += P^T Zv,   dV_a rows += dvp (.) (P V_b)          (GEMMs)
//       dK_b += scale G^T Z,  dK_a rows += scale qp (.) (G K_b) (GEMMs)
//       u += sum_r K_a[r] (.) (G K_b)[r],  w += sum_r V_a[r] (.) (P V_b)[r]
//       paper: M_i^T += (G A3 rows)^T A2 rows                   (GEMMs)
//     dQ_i += scale kp (.) u, kp = K_1[j_1] (.) ...; the prefix sides get u
//     and w times q (or dO) and the other prefix rows.
// The six tile GEMMs run on the AVX-512 micro-kernels of tile_gemm.hpp where
// the CPU has them (GradientTuning::tile_kernels), else through cblas; there
// k = 2 runs blocks of query rows (QueryBlockBackward).
#include "attention/exact_backward.hpp"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>

#include "attention/backend_options.hpp"
#include "attention/blas_threads.hpp"
#include "attention/tile_gemm.hpp"
#include "attention/vector_exp.hpp"
#include "core/errors.hpp"

namespace sethkit::attention {

namespace {

using Clock = std::chrono::steady_clock;
using kernel::gemm;
using kernel::Range;
using kernel::Side;
using detail::PaperDx;

inline constexpr std::size_t kMinChunkRows = 16;
inline constexpr std::size_t kMinChunkRowsK2 = 512;
inline constexpr double kSmallAccumulator = 64.0 * 1024;  // bytes

template <class T>
struct Problem {
  std::size_t n_q = 0, d = 0, dv = 0;
  std::vector<Side<T>> sides;  // prefix sides, then a, then b
  T scale = 0;
  MatrixView<T> q, d_out;
  const double* delta = nullptr;  // n_q: dO_i . O_i
  const double* log_d = nullptr;  // n_q
  std::optional<CausalWindow> window;
  std::size_t tile_a = 0, tile_b = 0;
  std::size_t tile_a_wide = 0;  // rows of K_a per tile under a window (kernel::tile_a_step)
  const PaperDx* dx = nullptr;  // T = double only
  // k = 2: side a is the unit side, whose dV is dropped and no prefix side
  // reads wv, so W = P V_b is not needed (5 GEMMs per tile instead of 6).
  bool unit_a = false;
  // K_b^T and V_b^T for the AVX-512 tile kernels (tile_gemm.hpp); null: cblas.
  const kernel::KeysTransposed<T>* kt = nullptr;
  const kernel::KeysTransposed<T>* vt = nullptr;
  std::size_t prefix() const { return sides.size() - 2; }
};

// What a chunk of rows adds to the gradients that sum over rows. Under a
// causal window the rows [r0, r1) of a chunk reach only the key rows
// [r0 - w + 1, r1) of sides a and b: the accumulator holds that band
// (first[s] is its first key row), not the whole side. Chunks summed in
// order over their bands give the same doubles as whole-side accumulators,
// whose other rows hold exact zeros (x + 0.0 == x).
template <class T>
struct Accumulator {
  std::vector<std::vector<T>> d_keys, d_values;  // per side in Problem order
  std::vector<std::size_t> first, rows;          // per side: the band of key rows held
  std::vector<double> d_x;                       // m x m^2 (paper), else empty
  Accumulator(const Problem<T>& p, std::size_t r0, std::size_t r1) {
    for (std::size_t s = 0; s < p.sides.size(); ++s) {
      const std::size_t n = p.sides[s].rows;
      std::size_t lo = 0, hi = n;
      if (p.window && s >= p.prefix()) {
        const std::int64_t w = s == p.prefix() ? p.window->w1 : p.window->w2;
        lo = std::min<std::size_t>(n, r0 >= std::size_t(w) ? r0 - std::size_t(w) + 1 : 0);
        hi = std::max(lo, std::min(n, r1));
      }
      first.push_back(lo);
      rows.push_back(hi - lo);
      d_keys.emplace_back((hi - lo) * p.d, T(0));
      d_values.emplace_back((hi - lo) * p.dv, T(0));
    }
    if (p.dx) d_x.assign(p.dx->m * p.dx->m * p.dx->m, 0.0);
  }
  T* key(std::size_t s, std::size_t j, std::size_t d) { return d_keys[s].data() + (j - first[s]) * d; }
  T* value(std::size_t s, std::size_t j, std::size_t dv) { return d_values[s].data() + (j - first[s]) * dv; }
  // Whole sides: the plan's bound, the same with and without a window.
  static double bytes(const Problem<T>& p) {
    double b = 0;
    for (const Side<T>& s : p.sides) b += double(s.rows) * double(p.d + p.dv) * sizeof(T);
    if (p.dx) b += 8.0 * std::pow(double(p.dx->m), 3);
    return b;
  }
};

// Per-thread buffers: two score tiles and a few tile_a x d strips.
}  // namespace

// Accumulators past kSmallAccumulator bytes: at least kMinChunkRows rows a
// chunk, since every chunk zeroes and reduces a whole dK/dV accumulator (at
// n = 256, d = 64 and 64 chunks of 4 rows that was ~8% of the time). At
// k = 2 a row's work is one pass over the keys, not n_a of them, so a chunk
// needs kMinChunkRowsK2 rows to outweigh its accumulator (n = 4096, d = 64,
// float: 64 chunks of 64 rows spent 20 % of the backward allocating,
// zeroing and reducing 128 MiB of accumulators).
kernel::ChunkPlan backward_row_chunks(std::size_t n_q, double accumulator_bytes, const GradientTuning& tuning,
                                      int k) {
  const std::size_t least = k == 2 ? kMinChunkRowsK2 : kMinChunkRows;
  const std::size_t max_chunks =
      accumulator_bytes > kSmallAccumulator
          ? std::min(tuning.max_chunks, std::max<std::size_t>(1, (n_q + least - 1) / least))
          : tuning.max_chunks;
  return kernel::row_chunks(n_q, accumulator_bytes, max_chunks, tuning.chunk_bytes_budget);
}

namespace {

template <class T>
struct Scratch {
  std::vector<T> s, g;          // tile_a x tile_b: S then P; dP then G
  std::vector<T> z, h;          // tile_a_wide x d: qp (.) K_a rows; G K_b
  std::vector<T> zv, w;         // tile_a_wide x d_v: dvp (.) V_a rows; P V_b
  std::vector<double> ga;       // tile_a_wide x m (paper): G A_b rows
  std::vector<double> mt;       // m x m (paper): M_i^T
  std::vector<T> qp, kp, vp;    // (prefix + 1) x d, d, d_v: products down the prefix
  std::vector<T> dout, dvp;     // d_v: dO_i; dO_i (.) vp
  std::vector<T> u, wv;         // d, d_v: per prefix tuple sums
  std::vector<T> other;         // max(d, d_v): products of the other prefix rows
  std::vector<std::size_t> tuple;  // prefix indices
  explicit Scratch(const Problem<T>& p)
      : s(p.tile_a * p.tile_b), g(p.tile_a * p.tile_b), z(p.tile_a_wide * p.d), h(p.tile_a_wide * p.d),
        zv(p.tile_a_wide * p.dv), w(p.tile_a_wide * p.dv), ga(p.dx ? p.tile_a_wide * p.dx->m : 0),
        mt(p.dx ? p.dx->m * p.dx->m : 0), qp((p.prefix() + 1) * p.d), kp((p.prefix() + 1) * p.d),
        vp((p.prefix() + 1) * p.dv), dout(p.dv), dvp(p.dv), u(p.d), wv(p.dv), other(std::max(p.d, p.dv)),
        tuple(p.prefix()) {}
  static double bytes(const Problem<T>& p) {
    const double ta = double(p.tile_a), wide = double(p.tile_a_wide), m = p.dx ? double(p.dx->m) : 0;
    return double(sizeof(T)) * (2 * ta * double(p.tile_b) + 2 * wide * double(p.d + p.dv) +
                                double(p.prefix() + 1) * double(2 * p.d + p.dv) + 4.0 * double(p.d + p.dv)) +
           8.0 * (wide * m + m * m);
  }
};

template <class T>
class RowBackward {
 public:
  RowBackward(const Problem<T>& p, Scratch<T>& w, Accumulator<T>& acc) : p_(p), w_(w), acc_(acc) {}

  // Adds row i's terms to the chunk accumulator and writes dQ[i,:].
  void run(std::size_t i, T* dq) {
    const std::size_t d = p_.d, dv = p_.dv;
    i_ = i;
    std::fill(dq, dq + d, T(0));
    const Side<T>& a = p_.sides[p_.prefix()];
    const Side<T>& b = p_.sides[p_.prefix() + 1];
    range_a_ = {0, a.rows};
    range_b_ = {0, b.rows};
    if (p_.window) {
      range_a_ = kernel::window_range(i, p_.window->w1, a.rows);
      range_b_ = kernel::window_range(i, p_.window->w2, b.rows);
    }
    log_d_ = p_.log_d[i];
    // No allowed tuple: D_i is an empty sum and row i adds nothing.
    if (range_a_.empty() || range_b_.empty() || !(log_d_ > -std::numeric_limits<double>::infinity())) return;
    const T* dor = p_.d_out.row(i);
    std::copy(dor, dor + dv, w_.dout.begin());
    delta_ = static_cast<T>(p_.delta[i]);
    dq_ = dq;
    const T* q = p_.q.row(i);
    std::copy(q, q + d, w_.qp.begin());
    std::fill(w_.kp.begin(), w_.kp.begin() + d, T(1));
    std::fill(w_.vp.begin(), w_.vp.begin() + dv, T(1));
    if (p_.dx) std::fill(w_.mt.begin(), w_.mt.end(), 0.0);
    prefix(0);
    if constexpr (std::is_same_v<T, double>) {
      if (p_.dx) {
        // d_x[a, b1 + b2*m] += A1[i,a] * M_i[b1,b2] = A1[i,a] * mt[b2*m + b1].
        const std::size_t m = p_.dx->m;
        cblas_dger(CblasRowMajor, int(m), int(m * m), 1.0, p_.dx->query + i * m, 1, w_.mt.data(), 1,
                   acc_.d_x.data(), int(m * m));
      }
    }
  }

 private:
  void prefix(std::size_t depth) {
    const std::size_t d = p_.d, dv = p_.dv;
    if (depth == p_.prefix()) {
      leaf();
      return;
    }
    const Side<T>& side = p_.sides[depth];
    for (std::size_t j = 0; j < side.rows; ++j) {
      w_.tuple[depth] = j;
      const T* key = side.key + j * side.key_ld;
      const T* value = side.value + j * side.value_ld;
      for (std::size_t c = 0; c < d; ++c) {
        w_.qp[(depth + 1) * d + c] = w_.qp[depth * d + c] * key[c];
        w_.kp[(depth + 1) * d + c] = w_.kp[depth * d + c] * key[c];
      }
      for (std::size_t c = 0; c < dv; ++c) w_.vp[(depth + 1) * dv + c] = w_.vp[depth * dv + c] * value[c];
      prefix(depth + 1);
    }
  }

  // One prefix tuple: all tiles of the last two sides, then what the tuple
  // gives dQ_i and the prefix sides.
  void leaf() {
    const std::size_t d = p_.d, dv = p_.dv, depth = p_.prefix();
    const T* qp = w_.qp.data() + depth * d;
    const T* kp = w_.kp.data() + depth * d;
    const T* vp = w_.vp.data() + depth * dv;
    for (std::size_t c = 0; c < dv; ++c) w_.dvp[c] = w_.dout[c] * vp[c];
    std::fill(w_.u.begin(), w_.u.end(), T(0));
    std::fill(w_.wv.begin(), w_.wv.end(), T(0));
    const Side<T>& a = p_.sides[depth];
    const Side<T>& b = p_.sides[depth + 1];
    // Tall tiles when a window cuts K_b short, as in the forward.
    const std::size_t step = kernel::tile_a_step(p_.tile_a, p_.tile_a_wide, p_.tile_b, range_b_.hi - range_b_.lo);
    for (std::size_t a0 = range_a_.lo; a0 < range_a_.hi; a0 += step) {
      const std::size_t ba = std::min(step, range_a_.hi - a0);
      for (std::size_t r = 0; r < ba; ++r) {
        const T* key = a.key + (a0 + r) * a.key_ld;
        const T* value = a.value + (a0 + r) * a.value_ld;
        T* z = w_.z.data() + r * d;
        T* zv = w_.zv.data() + r * dv;
        for (std::size_t c = 0; c < d; ++c) z[c] = qp[c] * key[c];
        for (std::size_t c = 0; c < dv; ++c) zv[c] = w_.dvp[c] * value[c];
      }
      for (std::size_t b0 = range_b_.lo; b0 < range_b_.hi; b0 += p_.tile_b)
        tile(a, b, a0, ba, b0, std::min(p_.tile_b, range_b_.hi - b0), qp);
    }
    // dQ_i[c] += scale kp[c] u[c]: u[c] = sum_t G_t K_a[t_a,c] K_b[t_b,c].
    for (std::size_t c = 0; c < d; ++c) dq_[c] += p_.scale * kp[c] * w_.u[c];
    // Prefix side s: dK_s[j_s] += scale q (.) prod_{s' != s} K_s'[j_s'] (.) u,
    //                dV_s[j_s] += dO (.) prod_{s' != s} V_s'[j_s'] (.) wv.
    for (std::size_t s = 0; s < depth; ++s) {
      T* other = w_.other.data();
      const T* q = p_.q.row(i_);
      std::copy(q, q + d, other);
      for (std::size_t t = 0; t < depth; ++t) {
        if (t == s) continue;
        const T* key = p_.sides[t].key + w_.tuple[t] * p_.sides[t].key_ld;
        for (std::size_t c = 0; c < d; ++c) other[c] *= key[c];
      }
      T* dk = acc_.key(s, w_.tuple[s], d);
      for (std::size_t c = 0; c < d; ++c) dk[c] += p_.scale * other[c] * w_.u[c];
      std::copy(w_.dout.begin(), w_.dout.end(), other);
      for (std::size_t t = 0; t < depth; ++t) {
        if (t == s) continue;
        const T* value = p_.sides[t].value + w_.tuple[t] * p_.sides[t].value_ld;
        for (std::size_t c = 0; c < dv; ++c) other[c] *= value[c];
      }
      T* dvs = acc_.value(s, w_.tuple[s], dv);
      for (std::size_t c = 0; c < dv; ++c) dvs[c] += other[c] * w_.wv[c];
    }
  }

  void tile(const Side<T>& a, const Side<T>& b, std::size_t a0, std::size_t ba, std::size_t b0, std::size_t bb,
            const T* qp) {
    const std::size_t d = p_.d, dv = p_.dv, depth = p_.prefix();
    const std::size_t n = ba * bb;
    T* s = w_.s.data();
    T* g = w_.g.data();
    const T* kb = b.key + b0 * b.key_ld;
    const T* vb = b.value + b0 * b.value_ld;
    // P = exp(scale Z K_b^T - log D_i): log D_i >= every score of the row, so
    // every exponent is <= 0 (up to the rounding of the recomputed scores).
    // The tile kernels' maxima and finiteness flags are not needed here: the
    // exponent is shifted by log D_i, and the outputs are checked at the end.
    bool unused_finite = true;
    if (p_.kt)
      kernel::score_tile(w_.z.data(), ba, *p_.kt, b0, bb, p_.scale, s, bb, unused_finite);
    else
      gemm(false, true, ba, bb, d, p_.scale, w_.z.data(), d, kb, b.key_ld, T(0), s, bb);
    exp_shifted_sum(s, n, static_cast<T>(log_d_));
    // G = P o (dP - delta), dP = Zv V_b^T.
    if (p_.vt)
      kernel::score_tile(w_.zv.data(), ba, *p_.vt, b0, bb, T(1), g, bb, unused_finite);
    else
      gemm(false, true, ba, bb, dv, T(1), w_.zv.data(), dv, vb, b.value_ld, T(0), g, bb);
    for (std::size_t t = 0; t < n; ++t) g[t] = s[t] * (g[t] - delta_);
    T* dvb = acc_.value(depth + 1, b0, dv);
    T* dkb = acc_.key(depth + 1, b0, d);
    if (p_.kt) {
      // Values: dV_b += P^T Zv; W = P V_b gives dV_a and wv.
      kernel::transposed_tile(s, ba, bb, bb, w_.zv.data(), dv, dv, T(1), dvb, dv);
      if (!p_.unit_a) kernel::value_tile(s, ba, bb, bb, vb, b.value_ld, dv, w_.w.data());
      // Keys: dK_b += scale G^T Z; H = G K_b gives dK_a and u.
      kernel::transposed_tile(g, ba, bb, bb, w_.z.data(), d, d, p_.scale, dkb, d);
      kernel::value_tile(g, ba, bb, bb, kb, b.key_ld, d, w_.h.data());
    } else {
      gemm(true, false, bb, dv, ba, T(1), s, bb, w_.zv.data(), dv, T(1), dvb, dv);
      if (!p_.unit_a) gemm(false, false, ba, dv, bb, T(1), s, bb, vb, b.value_ld, T(0), w_.w.data(), dv);
      gemm(true, false, bb, d, ba, p_.scale, g, bb, w_.z.data(), d, T(1), dkb, d);
      gemm(false, false, ba, d, bb, T(1), g, bb, kb, b.key_ld, T(0), w_.h.data(), d);
    }
    for (std::size_t r = 0; r < ba; ++r) {
      const T* h = w_.h.data() + r * d;
      const T* key = a.key + (a0 + r) * a.key_ld;
      T* dk = acc_.key(depth, a0 + r, d);
      for (std::size_t c = 0; c < d; ++c) {
        dk[c] += p_.scale * qp[c] * h[c];
        w_.u[c] += key[c] * h[c];
      }
      if (p_.unit_a) continue;
      const T* wr = w_.w.data() + r * dv;
      const T* value = a.value + (a0 + r) * a.value_ld;
      T* dvr = acc_.value(depth, a0 + r, dv);
      for (std::size_t c = 0; c < dv; ++c) {
        dvr[c] += w_.dvp[c] * wr[c];
        w_.wv[c] += value[c] * wr[c];
      }
    }
    if constexpr (std::is_same_v<T, double>) {
      if (p_.dx) {
        // M_i^T += (G A3_tile)^T A2_tile, i.e. M_i += A2_tile^T G A3_tile.
        const std::size_t m = p_.dx->m;
        gemm(false, false, ba, m, bb, 1.0, g, bb, p_.dx->right + b0 * m, m, 0.0, w_.ga.data(), m);
        gemm(true, false, m, m, ba, 1.0, w_.ga.data(), m, p_.dx->left + a0 * m, m, 1.0, w_.mt.data(), m);
      }
    }
  }

  const Problem<T>& p_;
  Scratch<T>& w_;
  Accumulator<T>& acc_;
  Range range_a_, range_b_;
  std::size_t i_ = 0;
  T delta_ = 0;
  double log_d_ = 0;
  T* dq_ = nullptr;
};

// k = 2 on the tile kernels (GradientTuning::query_blocks): a block of up
// to kQueryBlockRows query rows shares each K/V tile, as the forward's
// QueryBlockAttention. With the unit side as "a", RowBackward's tile is
// 1 x bb per row; here, per tile b0 and block rows i0.., Z = Q rows and
// Zv = dO rows (the unit side's rows are ones):
//   P = exp(scale Z K_b^T - log D_r) row by row,  G = P o (Zv V_b^T - delta_r)
//   dV_b += P^T Zv,  dK_b += scale G^T Z          (contractions over the rows)
//   U += G K_b,  and at the end dQ = scale U      (the unit side's dK is dropped)
// The block is a fixed part of its row chunk, so the sums are the same for
// any thread count.
using kernel::kQueryBlockRows;

template <class T>
class QueryBlockBackward {
 public:
  explicit QueryBlockBackward(const Problem<T>& p)
      : p_(p), z_(kQueryBlockRows * p.d), zv_(kQueryBlockRows * p.dv), s_(kQueryBlockRows * p.tile_b),
        g_(kQueryBlockRows * p.tile_b), h_(kQueryBlockRows * p.d), u_(kQueryBlockRows * p.d) {}
  static double bytes(const Problem<T>& p) {
    return double(sizeof(T)) * double(kQueryBlockRows) * double(3 * p.d + p.dv + 2 * p.tile_b);  // Z, H, U; Zv; S, G
  }

  // Rows i0 .. i0 + n (n <= kQueryBlockRows): adds to acc and writes their dQ.
  // False (nothing done) when a row has no allowed tuple (log D = -inf): the
  // row path skips such rows.
  bool run(std::size_t i0, std::size_t n, Accumulator<T>& acc, const MutableMatrixView<T>& out_dq) {
    const std::size_t d = p_.d, dv = p_.dv;
    for (std::size_t r = 0; r < n; ++r)
      if (!(p_.log_d[i0 + r] > -std::numeric_limits<double>::infinity())) return false;
    const Side<T>& b = p_.sides[1];
    for (std::size_t r = 0; r < n; ++r) {
      std::copy(p_.q.row(i0 + r), p_.q.row(i0 + r) + d, z_.begin() + std::ptrdiff_t(r * d));
      std::copy(p_.d_out.row(i0 + r), p_.d_out.row(i0 + r) + dv, zv_.begin() + std::ptrdiff_t(r * dv));
    }
    std::fill(u_.begin(), u_.end(), T(0));
    for (std::size_t b0 = 0; b0 < b.rows; b0 += p_.tile_b) {
      const std::size_t bb = std::min(p_.tile_b, b.rows - b0);
      bool unused_finite = true;  // as RowBackward::tile: the outputs are checked at the end
      kernel::score_tile(z_.data(), n, *p_.kt, b0, bb, p_.scale, s_.data(), bb, unused_finite);
      kernel::score_tile(zv_.data(), n, *p_.vt, b0, bb, T(1), g_.data(), bb, unused_finite);
      for (std::size_t r = 0; r < n; ++r) {
        T* s = s_.data() + r * bb;
        T* g = g_.data() + r * bb;
        exp_shifted_sum(s, bb, static_cast<T>(p_.log_d[i0 + r]));
        const T delta = static_cast<T>(p_.delta[i0 + r]);
        for (std::size_t t = 0; t < bb; ++t) g[t] = s[t] * (g[t] - delta);
      }
      kernel::transposed_tile(s_.data(), n, bb, bb, zv_.data(), dv, dv, T(1), acc.value(1, b0, dv), dv);
      kernel::transposed_tile(g_.data(), n, bb, bb, z_.data(), d, d, p_.scale, acc.key(1, b0, d), d);
      kernel::value_tile(g_.data(), n, bb, bb, b.key + b0 * b.key_ld, b.key_ld, d, h_.data());
      for (std::size_t t = 0; t < n * d; ++t) u_[t] += h_[t];
    }
    for (std::size_t r = 0; r < n; ++r) {
      T* dq = out_dq.row(i0 + r);
      for (std::size_t c = 0; c < d; ++c) dq[c] = p_.scale * u_[r * d + c];
    }
    return true;
  }

 private:
  const Problem<T>& p_;
  std::vector<T> z_, zv_, s_, g_, h_, u_;
};

template <class T>
BackwardStats run_backward(const MatrixView<T>& q, const std::vector<MatrixView<T>>& keys,
                           const std::vector<MatrixView<T>>& values, const MatrixView<T>& d_out, const double* log_d,
                           const BackwardOptions& options, MutableMatrixView<T> out_dq,
                           const std::vector<MutableMatrixView<T>>& out_dk,
                           const std::vector<MutableMatrixView<T>>& out_dv, const MatrixView<T>& o, const PaperDx* dx,
                           std::vector<double>* dx_sum) {
  kernel::check_attention_views(q, keys, values);
  const std::size_t k = keys.size() + 1, n_q = q.rows, d = q.cols, dv = values[0].cols;
  kernel::check_input_view("dO", d_out, n_q, dv);
  if (o.data) kernel::check_input_view("O", o, n_q, dv);
  kernel::check_output_view("dQ", out_dq.data, out_dq.rows, out_dq.cols, out_dq.stride(), n_q, d);
  if (out_dk.size() != k - 1 || out_dv.size() != k - 1)
    throw InputError("", "give k - 1 = " + std::to_string(k - 1) + " dK and dV output buffers");
  for (std::size_t p = 0; p + 1 < k; ++p) {
    const std::string n = std::to_string(p + 1);
    kernel::check_output_view(("dK" + n).c_str(), out_dk[p].data, out_dk[p].rows, out_dk[p].cols, out_dk[p].stride(),
                              keys[p].rows, d);
    kernel::check_output_view(("dV" + n).c_str(), out_dv[p].data, out_dv[p].rows, out_dv[p].cols, out_dv[p].stride(),
                              keys[p].rows, dv);
  }
  if (options.window && k != 3)
    throw InputError("", "causal windows (w1, w2) are defined for k = 3 only (this call has k = " +
                             std::to_string(k) + ")");
  const GradientTuning& tuning = options.tuning;
  if (tuning.tile_a == 0 || tuning.tile_b == 0 || tuning.max_chunks == 0)
    throw InputError("", "gradient tuning: tile sizes and max_chunks must be >= 1");
  const double scale = resolve_scale(options.scale, 1.0 / double(d));
  const int threads = resolve_threads(options.threads);

  const kernel::SideLayout<T> layout = kernel::make_sides(keys, values, d, dv);
  Problem<T> p;
  p.n_q = n_q;
  p.d = d;
  p.dv = dv;
  p.scale = static_cast<T>(scale);
  p.q = q;
  p.d_out = d_out;
  p.window = options.window;
  p.dx = dx;
  p.sides = layout.sides;
  p.unit_a = layout.unit;
  p.tile_a = std::min(tuning.tile_a, p.sides[p.prefix()].rows);
  p.tile_b = std::min(tuning.tile_b, p.sides[p.prefix() + 1].rows);
  p.tile_a_wide = kernel::wide_tile_a(p.tile_a, p.sides[p.prefix()].rows, options.window.has_value());

  const bool forward = !o.data || !log_d;
  const double acc_bytes = Accumulator<T>::bytes(p);
  const kernel::ChunkPlan plan = backward_row_chunks(n_q, acc_bytes, tuning, int(k));
  double side_entries = 0;
  for (const auto& key : keys) side_entries += double(key.rows) * double(d + dv);
  // K_b^T and V_b^T of the tile kernels: counted on every CPU, so a limit
  // refuses the same sizes everywhere (as the forward's, exact_attention.cpp).
  const std::size_t n_b = p.sides.back().rows;
  const double transposed =
      tuning.tile_kernels ? kernel::transposed_bytes(n_b, d, sizeof(T)) + kernel::transposed_bytes(n_b, dv, sizeof(T))
                          : 0.0;
  // k = 2's query blocks: counted on every CPU, as the transposed keys.
  const bool blocks = p.unit_a && tuning.query_blocks;
  const double per_thread = Scratch<T>::bytes(p) + (blocks && tuning.tile_kernels ? QueryBlockBackward<T>::bytes(p) : 0);
  const double bytes = double(plan.chunks) * acc_bytes + double(threads) * per_thread + 8.0 * n_q +
                       8.0 * side_entries + (forward ? double(n_q) * (8.0 + sizeof(T) * double(dv)) : 0.0) +
                       transposed;
  check_size("the exact backward's working memory (" + std::to_string(plan.chunks) + " row chunks, scratch for " +
                 std::to_string(threads) + " threads)",
             bytes, options.max_bytes, "raise --max-bytes, or use fewer --threads");

  BackwardStats stats;
  stats.chunks = plan.chunks;
  BlasSingleThreaded blas_guard;
  // The first pass: O and log D when the caller has not kept them.
  std::vector<T> o_store;
  std::vector<double> log_d_store;
  MatrixView<T> ov = o;
  if (forward) {
    o_store.assign(n_q * dv, T(0));
    log_d_store.assign(n_q, 0.0);
    ExactOptions fo;
    fo.scale = scale;
    fo.window = options.window;
    fo.threads = threads;
    fo.max_bytes = std::numeric_limits<double>::infinity();  // counted above
    fo.tuning.tile_kernels = tuning.tile_kernels;
    fo.tuning.query_blocks = tuning.query_blocks;
    const auto t0 = Clock::now();
    exact_forward<T>(q, keys, values, fo, {o_store.data(), n_q, dv, dv}, log_d_store.data());
    stats.forward_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!o.data) ov = {o_store.data(), n_q, dv, dv};
    if (!log_d) log_d = log_d_store.data();
  }
  const auto start = Clock::now();
  std::vector<double> delta(n_q);
  for (std::size_t i = 0; i < n_q; ++i) {
    const T* orow = ov.row(i);
    const T* grow = d_out.row(i);
    double s = 0;
    for (std::size_t c = 0; c < dv; ++c) s += double(grow[c]) * double(orow[c]);
    delta[i] = s;
  }
  p.delta = delta.data();
  p.log_d = log_d;
  kernel::KeysTransposed<T> kt, vt;
  if (tuning.tile_kernels && kernel::tile_gemm_supported()) {
    const Side<T>& b = p.sides.back();
    kt.build(b.key, b.rows, b.key_ld, d);
    vt.build(b.value, b.rows, b.value_ld, dv);
    p.kt = &kt;
    p.vt = &vt;
  }

  std::vector<Accumulator<T>> acc;
  acc.reserve(plan.chunks);
  for (std::size_t c = 0; c < plan.chunks; ++c) acc.emplace_back(p, plan.lo(c), plan.hi(c, n_q));
  struct State {
    Scratch<T> scratch;
    std::optional<QueryBlockBackward<T>> blocks;
  };
  const bool use_blocks = blocks && p.kt;
  kernel::parallel_rows(
      kernel::FaultRegion::exact_backward, plan.chunks, threads, 1,
      [&] {
        State st{Scratch<T>(p), std::nullopt};
        if (use_blocks) st.blocks.emplace(p);
        return st;
      },
      [&](std::size_t c, State& st) {
        RowBackward<T> row(p, st.scratch, acc[c]);
        const std::size_t lo = plan.lo(c), hi = plan.hi(c, n_q);
        if (!use_blocks) {
          for (std::size_t i = lo; i < hi; ++i) row.run(i, out_dq.row(i));
          return;
        }
        for (std::size_t i0 = lo; i0 < hi; i0 += kQueryBlockRows) {
          const std::size_t n = std::min(kQueryBlockRows, hi - i0);
          if (!st.blocks->run(i0, n, acc[c], out_dq))  // a row with log D = -inf: the row path
            for (std::size_t i = i0; i < i0 + n; ++i) row.run(i, out_dq.row(i));
        }
      });

  // Chunk sums in chunk order (kernel::ordered_reduce), skipping the unit side.
  bool finite = true;
  std::vector<double> sum;
  std::vector<kernel::Band<T>> parts(plan.chunks);
  for (std::size_t s = layout.first_real(); s < p.sides.size(); ++s) {
    const std::size_t side = s - layout.first_real();
    for (int which = 0; which < 2; ++which) {
      const std::size_t cols = which == 0 ? d : dv;
      for (std::size_t c = 0; c < plan.chunks; ++c)
        parts[c] = {which == 0 ? acc[c].d_keys[s].data() : acc[c].d_values[s].data(), acc[c].first[s] * cols,
                    acc[c].rows[s] * cols};
      sum.assign(p.sides[s].rows * cols, 0.0);
      kernel::ordered_reduce(parts, sum.size(), sum.data(), threads);
      const MutableMatrixView<T>& out = which == 0 ? out_dk[side] : out_dv[side];
      for (std::size_t r = 0; r < p.sides[s].rows; ++r) {
        T* row = out.row(r);
        for (std::size_t c = 0; c < cols; ++c) row[c] = static_cast<T>(sum[r * cols + c]);
        finite = finite && kernel::all_finite(row, cols);
      }
    }
  }
  for (std::size_t i = 0; i < n_q; ++i) finite = finite && kernel::all_finite(out_dq.row(i), d);
  if (dx && dx_sum) {
    std::vector<const double*> dparts(plan.chunks);
    for (std::size_t c = 0; c < plan.chunks; ++c) dparts[c] = acc[c].d_x.data();
    dx_sum->assign(dx->m * dx->m * dx->m, 0.0);
    kernel::ordered_reduce(dparts, dx_sum->size(), dx_sum->data(), threads);
    finite = finite && kernel::all_finite(dx_sum->data(), dx_sum->size());
  }
  if (!finite)
    throw InputError("", "gradient overflow: some gradient entry is not finite in " +
                             std::string(sizeof(T) == 4 ? "float32" : "float64") +
                             " (entries or scale too large)");
  stats.backward_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return stats;
}

}  // namespace

template <class T>
BackwardStats exact_backward(const MatrixView<T>& q, const std::vector<MatrixView<T>>& keys,
                             const std::vector<MatrixView<T>>& values, const MatrixView<T>& d_out,
                             const double* log_d, const BackwardOptions& options, MutableMatrixView<T> out_dq,
                             const std::vector<MutableMatrixView<T>>& out_dk,
                             const std::vector<MutableMatrixView<T>>& out_dv, const MatrixView<T>& o) {
  return run_backward<T>(q, keys, values, d_out, log_d, options, out_dq, out_dk, out_dv, o, nullptr, nullptr);
}

template BackwardStats exact_backward<float>(const MatrixView<float>&, const std::vector<MatrixView<float>>&,
                                             const std::vector<MatrixView<float>>&, const MatrixView<float>&,
                                             const double*, const BackwardOptions&, MutableMatrixView<float>,
                                             const std::vector<MutableMatrixView<float>>&,
                                             const std::vector<MutableMatrixView<float>>&, const MatrixView<float>&);
template BackwardStats exact_backward<double>(const MatrixView<double>&, const std::vector<MatrixView<double>>&,
                                              const std::vector<MatrixView<double>>&, const MatrixView<double>&,
                                              const double*, const BackwardOptions&, MutableMatrixView<double>,
                                              const std::vector<MutableMatrixView<double>>&,
                                              const std::vector<MutableMatrixView<double>>&,
                                              const MatrixView<double>&);

BackwardStats detail::exact_backward_paper(const MatrixView<double>& q, const std::vector<MatrixView<double>>& keys,
                                           const std::vector<MatrixView<double>>& values,
                                           const MatrixView<double>& d_out, const double* log_d,
                                           const BackwardOptions& options, MutableMatrixView<double> out_dq,
                                           const std::vector<MutableMatrixView<double>>& out_dk,
                                           const std::vector<MutableMatrixView<double>>& out_dv,
                                           const MatrixView<double>& o, const PaperDx& dx,
                                           std::vector<double>& dx_sum) {
  if (keys.size() != 2 || options.window || !o.data || !log_d)
    throw InputError("", "paper 002's dX needs k = 3, no window, and the forward's O and log D");
  return run_backward<double>(q, keys, values, d_out, log_d, options, out_dq, out_dk, out_dv, o, &dx, &dx_sum);
}

}  // namespace sethkit::attention
