// The chain of reductions, composed in one place (DESIGN.md "The chain"):
//
//   CNF --split & list--> kOV --direct signed route--> exact k-MaxIP --+--Lemma B.1--> ATAttC_k
//                            +--MA protocol (Thm 4.5/4.7)--> Gap-k-MaxIP --+
//
// plan_chain sizes every stage (vectors per party, dimension, bytes) from the
// CNF's counts and the protocol parameters alone, nothing built, and refuses
// (SizeLimitError, with the size) against one shared budget: the stages are
// all held until the witness is mapped back, so each may use what the stages
// before it leave. build_chain builds the instances of a plan, under the same
// accounting, and map_back composes the witness maps down to an assignment.
// solve, reduce and verify use only this; no solver builds a reduction.
//
//   const ChainPlan plan = plan_chain(cnf, {.to = Level::attention, .k = 3}, max_bytes);
//   Chain chain = build_chain(plan);          // chain.attention->instance ...
//   std::vector<bool> x = chain.map_back(Level::attention, {row, j2, j3});
//
// Stages whose size depends on the data are upper bounds (exact = false): the
// explicit Gap-MaxIP instance's dimension after coordinate compression (the
// distinct messages of each party at each position depend on the codewords)
// and the attention instance embedding it. Their refusal is checked, with the
// exact size, by build_chain right before that stage is allocated.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "core/options.hpp"
#include "problems/cnf.hpp"
#include "problems/kov_instance.hpp"
#include "problems/maxip_instance.hpp"
#include "protocols/ma_disjointness.hpp"
#include "reductions/kov_to_gap_maxip.hpp"
#include "reductions/maxip_to_attention.hpp"
#include "reductions/sat_to_kov.hpp"

namespace sethkit::reductions {

// The levels of the chain. maxip is the direct route's exact k-MaxIP,
// gap_maxip the protocol route's Gap-k-MaxIP; attention follows either route.
enum class Level { sat, kov, maxip, gap_maxip, attention };

const char* to_string(Level level);
// Inverse of to_string; throws InputError on an unknown name.
Level parse_level(const std::string& name);

// direct: the signed kOV -> exact k-MaxIP (dimension 2M, gap 1/M).
// protocol: kOV -> Gap-k-MaxIP by the MA protocol (paper 001 Theorem 4.5 and
// 4.7; constant gap, huge dimension).
enum class RouteKind { direct, protocol };

const char* to_string(RouteKind route);
RouteKind parse_route(const std::string& name);  // InputError on an unknown name

// The level a `--to NAME [--route KIND]` request builds and its route, the
// one rule for the command line and the Python package: gap-maxip is the
// protocol route's level (and the default route there); maxip over the
// protocol route is that same level; kov and sat take no route. An empty
// `route` means the level's default. InputError on a contradiction.
struct LevelAndRoute {
  Level level;
  RouteKind route;
};
LevelAndRoute parse_target(const std::string& to, const std::string& route);

struct Route {
  Level to = Level::kov;  // the last level built
  int k = 3;              // parties of the kOV level
  RouteKind route = RouteKind::direct;  // attention: the MaxIP it embeds (gap_maxip is always protocol)
  std::string code = "rs";              // protocol route: rs or hermitian
  double target_soundness = 0.5;        // protocol route: NO inner products <= this * n_C
  double attention_eps = kDefaultBackendRelativeError;  // backend relative error the embedding tolerates
  std::string backend = "exact";  // attention backend that will decide (carried for the deciders)
  bool explicit_gap_maxip = false;  // gap_maxip: also build the explicit 0/1 instance (reduce writes it)
  std::string split = {};  // the variable groups: empty (consecutive), "interleaved" or "1-7,8-14,15-20" (parse_split)
  // Variables that occur in no clause are dropped before the split (each one
  // doubles every party's vector count for nothing; map_back sets them false)
  // unless keep_unused (--keep-unused) asks for the literal reduction.
  bool keep_unused = false;
};

// The protocol route is taken (gap_maxip, or attention over --route protocol).
bool uses_protocol(const Route& route);
// Merlin's messages are formed on demand (MerlinStorage::implicit): the
// Gap-MaxIP level without the explicit instance, when listing the messages
// (count x n_C symbols) would pass kGapMaxIpTableBytes.
inline constexpr double kGapMaxIpTableBytes = core::option("gap_maxip.table_bytes");
bool implicit_merlin_messages(const Route& route, std::optional<std::uint64_t> merlin_count, std::size_t n_c);
// The explicit MaxIP stage (direct, or compressed Gap-MaxIP) is built.
bool builds_explicit_maxip(const Route& route);

enum class Stage { kov, maxip, gap_tables, gap_explicit, attention };
const char* to_string(Stage stage);

struct StageSize {
  Stage stage = Stage::kov;
  std::vector<std::size_t> vectors;  // per party (attention: rows of Q, then of each key side)
  double dimension = 0;              // kOV M, MaxIP d, attention d~ = 2d
  double implicit_dimension = 0;     // gap_tables: n_C |F|^{T(k-1)} (0 elsewhere)
  double bytes = 0;                  // held in memory by this stage
  bool exact = true;                 // false: dimension and bytes are upper bounds
};

struct ChainPlan {
  Cnf cnf;  // the formula reduced: without its unused variables unless route.keep_unused
  int original_vars = 0;       // the input CNF's variable count
  std::vector<int> kept_vars;  // original (1-based) variable of each variable of cnf; empty: none dropped
  int dropped_vars() const { return kept_vars.empty() ? 0 : original_vars - cnf.num_vars; }
  Route route;
  double budget = 0;  // the shared --max-bytes
  VariableSplit split;
  std::optional<protocols::ProtocolPlan> protocol;  // protocol route
  std::uint64_t merlin_messages = 0;                // |F|^{dim C' - r}, saturating at 2^64 - 1
  std::vector<StageSize> stages;                    // in build order

  const StageSize* find(Stage stage) const;  // nullptr when not in the plan
  const StageSize& at(Stage stage) const;    // std::logic_error when not in the plan
  const StageSize& last() const { return stages.back(); }
  double total_bytes() const;  // sum of the stages' bytes
  bool exact() const;          // every stage exact
};

// A budget that refuses nothing (the absolute limits still apply).
inline constexpr double kNoBudget = 1e308;

// Sizes every stage of route on cnf and refuses, before anything is built,
// each exact stage that would pass what the stages before it leave of budget
// (the refusal says that the budget is shared and how much is held). The
// absolute limits (party vectors, kOV dimension) refuse too. InputError for
// bad options (k, code, soundness).
ChainPlan plan_chain(const Cnf& cnf, const Route& route, double budget);

struct Chain {
  ChainPlan plan;
  KOvInstance kov;
  std::optional<MaxIpInstance> maxip;                       // direct, or the explicit Gap-MaxIP
  std::shared_ptr<const protocols::MaDisjointness> protocol;  // protocol route
  std::unique_ptr<GapMaxIpReduction> gap;                   // protocol route (implicit form)
  std::optional<AttentionEmbedding> attention;
  std::vector<StageSize> built;  // the sizes of what was built, as plan.stages
  double held_bytes = 0;         // sum of built[].bytes

  // The kOV tuple a witness of `level` encodes: kov and (direct) maxip
  // tuples are kOV tuples; a gap_maxip tuple, of the implicit or the explicit
  // instance (same indices), drops Merlin's message; an attention witness is
  // (query row, data row of each key side), mapped through the manifest's
  // row map to its MaxIP tuple first. InputError when the witness has the
  // wrong length, an index out of range, or a padding row.
  std::vector<std::size_t> kov_tuple(Level level, const std::vector<std::size_t>& witness) const;
  // The composed witness map: the assignment (assignment[v-1] is variable v
  // of the input CNF, plan.original_vars of them; dropped variables false)
  // that the witness encodes. Not checked on the CNF here (callers check).
  std::vector<bool> map_back(Level level, const std::vector<std::size_t>& witness) const;
};

// Builds the instances of a plan. Every stage is refused against what the
// stages before it leave of plan.budget; the upper-bounded stages are checked
// here with their exact size. InputError when the instance cannot be embedded.
Chain build_chain(const ChainPlan& plan);

// A stage's refusal, saying that --max-bytes is shared by the chain and how
// much of it the earlier stages hold.
SizeLimitError shared_budget_refusal(const SizeLimitError& e, double max_bytes, const std::string& held_by,
                                     double held);

}  // namespace sethkit::reductions
