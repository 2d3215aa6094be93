// Exact k-MaxIP by brute force over all k-tuples (paper 001 Definition A.2;
// the Gap decision of Definition 4.6), for explicit instances and for
// implicit ones whose inner product is a callback (the Gap-MaxIP vectors of
// the protocol route have astronomically many coordinates).
//
//   MaxIpResult r = maximize_inner_product(inst, inst.gap->threshold);
//   bool yes = r.best >= inst.gap->threshold;   // r.argmax is the witness
//
// OpenMP over the first party; with stop_at set, all threads stop once some
// tuple reaches it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "problems/maxip_instance.hpp"

namespace sethkit::solvers {

struct MaxIpResult {
  int64_t best = INT64_MIN;           // the maximum (or a value >= stop_at)
  std::vector<std::size_t> argmax;    // a tuple attaining best
  bool stopped_early = false;
};

struct ImplicitMaxIp {
  int k = 0;
  std::vector<std::size_t> sizes;
  // Must be safe to call concurrently from several threads.
  std::function<int64_t(const std::vector<std::size_t>&)> inner_product;
};

MaxIpResult maximize_inner_product(const MaxIpInstance& inst, std::optional<int64_t> stop_at = std::nullopt);
MaxIpResult maximize_inner_product(const ImplicitMaxIp& inst, std::optional<int64_t> stop_at = std::nullopt);

// The best tuple whose first-party vector is `first` (the witness of one YES
// row of the attention decider).
MaxIpResult maximize_with_first(const MaxIpInstance& inst, std::size_t first);

enum class GapAnswer { yes, no, promise_violated };
// YES iff best >= threshold; NO iff best <= no_bound; otherwise the instance
// broke the gap promise (a bug in whatever built it).
GapAnswer gap_answer(int64_t best, const MaxIpGap& gap);

}  // namespace sethkit::solvers
