#include "reductions/sat_to_kov.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include "core/errors.hpp"

namespace sethkit::reductions {

VariableSplit split_variables(int num_vars, int k) {
  if (k < 2 || k > kMaxOrder)
    throw InputError("", "order k = " + std::to_string(k) + " is outside 2.." + std::to_string(kMaxOrder));
  VariableSplit split;
  int next = 1;
  for (int p = 0; p < k; ++p) {
    const int size = num_vars / k + (p < num_vars % k ? 1 : 0);
    split.first_var.push_back(next);
    split.size.push_back(size);
    next += size;
  }
  return split;
}

double sat_to_kov_bytes(const Cnf& cnf, int k) {
  const VariableSplit split = split_variables(cnf.num_vars, k);
  double vectors = 0;
  for (int s : split.size) vectors += std::ldexp(1.0, s);
  // At least one word a vector: with no clauses (d = 0) the vectors take no
  // storage, but the solvers still spend that much on each.
  return vectors * 8.0 * double(std::max<std::size_t>(words_for_bits(static_cast<int>(cnf.num_clauses())), 1));
}

void check_sat_to_kov_size(const Cnf& cnf, int k, double max_bytes) {
  const VariableSplit split = split_variables(cnf.num_vars, k);
  if (cnf.num_clauses() > static_cast<std::size_t>(kMaxKovDimension))
    throw SizeLimitError("kOV dimension would be " + std::to_string(cnf.num_clauses()) +
                         " clauses, above the limit " + std::to_string(kMaxKovDimension));
  if (std::ldexp(1.0, split.size[0]) > double(kMaxPartyVectors))  // party 1 is the largest
    throw SizeLimitError("the kOV instance would have 2^" + std::to_string(split.size[0]) +
                         " vectors in party 1, above the limit 2^33; use a larger k (at most " +
                         std::to_string(kMaxOrder) + ")");
  check_size("the kOV instance (" + std::to_string(k) + " parties, 2^" +
                 std::to_string(split.size[0]) + " vectors each, d = " +
                 std::to_string(cnf.num_clauses()) + ")",
             sat_to_kov_bytes(cnf, k), max_bytes, "use a larger k or a larger --max-bytes");
}

KOvInstance sat_to_kov(const Cnf& cnf, int k, double max_bytes) {
  const VariableSplit split = split_variables(cnf.num_vars, k);
  check_sat_to_kov_size(cnf, k, max_bytes);

  KOvInstance inst;
  inst.k = k;
  inst.d = static_cast<int>(cnf.num_clauses());
  for (int p = 0; p < k; ++p) {
    const int lo = split.first_var[p], hi = lo + split.size[p];  // [lo, hi)
    const std::size_t count = std::size_t(1) << split.size[p];
    PackedVectors party(count, inst.d);
    // Per clause: which literals of this group it has, as masks over alpha.
    for (int j = 0; j < inst.d; ++j) {
      uint64_t pos = 0, neg = 0;  // bit t: variable lo+t occurs positively / negatively
      for (int lit : cnf.clauses[static_cast<std::size_t>(j)]) {
        const int v = std::abs(lit);
        if (v < lo || v >= hi) continue;
        (lit > 0 ? pos : neg) |= uint64_t(1) << (v - lo);
      }
      for (std::size_t alpha = 0; alpha < count; ++alpha) {
        // alpha satisfies a literal of clause j iff some positive literal's
        // variable is 1 or some negative literal's variable is 0.
        const bool satisfied = (alpha & pos) != 0 || (~alpha & neg) != 0;
        if (!satisfied) party.set(alpha, j, true);
      }
    }
    inst.parties.push_back(std::move(party));
  }
  return inst;
}

std::vector<bool> kov_witness_to_assignment(const VariableSplit& split,
                                            const std::vector<std::size_t>& index) {
  int n = 0;
  for (int s : split.size) n += s;
  std::vector<bool> assignment(static_cast<std::size_t>(n));
  for (std::size_t p = 0; p < split.size.size(); ++p)
    for (int t = 0; t < split.size[p]; ++t)
      assignment[static_cast<std::size_t>(split.first_var[p] - 1 + t)] = (index[p] >> t) & 1u;
  return assignment;
}

std::vector<std::size_t> assignment_to_kov_tuple(const VariableSplit& split,
                                                 const std::vector<bool>& assignment) {
  std::vector<std::size_t> index(split.size.size(), 0);
  for (std::size_t p = 0; p < split.size.size(); ++p)
    for (int t = 0; t < split.size[p]; ++t)
      if (assignment[static_cast<std::size_t>(split.first_var[p] - 1 + t)]) index[p] |= std::size_t(1) << t;
  return index;
}

}  // namespace sethkit::reductions
