#include "solvers/attention_decider.hpp"

#include <chrono>

#include "problems/errors.hpp"

namespace sethkit::solvers {
namespace {

// The instance with only the data rows (row_map >= 0) on every key side.
AttentionInstance data_rows_only(const AttentionInstance& inst) {
  AttentionInstance out = inst;
  out.manifest.reset();
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

AttentionRowDecisions decide_attention_rows(const AttentionInstance& inst, const attention::ExactOptions& options) {
  if (!inst.manifest || !inst.manifest->threshold || inst.manifest->row_map.size() != std::size_t(inst.k))
    throw InputError("", "the attention instance has no manifest with a threshold and a row map: "
                         "it was not produced by `sethkit reduce --to attention`, so rows cannot be decided");
  const auto start = std::chrono::steady_clock::now();
  attention::ExactOptions opt = options;
  opt.scale = inst.scale;
  const attention::AttentionOutput full = attention::exact_attention(inst, opt);
  const attention::AttentionOutput data = attention::exact_attention(data_rows_only(inst), opt);
  AttentionRowDecisions r;
  r.threshold = *inst.manifest->threshold;
  r.backend = "exact";
  for (std::size_t i = 0; i < full.rows; ++i) {
    const double log_o = data.log_d[i] - full.log_d[i];
    r.log_o.push_back(log_o);
    r.yes.push_back(log_o >= r.threshold);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace sethkit::solvers
