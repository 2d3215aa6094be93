#include "solvers/rank_split.hpp"

#include <algorithm>

#include "distributed/distributed.hpp"

namespace sethkit::solvers {
namespace {

std::size_t block_of(std::size_t n) {
  const std::size_t parts = std::size_t(distributed::size()) * kBlocksPerRank;
  return std::max<std::size_t>(1, (n + parts - 1) / parts);
}

KOvInstance first_party_block(const KOvInstance& inst, std::size_t lo, std::size_t hi) {
  KOvInstance part;
  part.k = inst.k;
  part.d = inst.d;
  part.parties = inst.parties;  // parties 1.. are searched whole by every block
  const PackedVectors& all = inst.parties[0];
  PackedVectors rows(hi - lo, inst.d);
  for (std::size_t i = lo; i < hi; ++i) std::copy(all.row(i), all.row(i) + all.words(), rows.row(i - lo));
  part.parties[0] = std::move(rows);
  return part;
}

MaxIpInstance first_party_block(const MaxIpInstance& inst, std::size_t lo, std::size_t hi) {
  MaxIpInstance part;
  part.k = inst.k;
  part.d = inst.d;
  part.gap = inst.gap;
  part.parties = inst.parties;
  const IntVectors& all = inst.parties[0];
  IntVectors rows(hi - lo, inst.d);
  for (std::size_t i = lo; i < hi; ++i) std::copy(all.row(i), all.row(i) + inst.d, rows.row(i - lo));
  part.parties[0] = std::move(rows);
  return part;
}

// The search over first-party blocks, for any instance whose block solver
// returns a MaxIpResult.
template <class Solve>
MaxIpResult maximize_blocks(std::size_t n0, std::optional<int64_t> stop_at, Solve&& solve) {
  MaxIpResult mine;  // this rank's best over its blocks (or its first hit)
  const int winner = distributed::first_hit(n0, block_of(n0), [&](std::size_t lo, std::size_t hi) {
    MaxIpResult r = solve(lo, hi);
    if (!r.argmax.empty()) r.argmax[0] += lo;
    if (r.best > mine.best) mine = r;
    return stop_at && r.best >= *stop_at;
  });
  MaxIpResult result;
  if (winner >= 0) {
    std::vector<std::size_t> tuple = mine.argmax;
    tuple.push_back(static_cast<std::size_t>(mine.best));  // the value travels as the last entry
    distributed::broadcast(tuple, winner);
    result.best = static_cast<int64_t>(tuple.back());
    tuple.pop_back();
    result.argmax = tuple;
    result.stopped_early = true;
    return result;
  }
  result.best = distributed::max_all(mine.best);
  return result;  // NO: the value is what the callers read, the tuple is not
}

}  // namespace

KOvResult solve_kov_across_ranks(const KOvInstance& inst, KOvAlgorithm algorithm, bool prune) {
  bool empty = false;
  for (const PackedVectors& party : inst.parties) empty = empty || party.size() == 0;
  if (!distributed::distributed() || empty) return solve_kov(inst, algorithm, prune);
  // solve_kov's own choices, made once on the whole instance so that every
  // block searches what the single process searches: prune as it does, then
  // the cheaper algorithm.
  std::vector<std::vector<std::size_t>> kept;
  const bool pruned = prunes_dominated(inst, prune);
  KOvInstance pruned_inst;
  if (pruned) pruned_inst = prune_dominated(inst, kept);
  const KOvInstance& searched = pruned ? pruned_inst : inst;
  if (algorithm == KOvAlgorithm::automatic)
    algorithm = small_dimension_cost_ns(searched) < packed_cost_ns(searched) ? KOvAlgorithm::small_dimension
                                                                             : KOvAlgorithm::packed;
  std::vector<std::size_t> witness;
  const std::size_t n0 = searched.parties[0].size();
  const int winner = distributed::first_hit(n0, block_of(n0), [&](std::size_t lo, std::size_t hi) {
    const KOvResult r = solve_kov(first_party_block(searched, lo, hi), algorithm, false);
    if (r.found) {
      witness = r.witness;
      witness[0] += lo;
    }
    return r.found;
  });
  KOvResult result;
  result.algorithm = algorithm;
  result.searched_sizes = searched.sizes();
  if (winner >= 0) {
    distributed::broadcast(witness, winner);
    if (pruned)
      for (std::size_t p = 0; p < witness.size(); ++p) witness[p] = kept[p][witness[p]];
    result.found = true;
    result.witness = witness;
  }
  return result;
}

MaxIpResult maximize_across_ranks(const MaxIpInstance& inst, std::optional<int64_t> stop_at) {
  if (!distributed::distributed() || inst.parties.empty() || inst.parties[0].size() == 0)
    return maximize_inner_product(inst, stop_at);
  return maximize_blocks(inst.parties[0].size(), stop_at, [&](std::size_t lo, std::size_t hi) {
    return maximize_inner_product(first_party_block(inst, lo, hi), stop_at);
  });
}

MaxIpResult maximize_across_ranks(const ImplicitMaxIp& inst, std::optional<int64_t> stop_at) {
  if (!distributed::distributed() || inst.sizes.empty() || inst.sizes[0] == 0)
    return maximize_inner_product(inst, stop_at);
  return maximize_blocks(inst.sizes[0], stop_at, [&](std::size_t lo, std::size_t hi) {
    ImplicitMaxIp part = inst;
    part.sizes[0] = hi - lo;
    part.inner_product = [&inst, lo](const std::vector<std::size_t>& t) {
      std::vector<std::size_t> shifted = t;
      shifted[0] += lo;
      return inst.inner_product(shifted);
    };
    return maximize_inner_product(part, stop_at);
  });
}

}  // namespace sethkit::solvers
