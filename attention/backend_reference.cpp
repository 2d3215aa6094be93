// The reference backend in the registry: the slow textbook formula of
// attention/reference_attention.hpp (paper 001 Definitions 1.1 and 1.5 tuple
// by tuple in long double; no BLAS, no tiling), so users can check small
// cases with `sethkit attention DIR --backend reference`. Double precision
// only; its gradient is reference_attention_gradient (attention/gradient.hpp).
// A size guard refuses past kReferenceMaxTuples (query, key tuple) pairs.
// Bounds are zero-width under the rounding-free convention (backend.hpp).
#include <chrono>
#include <cstdio>

#include "attention/backend.hpp"
#include "attention/gradient.hpp"
#include "attention/reference_attention.hpp"
#include "core/errors.hpp"

namespace sethkit::attention {

// Most (query row, key tuple) pairs the reference evaluates: each costs about
// 2 k d long-double operations, so 2^24 pairs take seconds.
inline constexpr double kReferenceMaxTuples = double(1 << 24);

namespace {

double tuple_count(const AttentionInstance& inst) {
  double t = double(inst.n_q());
  for (const DenseMatrix& key : inst.keys) t *= double(key.rows);
  return t;
}

class ReferenceBackend final : public Backend {
 public:
  std::string name() const override { return "reference"; }

  const BackendCapabilities& capabilities() const override {
    static const BackendCapabilities caps = [] {
      BackendCapabilities c;
      c.windows = true;
      c.float32 = false;
      c.gradient = true;
      c.summary = "reference: the textbook formula tuple by tuple in long double, for checking small cases";
      return c;
    }();
    return caps;
  }

  BackendPlan plan(const AttentionInstance& inst, const BackendOptions& options) const override {
    check_supported(inst, options);
    BackendPlan p;
    // O, log D and one long-double accumulator row.
    p.bytes = 8.0 * double(inst.n_q()) * double(inst.d_v() + 1) + 16.0 * double(inst.d_v());
    p.refusal = tuple_refusal(inst);
    if (p.refusal.empty())
      p.refusal = size_refusal("reference attention (O is " + std::to_string(inst.n_q()) + " x " +
                                   std::to_string(inst.d_v()) + ")",
                               p.bytes, options.max_bytes, "raise --max-bytes");
    p.details["tuples"] = tuple_count(inst);
    return p;
  }

  BackendResult run(const AttentionInstance& inst, const BackendOptions& options) const override {
    const BackendPlan p = plan(inst, options);
    if (!p.runnable()) throw SizeLimitError(p.refusal);
    const auto start = std::chrono::steady_clock::now();
    BackendResult r;
    r.out = reference_attention(inst, resolve_scale(options.scale, inst.scale), options.window);
    r.out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.report = base_report(inst, options);
    r.report.seconds = r.out.seconds;
    r.report.bytes = p.bytes;
    r.report.details = p.details;
    return r;
  }

  BackendPlan plan_gradient(const AttentionInstance& inst, const BackendOptions& options) const override {
    check_gradient_supported(inst, options);
    BackendPlan p;
    // O, log D, dQ, dK_p, dV_p and the prod(n_p) scratch of one row.
    double bytes = double(inst.n_q()) * double(inst.d_v() + 1 + inst.d()) + tuple_count(inst) / double(inst.n_q());
    for (std::size_t s = 0; s < inst.keys.size(); ++s) bytes += double(inst.keys[s].rows) * double(inst.d() + inst.d_v());
    p.bytes = 8.0 * bytes;
    p.refusal = tuple_refusal(inst);
    if (p.refusal.empty())
      p.refusal = size_refusal("the gradient's working memory", p.bytes, options.max_bytes, "raise --max-bytes");
    p.details["tuples"] = tuple_count(inst);
    return p;
  }

  GradientResult gradient(const AttentionInstance& inst, const DenseMatrix& target,
                          const BackendOptions& options) const override {
    const BackendPlan p = plan_gradient(inst, options);
    if (!p.runnable()) throw SizeLimitError(p.refusal);
    const auto start = std::chrono::steady_clock::now();
    GradientResult r;
    r.gradient = reference_attention_gradient(inst, target, resolve_scale(options.scale, inst.scale));
    r.report = base_report(inst, options);
    r.report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.report.bytes = p.bytes;
    r.report.details = p.details;
    r.d_key_bounds.assign(inst.keys.size(), 0.0);
    r.d_value_bounds.assign(inst.values.size(), 0.0);
    return r;
  }

 private:
  static std::string tuple_refusal(const AttentionInstance& inst) {
    const double tuples = tuple_count(inst);
    if (tuples <= kReferenceMaxTuples) return "";
    char buf[400];
    std::snprintf(buf, sizeof buf,
                  "reference attention evaluates every (query row, key tuple) pair: n_q x n_1 x .. x n_{k-1} = "
                  "%.4g pairs, past its limit of %.4g; use --backend exact (the same definition, streamed)",
                  tuples, kReferenceMaxTuples);
    return buf;
  }
};

}  // namespace

const Backend& reference_backend() {
  static const ReferenceBackend backend;
  return backend;
}

}  // namespace sethkit::attention
