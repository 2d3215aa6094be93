#include "attention/backend.hpp"

#include <cmath>

#include "core/errors.hpp"

namespace sethkit::attention {
namespace {

nlohmann::json finite_or_null(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr); }

std::string precision_name(Precision p) { return p == Precision::float32 ? "float" : "double"; }

}  // namespace

nlohmann::json BackendReport::to_json() const {
  nlohmann::json j;
  j["backend"] = backend;
  j["k"] = k;
  j["n"] = n;
  j["d"] = d;
  j["d_v"] = d_v;
  j["scale"] = scale;
  j["precision"] = precision_name(precision);
  if (window) j["window"] = {window->w1, window->w2};
  j["seconds"] = seconds;
  j["bytes"] = bytes;
  j["error_bound"] = finite_or_null(error_bound);
  j["log_d_bound"] = finite_or_null(log_d_bound);
  j["rounding_counted"] = rounding_counted;
  for (const auto& [key, value] : details.items()) j[key] = value;
  return j;
}

nlohmann::json GradientResult::bounds_json() const {
  nlohmann::json j = report.details;
  j["output_error_bound"] = finite_or_null(report.error_bound);
  nlohmann::json bounds;
  bounds["loss"] = finite_or_null(loss_bound);
  bounds["dQ"] = finite_or_null(d_q_bound);
  for (std::size_t p = 0; p < d_key_bounds.size(); ++p) bounds["dK" + std::to_string(p + 1)] = finite_or_null(d_key_bounds[p]);
  for (std::size_t p = 0; p < d_value_bounds.size(); ++p)
    bounds["dV" + std::to_string(p + 1)] = finite_or_null(d_value_bounds[p]);
  j["error_bounds"] = bounds;
  j["error_bound"] = finite_or_null(error_bound);
  return j;
}

void Backend::check_supported(const AttentionInstance& inst, const BackendOptions& options) const {
  inst.validate();
  check_capabilities(inst, options);
}

void Backend::check_capabilities(const AttentionInstance& inst, const BackendOptions& options) const {
  const BackendCapabilities& caps = capabilities();
  const std::string who = "the " + name() + " backend";
  if (inst.k < caps.min_k || (caps.max_k != 0 && inst.k > caps.max_k))
    throw InputError("", who + " supports k = " + std::to_string(caps.min_k) + ".." +
                             (caps.max_k ? std::to_string(caps.max_k) : std::string("any")) + ", not k = " +
                             std::to_string(inst.k) + "; use --backend " +
                             backend_list("|", [](const Backend& b) { return b.capabilities().max_k == 0; }));
  if (options.window) {
    if (!caps.windows)
      throw InputError("", "--window is not supported by the " + name() + " backend (" + caps.window_note +
                               "); use --backend " +
                               backend_list("|", [](const Backend& b) { return b.capabilities().windows; }));
    if (inst.k != 3) throw InputError("", "causal windows (w1, w2) are defined for k = 3 only");
  }
  const bool f32 = options.precision == Precision::float32;
  if ((f32 && !caps.float32) || (!f32 && !caps.float64))
    throw InputError("", "--precision " + precision_name(options.precision) + " is not supported by " + who +
                             "; use --precision " + (f32 ? "double" : "float") + " or --backend " +
                             (f32 ? backend_list("|", [](const Backend& b) { return b.capabilities().float32; })
                                  : backend_list("|", [](const Backend& b) { return b.capabilities().float64; })));
  if (caps.approximate && !(options.eps > 0 && options.eps < 1))
    throw InputError("", "--eps = " + std::to_string(options.eps) + " is outside (0, 1) for " + who);
  resolve_threads(options.threads);
  resolve_scale(options.scale, inst.scale);
}

BackendReport Backend::base_report(const AttentionInstance& inst, const BackendOptions& options) const {
  BackendReport r;
  r.backend = name();
  r.k = inst.k;
  r.n = inst.lengths();
  r.d = inst.d();
  r.d_v = inst.d_v();
  r.scale = options.scale.value_or(inst.scale);
  r.precision = options.precision;
  r.window = options.window;
  return r;
}

BackendResult Backend::run_oracle(const OracleInstance&, const BackendOptions&) const {
  throw InputError("", "the " + name() + " backend has no oracle form; use --backend " +
                           backend_list("|", [](const Backend& b) { return b.capabilities().oracle; }));
}

void Backend::check_gradient_supported(const AttentionInstance& inst, const BackendOptions& options) const {
  if (!capabilities().gradient)
    throw InputError("", "the " + name() + " backend has no gradient; use --backend " +
                             backend_list("|", [](const Backend& b) { return b.capabilities().gradient; }));
  if (options.window) throw InputError("", "--window is not supported by the gradient yet; drop --window");
  if (options.precision == Precision::float32)
    throw InputError("", "--precision float is not supported by the gradient yet (it computes in double)");
  check_supported(inst, options);
}

BackendPlan Backend::plan_gradient(const AttentionInstance& inst, const BackendOptions& options) const {
  check_gradient_supported(inst, options);
  throw InputError("", "the " + name() + " backend declares a gradient but does not plan it");
}

GradientResult Backend::gradient(const AttentionInstance& inst, const DenseMatrix&, const BackendOptions& options) const {
  check_gradient_supported(inst, options);
  throw InputError("", "the " + name() + " backend declares a gradient but does not compute it");
}

std::vector<std::string> backend_names() {
  std::vector<std::string> names;
  for (const Backend* b : backends()) names.push_back(b->name());
  return names;
}

std::string backend_list(const std::string& separator, bool (*keep)(const Backend&)) {
  std::string s;
  for (const Backend* b : backends()) {
    if (keep && !keep(*b)) continue;
    s += (s.empty() ? "" : separator) + b->name();
  }
  return s;
}

const Backend& find_backend(std::string_view name) {
  for (const Backend* b : backends())
    if (b->name() == name) return *b;
  throw InputError("", "unknown attention backend '" + std::string(name) + "'; known backends: " + backend_list(", "));
}

std::string size_refusal(const std::string& what, double bytes, double limit, const std::string& hint) {
  try {
    check_size(what, bytes, limit, hint);
  } catch (const SizeLimitError& e) {
    return e.what();
  }
  return "";
}

}  // namespace sethkit::attention
