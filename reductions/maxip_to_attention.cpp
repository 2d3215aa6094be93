#include "reductions/maxip_to_attention.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/deadline.hpp"
#include "core/errors.hpp"

namespace sethkit::reductions {
namespace {

double log_sum_exp(std::initializer_list<double> terms) {
  double m = -std::numeric_limits<double>::infinity();
  for (double t : terms) m = std::max(m, t);
  if (!std::isfinite(m)) return m;
  double s = 0;
  for (double t : terms) s += std::exp(t - m);
  return m + std::log(s);
}

struct Shape {
  double log_data_tuples = 0;     // log prod n_p over the key parties
  double log_mixed = -INFINITY;   // log(prod 2 n_p - 2 prod n_p)
  double ip_max = 0, ip_min = 0;  // bounds on any k-wise inner product
  double scale = 0;               // 1 / d~
  double d = 0;
};

Shape shape_of(const MaxIpInstance& inst) {
  Shape s;
  s.d = inst.d;
  s.scale = 1.0 / (2.0 * inst.d);
  for (int p = 1; p < inst.k; ++p) {
    s.log_data_tuples += std::log(double(inst.parties[std::size_t(p)].size()));
  }
  // prod 2n_p - 2 prod n_p = prod n_p (2^{k-1} - 2): zero for k = 2.
  if (inst.k > 2) s.log_mixed = s.log_data_tuples + std::log(std::ldexp(1.0, inst.k - 1) - 2.0);
  bool nonnegative = true;
  for (int j = 0; j < inst.d; ++j) {
    double prod = 1;
    for (const auto& party : inst.parties) {
      check_deadline();  // --timeout: one check per column and party
      int32_t m = 0;
      for (std::size_t i = 0; i < party.size(); ++i) {
        m = std::max(m, std::abs(party.row(i)[j]));
        nonnegative = nonnegative && party.row(i)[j] >= 0;
      }
      prod *= m;
    }
    s.ip_max += prod;
  }
  s.ip_min = nonnegative ? 0 : -s.ip_max;
  return s;
}

DenominatorBounds bounds_for(const Shape& s, double beta) {
  const double sb = s.scale * beta;
  DenominatorBounds b;
  // data tuples + mixed tuples (score 0) + padding tuples (score s*beta*d);
  // there are as many padding tuples as data tuples.
  b.log_max = log_sum_exp({s.log_data_tuples + sb * s.ip_max, s.log_mixed, s.log_data_tuples + sb * s.d});
  b.log_min = log_sum_exp({s.log_data_tuples + sb * s.ip_min, s.log_mixed, s.log_data_tuples + sb * s.d});
  return b;
}

struct Separation {
  double yes_min, no_max;
};

Separation separation(const Shape& s, const MaxIpGap& gap, double beta) {
  const DenominatorBounds b = bounds_for(s, beta);
  const double sb = s.scale * beta;
  return {sb * double(gap.threshold) - b.log_max, s.log_data_tuples + sb * double(gap.no_bound) - b.log_min};
}

}  // namespace

double attention_embedding_bytes(int d, const std::vector<std::size_t>& sizes) {
  double cells = sizes.empty() ? 0 : double(sizes[0]) * 2.0 * double(d);
  for (std::size_t p = 1; p < sizes.size(); ++p) cells += 2.0 * double(sizes[p]) * (2.0 * double(d) + 1.0);
  return 8.0 * cells;
}

void check_attention_embedding_size(int d, const std::vector<std::size_t>& sizes, double max_bytes) {
  check_size("the attention instance (d~ = " + std::to_string(2 * std::size_t(d)) + ")",
             attention_embedding_bytes(d, sizes), max_bytes, "raise --max-bytes");
}

DenominatorBounds denominator_bounds(const MaxIpInstance& inst, double beta) {
  return bounds_for(shape_of(inst), beta);
}

AttentionEmbedding maxip_to_attention(const MaxIpInstance& inst, double eps_a, double max_bytes) {
  if (!inst.gap) throw InputError("", "the MaxIP instance has no threshold ('t' line): nothing to decide");
  if (inst.d < 1) throw InputError("", "MaxIP dimension 0: the attention instance would have no coordinates");
  if (!(eps_a > 0 && eps_a < 0.5)) throw InputError("", "backend error eps_a must be in (0, 0.5)");
  for (const auto& party : inst.parties)
    if (party.size() == 0) throw InputError("", "a MaxIP party is empty: every row is NO, nothing to embed");
  const int k = inst.k;
  const auto d = static_cast<std::size_t>(inst.d);
  check_attention_embedding_size(inst.d, inst.sizes(), max_bytes);

  const Shape shape = shape_of(inst);
  if (shape.ip_max > shape.d)
    throw InputError("", "entries too large for Lemma B.1: inner products can reach " + std::to_string(shape.ip_max) +
                             " > d = " + std::to_string(inst.d) + ", so padding cannot bound D_i");
  const MaxIpGap gap = *inst.gap;
  // Required gap between the certified bounds, in the log domain.
  const double delta = std::log((1 + eps_a) / (1 - eps_a));
  const double target = 2 * delta + std::log(2.0);
  auto ok = [&](double beta) {
    const Separation sep = separation(shape, gap, beta);
    return sep.yes_min - sep.no_max >= target;
  };
  double hi = 1;
  while (!ok(hi)) {
    hi *= 2;
    if (hi > 1e300) throw InputError("", "no beta separates YES from NO rows for this instance");
  }
  double lo = hi / 2;
  if (ok(lo)) lo = 0;
  for (int it = 0; it < 200 && hi - lo > 1e-9 * hi; ++it) {
    const double mid = 0.5 * (lo + hi);
    (ok(mid) ? hi : lo) = mid;
  }
  const double beta = hi;
  const Separation sep = separation(shape, gap, beta);

  AttentionEmbedding out;
  out.beta = beta;
  out.entry_bound = std::pow(beta, 1.0 / k);
  out.log_o_yes_min = sep.yes_min;
  out.log_o_no_max = sep.no_max;
  out.log_threshold = 0.5 * (sep.yes_min + sep.no_max);
  out.eps_a = eps_a;
  {
    // The paper's Eq. (3): B = C_b (log n)^{1/k}, C_b = sqrt(40 C / (C_0 eps)),
    // with d = C log n, t = C_0 log n, eps = 1 - no_bound / threshold.
    std::size_t n = 0;
    for (const auto& party : inst.parties) n = std::max(n, party.size());
    const double log_n = std::log(std::max<double>(double(n), 2.0));
    const double eps = gap.threshold > 0 ? 1.0 - double(gap.no_bound) / double(gap.threshold) : 1.0;
    const double c = double(inst.d) / log_n, c0 = std::max(double(gap.threshold), 1.0) / log_n;
    out.paper_entry_bound = std::sqrt(40.0 * c / (c0 * eps)) * std::pow(log_n, 1.0 / k);
  }

  const double b = out.entry_bound;
  // --timeout: a deadline check about every 2^20 entries written.
  DeadlinePoller poll(static_cast<unsigned>(std::max<std::size_t>(1, (std::size_t(1) << 20) / std::max<std::size_t>(1, d))));
  DenseMatrix q(inst.parties[0].size(), 2 * d);
  for (std::size_t i = 0; i < q.rows; ++i)
    for (std::size_t j = 0; j < d; ++j) {
      if (j == 0) poll.poll();
      q(i, j) = b * inst.parties[0].row(i)[j];
      q(i, d + j) = b;
    }
  std::vector<DenseMatrix> keys, values;
  std::vector<std::vector<int64_t>> row_map(1);
  for (std::size_t i = 0; i < q.rows; ++i) row_map[0].push_back(int64_t(i));
  for (int p = 1; p < k; ++p) {
    const IntVectors& party = inst.parties[std::size_t(p)];
    const std::size_t n = party.size();
    DenseMatrix key(2 * n, 2 * d), value(2 * n, 1);
    std::vector<int64_t> map;
    for (std::size_t i = 0; i < n; ++i) {
      poll.poll();
      for (std::size_t j = 0; j < d; ++j) key(i, j) = b * party.row(i)[j];
      value(i, 0) = 1;
      map.push_back(int64_t(i));
    }
    for (std::size_t i = n; i < 2 * n; ++i) {
      poll.poll();
      for (std::size_t j = 0; j < d; ++j) key(i, d + j) = b;
      map.push_back(-1);
    }
    keys.push_back(std::move(key));
    values.push_back(std::move(value));
    row_map.push_back(std::move(map));
  }
  out.instance = make_attention_instance(std::move(q), std::move(keys), std::move(values));
  AttentionManifest manifest;
  manifest.beta = beta;
  manifest.threshold = out.log_threshold;
  manifest.row_map = std::move(row_map);
  manifest.extra = {
      {"decision", "row i is YES iff log O[i,0] >= threshold (natural log)"},
      {"entry_bound_B", out.entry_bound},
      {"paper_entry_bound_B", out.paper_entry_bound},
      {"backend_relative_error", eps_a},
      {"log_o_yes_min", out.log_o_yes_min},
      {"log_o_no_max", out.log_o_no_max},
      {"maxip_threshold", gap.threshold},
      {"maxip_no_bound", gap.no_bound},
      {"lemma", "paper 001 Lemma B.1, generalized to k = " + std::to_string(k)}};
  out.instance.manifest = manifest;
  return out;
}

}  // namespace sethkit::reductions
