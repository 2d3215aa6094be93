// The long-double reference of the certified backends' tests: every allowed
// tuple enumerated (64-bit significand: its own rounding is ~1e-19 relative,
// far below the float32 and double bounds tested), with log D, O and log N.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "attention/exact_attention.hpp"
#include "problems/attention_instance.hpp"

namespace sethkit::testing_support {

using attention::CausalWindow;

struct Truth {
  std::vector<long double> log_d;  // per row (-inf: no allowed tuple)
  std::vector<long double> o;      // n_q x d_v
  std::vector<long double> log_n;  // n_q x d_v: log sum exp(S) V (nonnegative V), -inf for 0
};

// w: FBGEMM's causal window (k = 3); a row with no allowed tuple keeps
// log D = -inf and O = 0.
inline Truth brute_force(const AttentionInstance& inst, double scale, const std::optional<CausalWindow>& w = std::nullopt) {
  const std::size_t sides = inst.keys.size(), d = inst.d(), dv = inst.d_v();
  Truth t;
  t.log_d.assign(inst.n_q(), -std::numeric_limits<long double>::infinity());
  t.o.assign(inst.n_q() * dv, 0.0L);
  t.log_n.assign(inst.n_q() * dv, -std::numeric_limits<long double>::infinity());
  for (std::size_t i = 0; i < inst.n_q(); ++i) {
    std::vector<long double> scores;
    std::vector<std::vector<long double>> vals;
    std::vector<std::size_t> j(sides, 0);
    for (bool more = true; more;) {
      const bool allowed = !w || (int64_t(i) - w->w1 < int64_t(j[0]) && j[0] <= i && int64_t(i) - w->w2 < int64_t(j[1]) &&
                                  j[1] <= i);
      if (allowed) {
        long double s = 0;
        for (std::size_t c = 0; c < d; ++c) {
          long double term = inst.q(i, c);
          for (std::size_t p = 0; p < sides; ++p) term *= inst.keys[p](j[p], c);
          s += term;
        }
        scores.push_back(static_cast<long double>(scale) * s);
        std::vector<long double> v(dv, 1.0L);
        for (std::size_t c = 0; c < dv; ++c)
          for (std::size_t p = 0; p < sides; ++p) v[c] *= inst.values[p](j[p], c);
        vals.push_back(v);
      }
      std::size_t p = 0;
      while (p < sides && ++j[p] == inst.keys[p].rows) j[p++] = 0;
      more = p < sides;
    }
    if (scores.empty()) continue;
    long double m = scores[0];
    for (long double s : scores) m = std::max(m, s);
    long double sum = 0;
    std::vector<long double> num(dv, 0.0L);
    for (std::size_t l = 0; l < scores.size(); ++l) {
      const long double a = std::exp(scores[l] - m);
      sum += a;
      for (std::size_t c = 0; c < dv; ++c) num[c] += a * vals[l][c];
    }
    t.log_d[i] = m + std::log(sum);
    for (std::size_t c = 0; c < dv; ++c) {
      t.o[i * dv + c] = num[c] / sum;
      if (num[c] > 0) t.log_n[i * dv + c] = m + std::log(num[c]);
    }
  }
  return t;
}

}  // namespace sethkit::testing_support
