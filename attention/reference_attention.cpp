#include "attention/reference_attention.hpp"

#include <cmath>
#include <limits>

#include "core/errors.hpp"

namespace sethkit::attention {

AttentionOutput reference_attention(const AttentionInstance& inst, double scale,
                                    const std::optional<CausalWindow>& window) {
  inst.validate();
  if (window && inst.k != 3)
    throw InputError("", "causal windows (w1, w2) are defined for k = 3 only");
  const std::size_t sides = inst.keys.size(), d = inst.d(), dv = inst.d_v();
  AttentionOutput out;
  out.rows = inst.n_q();
  out.cols = dv;
  out.o.assign(out.rows * dv, 0.0);
  out.log_d.assign(out.rows, -std::numeric_limits<double>::infinity());

  auto allowed = [&](std::size_t i, const std::vector<std::size_t>& j) {
    if (!window) return true;
    const auto ii = static_cast<int64_t>(i);
    const auto j1 = static_cast<int64_t>(j[0]), j2 = static_cast<int64_t>(j[1]);
    return ii - window->w1 < j1 && j1 <= ii && ii - window->w2 < j2 && j2 <= ii;
  };
  auto score = [&](std::size_t i, const std::vector<std::size_t>& j) {
    long double s = 0;
    for (std::size_t c = 0; c < d; ++c) {
      long double term = inst.q(i, c);
      for (std::size_t p = 0; p < sides; ++p) term *= inst.keys[p](j[p], c);
      s += term;
    }
    return static_cast<long double>(scale) * s;
  };
  // Odometer over all key tuples (j_1, ..., j_{k-1}), j_1 fastest.
  auto next = [&](std::vector<std::size_t>& j) {
    for (std::size_t p = 0; p < sides; ++p) {
      if (++j[p] < inst.keys[p].rows) return true;
      j[p] = 0;
    }
    return false;
  };

  std::vector<long double> acc(dv);
  for (std::size_t i = 0; i < out.rows; ++i) {
    std::vector<std::size_t> j(sides, 0);
    long double m = -std::numeric_limits<long double>::infinity();
    bool any = false;
    do {
      if (!allowed(i, j)) continue;
      any = true;
      m = std::max(m, score(i, j));
    } while (next(j));
    if (!any) continue;  // O = 0, log D = -inf
    long double l = 0;
    std::fill(acc.begin(), acc.end(), 0.0L);
    j.assign(sides, 0);
    do {
      if (!allowed(i, j)) continue;
      const long double a = std::exp(score(i, j) - m);
      l += a;
      for (std::size_t c = 0; c < dv; ++c) {
        long double v = a;
        for (std::size_t p = 0; p < sides; ++p) v *= inst.values[p](j[p], c);
        acc[c] += v;
      }
    } while (next(j));
    for (std::size_t c = 0; c < dv; ++c) out.o[i * dv + c] = static_cast<double>(acc[c] / l);
    out.log_d[i] = static_cast<double>(m + std::log(l));
  }
  return out;
}

}  // namespace sethkit::attention
