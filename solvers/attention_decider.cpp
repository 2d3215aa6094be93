#include "solvers/attention_decider.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "attention/backend.hpp"

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

// "degree 4, rank 35, radius 2.5" from a backend report's numeric details.
std::string detail_text(const nlohmann::json& details) {
  std::string s;
  for (const auto& [key, value] : details.items()) {
    if (!value.is_number() || key == "bad_rows" || key == "eps") continue;
    char buf[96];
    std::snprintf(buf, sizeof buf, "%s%s %.4g", s.empty() ? "" : ", ", key.c_str(), value.get<double>());
    s += buf;
  }
  return s;
}

}  // namespace

AttentionRowDecisions decide_attention_rows(const AttentionInstance& inst, const AttentionDecideOptions& options) {
  if (!inst.manifest || !inst.manifest->threshold || inst.manifest->row_map.size() != std::size_t(inst.k))
    throw InputError("", "the attention instance has no manifest with a threshold and a row map: "
                         "it was not produced by `sethkit reduce --to attention`, so rows cannot be decided");
  const bool float_exact = options.precision == attention::Precision::float32 && options.backend == "exact";
  const attention::Backend& backend = attention::find_backend(float_exact ? "float" : options.backend);
  const auto start = std::chrono::steady_clock::now();
  AttentionRowDecisions r;
  r.threshold = *inst.manifest->threshold;
  r.backend = backend.name();
  attention::BackendOptions opt;
  opt.scale = inst.scale;
  opt.eps = options.eps;
  opt.max_bytes = options.max_bytes;
  opt.precision = options.precision;
  const attention::BackendPlan plan = backend.plan(inst, opt);
  if (!plan.runnable())
    throw SizeLimitError("the " + backend.name() + " backend cannot decide this instance: " + plan.refusal);
  opt.prepared = plan.prepared;  // poly: certified once, valid for the data rows too (their radius is smaller)
  const AttentionInstance data_only = data_rows_only(inst);
  const attention::BackendResult full = backend.run(inst, opt);
  const attention::BackendResult data = backend.run(data_only, opt);
  // log O_i = log N_i - log D_i: each term within its certified log-domain bound.
  r.log_o_error = full.report.log_d_bound + data.report.log_d_bound;
  if (backend.capabilities().approximate || r.log_o_error != 0) {
    char buf[96];
    std::snprintf(buf, sizeof buf, ", certified |log O error| <= %.3g", r.log_o_error);
    r.details = backend.name() + " " + detail_text(full.report.details) + buf;
  }
  const std::vector<double>& log_d_full = full.out.log_d;
  const std::vector<double>& log_d_data = data.out.log_d;
  for (std::size_t i = 0; i < log_d_full.size(); ++i) {
    const double log_o = log_d_data[i] - log_d_full[i];
    const double error = full.log_d_bound(i) + data.log_d_bound(i);
    if (!(std::abs(log_o - r.threshold) > error))
      throw SizeLimitError("row " + std::to_string(i) + ": log O = " + std::to_string(log_o) + " +- " +
                           std::to_string(error) + " straddles the threshold " + std::to_string(r.threshold) +
                           "; the " + backend.name() + " backend's certified error is too large to decide");
    r.log_o.push_back(log_o);
    r.log_o_errors.push_back(error);
    r.yes.push_back(log_o >= r.threshold);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace sethkit::solvers
