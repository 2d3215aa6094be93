// The kOV, MaxIP and Gap-MaxIP searches split across MPI ranks (issue 19):
// the first party's vectors are cut into contiguous ranges, one per rank
// (distributed::split), each range searched in blocks by the unchanged
// single-process solver on a sub-instance holding only that block of the
// first party, the block's witness shifted back by the block's offset. The
// ranks stop early through distributed::first_hit.
//
// Which witness. The lowest rank holding a hit wins, and inside a rank the
// first block with a hit, so the reported tuple has the lowest first-party
// index with a witness (after the same dominated-vector pruning solve_kov
// does on the whole instance). With one OpenMP thread per rank and the packed
// kOV solver (or MaxIP, Gap-MaxIP) this is exactly the single-process
// one-thread witness (lowest first index, then lexicographic). With several
// threads per rank the single-process solvers themselves report whichever
// thread's witness comes first; the answer is the same, the witness may
// differ (it is checked on the CNF either way). The small-dimension kOV
// solver builds its table over the largest party of the block's
// sub-instance: same answer, possibly another witness.
//
// Not distributed (distributed::size() == 1): each call is the plain solver.
#pragma once

#include <optional>

#include "solvers/kov_solver.hpp"
#include "solvers/maxip_solver.hpp"

namespace sethkit::solvers {

// As solve_kov, on every rank (the result is the same everywhere).
KOvResult solve_kov_across_ranks(const KOvInstance& inst, KOvAlgorithm algorithm, bool prune);
// As maximize_inner_product: YES (a tuple >= stop_at) gives the winner's
// tuple and value; otherwise best is the maximum over every rank.
MaxIpResult maximize_across_ranks(const MaxIpInstance& inst, std::optional<int64_t> stop_at);
MaxIpResult maximize_across_ranks(const ImplicitMaxIp& inst, std::optional<int64_t> stop_at);

// Blocks per rank of the first-party range: enough that an early stop is
// noticed soon and that ranks with a hit below them wait little (one
// MPI_Allreduce of 12 bytes after each block).
inline constexpr std::size_t kBlocksPerRank = 32;

}  // namespace sethkit::solvers
