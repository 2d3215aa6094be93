// The sparse backend in the registry (attention/backend_sparse.hpp has the
// contract, the block bound, the selection and the certificate). Layout of
// the work, as in the exact kernel (exact_attention.cpp): the key sides are
// prefix sides (k >= 4, enumerated a row at a time), then the tiled sides a
// and b; for k = 2 a unit side plays a (kernel_core.hpp SideLayout). Phase 1,
// OpenMP over query rows: the bound pass, the selection and the evaluation of
// the selected block-tuples; a row that cannot be pruned is only marked.
// Phase 2: the marked rows through exact_forward, the exact backend's kernel.
#include "attention/backend_sparse.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "attention/blas_threads.hpp"
#include "attention/kernel_core.hpp"
#include "attention/vector_exp.hpp"
#include "core/errors.hpp"

namespace sethkit::attention {
namespace {

constexpr double kU = 0x1p-53;       // double unit roundoff
constexpr double kTau = 0x1p-1022;   // absolute error of an underflowing double operation
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::size_t kTileRows = 64;   // rows of K_a per score tile (the exact backend's tile_a)
constexpr std::size_t kTileCols = 512;  // rows of K_b per score tile (its tile_b)

double gamma_of(double n) {
  const double nu = n * kU;
  return nu < 1 ? nu / (1 - nu) : kInf;
}
double up(double x) { return x + std::abs(x) * 0x1p-40 + 0x1p-1074; }

using kernel::gemm;
using kernel::Side;

// Blocks of one layout side: per block and coordinate the key's [min, max].
struct SideBlocks {
  std::size_t rows = 0, size = 1, count = 1;
  std::vector<double> lo, hi;    // count x d
  std::vector<double> log_rows;  // per block: log of its row count
  std::size_t block_rows(std::size_t b) const { return std::min(size, rows - b * size); }
};

struct Setup {
  const kernel::SideLayout<double>* layout = nullptr;
  std::vector<SideBlocks> blocks;     // per layout side
  std::vector<std::size_t> stride;    // block-tuple index = sum_s block_s * stride[s]; last side 1
  std::size_t block_tuples = 1;
  std::size_t n_q = 0, d = 0, dv = 0, sides = 0;
  int k = 0;
  const double* q = nullptr;
  double scale = 0, tuples = 1;
  std::vector<double> key_abs_max;    // per column: prod_s max_j |K_s[j,c]|
  double vmax = 0, width = 0;         // max_c |value product|, max_c (Vhi_c - Vlo_c)
  double log_rho = 0;                 // log of the skipped-mass budget rho*
  double exact_fraction = 0.5;
  std::size_t prefix() const { return sides - 2; }
};

// The certified rounding of a row (backend_sparse.hpp; the float backend's
// analysis with u = 2^-53): e_d bounds the log error of the computed sum of
// the evaluated terms, o the entrywise error of the computed O of that sum.
struct Rounding {
  double e_d = 0, o = 0;
};
Rounding rounding(const Setup& s, double p_row, double log_d, double tuples, double n_add, double width) {
  const double e_score = up(gamma_of(double(s.d) + s.k + 1) * p_row + (double(s.d) + 2) * kTau * std::max(1.0, std::abs(s.scale)));
  const double radius = up(p_row + e_score);
  // fl(s - m) and the rescale arguments (u 2R each over the row), the exp.
  const double e_w = up(e_score + 4 * kU * radius + kSparseExpRelError);
  const double log_sum = std::log1p(gamma_of(width)) + std::log1p(gamma_of(n_add));
  const double flushed = std::log1p(tuples * std::exp(-708.0 + 2 * e_w));
  const double final_steps = 2 * kU * (std::abs(log_d) + 2 * radius + std::log(std::max(tuples, 1.0)) + 1);
  Rounding r;
  r.e_d = up(e_w + log_sum + flushed + final_steps);
  const double gamma_v = gamma_of(width + 2.0 * s.k) + gamma_of(n_add + 2);
  const double eta = std::expm1(e_w) * (1 + gamma_v) + gamma_v;
  const double grow = std::expm1(r.e_d);
  r.o = up(s.vmax * (eta * (1 + grow) + grow) + 4 * tuples * kTau + kU * s.vmax);
  return r;
}

// Per-thread state of a row: the bound arrays, one score tile, the online softmax.
class SparseRow {
 public:
  explicit SparseRow(const Setup& s)
      : s_(s), mu_(s.block_tuples), ml_(s.block_tuples), count_(s.block_tuples), iv_((s.sides + 1) * 2 * s.d),
        tile_(kTileRows * kTileCols), z_(kTileRows * s.d), w_(kTileRows * s.dv), qp_((s.prefix() + 1) * s.d),
        vp_((s.prefix() + 1) * s.dv, 1.0), u_(s.dv), acc_(s.dv) {}

  struct Result {
    bool exact = false;   // the row goes to the exact kernel
    bool finite = true;   // false: a score overflowed
    double evaluated = 0; // tuples evaluated
    double rho = 0;       // certified skipped / evaluated mass
  };

  Result run(std::size_t i, double* out, double* log_d, double* log_d_bound, double* o_bound) {
    Result res;
    const double* q = s_.q + i * s_.d;
    double p_row = 0;
    for (std::size_t c = 0; c < s_.d; ++c) p_row += std::abs(q[c]) * s_.key_abs_max[c];
    p_row = up(p_row * std::abs(s_.scale));
    slack_ = up(gamma_of(double(s_.d) + 2.0 * s_.k + 2) * p_row + 4 * kTau * double(s_.d));
    for (std::size_t c = 0; c < s_.d; ++c) iv_[c] = iv_[s_.d + c] = q[c];
    bound_pass(0, 0, 0.0, 1.0);
    const std::size_t bt = s_.block_tuples;
    const double log_upper = log_sum_exp(mu_.data(), bt), log_lower = log_sum_exp(ml_.data(), bt);
    // Fallback: tuples that even the largest budget cannot skip.
    const double forced_level = s_.log_rho + log_upper;
    double forced = 0;
    for (std::size_t t = 0; t < bt; ++t)
      if (mu_[t] > forced_level) forced += count_[t];
    if (forced > s_.exact_fraction * s_.tuples) {
      res.exact = true;
      return res;
    }
    start_row(i);
    const std::size_t top = std::size_t(std::max_element(mu_.begin(), mu_.end()) - mu_.begin());
    evaluate({std::uint32_t(top)});
    if (!finite_) return {false, false, 0, 0};
    const double log_budget = s_.log_rho + std::max(m_ + std::log(l_), log_lower);
    order_.resize(bt);
    std::iota(order_.begin(), order_.end(), 0u);
    std::sort(order_.begin(), order_.end(), [&](std::uint32_t a, std::uint32_t b) { return mu_[a] < mu_[b]; });
    double skipped = 0;  // sum of exp(mu_t - log_budget) over the skipped block-tuples
    std::size_t x = 0, n_skipped = 0;
    for (; x < bt; ++x) {
      if (order_[x] == top) continue;
      const double add = std::exp(mu_[order_[x]] - log_budget);
      if (skipped + add > 1) break;
      skipped += add;
      ++n_skipped;
    }
    std::vector<std::uint32_t>& rest = rest_;
    rest.clear();
    double selected = count_[top];
    for (std::size_t y = x; y < bt; ++y)
      if (order_[y] != top) {
        rest.push_back(order_[y]);
        selected += count_[order_[y]];
      }
    if (selected > s_.exact_fraction * s_.tuples) {
      res.exact = true;
      return res;
    }
    std::sort(rest.begin(), rest.end());
    evaluate(rest);
    if (!finite_) return {false, false, 0, 0};
    // Certificate (backend_sparse.hpp): log D~ the midpoint of [log D_E, log D_E + log1p(rho)].
    const double log_e = m_ + std::log(l_);
    const Rounding r = rounding(s_, p_row, log_e, tuples_, double(n_add_), double(width_));
    // Each skipped term may have underflowed (exp below 2^-1074): counted as 2^-1074 each,
    // and rho is at least 2^-1074 once anything is skipped.
    const double skipped_up = up(skipped * (1 + gamma_of(2.0 * double(bt) + 4)) + double(n_skipped) * 0x1p-1074);
    const double rho = n_skipped == 0 ? 0.0
                                      : std::max(0x1p-1074, up(std::exp(log_budget + std::log(skipped_up) - log_e + r.e_d)));
    const double half = 0.5 * std::log1p(rho);
    for (std::size_t c = 0; c < s_.dv; ++c) out[c] = acc_[c] / l_;
    *log_d = log_e + half;
    *log_d_bound = up(r.e_d + half);
    *o_bound = up(r.o + rho / (1 + rho) * s_.width);
    res.evaluated = tuples_;
    res.rho = rho;
    return res;
  }

 private:
  static double log_sum_exp(const double* x, std::size_t n) {
    double m = -kInf;
    for (std::size_t t = 0; t < n; ++t) m = std::max(m, x[t]);
    if (!std::isfinite(m)) return m;
    double sum = 0;
    for (std::size_t t = 0; t < n; ++t) sum += std::exp(x[t] - m);
    return m + std::log(sum);
  }

  // mu_t = U_t + log|t|, ml_t = L_t + log|t| for every block-tuple; iv_ holds
  // per depth the interval of q_c * I_1c * .. over the sides chosen so far.
  void bound_pass(std::size_t side, std::size_t index, double log_count, double count) {
    const SideBlocks& sb = s_.blocks[side];
    const std::size_t d = s_.d;
    const double* in_lo = iv_.data() + side * 2 * d;
    const double* in_hi = in_lo + d;
    const bool last = side + 1 == s_.sides;
    double* out_lo = iv_.data() + (side + 1) * 2 * d;
    double* out_hi = out_lo + d;
    for (std::size_t b = 0; b < sb.count; ++b) {
      const double* klo = sb.lo.data() + b * d;
      const double* khi = sb.hi.data() + b * d;
      const double lc = log_count + sb.log_rows[b], cnt = count * double(sb.block_rows(b));
      if (last) {
        double su = 0, sl = 0;
        for (std::size_t c = 0; c < d; ++c) {
          const double p1 = in_lo[c] * klo[c], p2 = in_lo[c] * khi[c], p3 = in_hi[c] * klo[c], p4 = in_hi[c] * khi[c];
          su += std::max(std::max(p1, p2), std::max(p3, p4));
          sl += std::min(std::min(p1, p2), std::min(p3, p4));
        }
        const double hi = s_.scale >= 0 ? s_.scale * su : s_.scale * sl;
        const double lo = s_.scale >= 0 ? s_.scale * sl : s_.scale * su;
        mu_[index + b] = hi + slack_ + lc;
        ml_[index + b] = lo - slack_ + lc;
        count_[index + b] = cnt;
      } else {
        for (std::size_t c = 0; c < d; ++c) {
          const double p1 = in_lo[c] * klo[c], p2 = in_lo[c] * khi[c], p3 = in_hi[c] * klo[c], p4 = in_hi[c] * khi[c];
          out_hi[c] = std::max(std::max(p1, p2), std::max(p3, p4));
          out_lo[c] = std::min(std::min(p1, p2), std::min(p3, p4));
        }
        bound_pass(side + 1, index + b * s_.stride[side], lc, cnt);
      }
    }
  }

  void start_row(std::size_t i) {
    std::copy(s_.q + i * s_.d, s_.q + (i + 1) * s_.d, qp_.begin());
    m_ = -kInf;
    l_ = 0;
    std::fill(acc_.begin(), acc_.end(), 0.0);
    finite_ = true;
    tuples_ = 0;
    tiles_ = n_add_ = width_ = 0;
  }

  // Evaluates the block-tuples of `list` (ascending indices): those that
  // share the blocks of every side but the last are one group, whose
  // consecutive last-side blocks merge into runs of rows.
  void evaluate(const std::vector<std::uint32_t>& list) {
    const std::size_t nb = s_.blocks.back().count;
    for (std::size_t x = 0; x < list.size() && finite_;) {
      const std::size_t group = list[x] / nb;
      runs_.clear();
      std::size_t y = x;
      while (y < list.size() && list[y] / nb == group) {
        const std::size_t b = list[y] % nb;
        const SideBlocks& last = s_.blocks.back();
        const std::size_t lo = b * last.size, hi = lo + last.block_rows(b);
        if (!runs_.empty() && runs_.back().second == lo) runs_.back().second = hi;
        else runs_.emplace_back(lo, hi);
        ++y;
      }
      std::size_t rest = group;
      for (std::size_t side = s_.sides - 1; side-- > 0;) {
        group_blocks_[side] = rest % s_.blocks[side].count;
        rest /= s_.blocks[side].count;
      }
      prefix(0);
      x = y;
    }
  }

  void prefix(std::size_t depth) {
    if (depth == s_.prefix()) {
      a_tiles(qp_.data() + depth * s_.d, vp_.data() + depth * s_.dv);
      return;
    }
    const Side<double>& side = s_.layout->sides[depth];
    const SideBlocks& sb = s_.blocks[depth];
    const std::size_t lo = group_blocks_[depth] * sb.size, hi = lo + sb.block_rows(group_blocks_[depth]);
    for (std::size_t j = lo; j < hi && finite_; ++j) {
      const double* key = side.key + j * side.key_ld;
      const double* value = side.value + j * side.value_ld;
      for (std::size_t c = 0; c < s_.d; ++c) qp_[(depth + 1) * s_.d + c] = qp_[depth * s_.d + c] * key[c];
      for (std::size_t c = 0; c < s_.dv; ++c) vp_[(depth + 1) * s_.dv + c] = vp_[depth * s_.dv + c] * value[c];
      prefix(depth + 1);
    }
  }

  void a_tiles(const double* qp, const double* vp) {
    const std::size_t d = s_.d, side_a = s_.prefix();
    const Side<double>& a = s_.layout->sides[side_a];
    const Side<double>& b = s_.layout->sides[side_a + 1];
    const SideBlocks& sa = s_.blocks[side_a];
    const std::size_t lo = group_blocks_[side_a] * sa.size, hi = lo + sa.block_rows(group_blocks_[side_a]);
    for (std::size_t a0 = lo; a0 < hi && finite_; a0 += kTileRows) {
      const std::size_t ba = std::min(kTileRows, hi - a0);
      for (std::size_t r = 0; r < ba; ++r) {
        const double* key = a.key + (a0 + r) * a.key_ld;
        for (std::size_t c = 0; c < d; ++c) z_[r * d + c] = qp[c] * key[c];
      }
      for (const auto& [run_lo, run_hi] : runs_)
        for (std::size_t b0 = run_lo; b0 < run_hi && finite_; b0 += kTileCols) {
          const std::size_t bb = std::min(kTileCols, run_hi - b0);
          gemm(false, true, ba, bb, d, s_.scale, z_.data(), d, b.key + b0 * b.key_ld, b.key_ld, 0.0, tile_.data(), bb);
          absorb(ba, bb, a0, b0, vp);
        }
    }
  }

  // The online softmax of exact_attention.cpp's absorb_tile (Milakov &
  // Gimelshein 2018): m_ = max score so far, l_ = sum exp(s - m_), acc_ =
  // sum exp(s - m_) v; a larger tile maximum rescales l_ and acc_ first.
  void absorb(std::size_t ba, std::size_t bb, std::size_t a0, std::size_t b0, const double* vp) {
    const std::size_t dv = s_.dv;
    double* s = tile_.data();
    bool all_finite = true;
    const double mt = max_of(s, ba * bb, all_finite);
    if (!all_finite) {
      finite_ = false;
      return;
    }
    if (mt > m_) {
      const double alpha = std::exp(m_ - mt);
      l_ *= alpha;
      for (double& v : acc_) v *= alpha;
      m_ = mt;
    }
    for (std::size_t r = 0; r < ba; ++r) l_ += exp_shifted_sum(s + r * bb, bb, m_);
    const Side<double>& a = s_.layout->sides[s_.prefix()];
    const Side<double>& b = s_.layout->sides[s_.prefix() + 1];
    gemm(false, false, ba, dv, bb, 1.0, s, bb, b.value + b0 * b.value_ld, b.value_ld, 0.0, w_.data(), dv);
    std::fill(u_.begin(), u_.end(), 0.0);
    for (std::size_t r = 0; r < ba; ++r) {
      const double* va = a.value + (a0 + r) * a.value_ld;
      for (std::size_t c = 0; c < dv; ++c) u_[c] += va[c] * w_[r * dv + c];
    }
    for (std::size_t c = 0; c < dv; ++c) acc_[c] += vp[c] * u_[c];
    tuples_ += double(ba) * double(bb);
    ++tiles_;
    n_add_ += ba + 3;
    width_ = std::max(width_, bb);
  }

  const Setup& s_;
  std::vector<double> mu_, ml_, count_, iv_;  // per block-tuple: log mass bounds, tuple count
  std::vector<std::uint32_t> order_, rest_;
  std::vector<std::pair<std::size_t, std::size_t>> runs_;
  std::size_t group_blocks_[kMaxAttentionOrder] = {};
  std::vector<double> tile_, z_, w_, qp_, vp_, u_, acc_;
  double slack_ = 0, m_ = -kInf, l_ = 0, tuples_ = 0;
  std::size_t tiles_ = 0, n_add_ = 0, width_ = 0;
  bool finite_ = true;
};

// Block sizes (SparseTuning): p rows per side (1 for the unit side of k = 2),
// doubled on the side with the most blocks while the block-tuples pass
// max_block_tuples.
std::vector<std::size_t> block_sizes(const std::vector<std::size_t>& rows, int k, const SparseTuning& t) {
  std::size_t p = 1;
  while (std::pow(double(p), k - 1) < double(t.block_tuple_size)) p *= 2;
  std::vector<std::size_t> size(rows.size());
  auto count = [&](std::size_t s) { return (rows[s] + size[s] - 1) / size[s]; };
  for (std::size_t s = 0; s < rows.size(); ++s) size[s] = std::min(p, rows[s]);
  for (;;) {
    double total = 1;
    std::size_t widest = 0;
    for (std::size_t s = 0; s < rows.size(); ++s) {
      total *= double(count(s));
      if (count(s) > count(widest)) widest = s;
    }
    if (total <= double(std::max<std::size_t>(t.max_block_tuples, 1)) || count(widest) == 1) return size;
    size[widest] = std::min(rows[widest], 2 * size[widest]);
  }
}

// The layout's side lengths for inst (the unit side of k = 2 first).
std::vector<std::size_t> layout_rows(const AttentionInstance& inst) {
  std::vector<std::size_t> rows;
  if (inst.k == 2) rows.push_back(1);
  for (const DenseMatrix& key : inst.keys) rows.push_back(key.rows);
  return rows;
}

double block_tuple_count(const AttentionInstance& inst, const SparseTuning& t) {
  const std::vector<std::size_t> rows = layout_rows(inst), size = block_sizes(rows, inst.k, t);
  double total = 1;
  for (std::size_t s = 0; s < rows.size(); ++s) total *= double((rows[s] + size[s] - 1) / size[s]);
  return total;
}

ExactOptions exact_options(const BackendOptions& o, double scale) {
  ExactOptions e;
  e.scale = scale;
  e.threads = o.threads;
  e.max_bytes = o.max_bytes;
  return e;
}

class SparseBackend final : public Backend {
 public:
  std::string name() const override { return "sparse"; }

  const BackendCapabilities& capabilities() const override {
    static const BackendCapabilities caps = [] {
      BackendCapabilities c;
      // It always computes in double (report.precision says so): a float32
      // request is accepted and runs in double, as the float backend runs a
      // float64 request in float32.
      c.float32 = true;
      c.approximate = true;
      c.window_note = "its block bounds cover whole key sides";
      c.summary = "sparse: exact BLAS tiles on the key blocks that can carry more than eps of a row's mass, "
                  "certified from per-block score bounds (double)";
      return c;
    }();
    return caps;
  }

  BackendPlan plan(const AttentionInstance& inst, const BackendOptions& options) const override {
    check_supported(inst, options);
    const SparseTuning t;
    const int threads = resolve_threads(options.threads);
    const double bt = block_tuple_count(inst, t), d = double(inst.d()), dv = double(inst.d_v());
    const double sides = double(inst.keys.size() + 1);
    double stats = 0;
    for (const DenseMatrix& key : inst.keys) stats += 16.0 * d * double(key.rows) + 8.0 * double(key.rows);
    const double per_thread = bt * 52.0 + 8.0 * (double(kTileRows * kTileCols) + double(kTileRows) * (d + dv) +
                                                 sides * (3 * d + dv) + 2 * dv);
    BackendPlan p;
    // The exact kernel's bytes (O, log D, its scratch) for the fallback rows,
    // their gathered copies, the per-row bounds, the block statistics.
    p.bytes = exact_attention_bytes(inst, exact_options(options, resolve_scale(options.scale, inst.scale))) +
              8.0 * double(inst.n_q()) * (d + dv + 6) + stats + double(threads) * per_thread;
    p.refusal = size_refusal("sparse attention (O is " + std::to_string(inst.n_q()) + " x " +
                                 std::to_string(inst.d_v()) + ", " + std::to_string(std::size_t(bt)) +
                                 " block-tuples per row, scratch for " + std::to_string(threads) + " threads)",
                             p.bytes, options.max_bytes, "raise --max-bytes, or use fewer --threads");
    p.details["block_tuples"] = bt;
    return p;
  }

  BackendResult run(const AttentionInstance& inst, const BackendOptions& options) const override {
    const BackendPlan planned = plan(inst, options);
    if (!planned.runnable()) throw SizeLimitError(planned.refusal);
    const auto start = std::chrono::steady_clock::now();
    const SparseTuning tuning;
    const double scale = resolve_scale(options.scale, inst.scale);
    const int threads = resolve_threads(options.threads);
    const std::size_t n_q = inst.n_q(), d = inst.d(), dv = inst.d_v();
    std::vector<MatrixView<double>> keys, values;
    for (std::size_t p = 0; p < inst.keys.size(); ++p) {
      keys.push_back(view_of(inst.keys[p]));
      values.push_back(view_of(inst.values[p]));
    }
    const kernel::SideLayout<double> layout = kernel::make_sides(keys, values, d, dv);
    Setup s;
    s.layout = &layout;
    s.n_q = n_q;
    s.d = d;
    s.dv = dv;
    s.k = inst.k;
    s.sides = layout.sides.size();
    s.q = inst.q.data.data();
    s.scale = scale;
    s.exact_fraction = tuning.exact_fraction;
    const std::vector<std::size_t> rows = layout_rows(inst), size = block_sizes(rows, inst.k, tuning);
    s.key_abs_max.assign(d, 1.0);
    std::vector<double> vlo(dv, 1.0), vhi(dv, 1.0);
    for (std::size_t side = 0; side < s.sides; ++side) {
      const Side<double>& sd = layout.sides[side];
      SideBlocks sb;
      sb.rows = rows[side];
      sb.size = size[side];
      sb.count = (sb.rows + sb.size - 1) / sb.size;
      sb.lo.assign(sb.count * d, kInf);
      sb.hi.assign(sb.count * d, -kInf);
      std::vector<double> absmax(d, 0.0), col_lo(dv, kInf), col_hi(dv, -kInf);
      for (std::size_t j = 0; j < sb.rows; ++j) {
        const double* key = sd.key + j * sd.key_ld;
        const double* value = sd.value + j * sd.value_ld;
        double* lo = sb.lo.data() + (j / sb.size) * d;
        double* hi = sb.hi.data() + (j / sb.size) * d;
        for (std::size_t c = 0; c < d; ++c) {
          lo[c] = std::min(lo[c], key[c]);
          hi[c] = std::max(hi[c], key[c]);
          absmax[c] = std::max(absmax[c], std::abs(key[c]));
        }
        for (std::size_t c = 0; c < dv; ++c) {
          col_lo[c] = std::min(col_lo[c], value[c]);
          col_hi[c] = std::max(col_hi[c], value[c]);
        }
      }
      for (std::size_t b = 0; b < sb.count; ++b) sb.log_rows.push_back(std::log(double(sb.block_rows(b))));
      for (std::size_t c = 0; c < d; ++c) s.key_abs_max[c] *= absmax[c];
      for (std::size_t c = 0; c < dv; ++c) {  // interval product of the value columns
        const double p1 = vlo[c] * col_lo[c], p2 = vlo[c] * col_hi[c], p3 = vhi[c] * col_lo[c], p4 = vhi[c] * col_hi[c];
        vlo[c] = std::min(std::min(p1, p2), std::min(p3, p4));
        vhi[c] = std::max(std::max(p1, p2), std::max(p3, p4));
      }
      s.tuples *= double(sb.rows);
      s.blocks.push_back(std::move(sb));
    }
    s.stride.assign(s.sides, 1);
    for (std::size_t side = s.sides - 1; side-- > 0;) s.stride[side] = s.stride[side + 1] * s.blocks[side + 1].count;
    s.block_tuples = s.stride[0] * s.blocks[0].count;
    for (std::size_t c = 0; c < dv; ++c) {
      s.vmax = std::max(s.vmax, std::max(std::abs(vlo[c]), std::abs(vhi[c])));
      s.width = std::max(s.width, vhi[c] - vlo[c]);
    }
    s.log_rho = std::log(options.eps / (2 * std::max(1.0, s.width)));

    BackendResult r;
    r.out.rows = n_q;
    r.out.cols = dv;
    r.out.o.assign(n_q * dv, 0.0);
    r.out.log_d.assign(n_q, 0.0);
    std::vector<double> log_d_bound(n_q, 0.0), o_bound(n_q, 0.0), evaluated(n_q, 0.0);
    std::vector<char> exact_row(n_q, 0);
    std::atomic<bool> overflow{false};
    double rho_max = 0;
    BlasSingleThreaded blas_guard;
    {
      std::vector<double> rho(n_q, 0.0);
      kernel::parallel_rows(kernel::FaultRegion::exact_forward, n_q, threads, 1, [&] { return SparseRow(s); },
                            [&](std::size_t i, SparseRow& row) {
                              if (overflow.load(std::memory_order_relaxed)) return;
                              const SparseRow::Result res = row.run(i, r.out.o.data() + i * dv, r.out.log_d.data() + i,
                                                                    log_d_bound.data() + i, o_bound.data() + i);
                              if (!res.finite) overflow = true;
                              exact_row[i] = res.exact;
                              evaluated[i] = res.evaluated;
                              rho[i] = res.rho;
                            });
      for (double x : rho) rho_max = std::max(rho_max, x);
    }
    if (overflow)
      throw InputError("", "score overflow: some attention score is not finite in float64 "
                           "(entries or scale too large; try a smaller scale)");
    // Phase 2: the rows that could not be pruned, through the exact kernel.
    std::vector<std::size_t> fallback;
    for (std::size_t i = 0; i < n_q; ++i)
      if (exact_row[i]) fallback.push_back(i);
    if (!fallback.empty()) run_exact_rows(inst, options, s, fallback, r.out, log_d_bound, o_bound, evaluated);

    r.report = base_report(inst, options);
    r.report.bytes = planned.bytes;
    r.report.precision = Precision::float64;
    r.report.rounding_counted = true;
    double total = 0;
    for (std::size_t i = 0; i < n_q; ++i) {
      r.report.error_bound = std::max(r.report.error_bound, o_bound[i]);
      r.report.log_d_bound = std::max(r.report.log_d_bound, log_d_bound[i]);
      total += evaluated[i];
    }
    nlohmann::json& det = r.report.details;
    det["tuples_evaluated_fraction"] = n_q ? total / (double(n_q) * s.tuples) : 1.0;
    det["rows_exact"] = fallback.size();
    det["rows_pruned"] = n_q - fallback.size();
    det["block_tuples"] = s.block_tuples;
    det["block_rows"] = size;
    det["skipped_mass_ratio"] = rho_max;
    det["bound"] = "per row: skipped block bounds plus double rounding (gamma_n); attention/backend_sparse.hpp";
    det["eps"] = options.eps;
    det["eps_met"] = r.report.error_bound <= options.eps;
    r.log_d_row_bounds = std::move(log_d_bound);
    r.report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.out.seconds = r.report.seconds;
    return r;
  }

 private:
  // exact_forward on the listed query rows (gathered; in place when all are
  // listed), with the rounding bound of the exact kernel's tile structure.
  static void run_exact_rows(const AttentionInstance& inst, const BackendOptions& options, const Setup& s,
                             const std::vector<std::size_t>& list, AttentionOutput& out, std::vector<double>& log_d_bound,
                             std::vector<double>& o_bound, std::vector<double>& evaluated) {
    const std::size_t d = s.d, dv = s.dv, n = list.size();
    std::vector<MatrixView<double>> keys, values;
    for (std::size_t p = 0; p < inst.keys.size(); ++p) {
      keys.push_back(view_of(inst.keys[p]));
      values.push_back(view_of(inst.values[p]));
    }
    const ExactOptions eo = exact_options(options, s.scale);
    const bool all = n == s.n_q;
    std::vector<double> q_rows, o_rows, log_rows(n);
    if (!all) {
      q_rows.resize(n * d);
      o_rows.resize(n * dv);
      for (std::size_t x = 0; x < n; ++x) std::copy(inst.q.row(list[x]), inst.q.row(list[x]) + d, q_rows.data() + x * d);
    }
    const MatrixView<double> q{all ? inst.q.data.data() : q_rows.data(), n, d, d};
    const MutableMatrixView<double> o{all ? out.o.data() : o_rows.data(), n, dv, dv};
    exact_forward<double>(q, keys, values, eo, o, log_rows.data());
    // The exact kernel's tiles (exact_attention.cpp): prefix tuples one at a
    // time, tile_a x tile_b score tiles; up to 64 partial merges for few rows.
    const std::size_t sa = s.prefix();
    const double n_a = double(s.blocks[sa].rows), n_b = double(s.blocks[sa + 1].rows);
    const double tile_a = std::min(double(eo.tuning.tile_a), n_a), tile_b = std::min(double(eo.tuning.tile_b), n_b);
    const double prefix = s.tuples / (n_a * n_b);
    const double tiles = prefix * std::ceil(n_a / tile_a) * std::ceil(n_b / tile_b);
    const double n_add = prefix * n_a * std::ceil(n_b / tile_b) + 3 * tiles + 64;
    for (std::size_t x = 0; x < n; ++x) {
      const std::size_t i = list[x];
      if (!all) std::copy(o_rows.data() + x * dv, o_rows.data() + (x + 1) * dv, out.o.data() + i * dv);
      out.log_d[i] = log_rows[x];
      const double* qi = inst.q.row(i);
      double p_row = 0;
      for (std::size_t c = 0; c < d; ++c) p_row += std::abs(qi[c]) * s.key_abs_max[c];
      const Rounding rb = rounding(s, up(p_row * std::abs(s.scale)), log_rows[x], s.tuples, n_add, tile_b);
      log_d_bound[i] = rb.e_d;
      o_bound[i] = rb.o;
      evaluated[i] = s.tuples;
    }
  }
};

}  // namespace

const Backend& sparse_backend() {
  static const SparseBackend backend;
  return backend;
}

}  // namespace sethkit::attention
