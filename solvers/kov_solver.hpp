// Exact k-party Orthogonal Vectors solvers (paper 001 Definition 4.2, any k).
//
//   KOvResult r = solve_kov(instance);          // picks the algorithm
//   if (r.found) use(r.witness);                // one index per party
//
// packed: every k-tuple, vectors ANDed 64 coordinates a word with the prefix
//   of the earlier parties, the last party in cache tiles, AVX-512 / AVX2 /
//   scalar kernels chosen at run time (solvers/kov_packed.hpp); OpenMP over
//   work items, stopping all threads at the first witness.
//   Time O(prod n_p * d/64).
// small_dimension: when 2^d fits in memory, a subset-zeta ("sum over
//   subsets") table over the largest party answers "is some vector inside
//   this mask?" in O(1): time O(d 2^d + prod_{other p} n_p), [Wil05]-style.
// solve_kov first drops dominated vectors: if u is a subset of v in the same
//   party, any orthogonal tuple through v stays orthogonal with u instead, so
//   v can go (duplicates too). On split-and-list instances most partial
//   assignments are dominated. It runs when its cost, n_p times the kept
//   vectors per party, is small against the tuple count.
// The automatic choice compares the two costs with measured per-operation
// constants (measured by bench/bench_kov.cpp, kept in core/options.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "problems/kov_instance.hpp"
#include "core/options.hpp"

namespace sethkit::solvers {

enum class KOvAlgorithm { automatic, packed, small_dimension };

struct KOvResult {
  bool found = false;
  std::vector<std::size_t> witness;  // witness[p] indexes party p
  KOvAlgorithm algorithm = KOvAlgorithm::packed;
  std::vector<std::size_t> searched_sizes;  // party sizes after pruning
};

// Parties without dominated vectors; kept[p][i] is the original index of
// vector i of party p in the result.
KOvInstance prune_dominated(const KOvInstance& inst, std::vector<std::vector<std::size_t>>& kept);
// Whether solve_kov prunes dominated vectors first: asked to, no party empty,
// and the worst-case pruning cost (sum of n_p^2) small against the tuple
// count. Shared with the MPI split (solvers/rank_split.cpp), which must
// search what the single process searches.
bool prunes_dominated(const KOvInstance& inst, bool prune);

const char* to_string(KOvAlgorithm a);
// "auto", "packed", "small-dimension"; InputError otherwise.
KOvAlgorithm parse_kov_algorithm(const std::string& name);

// Largest d the small-dimension table is built for: 2^26 entries of 4 bytes
// (256 MiB).
inline constexpr int kSmallDimensionMaxBits = core::option_as<int>("kov.small_dimension_max_bits");

// Measured cost of one unit of work, in nanoseconds on the reference machine
// (2-core AVX-512; bench_kov, see the issue 3 note): a k-tuple test per
// 64-bit word in the packed solver, one zeta-transform step, one table query.
inline constexpr double kPackedNsPerTupleWord = core::option("kov.packed_ns_per_tuple_word");
inline constexpr double kZetaNsPerStep = core::option("kov.zeta_ns_per_step");
inline constexpr double kTableNsPerQuery = core::option("kov.table_ns_per_query");

bool small_dimension_applicable(const KOvInstance& inst);
// Estimated worst-case (no witness) nanoseconds of each algorithm.
double packed_cost_ns(const KOvInstance& inst);
double small_dimension_cost_ns(const KOvInstance& inst);

// prune: drop dominated vectors first when that is cheap (see above).
KOvResult solve_kov(const KOvInstance& inst, KOvAlgorithm algorithm = KOvAlgorithm::automatic,
                    bool prune = true);
KOvResult solve_kov_packed(const KOvInstance& inst);
// Requires small_dimension_applicable(inst).
KOvResult solve_kov_small_dimension(const KOvInstance& inst);

}  // namespace sethkit::solvers
