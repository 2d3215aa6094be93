// Deciding a reduced attention instance row by row (DESIGN.md "The chain":
// ATAttC_k --backend--> per-row decisions --> answer + witness), for
// instances built by reductions/maxip_to_attention (their manifest holds the
// threshold and the row map).
//
// Row i is YES iff log O[i,0] >= threshold. O underflows double on these
// instances (scores reach beta/2), so log O is evaluated in the log domain:
//   log O_i = log N_i - log D_i,
// where log D_i is the backend's log-normalizer of the full instance and
// log N_i = log sum_{data tuples} exp(S) is the log-normalizer of the same
// attention restricted to the data rows (the rows with V = 1). Since V is the
// data-row indicator, N_i is exactly the numerator sum_j A_ij V_j of O_i.
// Both come from the same backend, so its certified bounds cover both.
#pragma once

#include <string>
#include <vector>

#include "attention/exact_attention.hpp"
#include "problems/attention_instance.hpp"

namespace sethkit::solvers {

struct AttentionDecideOptions {
  std::string backend = "exact";  // a name in attention::backend_names() (InputError otherwise)
  double eps = 1e-6;  // approximate backends: target certified relative error
  double max_bytes = double(1 << 30);  // working memory of the backend, per run
  // float32 with backend "exact" means the certified float32 backend
  // ("float", attention/backend_float.hpp): the exact kernel in float32 with
  // its rounding bound, never an uncertified float32 run.
  attention::Precision precision = attention::Precision::float64;
};

struct AttentionRowDecisions {
  std::vector<double> log_o;  // per query row
  std::vector<bool> yes;      // log_o >= threshold
  double threshold = 0;
  double seconds = 0;
  std::string backend;
  double log_o_error = 0;  // certified |log O~_i - log O_i|, the largest over rows (0 for exact backends: rounding-free)
  std::vector<double> log_o_errors;  // per row (the float backend's bound is per row)
  std::string details;     // approximate backends: the report's numbers (poly: degree, rank, radius)
};

// Requires inst.manifest with threshold and row_map (InputError otherwise).
// The backend comes from the registry (attention/backend.hpp) and is planned
// once (poly: one certificate for both runs). A row is decided only when
// log O~_i +- the backend's certified log-domain bound (the sum of its
// log_d_bound, per row where the backend gives one, on the full and on the
// data-rows instance) lies strictly on one
// side of the threshold: a straddling row is refused (SizeLimitError), never
// guessed. A plan refusal is a SizeLimitError with the backend's reason (poly:
// the B of the instance, the degree and rank it would need).
AttentionRowDecisions decide_attention_rows(const AttentionInstance& inst,
                                            const AttentionDecideOptions& options = {});

}  // namespace sethkit::solvers
