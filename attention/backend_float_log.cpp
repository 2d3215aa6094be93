// log O in the log domain and the underflow check of the float backend
// (attention/backend_float.hpp): log O_ic = log N_ic - log D_i, where N_ic is
// the normalizer of a derived instance (the key rows with a positive value,
// log V added to the scores through one extra coordinate per side), computed
// by the float backend with its certified bound. Never an underflowed O.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>

#include "attention/backend_float.hpp"
#include "core/errors.hpp"

namespace sethkit::attention {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// log of float32's smallest normal number, 2^-126.
const double kLogFloatMin = -126.0 * std::log(2.0);

// The instance whose log D_i is log N_ic for the chosen query rows: Q' =
// [scale Q | 1 .. 1] (scale 1), K_p' = the rows j with V_p[j,c] > 0 (|V| with
// abs) as [K_p[j,:] | e], where coordinate d + p' holds log V_p[j,c] for p' = p
// and 1 otherwise, so the extra coordinates add sum_p log V_p[j_p,c] to the
// score; V' = 1. Returns false when some side has no such row (N = 0).
bool numerator_instance(const AttentionInstance& inst, double scale, const std::vector<std::size_t>& rows,
                        std::size_t col, bool use_abs, AttentionInstance& out) {
  const std::size_t d = inst.d(), sides = inst.keys.size(), d2 = d + sides;
  DenseMatrix q(rows.size(), d2);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const double* src = inst.q.row(rows[r]);
    for (std::size_t c = 0; c < d; ++c) q(r, c) = scale * src[c];
    for (std::size_t c = d; c < d2; ++c) q(r, c) = 1;
  }
  std::vector<DenseMatrix> keys, values;
  for (std::size_t p = 0; p < sides; ++p) {
    const DenseMatrix& key = inst.keys[p];
    const DenseMatrix& val = inst.values[p];
    std::vector<std::size_t> kept;
    for (std::size_t j = 0; j < val.rows; ++j) {
      const double v = use_abs ? std::abs(val(j, col)) : val(j, col);
      if (v > 0) kept.push_back(j);
    }
    if (kept.empty()) return false;
    DenseMatrix k2(kept.size(), d2), v2(kept.size(), 1);
    for (std::size_t r = 0; r < kept.size(); ++r) {
      std::copy(key.row(kept[r]), key.row(kept[r]) + d, k2.row(r));
      for (std::size_t e = 0; e < sides; ++e) k2(r, d + e) = 1;
      k2(r, d + p) = std::log(std::abs(val(kept[r], col)));
      v2(r, 0) = 1;
    }
    keys.push_back(std::move(k2));
    values.push_back(std::move(v2));
  }
  out = make_attention_instance(std::move(q), std::move(keys), std::move(values));
  out.scale = 1;
  return true;
}

std::string fmt(const char* f, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

}  // namespace

std::string FloatUnderflow::message() const {
  if (!any()) return "";
  return "O underflows float32 in " + std::to_string(entries) + " entr" + (entries == 1 ? "y" : "ies") +
         " (first: row " + std::to_string(first_row) + ", column " + std::to_string(first_col) +
         (verified ? ", log |O| = " + fmt("%.6g", first_log_o) + " +- " + fmt("%.3g", first_log_o_bound) +
                         " < log FLT_MIN = " + fmt("%.4g", kLogFloatMin)
                   : ", |O~| below 2^-100 max|V|, not verified under a window") +
         "): a float32 O would read as zero";
}

FloatLogOutput float_log_output(const AttentionInstance& inst, const BackendOptions& options,
                                const std::vector<std::size_t>& rows_in, const std::vector<std::size_t>& cols_in,
                                bool use_abs_values) {
  const auto start = std::chrono::steady_clock::now();
  inst.validate();
  if (options.window)
    throw InputError("", "log O is not available with --window (the derived numerator instance drops key rows, "
                         "which moves the window); drop --window or use --precision double");
  if (!use_abs_values)
    for (std::size_t p = 0; p < inst.values.size(); ++p)
      for (std::size_t j = 0; j < inst.values[p].rows; ++j)
        for (std::size_t c = 0; c < inst.values[p].cols; ++c)
          if (inst.values[p](j, c) < 0)
            throw InputError("V" + std::to_string(p + 1) + ".npy",
                             "entry (" + std::to_string(j) + ", " + std::to_string(c) + ") is negative; log O is "
                             "defined for nonnegative values only (write O instead, without --log-output)");
  std::vector<std::size_t> rows = rows_in, cols = cols_in;
  if (rows.empty())
    for (std::size_t i = 0; i < inst.n_q(); ++i) rows.push_back(i);
  if (cols.empty())
    for (std::size_t c = 0; c < inst.d_v(); ++c) cols.push_back(c);
  for (std::size_t i : rows)
    if (i >= inst.n_q()) throw InputError("", "float_log_output: query row " + std::to_string(i) + " out of range");
  for (std::size_t c : cols)
    if (c >= inst.d_v()) throw InputError("", "float_log_output: value column " + std::to_string(c) + " out of range");

  const Backend& backend = find_backend("float");
  BackendOptions opt = options;
  opt.precision = Precision::float32;
  opt.scale.reset();
  const double scale = resolve_scale(options.scale, inst.scale);
  // log D_i on the chosen rows (one float run on those rows).
  AttentionInstance sub = inst;
  sub.manifest.reset();
  sub.q = DenseMatrix(rows.size(), inst.d());
  for (std::size_t r = 0; r < rows.size(); ++r) std::copy(inst.q.row(rows[r]), inst.q.row(rows[r]) + inst.d(), sub.q.row(r));
  BackendOptions den_opt = opt;
  den_opt.scale = scale;
  const BackendResult den = backend.run(sub, den_opt);

  FloatLogOutput out;
  out.rows = rows.size();
  out.cols = cols.size();
  out.row_index = rows;
  out.log_o.assign(out.rows * out.cols, -kInf);
  out.bound.assign(out.rows * out.cols, 0.0);
  for (std::size_t ci = 0; ci < cols.size(); ++ci) {
    AttentionInstance num;
    if (!numerator_instance(inst, scale, rows, cols[ci], use_abs_values, num)) continue;  // N = 0: log O = -inf
    BackendOptions num_opt = opt;
    num_opt.scale = 1.0;
    const BackendResult n = backend.run(num, num_opt);
    for (std::size_t r = 0; r < rows.size(); ++r) {
      const double log_n = n.out.log_d[r], log_d = den.out.log_d[r];
      if (std::isinf(log_n) && log_n < 0) continue;  // no allowed tuple with a positive value
      // The derived instance's own rounding in double (scale * Q, log V) is at
      // most 2 u_d of its score bound P, and the float bound already holds
      // gamma_{d+2k+1} P >= 2^26 (2 u_d P) of it.
      const double derived = n.log_d_bound(r) * 0x1p-26;
      out.log_o[r * out.cols + ci] = log_n - log_d;
      out.bound[r * out.cols + ci] = n.log_d_bound(r) + den.log_d_bound(r) + derived;
    }
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

FloatUnderflow float_underflow(const AttentionInstance& inst, const BackendOptions& options,
                               const BackendResult& result) {
  FloatUnderflow u;
  const AttentionOutput& o = result.out;
  const std::size_t dv = o.cols;
  // Candidates: |O~| < 2^-100 max|V| in a column whose values are not all zero.
  std::vector<double> vmax(dv, 1.0);
  std::vector<bool> signed_col(dv, false);
  for (const DenseMatrix& v : inst.values)
    for (std::size_t c = 0; c < dv; ++c) {
      double m = 0;
      for (std::size_t j = 0; j < v.rows; ++j) {
        m = std::max(m, std::abs(v(j, c)));
        if (v(j, c) < 0) signed_col[c] = true;
      }
      vmax[c] *= m;
    }
  std::vector<std::size_t> rows, cols;
  std::vector<bool> row_seen(o.rows, false), col_seen(dv, false);
  for (std::size_t i = 0; i < o.rows; ++i) {
    if (std::isinf(o.log_d[i])) continue;  // no allowed tuple: O = 0 exactly
    for (std::size_t c = 0; c < dv; ++c)
      if (vmax[c] > 0 && std::abs(o.o[i * dv + c]) < 0x1p-100 * vmax[c]) {
        if (!row_seen[i]) rows.push_back(i), row_seen[i] = true;
        if (!col_seen[c]) cols.push_back(c), col_seen[c] = true;
        if (options.window && u.entries++ == 0) u.first_row = i, u.first_col = c;
      }
  }
  if (rows.empty() || options.window) {
    u.verified = !options.window;
    return u;
  }
  std::sort(cols.begin(), cols.end());
  // Unsigned and signed columns separately (|V| bounds |O| for the latter).
  for (bool abs_pass : {false, true}) {
    std::vector<std::size_t> pass_cols;
    for (std::size_t c : cols)
      if (signed_col[c] == abs_pass) pass_cols.push_back(c);
    if (pass_cols.empty()) continue;
    const FloatLogOutput lo = float_log_output(inst, options, rows, pass_cols, abs_pass);
    for (std::size_t r = 0; r < lo.rows; ++r)
      for (std::size_t ci = 0; ci < lo.cols; ++ci) {
        const double log_o = lo.log_o[r * lo.cols + ci], bound = lo.bound[r * lo.cols + ci];
        if (std::isinf(log_o) || log_o - bound >= kLogFloatMin) continue;  // O = 0 exactly, or representable
        if (u.entries++ == 0 || lo.row_index[r] < u.first_row) {
          u.first_row = lo.row_index[r];
          u.first_col = pass_cols[ci];
          u.first_log_o = log_o;
          u.first_log_o_bound = bound;
        }
      }
  }
  return u;
}

}  // namespace sethkit::attention
