// The exact backend in the registry: attention/exact_attention.hpp (streaming,
// BLAS tiles, any k, causal windows at k = 3, float and double, the oracle
// form) and its gradient, attention/gradient.hpp (and paper 002's form).
// Bounds are zero-width under the rounding-free convention (backend.hpp).
#include <chrono>

#include "attention/backend.hpp"
#include "attention/gradient.hpp"
#include "core/errors.hpp"

namespace sethkit::attention {
namespace {

ExactOptions exact_options(const BackendOptions& o) {
  ExactOptions e;
  e.scale = o.scale;
  e.window = o.window;
  e.slice = o.slice;
  e.precision = o.precision;
  e.threads = o.threads;
  e.max_bytes = o.max_bytes;
  return e;
}

class ExactBackend final : public Backend {
 public:
  std::string name() const override { return "exact"; }

  const BackendCapabilities& capabilities() const override {
    static const BackendCapabilities caps = [] {
      BackendCapabilities c;
      c.windows = true;
      c.gradient = true;
      c.paper_gradient = true;
      c.oracle = true;
      c.summary = "exact: streaming softmax over BLAS tiles, any k, windows, float or double (default)";
      return c;
    }();
    return caps;
  }

  BackendPlan plan(const AttentionInstance& inst, const BackendOptions& options) const override {
    check_capabilities(inst, options);  // the call below validates the instance
    BackendPlan p;
    p.bytes = exact_attention_bytes(inst, exact_options(options));
    // The words of exact_attention's own refusal (exact_attention.cpp).
    p.refusal = size_refusal("exact attention (O is " + std::to_string(inst.n_q()) + " x " +
                                 std::to_string(inst.d_v()) + ", scratch for " +
                                 std::to_string(resolve_threads(options.threads)) + " threads)",
                             p.bytes, options.max_bytes, "raise --max-bytes, or use fewer --threads");
    return p;
  }

  BackendResult run(const AttentionInstance& inst, const BackendOptions& options) const override {
    check_capabilities(inst, options);  // the call below validates the instance
    BackendResult r;
    r.out = exact_attention(inst, exact_options(options));  // refuses past max_bytes itself
    r.report = base_report(inst, options);
    r.report.seconds = r.out.seconds;
    r.report.bytes = exact_attention_bytes(inst, exact_options(options));
    return r;
  }

  BackendResult run_oracle(const OracleInstance& inst, const BackendOptions& options) const override {
    BackendResult r;
    r.out = exact_attention_oracle(inst, exact_options(options));
    r.report.backend = name();
    r.report.k = int(inst.values.size()) + 1;
    r.report.n.push_back(inst.n_q);
    for (const DenseMatrix& v : inst.values) r.report.n.push_back(v.rows);
    r.report.d_v = r.out.cols;
    r.report.scale = options.scale.value_or(inst.scale);
    r.report.precision = options.precision;
    r.report.window = options.window;
    r.report.seconds = r.out.seconds;
    r.report.details["form"] = "oracle";
    return r;
  }

  BackendPlan plan_gradient(const AttentionInstance& inst, const BackendOptions& options) const override {
    check_gradient_supported(inst, options);
    BackendPlan p;
    p.bytes = exact_attention_gradient_bytes(inst, GradientTuning{}, resolve_threads(options.threads));
    p.refusal = size_refusal("the gradient's working memory", p.bytes, options.max_bytes,
                             "raise --max-bytes or use a smaller instance");
    return p;
  }

  GradientResult gradient(const AttentionInstance& inst, const DenseMatrix& target,
                          const BackendOptions& options) const override {
    const BackendPlan p = plan_gradient(inst, options);
    if (!p.runnable()) throw SizeLimitError(p.refusal);
    GradientOptions g;
    g.scale = options.scale;
    g.threads = options.threads;
    GradientResult r;
    r.gradient = exact_attention_gradient(inst, target, g);
    r.report = base_report(inst, options);
    r.report.seconds = r.gradient.forward_seconds + r.gradient.backward_seconds;
    r.report.bytes = p.bytes;
    r.d_key_bounds.assign(inst.keys.size(), 0.0);
    r.d_value_bounds.assign(inst.values.size(), 0.0);
    return r;
  }
};

}  // namespace

const Backend& exact_backend() {
  static const ExactBackend backend;
  return backend;
}

}  // namespace sethkit::attention
