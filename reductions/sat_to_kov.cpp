#include "reductions/sat_to_kov.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include "core/deadline.hpp"
#include "core/errors.hpp"

namespace sethkit::reductions {
namespace {
// Vectors of one party filled between two deadline checks (--timeout).
constexpr std::size_t kDeadlineBlock = std::size_t(1) << 16;
}  // namespace

VariableSplit split_variables(int num_vars, int k) {
  if (k < 2 || k > kMaxOrder)
    throw InputError("", "order k = " + std::to_string(k) + " is outside 2.." + std::to_string(kMaxOrder));
  VariableSplit split;
  int next = 1;
  for (int p = 0; p < k; ++p) {
    const int size = num_vars / k + (p < num_vars % k ? 1 : 0);
    split.first_var.push_back(next);
    split.size.push_back(size);
    split.vars.emplace_back();
    for (int t = 0; t < size; ++t) split.vars.back().push_back(next + t);
    next += size;
  }
  return split;
}

namespace {

int parse_variable(const std::string& text, const std::string& spec) {
  std::size_t used = 0;
  long v = 0;
  try {
    v = std::stol(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || used != text.size())
    throw InputError("--split", "expected a variable number, found '" + text + "' in '" + spec + "'");
  if (v < 1 || v > (1L << 30)) throw InputError("--split", "variable " + text + " in '" + spec + "' is out of range");
  return int(v);
}

}  // namespace

VariableSplit parse_split(const std::string& spec, int num_vars, int k) {
  if (k < 2 || k > kMaxOrder)
    throw InputError("", "order k = " + std::to_string(k) + " is outside 2.." + std::to_string(kMaxOrder));
  VariableSplit split;
  split.spec = spec;
  split.vars.assign(std::size_t(k), {});
  if (spec == "interleaved") {
    for (int v = 1; v <= num_vars; ++v) split.vars[std::size_t((v - 1) % k)].push_back(v);
  } else {
    std::vector<std::string> ranges(1);
    for (char c : spec) {
      if (c == ',') ranges.emplace_back();
      else ranges.back() += c;
    }
    if (int(ranges.size()) != k)
      throw InputError("--split", "'" + spec + "' has " + std::to_string(ranges.size()) + " groups but k = " +
                                      std::to_string(k) + ": give k ranges A-B separated by commas, or 'interleaved'");
    std::vector<int> seen(std::size_t(num_vars) + 1, 0);
    for (int p = 0; p < k; ++p) {
      const std::string& r = ranges[std::size_t(p)];
      const std::size_t dash = r.find('-');
      const int lo = parse_variable(r.substr(0, dash), spec);
      const int hi = dash == std::string::npos ? lo : parse_variable(r.substr(dash + 1), spec);
      if (hi < lo) throw InputError("--split", "range '" + r + "' in '" + spec + "' is empty");
      if (hi > num_vars)
        throw InputError("--split", "range '" + r + "' names variable " + std::to_string(hi) + " but the formula has " +
                                        std::to_string(num_vars));
      for (int v = lo; v <= hi; ++v) {
        if (seen[std::size_t(v)]++)
          throw InputError("--split", "variable " + std::to_string(v) + " is in two groups of '" + spec + "'");
        split.vars[std::size_t(p)].push_back(v);
      }
    }
    for (int v = 1; v <= num_vars; ++v)
      if (!seen[std::size_t(v)])
        throw InputError("--split", "variable " + std::to_string(v) + " is in no group of '" + spec +
                                        "': the groups must cover 1.." + std::to_string(num_vars));
  }
  for (const auto& g : split.vars) {
    split.size.push_back(int(g.size()));
    split.first_var.push_back(g.empty() ? 0 : g.front());
  }
  return split;
}

double sat_to_kov_bytes(const Cnf& cnf, int k) { return sat_to_kov_bytes(cnf, split_variables(cnf.num_vars, k)); }

double sat_to_kov_bytes(const Cnf& cnf, const VariableSplit& split) {
  double vectors = 0;
  for (int s : split.size) vectors += std::ldexp(1.0, s);
  // At least one word a vector: with no clauses (d = 0) the vectors take no
  // storage, but the solvers still spend that much on each.
  return vectors * 8.0 * double(std::max<std::size_t>(words_for_bits(static_cast<int>(cnf.num_clauses())), 1));
}

void check_sat_to_kov_size(const Cnf& cnf, int k, double max_bytes) {
  check_sat_to_kov_size(cnf, split_variables(cnf.num_vars, k), max_bytes);
}

void check_sat_to_kov_size(const Cnf& cnf, const VariableSplit& split, double max_bytes) {
  const int k = int(split.size.size());
  const auto widest = std::max_element(split.size.begin(), split.size.end());  // party 1 for the default split
  const int largest = *widest;
  if (cnf.num_clauses() > static_cast<std::size_t>(kMaxKovDimension))
    throw SizeLimitError("kOV dimension would be " + std::to_string(cnf.num_clauses()) +
                         " clauses, above the limit " + std::to_string(kMaxKovDimension));
  if (std::ldexp(1.0, largest) > double(kMaxPartyVectors))
    throw SizeLimitError("the kOV instance would have 2^" + std::to_string(largest) +
                         " vectors in party " + std::to_string(widest - split.size.begin() + 1) + ", above the limit 2^33");
  check_size("the kOV instance (" + std::to_string(k) + " parties, 2^" +
                 std::to_string(largest) + " vectors each, d = " +
                 std::to_string(cnf.num_clauses()) + ")",
             sat_to_kov_bytes(cnf, split), max_bytes, "raise --max-bytes");
}

KOvInstance sat_to_kov(const Cnf& cnf, int k, double max_bytes) {
  return sat_to_kov(cnf, split_variables(cnf.num_vars, k), max_bytes);
}

KOvInstance sat_to_kov(const Cnf& cnf, const VariableSplit& split, double max_bytes) {
  const int k = int(split.size.size());
  check_sat_to_kov_size(cnf, split, max_bytes);
  // bit_of[v]: the bit of variable v in its group's index; group_of[v] its group.
  std::vector<int> group_of(std::size_t(cnf.num_vars) + 1, -1), bit_of(std::size_t(cnf.num_vars) + 1, 0);
  for (int p = 0; p < k; ++p)
    for (int t = 0; t < split.size[p]; ++t) {
      group_of[std::size_t(split.vars[p][t])] = p;
      bit_of[std::size_t(split.vars[p][t])] = t;
    }

  KOvInstance inst;
  inst.k = k;
  inst.d = static_cast<int>(cnf.num_clauses());
  for (int p = 0; p < k; ++p) {
    const std::size_t count = std::size_t(1) << split.size[p];
    PackedVectors party(count, inst.d);
    // Per clause: which literals of this group it has, as masks over alpha.
    for (int j = 0; j < inst.d; ++j) {
      uint64_t pos = 0, neg = 0;  // bit t: variable vars[p][t] occurs positively / negatively
      for (int lit : cnf.clauses[static_cast<std::size_t>(j)]) {
        const std::size_t v = std::size_t(std::abs(lit));
        if (group_of[v] != p) continue;
        (lit > 0 ? pos : neg) |= uint64_t(1) << bit_of[v];
      }
      // --timeout: one deadline check per block of kDeadlineBlock vectors
      // (well under a millisecond of work), so a party of 2^33 vectors stops on time.
      for (std::size_t block = 0; block < count; block += kDeadlineBlock) {
        check_deadline();
        const std::size_t end = std::min(count, block + kDeadlineBlock);
        for (std::size_t alpha = block; alpha < end; ++alpha) {
          // alpha satisfies a literal of clause j iff some positive literal's
          // variable is 1 or some negative literal's variable is 0.
          const bool satisfied = (alpha & pos) != 0 || (~alpha & neg) != 0;
          if (!satisfied) party.set(alpha, j, true);
        }
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
      assignment[static_cast<std::size_t>(split.vars[p][t] - 1)] = (index[p] >> t) & 1u;
  return assignment;
}

std::vector<std::size_t> assignment_to_kov_tuple(const VariableSplit& split,
                                                 const std::vector<bool>& assignment) {
  std::vector<std::size_t> index(split.size.size(), 0);
  for (std::size_t p = 0; p < split.size.size(); ++p)
    for (int t = 0; t < split.size[p]; ++t)
      if (assignment[static_cast<std::size_t>(split.vars[p][t] - 1)]) index[p] |= std::size_t(1) << t;
  return index;
}

}  // namespace sethkit::reductions
