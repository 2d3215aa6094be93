#include "solvers/attention_decider.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "attention/poly_attention.hpp"

#include "core/errors.hpp"

namespace sethkit::solvers {
namespace {

// The instance with only the data rows (row_map >= 0) on every key side;
// only the kept rows are copied (and Q).
AttentionInstance data_rows_only(const AttentionInstance& inst) {
  AttentionInstance out;
  out.k = inst.k;
  out.q = inst.q;
  out.scale = inst.scale;
  out.precision = inst.precision;
  out.keys.resize(inst.keys.size());
  out.values.resize(inst.values.size());
  for (std::size_t p = 0; p < inst.keys.size(); ++p) {
    const auto& map = inst.manifest->row_map[p + 1];
    std::size_t kept = 0;
    for (int64_t v : map) kept += v >= 0;
    DenseMatrix key(kept, inst.keys[p].cols), value(kept, inst.values[p].cols);
    std::size_t r = 0;
    for (std::size_t i = 0; i < map.size(); ++i) {
      if (map[i] < 0) continue;
      std::copy(inst.keys[p].row(i), inst.keys[p].row(i) + key.cols, key.row(r));
      std::copy(inst.values[p].row(i), inst.values[p].row(i) + value.cols, value.row(r));
      ++r;
    }
    out.keys[p] = std::move(key);
    out.values[p] = std::move(value);
  }
  return out;
}

}  // namespace

namespace {

std::string poly_refusal(const attention::PolyReport& plan, const std::string& reason) {
  char buf[2048];
  std::snprintf(buf, sizeof buf,
                "the polynomial method cannot decide this instance: its entry bound is B = %.4g (score radius "
                "R = %.4g), which needs degree g %s %d and rank r = C(d+g, g) %s %.4g for a certified error. %s "
                "The paper's lower bound (Theorem 1.3) predicts this: past B ~ (log n)^{1/k} no subcubic "
                "algorithm exists under SETH. Use --backend exact.",
                plan.entry_bound, plan.radius, plan.degree_estimated ? "~" : "=", plan.degree,
                plan.degree_estimated ? "~" : "=", plan.rank, reason.c_str());
  return buf;
}

}  // namespace

AttentionRowDecisions decide_attention_rows(const AttentionInstance& inst, const AttentionDecideOptions& options) {
  if (!inst.manifest || !inst.manifest->threshold || inst.manifest->row_map.size() != std::size_t(inst.k))
    throw InputError("", "the attention instance has no manifest with a threshold and a row map: "
                         "it was not produced by `sethkit reduce --to attention`, so rows cannot be decided");
  const auto start = std::chrono::steady_clock::now();
  AttentionRowDecisions r;
  r.threshold = *inst.manifest->threshold;
  const AttentionInstance data_only = data_rows_only(inst);
  std::vector<double> log_d_full, log_d_data;
  if (options.backend == AttentionBackend::exact) {
    attention::ExactOptions opt;
    opt.scale = inst.scale;
    opt.max_bytes = options.max_bytes;
    log_d_full = attention::exact_attention(inst, opt).log_d;
    log_d_data = attention::exact_attention(data_only, opt).log_d;
    r.backend = "exact";
  } else {
    attention::PolyOptions opt;
    opt.eps = options.eps;
    opt.scale = inst.scale;
    opt.max_bytes = options.max_bytes;
    const attention::PolyReport plan = attention::plan_poly_attention(inst, opt);
    if (!plan.runnable()) throw SizeLimitError(poly_refusal(plan, plan.refusal));
    opt.polynomial = plan.polynomial;
    const attention::PolyAttentionResult full = attention::poly_attention(inst, opt);
    const attention::PolyAttentionResult data = attention::poly_attention(data_only, opt);
    log_d_full = full.out.log_d;
    log_d_data = data.out.log_d;
    r.log_o_error = full.report.log_d_bound + data.report.log_d_bound;
    r.backend = "poly";
    char buf[160];
    std::snprintf(buf, sizeof buf, "poly degree %d, rank %.0f, R = %.4g, certified |log O error| <= %.3g",
                  full.report.degree, full.report.rank, full.report.radius, r.log_o_error);
    r.details = buf;
  }
  for (std::size_t i = 0; i < log_d_full.size(); ++i) {
    const double log_o = log_d_data[i] - log_d_full[i];
    if (!(std::abs(log_o - r.threshold) > r.log_o_error))
      throw SizeLimitError("row " + std::to_string(i) + ": log O = " + std::to_string(log_o) + " +- " +
                           std::to_string(r.log_o_error) + " straddles the threshold " + std::to_string(r.threshold) +
                           "; the backend's certified error is too large to decide");
    r.log_o.push_back(log_o);
    r.yes.push_back(log_o >= r.threshold);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace sethkit::solvers
