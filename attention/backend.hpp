// The registry of attention backends (issue 13 part 3): every caller that
// computes attention - the CLI's attention, grad and solve, the row decider,
// the Python package to come - names a backend and reaches it only through
// this interface, so a new backend is one file plus one registry line
// (attention/backend_registry.cpp).
//
// Each backend states what it supports (orders k, causal windows, float and
// double, the gradient, the oracle form), plans a run (bytes, or a refusal
// with advice that can work) and runs it, returning O, log D and certified
// error bounds with a report that serialises itself to JSON (DESIGN.md "JSON
// of attention --json").
//
// Certified bounds and the rounding-free convention. error_bound bounds
// |O~[i,c] - O[i,c]| for every entry and log_d_bound bounds |log D~_i - log D_i|
// for every row with an allowed tuple, where O, D are paper 001 Definition
// 1.1/1.5 evaluated in exact arithmetic on the given inputs. A backend whose
// method is exact (exact, reference) reports zero-width bounds under the
// rounding-free convention: the floating-point rounding of its working
// precision (a few ulps relative per row; more in float32) is not counted and
// report.rounding_counted is false. A backend with rounding_counted true (poly)
// includes its rounding in the bound (attention/poly_attention.hpp).
//
//   const sethkit::attention::Backend& b = sethkit::attention::find_backend("reference");
//   sethkit::attention::BackendOptions opt;
//   opt.window = sethkit::attention::CausalWindow{4, 8};
//   if (auto plan = b.plan(inst, opt); !plan.runnable()) throw SizeLimitError(plan.refusal);
//   sethkit::attention::BackendResult r = b.run(inst, opt);
//   std::cout << r.report.to_json().dump(2);
#pragma once

#include <any>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "attention/exact_attention.hpp"
#include "attention/gradient.hpp"
#include "problems/attention_instance.hpp"

namespace sethkit::attention {

// What a backend supports; check_supported refuses the rest with a message.
struct BackendCapabilities {
  int min_k = 2;
  int max_k = 0;               // 0: no upper limit
  bool windows = false;        // causal windows (k = 3, CausalWindow)
  std::string window_note;     // why not, when windows is false (in the refusal)
  bool float32 = true;
  bool float64 = true;
  bool gradient = false;       // plan_gradient / gradient (attention form)
  bool paper_gradient = false; // grad --paper (paper 002 Definition 1)
  bool oracle = false;         // run_oracle (implicit scores, OracleInstance)
  bool approximate = false;    // reads eps; bounds are nonzero
  std::string summary;         // one line for --help
};

// Options every backend reads; a backend ignores what it does not support
// only where the capability check let it through (eps for exact backends).
struct BackendOptions {
  std::optional<double> scale;          // unset: the instance's scale
  std::optional<CausalWindow> window;   // k = 3, backends with windows only
  Precision precision = Precision::float64;
  double eps = 1e-6;                    // approximate backends: target relative error, in (0, 1)
  int threads = 0;                      // 0: OpenMP's default
  double max_bytes = kExactMaxBytes;    // refuse a run above this (SizeLimitError naming --max-bytes)
  // The exact backend only: Q is a slice of a larger query side (an MPI
  // rank's rows, tools/rank_rows.cpp); see exact_attention.hpp QuerySlice.
  QuerySlice slice;
  // What a plan of this backend prepared for reuse (BackendPlan::prepared;
  // poly: the certified polynomial, valid for any instance whose score radius
  // is at most the planned one). Empty: the run plans itself.
  std::any prepared;
};

struct BackendPlan {
  double bytes = 0;       // what the run allocates (output and scratch, not the instance)
  std::string refusal;    // empty iff runnable; else what, the size, and advice that can work
  std::any prepared;      // see BackendOptions::prepared
  nlohmann::json details = nlohmann::json::object();  // backend-specific plan fields (poly: degree, rank)
  bool runnable() const { return refusal.empty(); }
};

struct BackendReport {
  std::string backend;
  int k = 0;
  std::vector<std::size_t> n;  // n_q, n_1, .., n_{k-1}
  std::size_t d = 0, d_v = 0;
  double scale = 0;
  Precision precision = Precision::float64;
  std::optional<CausalWindow> window;
  double seconds = 0;
  double bytes = 0;
  double error_bound = 0;   // |O~ - O| <= this, entrywise (see the header comment)
  double log_d_bound = 0;   // |log D~_i - log D_i| <= this
  bool rounding_counted = false;  // false: the rounding-free convention (exact backends)
  nlohmann::json details = nlohmann::json::object();  // backend-specific fields, merged into to_json

  // The one serialisation of a backend run (DESIGN.md "JSON of attention
  // --json"): backend, k, n, d, d_v, scale, precision, window (if any),
  // seconds, bytes, error_bound, log_d_bound (null when infinite),
  // rounding_counted, then every field of details.
  nlohmann::json to_json() const;
};

struct BackendResult {
  AttentionOutput out;  // O (n_q x d_v) and log D (n_q)
  BackendReport report;
  // Per-row certified |log D~_i - log D_i| (float: attention/backend_float.hpp);
  // empty: report.log_d_bound for every row.
  std::vector<double> log_d_row_bounds;
  double log_d_bound(std::size_t row) const {
    return log_d_row_bounds.empty() ? report.log_d_bound : log_d_row_bounds[row];
  }
};

// The gradient of 0.5 ||O - E||_F^2 (attention/gradient.hpp) through a backend.
struct GradientResult {
  AttentionGradient gradient;
  BackendReport report;  // the forward's report (bounds on O~)
  // Certified entrywise bounds on |this gradient - the exact gradient| (0 for
  // exact backends, rounding-free convention); +inf when a row failed.
  double loss_bound = 0;
  double d_q_bound = 0;
  std::vector<double> d_key_bounds, d_value_bounds;  // per side
  double error_bound = 0;  // the largest of the above

  // report.details plus output_error_bound (report.error_bound), error_bounds
  // {loss, dQ, dK1.., dV1..} and error_bound; null where infinite.
  nlohmann::json bounds_json() const;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  virtual const BackendCapabilities& capabilities() const = 0;

  // Throws InputError unless the instance validates and the options are
  // within the capabilities: k in [min_k, max_k], a window only for k = 3 and
  // a backend with windows ("--window is not supported by the poly backend
  // (...); use --backend exact"), a supported precision, eps in (0, 1) for an
  // approximate backend, threads in 0..kMaxThreads, a finite scale.
  void check_supported(const AttentionInstance& inst, const BackendOptions& options) const;

  // The bytes of run(inst, options), or its refusal; no work beyond sizes
  // (poly: the degree search). Calls check_supported first.
  virtual BackendPlan plan(const AttentionInstance& inst, const BackendOptions& options) const = 0;
  // Throws SizeLimitError with the plan's refusal exactly when plan refuses.
  virtual BackendResult run(const AttentionInstance& inst, const BackendOptions& options) const = 0;

  // Oracle form (exact_attention_oracle); InputError unless capabilities().oracle.
  virtual BackendResult run_oracle(const OracleInstance& inst, const BackendOptions& options) const;

  // The attention-form gradient; InputError unless capabilities().gradient
  // (windows are not supported by any gradient yet).
  virtual BackendPlan plan_gradient(const AttentionInstance& inst, const BackendOptions& options) const;
  virtual GradientResult gradient(const AttentionInstance& inst, const DenseMatrix& target,
                                  const BackendOptions& options) const;

 protected:
  // check_supported without inst.validate(), for backends whose underlying
  // function validates the instance itself (one pass over the data, not two).
  void check_capabilities(const AttentionInstance& inst, const BackendOptions& options) const;
  // The common fields of a report (backend, k, n, d, d_v, scale, precision, window).
  BackendReport base_report(const AttentionInstance& inst, const BackendOptions& options) const;
  void check_gradient_supported(const AttentionInstance& inst, const BackendOptions& options) const;
};

// Every registered backend, in registry order (exact first).
const std::vector<const Backend*>& backends();
// Their names, in registry order.
std::vector<std::string> backend_names();
// The backend called name; InputError "unknown attention backend 'x'; known
// backends: exact, poly, reference" otherwise.
const Backend& find_backend(std::string_view name);
// "exact|poly|reference" style list of the backends for which keep(b) holds.
std::string backend_list(const std::string& separator, bool (*keep)(const Backend&) = nullptr);

// The message check_size(what, bytes, limit, hint) would throw, or "" when
// bytes <= limit: plans and runs refuse with the same words.
std::string size_refusal(const std::string& what, double bytes, double limit, const std::string& hint);

}  // namespace sethkit::attention
