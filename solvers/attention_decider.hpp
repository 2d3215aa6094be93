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
// Both come from the same backend, so its error bound covers both.
#pragma once

#include <string>
#include <vector>

#include "attention/exact_attention.hpp"
#include "problems/attention_instance.hpp"

namespace sethkit::solvers {

enum class AttentionBackend { exact, poly };

struct AttentionDecideOptions {
  AttentionBackend backend = AttentionBackend::exact;
  double eps = 1e-6;  // poly: target certified relative error of P ~ exp
  double max_bytes = double(1 << 30);  // working memory of the backend, per run
};

struct AttentionRowDecisions {
  std::vector<double> log_o;  // per query row
  std::vector<bool> yes;      // log_o >= threshold
  double threshold = 0;
  double seconds = 0;
  std::string backend;
  double log_o_error = 0;  // certified |log O~_i - log O_i| (0 for exact)
  std::string details;     // poly: degree, rank, R
};

// Requires inst.manifest with threshold and row_map (InputError otherwise).
// poly: a row is decided only when log O~_i +- the certified error lies on
// one side of the threshold; otherwise, and whenever the polynomial method
// cannot certify its error at the instance's entry bound, SizeLimitError
// with the B of the instance, the degree and rank it would need.
AttentionRowDecisions decide_attention_rows(const AttentionInstance& inst,
                                            const AttentionDecideOptions& options = {});

}  // namespace sethkit::solvers
