#include "solvers/kov_solver.hpp"

#include "core/deadline.hpp"

#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <algorithm>
#include <numeric>

#include "core/errors.hpp"

namespace sethkit::solvers {
namespace {

double tuple_count(const KOvInstance& inst, int skip_party = -1) {
  double t = 1;
  for (int p = 0; p < inst.k; ++p)
    if (p != skip_party) t *= double(inst.parties[p].size());
  return t;
}

bool any_party_empty(const KOvInstance& inst) {
  for (const auto& party : inst.parties)
    if (party.size() == 0) return true;
  return false;
}

}  // namespace

const char* to_string(KOvAlgorithm a) {
  switch (a) {
    case KOvAlgorithm::automatic: return "automatic";
    case KOvAlgorithm::packed: return "packed";
    case KOvAlgorithm::small_dimension: return "small-dimension";
  }
  return "?";
}

KOvAlgorithm parse_kov_algorithm(const std::string& name) {
  if (name == "auto" || name == "automatic") return KOvAlgorithm::automatic;
  if (name == "packed") return KOvAlgorithm::packed;
  if (name == "small-dimension") return KOvAlgorithm::small_dimension;
  throw InputError("", "unknown kOV algorithm '" + name + "' (expected auto, packed or small-dimension)");
}

bool small_dimension_applicable(const KOvInstance& inst) {
  return inst.d <= kSmallDimensionMaxBits;
}

double packed_cost_ns(const KOvInstance& inst) {
  return tuple_count(inst) * double(std::max<std::size_t>(words_for_bits(inst.d), 1)) *
         kPackedNsPerTupleWord;
}

double small_dimension_cost_ns(const KOvInstance& inst) {
  if (!small_dimension_applicable(inst)) return std::numeric_limits<double>::infinity();
  std::size_t largest = 0;
  for (int p = 1; p < inst.k; ++p)
    if (inst.parties[p].size() > inst.parties[largest].size()) largest = static_cast<std::size_t>(p);
  return std::ldexp(double(std::max(inst.d, 1)), inst.d) * kZetaNsPerStep +
         tuple_count(inst, static_cast<int>(largest)) * kTableNsPerQuery;
}

KOvResult solve_kov_small_dimension(const KOvInstance& inst) {
  if (!small_dimension_applicable(inst))
    throw SizeLimitError("the small-dimension kOV table needs 2^" + std::to_string(inst.d) +
                         " entries; it is built only for d <= " + std::to_string(kSmallDimensionMaxBits));
  KOvResult result;
  result.algorithm = KOvAlgorithm::small_dimension;
  if (any_party_empty(inst)) return result;
  const int k = inst.k, d = inst.d;
  // The table is built over the largest party; the others are enumerated.
  int table_party = 0;
  for (int p = 1; p < k; ++p)
    if (inst.parties[p].size() > inst.parties[table_party].size()) table_party = p;
  std::vector<int> enumerated;
  for (int p = 0; p < k; ++p)
    if (p != table_party) enumerated.push_back(p);

  // inside[mask] = 1 + index of some table-party vector v with v subset of mask.
  const std::size_t size = std::size_t(1) << d;
  const uint64_t full = size - 1;
  std::vector<uint32_t> inside(size, 0);
  const PackedVectors& table = inst.parties[static_cast<std::size_t>(table_party)];
  for (std::size_t i = 0; i < table.size(); ++i) {
    const uint64_t v = d == 0 ? 0 : table.row(i)[0];
    if (!inside[v]) inside[v] = static_cast<uint32_t>(i + 1);
  }
  for (int b = 0; b < d; ++b) {
    const uint64_t bit = uint64_t(1) << b;
#pragma omp parallel for schedule(static)
    for (int64_t m = 0; m < static_cast<int64_t>(size); ++m)
      if ((m & bit) && !inside[m]) inside[m] = inside[m ^ bit];
  }

  // Enumerate tuples of the other parties with the first one in parallel.
  const PackedVectors& first = inst.parties[static_cast<std::size_t>(enumerated[0])];
  std::atomic<bool> stop{false};
  std::vector<std::size_t> witness;
  const std::size_t rest = enumerated.size() - 1;
  std::atomic<bool> timed{false};
  DeadlineWatch watch(timed);
#pragma omp parallel for schedule(dynamic, 16)
  for (int64_t i = 0; i < static_cast<int64_t>(first.size()); ++i) {
    if (stop.load(std::memory_order_relaxed) || timed.load(std::memory_order_relaxed)) continue;
    std::vector<std::size_t> idx(rest, 0);
    const uint64_t base = d == 0 ? 0 : first.row(static_cast<std::size_t>(i))[0];
    // Odometer over the remaining enumerated parties.
    while (true) {
      uint64_t prefix = base;
      for (std::size_t r = 0; r < rest; ++r)
        prefix &= d == 0 ? 0 : inst.parties[static_cast<std::size_t>(enumerated[r + 1])].row(idx[r])[0];
      const uint32_t hit = inside[~prefix & full];
      if (hit) {
#pragma omp critical(sethkit_kov_witness)
        if (!stop.load()) {
          witness.assign(static_cast<std::size_t>(k), 0);
          witness[static_cast<std::size_t>(enumerated[0])] = static_cast<std::size_t>(i);
          for (std::size_t r = 0; r < rest; ++r) witness[static_cast<std::size_t>(enumerated[r + 1])] = idx[r];
          witness[static_cast<std::size_t>(table_party)] = hit - 1;
          stop.store(true);
        }
        break;
      }
      std::size_t r = 0;
      while (r < rest && ++idx[r] == inst.parties[static_cast<std::size_t>(enumerated[r + 1])].size()) idx[r++] = 0;
      if (r == rest || stop.load(std::memory_order_relaxed) || timed.load(std::memory_order_relaxed)) break;
    }
  }
  if (!stop.load()) watch.finish();
  if (stop.load()) {
    result.found = true;
    result.witness = witness;
  }
  return result;
}

KOvInstance prune_dominated(const KOvInstance& inst, std::vector<std::vector<std::size_t>>& kept) {
  KOvInstance out;
  out.k = inst.k;
  out.d = inst.d;
  kept.assign(static_cast<std::size_t>(inst.k), {});
  const std::size_t words = words_for_bits(inst.d);
  for (const PackedVectors& party : inst.parties) {
    // Fewest ones first: a vector can only be dominated by one with no more
    // ones, and such a vector has already been kept or dropped for one kept.
    std::vector<std::size_t> order(party.size());
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::vector<std::size_t> ones(party.size());
    for (std::size_t i = 0; i < party.size(); ++i) ones[i] = party.popcount(i);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return ones[a] < ones[b]; });
    std::vector<std::size_t>& keep = kept[out.parties.size()];
    for (std::size_t v : order) {
      bool dominated = false;
      for (std::size_t u : keep) {
        uint64_t outside = 0;  // ones of u that v lacks
        for (std::size_t w = 0; w < words; ++w) outside |= party.row(u)[w] & ~party.row(v)[w];
        if (!outside) {
          dominated = true;
          break;
        }
      }
      if (!dominated) keep.push_back(v);
    }
    std::sort(keep.begin(), keep.end());
    PackedVectors pruned(keep.size(), inst.d);
    for (std::size_t i = 0; i < keep.size(); ++i)
      std::copy(party.row(keep[i]), party.row(keep[i]) + words, pruned.row(i));
    out.parties.push_back(std::move(pruned));
  }
  return out;
}

namespace {

KOvResult solve_unpruned(const KOvInstance& inst, KOvAlgorithm algorithm) {
  if (algorithm == KOvAlgorithm::automatic)
    algorithm = small_dimension_cost_ns(inst) < packed_cost_ns(inst) ? KOvAlgorithm::small_dimension
                                                                     : KOvAlgorithm::packed;
  KOvResult r = algorithm == KOvAlgorithm::small_dimension ? solve_kov_small_dimension(inst)
                                                           : solve_kov_packed(inst);
  r.searched_sizes = inst.sizes();
  return r;
}

}  // namespace

bool prunes_dominated(const KOvInstance& inst, bool prune) {
  // Worst-case pruning cost: every vector against every other of its party.
  double prune_cost = 0;
  for (const auto& party : inst.parties) prune_cost += double(party.size()) * double(party.size());
  return prune && !any_party_empty(inst) && prune_cost * 8 <= tuple_count(inst);
}

KOvResult solve_kov(const KOvInstance& inst, KOvAlgorithm algorithm, bool prune) {
  if (!prunes_dominated(inst, prune)) return solve_unpruned(inst, algorithm);
  std::vector<std::vector<std::size_t>> kept;
  const KOvInstance pruned = prune_dominated(inst, kept);
  KOvResult r = solve_unpruned(pruned, algorithm);
  if (r.found)
    for (std::size_t p = 0; p < r.witness.size(); ++p) r.witness[p] = kept[p][r.witness[p]];
  return r;
}

}  // namespace sethkit::solvers
