// The certified float32 backend in the registry (attention/backend_float.hpp
// has the contract and the error analysis): exact_attention in float32, then
// the per-row bounds of float_exact_bounds. The kernel itself is the exact
// backend's (exact_attention.cpp), unchanged.
#include "attention/backend_float.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "core/errors.hpp"

namespace sethkit::attention {
namespace {

constexpr double kUnitDouble = 0x1p-53;
constexpr double kTau = 0x1p-126;  // absolute error of an underflowing float operation (flush-to-zero)
constexpr double kInf = std::numeric_limits<double>::infinity();

// gamma_n = n u / (1 - n u) (Higham Lemma 3.1); +inf when n u >= 1.
double gamma_of(double n, double u) {
  const double nu = n * u;
  return nu < 1 ? nu / (1 - nu) : kInf;
}

// x rounded up by a relative 2^-40: covers the double rounding of the bound's own arithmetic.
double up(double x) { return x + std::abs(x) * 0x1p-40 + 0x1p-1074; }

// Largest |entry| of each column of m.
std::vector<double> column_abs_max(const DenseMatrix& m) {
  std::vector<double> out(m.cols, 0.0);
  for (std::size_t r = 0; r < m.rows; ++r) {
    const double* row = m.row(r);
    for (std::size_t c = 0; c < m.cols; ++c) out[c] = std::max(out[c], std::abs(row[c]));
  }
  return out;
}

ExactOptions float_exact_options(const BackendOptions& o) {
  ExactOptions e;
  e.scale = o.scale;
  e.window = o.window;
  e.precision = Precision::float32;
  e.threads = o.threads;
  e.max_bytes = o.max_bytes;
  return e;
}

class FloatBackend final : public Backend {
 public:
  std::string name() const override { return "float"; }

  const BackendCapabilities& capabilities() const override {
    static const BackendCapabilities caps = [] {
      BackendCapabilities c;
      c.windows = true;
      // It always computes in float32 (report.precision says so): a float64
      // request is accepted and runs in float32, the bound counting it.
      c.float64 = true;
      // Its bounds are nonzero and eps_met compares them with --eps.
      c.approximate = true;
      c.summary = "float: exact attention in float32 with a certified per-row rounding bound on log D and O";
      return c;
    }();
    return caps;
  }

  BackendPlan plan(const AttentionInstance& inst, const BackendOptions& options) const override {
    check_capabilities(inst, options);  // exact_attention_bytes validates the instance
    BackendPlan p;
    // The run's kernel plus the bounds' column maxima and per-row vectors.
    p.bytes = exact_attention_bytes(inst, float_exact_options(options)) + 8.0 * double(3 * inst.n_q() + inst.d() * inst.k);
    p.refusal = size_refusal("float32 exact attention (O is " + std::to_string(inst.n_q()) + " x " +
                                 std::to_string(inst.d_v()) + ", scratch for " +
                                 std::to_string(resolve_threads(options.threads)) + " threads, per-row bounds)",
                             p.bytes, options.max_bytes, "raise --max-bytes, or use fewer --threads");
    return p;
  }

  BackendResult run(const AttentionInstance& inst, const BackendOptions& options) const override {
    const BackendPlan p = plan(inst, options);
    if (!p.runnable()) throw SizeLimitError(p.refusal);
    const auto start = std::chrono::steady_clock::now();
    const ExactOptions eo = float_exact_options(options);
    BackendResult r;
    r.out = exact_attention(inst, eo);
    const double scale = resolve_scale(options.scale, inst.scale);
    FloatRowBounds b = float_exact_bounds(inst, scale, eo.tuning, r.out.log_d);
    r.report = base_report(inst, options);
    r.report.precision = Precision::float32;
    r.report.bytes = p.bytes;
    r.report.rounding_counted = true;
    double worst_o = 0, worst_log = 0, worst_term = 0;
    for (std::size_t i = 0; i < b.o.size(); ++i) {
      worst_o = std::max(worst_o, b.o[i]);
      worst_log = std::max(worst_log, b.log_d[i]);
      worst_term = std::max(worst_term, b.term[i]);
    }
    r.report.error_bound = worst_o;
    r.report.log_d_bound = worst_log;
    r.report.details["unit_roundoff"] = kFloatUnitRoundoff;
    r.report.details["exp_rel_error"] = kFloatExpRelError;
    r.report.details["term_log_error"] = worst_term;
    r.report.details["bound"] = "per row, a priori (Higham gamma_n); attention/backend_float.hpp";
    // Honest eps: met only when the certified bound on O is within it.
    r.report.details["eps"] = options.eps;
    r.report.details["eps_met"] = worst_o <= options.eps;
    r.log_d_row_bounds = std::move(b.log_d);
    r.report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.out.seconds = r.report.seconds;
    return r;
  }
};

}  // namespace

FloatRowBounds float_exact_bounds(const AttentionInstance& inst, double scale, const ExactTuning& tuning,
                                  const std::vector<double>& log_d_computed) {
  if (log_d_computed.size() != inst.n_q())
    throw InputError("", "float_exact_bounds: " + std::to_string(log_d_computed.size()) + " log D values for " +
                             std::to_string(inst.n_q()) + " query rows");
  const double u = kFloatUnitRoundoff, ud = kUnitDouble;
  const int k = inst.k;
  const std::size_t d = inst.d(), n_q = inst.n_q();
  // Column maxima of every key side and the value bound Vmax.
  std::vector<std::vector<double>> key_max;
  for (const DenseMatrix& key : inst.keys) key_max.push_back(column_abs_max(key));
  std::vector<double> vmax_col(inst.d_v(), 1.0);
  for (const DenseMatrix& v : inst.values) {
    const std::vector<double> m = column_abs_max(v);
    for (std::size_t c = 0; c < m.size(); ++c) vmax_col[c] *= m[c];
  }
  const double vmax = vmax_col.empty() ? 0 : *std::max_element(vmax_col.begin(), vmax_col.end());
  // The kernel's layout: prefix sides (k >= 4) one row at a time, then the
  // tiled sides a (K_{k-2}, a unit side for k = 2) and b (K_{k-1}).
  const double n_b = double(inst.keys.back().rows);
  const double n_a = k == 2 ? 1.0 : double(inst.keys[inst.keys.size() - 2].rows);
  double prefix = 1, tuples = 1;
  for (std::size_t p = 0; p + 2 < inst.keys.size(); ++p) prefix *= double(inst.keys[p].rows);
  for (const DenseMatrix& key : inst.keys) tuples *= double(key.rows);
  const double tile_a = std::min(double(tuning.tile_a), n_a), tile_b = std::min(double(tuning.tile_b), n_b);
  const double tiles = prefix * std::ceil(n_a / tile_a) * std::ceil(n_b / tile_b);
  const double n_add = prefix * n_a * std::ceil(n_b / tile_b) + 3 * tiles;
  const double gamma_score = gamma_of(double(d) + 2.0 * k + 1, u);
  const double log_sum = std::log1p(gamma_of(tile_b, u)) + std::log1p(gamma_of(n_add, ud));
  const double gamma_v = gamma_of(tile_b + 2.0 * k, u) + gamma_of(n_add + 2, ud);
  const double e_exp = kFloatExpRelError / (1 - kFloatExpRelError);
  const double abs_scale = std::abs(scale);

  FloatRowBounds b;
  b.log_d.assign(n_q, 0.0);
  b.o.assign(n_q, 0.0);
  b.term.assign(n_q, 0.0);
  for (std::size_t i = 0; i < n_q; ++i) {
    const double* q = inst.q.row(i);
    double p_inflated = 0, p_plain = 0;
    for (std::size_t c = 0; c < d; ++c) {
      double inflated = std::abs(q[c]) * (1 + u) + kTau, plain = std::abs(q[c]);
      for (const auto& m : key_max) {
        inflated *= m[c] * (1 + u) + kTau;
        plain *= m[c];
      }
      p_inflated += inflated;
      p_plain += plain;
    }
    p_inflated *= abs_scale;
    p_plain *= abs_scale;
    const double e_score = up(gamma_score * p_inflated + std::max(0.0, p_inflated - p_plain) + 4 * ud * p_inflated +
                              (double(d) + 2) * kTau * std::max(1.0, abs_scale));
    const double radius = up(p_plain + e_score);
    const double e_w = up(e_score + 2 * u * radius + e_exp);
    b.term[i] = e_w;
    // A row with no allowed tuple has D = 0 and O = 0 exactly (error 0); its
    // O bound is still the formula's (a valid, loose bound), log D's is 0.
    const bool empty = std::isinf(log_d_computed[i]) && log_d_computed[i] < 0;
    const double log_d = empty ? 0.0 : log_d_computed[i];
    const double flushed = std::log1p(tuples * std::exp(-87.0 + 2 * e_w));
    const double final_steps = 2 * ud * (std::abs(log_d) + 2 * radius + std::log(tuples) + 1);
    const double e_d = up(e_w + log_sum + flushed + final_steps);
    b.log_d[i] = empty ? 0.0 : std::isfinite(log_d) ? e_d : kInf;
    const double eta = std::expm1(e_w) * (1 + gamma_v) + gamma_v;  // e^{e_w} (1 + gamma_V) - 1
    const double grow = std::expm1(e_d);                           // e^{e_D} - 1
    b.o[i] = std::isfinite(e_d) ? up(vmax * (eta * (1 + grow) + grow) + 4 * tuples * kTau + (ud + u) * vmax) : kInf;
  }
  return b;
}

const Backend& float_backend() {
  static const FloatBackend backend;
  return backend;
}

}  // namespace sethkit::attention
