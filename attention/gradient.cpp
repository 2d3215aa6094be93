// The exact backward of tensor attention and paper 002's dX (see gradient.hpp
// for the contract). Paper 002 Definition 1 (the loss) and 2 (the gradient
// w.r.t. X); paper 001 Definitions 1.1 / 1.5 (the forward), 2.3 / 2.4 (the two
// Kronecker products) and Lemma C.3 (Kronecker-structured products from the
// factors, which is what lets every tile below work on K_a, K_b rows instead
// of K1 (x) K2 rows).
//
// Per query row i (dO = O_i - E_i, delta = dO . O_i, L = log D_i saved by the
// forward), with the key sides laid out as in exact_attention.cpp (prefix
// sides K_1..K_{k-3} enumerated a row at a time, the last two tiled as "a"
// and "b"; k = 2 gets a unit side a):
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
// Every formula is the chain rule through O_i = sum_t P_t v_t (v_t the value
// product of tuple t) and P_t = exp(S_t - L): since sum_t P_t = 1,
// dLoss/dS_t = P_t (dO . v_t - dO . O_i).
#include "attention/gradient.hpp"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "attention/backend_options.hpp"
#include "attention/blas_threads.hpp"
#include "attention/exact_attention.hpp"
#include "attention/vector_exp.hpp"
#include "core/errors.hpp"

namespace sethkit::attention {

namespace {

using Clock = std::chrono::steady_clock;

// C (m x n) = alpha op(A) op(B) + beta C, row-major; op(A) is m x k.
inline void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, double alpha,
                 const double* a, std::size_t lda, const double* b, std::size_t ldb, double beta, double* c,
                 std::size_t ldc) {
  cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, int(m),
              int(n), int(k), alpha, a, int(lda), b, int(ldb), beta, c, int(ldc));
}

struct Side {
  const double* key = nullptr;    // rows x d
  const double* value = nullptr;  // rows x d_v
  std::size_t rows = 0;
};

// Paper 002's dX: per row M_i = A_a^T G_i A_b accumulated from tiles, then
// sum_i A_q[i]^T (x) vec(M_i^T) into an m x m^2 accumulator.
struct DxFactors {
  const double* query = nullptr;  // A1, n_q x m
  const double* left = nullptr;   // A2, n_a x m (pairs with side a = K1)
  const double* right = nullptr;  // A3, n_b x m (pairs with side b = K2)
  std::size_t m = 0;
};

struct Problem {
  std::size_t n_q = 0, d = 0, dv = 0;
  std::vector<Side> sides;  // prefix sides, then a, then b
  double scale = 0;
  const double* q = nullptr;       // n_q x d
  const double* o = nullptr;       // n_q x d_v, the forward's O
  const double* log_d = nullptr;   // n_q
  const double* target = nullptr;  // n_q x d_v
  std::size_t tile_a = 0, tile_b = 0;
  std::optional<DxFactors> dx;
  std::size_t prefix() const { return sides.size() - 2; }
};

// What a chunk of rows adds to the gradients that sum over rows.
struct Accumulator {
  std::vector<std::vector<double>> d_keys, d_values;  // per side in Problem order
  std::vector<double> d_x;                            // m x m^2 (paper), else empty
  explicit Accumulator(const Problem& p) {
    for (const Side& s : p.sides) {
      d_keys.emplace_back(s.rows * p.d, 0.0);
      d_values.emplace_back(s.rows * p.dv, 0.0);
    }
    if (p.dx) d_x.assign(p.dx->m * p.dx->m * p.dx->m, 0.0);
  }
  static double bytes(const Problem& p) {
    double b = 0;
    for (const Side& s : p.sides) b += double(s.rows) * double(p.d + p.dv);
    if (p.dx) b += std::pow(double(p.dx->m), 3);
    return 8.0 * b;
  }
};

// Per-thread buffers: two score tiles and a few tile_a x d strips.
struct Scratch {
  std::vector<double> s, g;          // tile_a x tile_b: S then P; dP then G
  std::vector<double> z, h;          // tile_a x d: qp (.) K_a rows; G K_b
  std::vector<double> zv, w;         // tile_a x d_v: dvp (.) V_a rows; P V_b
  std::vector<double> ga;            // tile_a x m (paper): G A_b rows
  std::vector<double> mt;            // m x m (paper): M_i^T
  std::vector<double> qp, kp, vp;    // (prefix + 1) x d, d, d_v: products down the prefix
  std::vector<double> dout, dvp;     // d_v: dO_i; dO_i (.) vp
  std::vector<double> u, wv;         // d, d_v: per prefix tuple sums
  std::vector<double> other;         // max(d, d_v): products of the other prefix rows
  std::vector<std::size_t> tuple;    // prefix indices
  explicit Scratch(const Problem& p)
      : s(p.tile_a * p.tile_b), g(p.tile_a * p.tile_b), z(p.tile_a * p.d), h(p.tile_a * p.d),
        zv(p.tile_a * p.dv), w(p.tile_a * p.dv), ga(p.dx ? p.tile_a * p.dx->m : 0),
        mt(p.dx ? p.dx->m * p.dx->m : 0), qp((p.prefix() + 1) * p.d), kp((p.prefix() + 1) * p.d),
        vp((p.prefix() + 1) * p.dv), dout(p.dv), dvp(p.dv), u(p.d), wv(p.dv),
        other(std::max(p.d, p.dv)), tuple(p.prefix()) {}
};

class RowBackward {
 public:
  RowBackward(const Problem& p, Scratch& w, Accumulator& acc) : p_(p), w_(w), acc_(acc) {}

  // Adds row i's terms to the chunk accumulator and writes dQ[i,:].
  void run(std::size_t i, double* dq) {
    const std::size_t d = p_.d, dv = p_.dv;
    i_ = i;
    const double* o = p_.o + i * dv;
    const double* e = p_.target + i * dv;
    delta_ = 0;
    for (std::size_t c = 0; c < dv; ++c) {
      w_.dout[c] = o[c] - e[c];
      delta_ += w_.dout[c] * o[c];
    }
    log_d_ = p_.log_d[i];
    dq_ = dq;
    std::fill(dq, dq + d, 0.0);
    std::copy(p_.q + i * d, p_.q + (i + 1) * d, w_.qp.begin());
    std::fill(w_.kp.begin(), w_.kp.begin() + d, 1.0);
    std::fill(w_.vp.begin(), w_.vp.begin() + dv, 1.0);
    if (p_.dx) std::fill(w_.mt.begin(), w_.mt.end(), 0.0);
    prefix(0);
    if (p_.dx) {
      // d_x[a, b1 + b2*m] += A1[i,a] * M_i[b1,b2] = A1[i,a] * mt[b2*m + b1].
      const std::size_t m = p_.dx->m;
      cblas_dger(CblasRowMajor, int(m), int(m * m), 1.0, p_.dx->query + i * m, 1, w_.mt.data(), 1,
                 acc_.d_x.data(), int(m * m));
    }
  }

 private:
  void prefix(std::size_t depth) {
    const std::size_t d = p_.d, dv = p_.dv;
    if (depth == p_.prefix()) {
      leaf();
      return;
    }
    const Side& side = p_.sides[depth];
    for (std::size_t j = 0; j < side.rows; ++j) {
      w_.tuple[depth] = j;
      const double* key = side.key + j * d;
      const double* value = side.value + j * dv;
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
    const double* qp = w_.qp.data() + depth * d;
    const double* kp = w_.kp.data() + depth * d;
    const double* vp = w_.vp.data() + depth * dv;
    for (std::size_t c = 0; c < dv; ++c) w_.dvp[c] = w_.dout[c] * vp[c];
    std::fill(w_.u.begin(), w_.u.end(), 0.0);
    std::fill(w_.wv.begin(), w_.wv.end(), 0.0);
    const Side& a = p_.sides[depth];
    const Side& b = p_.sides[depth + 1];
    for (std::size_t a0 = 0; a0 < a.rows; a0 += p_.tile_a) {
      const std::size_t ba = std::min(p_.tile_a, a.rows - a0);
      for (std::size_t r = 0; r < ba; ++r) {
        const double* key = a.key + (a0 + r) * d;
        const double* value = a.value + (a0 + r) * dv;
        double* z = w_.z.data() + r * d;
        double* zv = w_.zv.data() + r * dv;
        for (std::size_t c = 0; c < d; ++c) z[c] = qp[c] * key[c];
        for (std::size_t c = 0; c < dv; ++c) zv[c] = w_.dvp[c] * value[c];
      }
      for (std::size_t b0 = 0; b0 < b.rows; b0 += p_.tile_b) tile(a, b, a0, ba, b0, std::min(p_.tile_b, b.rows - b0), qp);
    }
    // dQ_i[c] += scale kp[c] u[c]: u[c] = sum_t G_t K_a[t_a,c] K_b[t_b,c].
    for (std::size_t c = 0; c < d; ++c) dq_[c] += p_.scale * kp[c] * w_.u[c];
    // Prefix side s: dK_s[j_s] += scale q (.) prod_{s' != s} K_s'[j_s'] (.) u,
    //                dV_s[j_s] += dO (.) prod_{s' != s} V_s'[j_s'] (.) wv.
    for (std::size_t s = 0; s < depth; ++s) {
      double* other = w_.other.data();
      std::copy(p_.q + i_ * d, p_.q + (i_ + 1) * d, other);
      for (std::size_t t = 0; t < depth; ++t) {
        if (t == s) continue;
        const double* key = p_.sides[t].key + w_.tuple[t] * d;
        for (std::size_t c = 0; c < d; ++c) other[c] *= key[c];
      }
      double* dk = acc_.d_keys[s].data() + w_.tuple[s] * d;
      for (std::size_t c = 0; c < d; ++c) dk[c] += p_.scale * other[c] * w_.u[c];
      std::copy(w_.dout.begin(), w_.dout.end(), other);
      for (std::size_t t = 0; t < depth; ++t) {
        if (t == s) continue;
        const double* value = p_.sides[t].value + w_.tuple[t] * dv;
        for (std::size_t c = 0; c < dv; ++c) other[c] *= value[c];
      }
      double* dvs = acc_.d_values[s].data() + w_.tuple[s] * dv;
      for (std::size_t c = 0; c < dv; ++c) dvs[c] += other[c] * w_.wv[c];
    }
  }

  void tile(const Side& a, const Side& b, std::size_t a0, std::size_t ba, std::size_t b0, std::size_t bb,
            const double* qp) {
    const std::size_t d = p_.d, dv = p_.dv, depth = p_.prefix();
    const std::size_t n = ba * bb;
    double* s = w_.s.data();
    double* g = w_.g.data();
    // P = exp(scale Z K_b^T - log D_i): log D_i >= every score of the row, so
    // every exponent is <= 0 (up to the rounding of the recomputed scores).
    gemm(false, true, ba, bb, d, p_.scale, w_.z.data(), d, b.key + b0 * d, d, 0.0, s, bb);
    exp_shifted_sum(s, n, log_d_);
    // G = P o (dP - delta), dP = Zv V_b^T.
    gemm(false, true, ba, bb, dv, 1.0, w_.zv.data(), dv, b.value + b0 * dv, dv, 0.0, g, bb);
    for (std::size_t t = 0; t < n; ++t) g[t] = s[t] * (g[t] - delta_);
    // Values: dV_b += P^T Zv; W = P V_b gives dV_a and wv.
    gemm(true, false, bb, dv, ba, 1.0, s, bb, w_.zv.data(), dv, 1.0, acc_.d_values[depth + 1].data() + b0 * dv, dv);
    gemm(false, false, ba, dv, bb, 1.0, s, bb, b.value + b0 * dv, dv, 0.0, w_.w.data(), dv);
    // Keys: dK_b += scale G^T Z; H = G K_b gives dK_a and u.
    gemm(true, false, bb, d, ba, p_.scale, g, bb, w_.z.data(), d, 1.0, acc_.d_keys[depth + 1].data() + b0 * d, d);
    gemm(false, false, ba, d, bb, 1.0, g, bb, b.key + b0 * d, d, 0.0, w_.h.data(), d);
    for (std::size_t r = 0; r < ba; ++r) {
      const double* h = w_.h.data() + r * d;
      const double* key = a.key + (a0 + r) * d;
      double* dk = acc_.d_keys[depth].data() + (a0 + r) * d;
      for (std::size_t c = 0; c < d; ++c) {
        dk[c] += p_.scale * qp[c] * h[c];
        w_.u[c] += key[c] * h[c];
      }
      const double* wr = w_.w.data() + r * dv;
      const double* value = a.value + (a0 + r) * dv;
      double* dvr = acc_.d_values[depth].data() + (a0 + r) * dv;
      for (std::size_t c = 0; c < dv; ++c) {
        dvr[c] += w_.dvp[c] * wr[c];
        w_.wv[c] += value[c] * wr[c];
      }
    }
    if (p_.dx) {
      // M_i^T += (G A3_tile)^T A2_tile, i.e. M_i += A2_tile^T G A3_tile.
      const std::size_t m = p_.dx->m;
      gemm(false, false, ba, m, bb, 1.0, g, bb, p_.dx->right + b0 * m, m, 0.0, w_.ga.data(), m);
      gemm(true, false, m, m, ba, 1.0, w_.ga.data(), m, p_.dx->left + a0 * m, m, 1.0, w_.mt.data(), m);
    }
  }

  const Problem& p_;
  Scratch& w_;
  Accumulator& acc_;
  std::size_t i_ = 0;
  double delta_ = 0, log_d_ = 0;
  double* dq_ = nullptr;
};

// A fixed partition of the rows into chunks: the count depends on n_q, the
// accumulator size and the tuning, never on the thread count, so the sums
// are identical bit for bit for any number of threads. Returns {chunks,
// rows per chunk}.
std::pair<std::size_t, std::size_t> row_chunks(std::size_t n_q, double chunk_bytes, const GradientTuning& tuning) {
  std::size_t chunks = std::min<std::size_t>(n_q, tuning.max_chunks);
  const double fit = std::floor(tuning.chunk_bytes_budget / std::max(chunk_bytes, 1.0));
  chunks = std::max<std::size_t>(1, std::min<std::size_t>(chunks, fit < 1 ? 1 : std::size_t(std::min(fit, 1e9))));
  const std::size_t rows_per_chunk = (n_q + chunks - 1) / chunks;
  return {(n_q + rows_per_chunk - 1) / rows_per_chunk, rows_per_chunk};
}

void check_target(const AttentionInstance& inst, const DenseMatrix& target) {
  if (target.rows != inst.n_q() || target.cols != inst.d_v() || target.data.size() != target.rows * target.cols)
    throw InputError("", "target E is " + std::to_string(target.rows) + " x " + std::to_string(target.cols) +
                             " but O is n_q x d_v = " + std::to_string(inst.n_q()) + " x " +
                             std::to_string(inst.d_v()) + "; E must have O's shape");
  for (std::size_t t = 0; t < target.data.size(); ++t)
    if (!std::isfinite(target.data[t]))
      throw InputError("", "target E entry (" + std::to_string(t / target.cols) + ", " +
                               std::to_string(t % target.cols) + ") is not finite");
}

bool all_finite(const std::vector<double>& x) {
  for (double v : x)
    if (!std::isfinite(v)) return false;
  return true;
}

// The forward, then the streaming backward over row chunks. dx_out (m x m^2)
// receives the unscaled sum_i A1[i]^T (x) vec(M_i^T) when p.dx is set.
AttentionGradient gradient_impl(const AttentionInstance& inst, const DenseMatrix& target,
                                const GradientOptions& options, const std::optional<DxFactors>& dx,
                                std::vector<double>* dx_out) {
  inst.validate();
  check_target(inst, target);
  const GradientTuning& tuning = options.tuning;
  if (tuning.tile_a == 0 || tuning.tile_b == 0 || tuning.max_chunks == 0)
    throw InputError("", "gradient tuning: tile sizes and max_chunks must be >= 1");
  const double scale = options.scale.value_or(inst.scale);
  if (!std::isfinite(scale)) throw InputError("", "the attention scale must be finite");
  const int threads = resolve_threads(options.threads);
  if (inst.d() > std::size_t(std::numeric_limits<int>::max() / 2) ||
      inst.d_v() > std::size_t(std::numeric_limits<int>::max() / 2))
    throw InputError("", "attention gradient: d or d_v exceeds the BLAS int range");

  AttentionGradient out;
  BlasSingleThreaded blas_guard;
  ExactOptions forward;
  forward.scale = scale;
  forward.threads = threads;
  const AttentionOutput fw = exact_attention(inst, forward);
  out.forward_seconds = fw.seconds;
  const auto start = Clock::now();
  out.o = DenseMatrix(fw.rows, fw.cols);
  out.o.data = fw.o;
  out.log_d = fw.log_d;
  double loss = 0;
  for (std::size_t t = 0; t < fw.o.size(); ++t) {
    const double r = fw.o[t] - target.data[t];
    loss += r * r;
  }
  out.loss = 0.5 * loss;

  const std::size_t d = inst.d(), dv = inst.d_v();
  std::vector<double> unit_key(d, 1.0), unit_value(dv, 1.0);
  Problem p;
  p.n_q = inst.n_q();
  p.d = d;
  p.dv = dv;
  p.scale = scale;
  p.q = inst.q.data.data();
  p.o = out.o.data.data();
  p.log_d = out.log_d.data();
  p.target = target.data.data();
  p.dx = dx;
  if (inst.k == 2) p.sides.push_back({unit_key.data(), unit_value.data(), 1});
  for (std::size_t s = 0; s < inst.keys.size(); ++s)
    p.sides.push_back({inst.keys[s].data.data(), inst.values[s].data.data(), inst.keys[s].rows});
  p.tile_a = std::min(tuning.tile_a, p.sides[p.prefix()].rows);
  p.tile_b = std::min(tuning.tile_b, p.sides[p.prefix() + 1].rows);

  const auto [chunks, rows_per_chunk] = row_chunks(p.n_q, Accumulator::bytes(p), tuning);
  out.chunks = chunks;
  std::vector<Accumulator> acc;
  acc.reserve(chunks);
  for (std::size_t c = 0; c < chunks; ++c) acc.emplace_back(p);
  out.d_q = DenseMatrix(p.n_q, d);

  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mutex;
  const auto n_chunks = static_cast<int64_t>(chunks);
#pragma omp parallel num_threads(threads)
  {
    std::optional<Scratch> scratch;
    try {
      scratch.emplace(p);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
      failed = true;
    }
#pragma omp for schedule(dynamic, 1)
    for (int64_t c = 0; c < n_chunks; ++c) {
      if (failed.load(std::memory_order_relaxed)) continue;
      try {
        RowBackward row(p, *scratch, acc[std::size_t(c)]);
        const std::size_t lo = std::size_t(c) * rows_per_chunk;
        const std::size_t hi = std::min(p.n_q, lo + rows_per_chunk);
        for (std::size_t i = lo; i < hi; ++i) row.run(i, out.d_q.row(i));
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
        failed = true;
      }
    }
  }
  if (error) std::rethrow_exception(error);

  // Chunk sums in chunk order, entry by entry (any thread may take an entry:
  // its sum order is fixed).
  auto reduce = [&](auto member, std::size_t side, std::vector<double>& result) {
    const int64_t n = static_cast<int64_t>(result.size());
    // Small sums are not worth waking the threads for.
#pragma omp parallel for schedule(static) num_threads(threads) if (double(n) * double(chunks) > 65536.0)
    for (int64_t t = 0; t < n; ++t) {
      double sum = 0;
      for (std::size_t c = 0; c < chunks; ++c) sum += member(acc[c], side)[std::size_t(t)];
      result[std::size_t(t)] = sum;
    }
  };
  const std::size_t first = inst.k == 2 ? 1 : 0;  // skip the unit side
  for (std::size_t s = first; s < p.sides.size(); ++s) {
    DenseMatrix dk(p.sides[s].rows, d), dvm(p.sides[s].rows, dv);
    reduce([](Accumulator& a, std::size_t side) -> const std::vector<double>& { return a.d_keys[side]; }, s, dk.data);
    reduce([](Accumulator& a, std::size_t side) -> const std::vector<double>& { return a.d_values[side]; }, s, dvm.data);
    out.d_keys.push_back(std::move(dk));
    out.d_values.push_back(std::move(dvm));
  }
  if (dx && dx_out) {
    dx_out->assign(dx->m * dx->m * dx->m, 0.0);
    reduce([](Accumulator& a, std::size_t) -> const std::vector<double>& { return a.d_x; }, 0, *dx_out);
  }
  bool finite = all_finite(out.d_q.data);
  for (const auto& m : out.d_keys) finite = finite && all_finite(m.data);
  for (const auto& m : out.d_values) finite = finite && all_finite(m.data);
  if (dx_out) finite = finite && all_finite(*dx_out);
  if (!finite)
    throw InputError("", "gradient overflow: some gradient entry is not finite in float64 (entries or "
                         "scale too large)");
  out.backward_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return out;
}

// Plain C = op(A)^T B with A: n x a, B: n x b (C: a x b), for the chain rule.
DenseMatrix at_b(const DenseMatrix& a, const DenseMatrix& b) {
  DenseMatrix c(a.cols, b.cols);
  gemm(true, false, a.cols, b.cols, a.rows, 1.0, a.data.data(), a.cols, b.data.data(), b.cols, 0.0,
       c.data.data(), b.cols);
  return c;
}

DenseMatrix matmul(const DenseMatrix& a, const DenseMatrix& b) {
  DenseMatrix c(a.rows, b.cols);
  gemm(false, false, a.rows, b.cols, a.cols, 1.0, a.data.data(), a.cols, b.data.data(), b.cols, 0.0,
       c.data.data(), b.cols);
  return c;
}

}  // namespace

AttentionGradient exact_attention_gradient(const AttentionInstance& inst, const DenseMatrix& target,
                                           const GradientOptions& options) {
  return gradient_impl(inst, target, options, std::nullopt, nullptr);
}

double exact_attention_gradient_bytes(const AttentionInstance& inst, const GradientTuning& tuning, int threads,
                                      std::size_t paper_d) {
  const double d = double(inst.d()), dv = double(inst.d_v()), n_q = double(inst.n_q());
  double side_entries = 0;  // sum_p n_p (d + d_v)
  for (const auto& k : inst.keys) side_entries += double(k.rows) * (d + dv);
  const double dx = std::pow(double(paper_d), 3);
  const double chunk_bytes = 8.0 * (side_entries + dx);
  const std::size_t chunks = inst.n_q() == 0 ? 1 : row_chunks(inst.n_q(), chunk_bytes, tuning).first;
  const std::size_t last = inst.keys.empty() ? 1 : inst.keys.back().rows;
  const double tile_b = double(std::min(tuning.tile_b, last));
  const double scratch = 8.0 * (2 * double(tuning.tile_a) * tile_b + 4 * double(tuning.tile_a) * (d + dv + double(paper_d)) +
                                double(paper_d) * double(paper_d) + double(inst.k) * (d + dv));
  const double outputs = 8.0 * (n_q * (dv + 1 + d) + side_entries + dx);
  return outputs + double(chunks) * chunk_bytes + double(std::max(threads, 1)) * scratch;
}

AttentionGradient reference_attention_gradient(const AttentionInstance& inst, const DenseMatrix& target,
                                               double scale) {
  inst.validate();
  check_target(inst, target);
  if (!std::isfinite(scale)) throw InputError("", "the attention scale must be finite");
  using LD = long double;
  const std::size_t sides = inst.keys.size(), d = inst.d(), dv = inst.d_v(), n_q = inst.n_q();
  std::size_t tuples = 1;
  for (const auto& k : inst.keys) tuples *= k.rows;
  std::vector<std::vector<LD>> dk(sides), dvv(sides);
  for (std::size_t p = 0; p < sides; ++p) {
    dk[p].assign(inst.keys[p].rows * d, 0.0L);
    dvv[p].assign(inst.values[p].rows * dv, 0.0L);
  }
  AttentionGradient out;
  out.o = DenseMatrix(n_q, dv);
  out.log_d.assign(n_q, 0.0);
  out.d_q = DenseMatrix(n_q, d);
  std::vector<LD> s(tuples), prob(tuples), o(dv), dout(dv), dq(d);
  std::vector<std::size_t> j(sides);
  // Odometer over all key tuples, j_1 fastest (Definition 2.4's row order).
  auto first = [&] { std::fill(j.begin(), j.end(), 0); };
  auto next = [&] {
    for (std::size_t p = 0; p < sides; ++p) {
      if (++j[p] < inst.keys[p].rows) return;
      j[p] = 0;
    }
  };
  auto key_product = [&](std::size_t c, std::size_t skip) {  // prod_{p != skip} K_p[j_p, c]
    LD v = 1;
    for (std::size_t p = 0; p < sides; ++p)
      if (p != skip) v *= inst.keys[p](j[p], c);
    return v;
  };
  auto value_product = [&](std::size_t c, std::size_t skip) {
    LD v = 1;
    for (std::size_t p = 0; p < sides; ++p)
      if (p != skip) v *= inst.values[p](j[p], c);
    return v;
  };
  LD loss = 0;
  for (std::size_t i = 0; i < n_q; ++i) {
    LD m = -std::numeric_limits<LD>::infinity();
    first();
    for (std::size_t t = 0; t < tuples; ++t, next()) {
      LD x = 0;
      for (std::size_t c = 0; c < d; ++c) x += LD(inst.q(i, c)) * key_product(c, sides);
      s[t] = LD(scale) * x;
      m = std::max(m, s[t]);
    }
    LD l = 0;
    for (std::size_t t = 0; t < tuples; ++t) l += std::exp(s[t] - m);
    std::fill(o.begin(), o.end(), 0.0L);
    first();
    for (std::size_t t = 0; t < tuples; ++t, next()) {
      prob[t] = std::exp(s[t] - m) / l;
      for (std::size_t c = 0; c < dv; ++c) o[c] += prob[t] * value_product(c, sides);
    }
    LD delta = 0;
    for (std::size_t c = 0; c < dv; ++c) {
      dout[c] = o[c] - LD(target(i, c));
      delta += dout[c] * o[c];
      loss += dout[c] * dout[c];
      out.o(i, c) = double(o[c]);
    }
    out.log_d[i] = double(m + std::log(l));
    std::fill(dq.begin(), dq.end(), 0.0L);
    first();
    for (std::size_t t = 0; t < tuples; ++t, next()) {
      LD dp = 0;
      for (std::size_t c = 0; c < dv; ++c) dp += dout[c] * value_product(c, sides);
      const LD g = prob[t] * (dp - delta);  // dLoss/dS_t
      for (std::size_t c = 0; c < d; ++c) dq[c] += LD(scale) * g * key_product(c, sides);
      for (std::size_t p = 0; p < sides; ++p) {
        for (std::size_t c = 0; c < d; ++c)
          dk[p][j[p] * d + c] += LD(scale) * g * LD(inst.q(i, c)) * key_product(c, p);
        for (std::size_t c = 0; c < dv; ++c) dvv[p][j[p] * dv + c] += prob[t] * dout[c] * value_product(c, p);
      }
    }
    for (std::size_t c = 0; c < d; ++c) out.d_q(i, c) = double(dq[c]);
  }
  out.loss = double(loss / 2);
  for (std::size_t p = 0; p < sides; ++p) {
    DenseMatrix a(inst.keys[p].rows, d), b(inst.values[p].rows, dv);
    for (std::size_t t = 0; t < a.data.size(); ++t) a.data[t] = double(dk[p][t]);
    for (std::size_t t = 0; t < b.data.size(); ++t) b.data[t] = double(dvv[p][t]);
    out.d_keys.push_back(std::move(a));
    out.d_values.push_back(std::move(b));
  }
  return out;
}

void PaperInstance::validate(const std::string& where) const {
  const std::size_t dd = a1.cols;
  auto name = [&](const std::string& stem) { return where.empty() ? stem : where + "/" + stem + ".npy"; };
  auto shape = [](const DenseMatrix& m) { return std::to_string(m.rows) + " x " + std::to_string(m.cols); };
  auto entries = [&](const DenseMatrix& m, const std::string& stem) {
    if (m.data.size() != m.rows * m.cols)
      throw InputError(name(stem), "holds " + std::to_string(m.data.size()) + " entries for shape " + shape(m));
    for (std::size_t t = 0; t < m.data.size(); ++t)
      if (!std::isfinite(m.data[t]))
        throw InputError(name(stem), "entry (" + std::to_string(t / m.cols) + ", " + std::to_string(t % m.cols) +
                                         ") is not finite");
  };
  if (a1.rows == 0 || dd == 0)
    throw InputError(name("A1"), "has shape " + shape(a1) + "; A1 must be n x d with n, d >= 1");
  // An n x d matrix whose row count must equal `rows` (0: any n >= 1).
  auto tall = [&](const DenseMatrix& m, const std::string& stem, std::size_t rows, const std::string& why) {
    if (m.cols != dd)
      throw InputError(name(stem), "has " + std::to_string(m.cols) + " columns but A1 has d = " + std::to_string(dd) +
                                       "; A1..A5 and E must all have d columns");
    if (m.rows == 0) throw InputError(name(stem), "has no rows");
    if (rows != 0 && m.rows != rows)
      throw InputError(name(stem), "has " + std::to_string(m.rows) + " rows but " + why);
    entries(m, stem);
  };
  auto square = [&](const DenseMatrix& m, const std::string& stem) {
    if (m.rows != dd || m.cols != dd)
      throw InputError(name(stem), "has shape " + shape(m) + "; " + stem + " must be d x d with d = " +
                                       std::to_string(dd) + " (A1's columns)");
    entries(m, stem);
  };
  tall(a1, "A1", 0, "");
  tall(a2, "A2", 0, "");
  tall(a3, "A3", 0, "");
  tall(a4, "A4", a2.rows, "A2 has " + std::to_string(a2.rows) + " (V1 = A4 Y1 pairs its rows with K1 = A2 X2)");
  tall(a5, "A5", a3.rows, "A3 has " + std::to_string(a3.rows) + " (V2 = A5 Y2 pairs its rows with K2 = A3 X3)");
  tall(e, "E", a1.rows, "A1 has " + std::to_string(a1.rows) + " (E is the target of O, n_q x d)");
  square(x1, "X1");
  square(x2, "X2");
  square(x3, "X3");
  square(y1, "Y1");
  square(y2, "Y2");
}

DenseMatrix kronecker(const DenseMatrix& a, const DenseMatrix& b) {
  DenseMatrix k(a.rows * b.rows, a.cols * b.cols);
  for (std::size_t i2 = 0; i2 < b.rows; ++i2)
    for (std::size_t i1 = 0; i1 < a.rows; ++i1)
      for (std::size_t j2 = 0; j2 < b.cols; ++j2)
        for (std::size_t j1 = 0; j1 < a.cols; ++j1) k(i1 + i2 * a.rows, j1 + j2 * a.cols) = a(i1, j1) * b(i2, j2);
  return k;
}

DenseMatrix column_kronecker(const DenseMatrix& a, const DenseMatrix& b) {
  if (a.cols != b.cols)
    throw InputError("", "column-wise Kronecker product needs equal column counts (" + std::to_string(a.cols) +
                             " and " + std::to_string(b.cols) + ")");
  DenseMatrix k(a.rows * b.rows, a.cols);
  for (std::size_t i2 = 0; i2 < b.rows; ++i2)
    for (std::size_t i1 = 0; i1 < a.rows; ++i1)
      for (std::size_t c = 0; c < a.cols; ++c) k(i1 + i2 * a.rows, c) = a(i1, c) * b(i2, c);
  return k;
}

DenseMatrix paper_x(const PaperInstance& paper) {
  paper.validate();
  const DenseMatrix w = column_kronecker(paper.x2, paper.x3);  // d^2 x d
  DenseMatrix x(paper.d(), paper.d() * paper.d());
  BlasSingleThreaded guard;
  gemm(false, true, x.rows, x.cols, paper.d(), 1.0, paper.x1.data.data(), paper.d(), w.data.data(), paper.d(), 0.0,
       x.data.data(), x.cols);
  return x;
}

AttentionInstance paper_attention_instance(const PaperInstance& paper) {
  paper.validate();
  BlasSingleThreaded guard;
  return make_attention_instance(matmul(paper.a1, paper.x1), {matmul(paper.a2, paper.x2), matmul(paper.a3, paper.x3)},
                                 {matmul(paper.a4, paper.y1), matmul(paper.a5, paper.y2)});
}

PaperGradient paper_gradient(const PaperInstance& paper, const GradientOptions& options) {
  paper.validate();
  const std::size_t m = paper.d();
  const double scale = 1.0 / double(m);
  if (options.scale && *options.scale != scale)
    throw InputError("", "paper 002's loss has scale 1/d = " + std::to_string(scale) + "; another scale (" +
                             std::to_string(*options.scale) + ") is not its gradient");
  const AttentionInstance inst = paper_attention_instance(paper);
  DxFactors dx;
  dx.query = paper.a1.data.data();
  dx.left = paper.a2.data.data();
  dx.right = paper.a3.data.data();
  dx.m = m;
  PaperGradient out;
  std::vector<double> sum;
  out.attention = gradient_impl(inst, paper.e, options, dx, &sum);
  out.loss = out.attention.loss;
  out.d_x = DenseMatrix(m, m * m);
  for (std::size_t t = 0; t < sum.size(); ++t) out.d_x.data[t] = scale * sum[t];
  BlasSingleThreaded guard;
  out.d_x1 = at_b(paper.a1, out.attention.d_q);
  out.d_x2 = at_b(paper.a2, out.attention.d_keys[0]);
  out.d_x3 = at_b(paper.a3, out.attention.d_keys[1]);
  out.d_y1 = at_b(paper.a4, out.attention.d_values[0]);
  out.d_y2 = at_b(paper.a5, out.attention.d_values[1]);
  return out;
}

}  // namespace sethkit::attention
