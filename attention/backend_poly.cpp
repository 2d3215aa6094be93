// The polynomial-method backend in the registry: attention/poly_attention.hpp
// (paper 001 Algorithm 1, Theorem E.3; certified bounds on O and log D that
// count rounding) and its gradient, attention/poly_gradient.hpp. The one place
// where a PolyReport becomes JSON (poly_details).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "attention/backend.hpp"
#include "attention/poly_attention.hpp"
#include "attention/poly_gradient.hpp"
#include "core/errors.hpp"

namespace sethkit::attention {
namespace {

PolyOptions poly_options(const BackendOptions& o) {
  PolyOptions p;
  p.eps = o.eps;
  p.scale = o.scale;
  p.precision = o.precision;
  p.threads = o.threads;
  p.max_bytes = o.max_bytes;
  if (const auto* poly = std::any_cast<ExpPolynomial>(&o.prepared)) p.polynomial = *poly;
  return p;
}

// The backend-specific fields of a plan or run (BackendReport::details).
// eps_met is honest (issue 18 part 7): true only when the certified bound on
// O (error_bound, which counts the rounding) is at most eps; before a run
// there is no such bound and it is null. exp_eps_met is the polynomial's own
// test (its certified relative error eps_P <= eps), which says nothing of
// the rounding: a float32 run can meet it with a bound on O of 15.9.
nlohmann::json poly_details(const PolyReport& r, double eps, bool run = false) {
  nlohmann::json j;
  j["degree"] = r.degree;
  j["degree_estimated"] = r.degree_estimated;
  j["rank"] = r.rank;
  j["radius"] = r.radius;
  j["entry_bound"] = r.entry_bound;
  j["exp_rel_error"] = std::isfinite(r.exp_rel_error) ? nlohmann::json(r.exp_rel_error) : nlohmann::json(nullptr);
  j["eps"] = eps;
  j["exp_eps_met"] = r.eps_met;
  j["eps_met"] = run ? nlohmann::json(std::isfinite(r.error_bound) && r.error_bound <= eps) : nlohmann::json(nullptr);
  if (run && !std::isfinite(r.log_d_bound))
    j["log_d_bound_note"] = r.bad_rows > 0
        ? "no bound on log D: " + std::to_string(r.bad_rows) + " rows have a computed D <= 0 or not finite"
        : std::string("no bound on log D: in some row the rounding bound reaches D itself (so D may be 0); "
                      "use --precision double");
  j["bad_rows"] = r.bad_rows;
  j["method"] = to_string(r.method);
  return j;
}

// The plan's refusal as advice: the flag that raises the memory limit by its
// name, and, when no degree was certified, what the paper says about it.
// Advice is only advice that can work (issue 18 part 7): "loosen eps" is
// dropped when the precision's floor u e^{2R} (the monomial expansion
// cancels terms of size e^R down to e^-R) is at least 1, so that no eps < 1
// can be certified, and otherwise says how far.
std::string refusal_text(const PolyReport& r, Precision precision) {
  if (r.refusal.empty()) return "";
  std::string s = r.refusal;
  const std::string vague = "raise the memory limit";
  if (const auto at = s.find(vague); at != std::string::npos) s.replace(at, vague.size(), "raise --max-bytes");
  const double unit = precision == Precision::float32 ? 0x1p-24 : 0x1p-53;
  const double floor = unit * std::exp(std::min(2.0 * r.radius, 700.0));
  if (s.find("loosen eps") != std::string::npos) {
    char buf[200];
    if (floor >= 1) {
      for (const char* loosen : {"loosen eps, ", "loosen eps or "})
        if (const auto at = s.find(loosen); at != std::string::npos) s.erase(at, std::string(loosen).size());
      std::snprintf(buf, sizeof buf, " (no eps < 1 can be certified at R = %.4g: the %s floor u e^{2R} = %.3g is >= 1)",
                    r.radius, precision == Precision::float32 ? "float32" : "double", floor);
      s += buf;
    } else {
      std::snprintf(buf, sizeof buf, "loosen eps (to no less than the floor u e^{2R} = %.3g)", floor);
      s.replace(s.find("loosen eps"), 10, buf);
    }
  }
  if (r.degree_estimated) {
    char buf[640];
    std::snprintf(buf, sizeof buf,
                  ". The instance's entry bound is B = %.4g (score radius R = %.4g), which needs degree g ~ %d "
                  "and rank r = C(d+g, g) ~ %.4g for a certified error; the paper's lower bound (Theorem 1.3) "
                  "predicts this: past B ~ (log n)^{1/k} no subcubic algorithm exists under SETH",
                  r.entry_bound, r.radius, r.degree, r.rank);
    s += buf;
  }
  return s;
}

class PolyBackend final : public Backend {
 public:
  std::string name() const override { return "poly"; }

  const BackendCapabilities& capabilities() const override {
    static const BackendCapabilities caps = [] {
      BackendCapabilities c;
      c.window_note = "causal windows break the low-rank factorization of Lemma C.3";
      c.gradient = true;
      c.paper_gradient = true;  // paper 002 Theorem 1 (poly_paper_gradient)
      c.approximate = true;
      c.summary = "poly: the polynomial method (Algorithm 1), certified error, fast for small entries";
      return c;
    }();
    return caps;
  }

  BackendPlan plan(const AttentionInstance& inst, const BackendOptions& options) const override {
    check_capabilities(inst, options);  // the call below validates the instance
    const PolyOptions popt = poly_options(options);
    const PolyReport rep = plan_poly_attention(inst, popt);
    BackendPlan p;
    p.bytes = rep.bytes;
    p.refusal = refusal_text(rep, options.precision);
    if (rep.polynomial) p.prepared = *rep.polynomial;
    p.details = poly_details(rep, options.eps);
    return p;
  }

  BackendResult run(const AttentionInstance& inst, const BackendOptions& options) const override {
    const BackendPlan p = plan(inst, options);
    if (!p.runnable()) throw SizeLimitError(p.refusal);
    PolyOptions popt = poly_options(options);
    popt.polynomial = std::any_cast<ExpPolynomial>(p.prepared);  // certified once
    PolyAttentionResult res = poly_attention(inst, popt);
    BackendResult r;
    r.out = std::move(res.out);
    r.report = base_report(inst, options);
    r.report.seconds = r.out.seconds;
    r.report.bytes = res.report.bytes;
    r.report.error_bound = res.report.error_bound;
    r.report.log_d_bound = res.report.log_d_bound;
    r.report.rounding_counted = true;
    r.report.details = poly_details(res.report, options.eps, true);
    return r;
  }

  BackendPlan plan_gradient(const AttentionInstance& inst, const BackendOptions& options) const override {
    check_gradient_supported(inst, options);
    BackendPlan p = plan(inst, options);
    if (!p.runnable()) return p;
    p.bytes = poly_attention_gradient_bytes(inst, p.details["rank"].get<double>());
    p.refusal = size_refusal("the gradient's working memory", p.bytes, options.max_bytes,
                             "raise --max-bytes, loosen --eps, or use --backend exact");
    return p;
  }

  GradientResult gradient(const AttentionInstance& inst, const DenseMatrix& target,
                          const BackendOptions& options) const override {
    const BackendPlan p = plan_gradient(inst, options);
    if (!p.runnable()) throw SizeLimitError(p.refusal);
    PolyOptions popt = poly_options(options);
    popt.polynomial = std::any_cast<ExpPolynomial>(p.prepared);
    PolyAttentionGradient pg = poly_attention_gradient(inst, target, popt);
    GradientResult r;
    r.gradient = std::move(pg.gradient);
    r.report = base_report(inst, options);
    r.report.seconds = r.gradient.forward_seconds + r.gradient.backward_seconds;
    r.report.bytes = p.bytes;
    r.report.error_bound = pg.report.error_bound;
    r.report.log_d_bound = pg.report.log_d_bound;
    r.report.rounding_counted = true;
    r.report.details = poly_details(pg.report, options.eps, true);
    r.loss_bound = pg.loss_bound;
    r.d_q_bound = pg.d_q_bound;
    r.d_key_bounds = pg.d_key_bounds;
    r.d_value_bounds = pg.d_value_bounds;
    r.error_bound = pg.error_bound;
    return r;
  }
};

}  // namespace

const Backend& poly_backend() {
  static const PolyBackend backend;
  return backend;
}

}  // namespace sethkit::attention
