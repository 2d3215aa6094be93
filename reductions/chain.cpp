#include "reductions/chain.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "reductions/hints.hpp"
#include "reductions/kov_to_maxip.hpp"

namespace sethkit::reductions {
namespace {

// |F|^e exactly while it fits in 63 bits (as codes::span_size), else nullopt.
std::optional<std::uint64_t> power_count(std::uint64_t base, std::size_t e) {
  std::uint64_t count = 1;
  const std::uint64_t limit = std::uint64_t(1) << 63;
  for (std::size_t i = 0; i < e; ++i) {
    if (count > limit / base) return std::nullopt;
    count *= base;
  }
  return count;
}

std::size_t saturating_product(std::size_t a, std::uint64_t b) {
  if (a != 0 && b > std::numeric_limits<std::size_t>::max() / a) return std::numeric_limits<std::size_t>::max();
  return a * std::size_t(b);
}

double total(const std::vector<std::size_t>& v) {
  double s = 0;
  for (auto n : v) s += double(n);
  return s;
}

// Runs a stage's check against what the earlier stages leave, turning its
// refusal into the shared-budget one when something is held already.
template <class Check>
void within(double budget, double held, const std::string& held_by, Check check) {
  if (held <= 0) return check(budget);
  try {
    check(budget - held);
  } catch (const SizeLimitError& e) {
    throw shared_budget_refusal(e, budget, held_by, held);
  }
}

std::string maxip_held_by(bool protocol) {
  return protocol ? "the kOV and MaxIP instances and the protocol's tables" : "the kOV and MaxIP instances";
}

StageSize maxip_size(Stage stage, const MaxIpInstance& m) {
  return {stage, m.sizes(), double(m.d), 0, maxip_memory_bytes(m.d, m.sizes()), true};
}

StageSize attention_size(const AttentionInstance& a) {
  return {Stage::attention, a.lengths(), double(a.d()), 0, 8.0 * double(a.entries()), true};
}

}  // namespace

const char* to_string(Level level) {
  switch (level) {
    case Level::sat: return "sat";
    case Level::kov: return "kov";
    case Level::maxip: return "maxip";
    case Level::gap_maxip: return "gap-maxip";
    case Level::attention: return "attention";
  }
  return "?";
}

Level parse_level(const std::string& name) {
  if (name == "sat") return Level::sat;
  if (name == "kov") return Level::kov;
  if (name == "maxip") return Level::maxip;
  if (name == "attention") return Level::attention;
  if (name == "gap-maxip") return Level::gap_maxip;
  throw InputError("", "unknown level '" + name + "' (expected sat, kov, maxip, gap-maxip or attention)");
}

const char* to_string(RouteKind route) { return route == RouteKind::direct ? "direct" : "protocol"; }

RouteKind parse_route(const std::string& name) {
  if (name == "direct") return RouteKind::direct;
  if (name == "protocol") return RouteKind::protocol;
  throw InputError("", "unknown route '" + name + "' (expected direct or protocol)");
}

LevelAndRoute parse_target(const std::string& to, const std::string& route) {
  LevelAndRoute t{parse_level(to), RouteKind::direct};
  const bool protocol = route.empty() ? t.level == Level::gap_maxip : parse_route(route) == RouteKind::protocol;
  if (t.level == Level::gap_maxip && !protocol)
    throw InputError("", "gap-maxip is the protocol route's level; for the direct route ask for maxip");
  if (protocol && (t.level == Level::sat || t.level == Level::kov))
    throw InputError("", std::string("the ") + to + " level comes before the routes part; drop the protocol route");
  if (t.level == Level::maxip && protocol) t.level = Level::gap_maxip;
  t.route = protocol ? RouteKind::protocol : RouteKind::direct;
  return t;
}

const char* to_string(Stage stage) {
  switch (stage) {
    case Stage::kov: return "kov";
    case Stage::maxip: return "maxip";
    case Stage::gap_tables: return "gap-maxip (implicit)";
    case Stage::gap_explicit: return "gap-maxip (explicit)";
    case Stage::attention: return "attention";
  }
  return "?";
}

bool implicit_merlin_messages(const Route& r, std::optional<std::uint64_t> count, std::size_t n_c) {
  // Only the Gap-MaxIP decision reads messages one at a time; the explicit
  // instance and the attention embedding list them all.
  if (r.to != Level::gap_maxip || r.explicit_gap_maxip) return false;
  return !count || double(*count) * double(n_c) * 4.0 > kGapMaxIpTableBytes;
}

bool uses_protocol(const Route& r) {
  return r.to == Level::gap_maxip || (r.to == Level::attention && r.route == RouteKind::protocol);
}

bool builds_explicit_maxip(const Route& r) {
  if (r.to == Level::maxip || r.to == Level::attention) return true;
  return r.to == Level::gap_maxip && r.explicit_gap_maxip;
}

const StageSize* ChainPlan::find(Stage stage) const {
  for (const auto& s : stages)
    if (s.stage == stage) return &s;
  return nullptr;
}

const StageSize& ChainPlan::at(Stage stage) const {
  const StageSize* s = find(stage);
  if (!s) throw std::logic_error(std::string("internal error: the chain plan has no ") + to_string(stage) + " stage");
  return *s;
}

double ChainPlan::total_bytes() const {
  double b = 0;
  for (const auto& s : stages) b += s.bytes;
  return b;
}

bool ChainPlan::exact() const {
  return std::all_of(stages.begin(), stages.end(), [](const StageSize& s) { return s.exact; });
}

SizeLimitError shared_budget_refusal(const SizeLimitError& e, double max_bytes, const std::string& held_by,
                                     double held) {
  return SizeLimitError(std::string(e.what()) + " (--max-bytes " + human_bytes(max_bytes) +
                        " covers the whole chain; already held by " + held_by + ": " + human_bytes(held) + ")");
}

// The formula on the variables that occur in some clause, renumbered in
// order; kept[i] is the original variable of new variable i + 1. Unchanged
// (kept empty) when every variable occurs, or when none does (the split
// needs a variable).
static Cnf drop_unused_variables(const Cnf& cnf, std::vector<int>& kept) {
  kept.clear();
  std::vector<int> renumber(static_cast<std::size_t>(cnf.num_vars) + 1, 0);
  for (const auto& clause : cnf.clauses)
    for (int lit : clause) renumber[static_cast<std::size_t>(lit < 0 ? -lit : lit)] = 1;
  int used = 0;
  for (int v = 1; v <= cnf.num_vars; ++v)
    if (renumber[static_cast<std::size_t>(v)]) renumber[static_cast<std::size_t>(v)] = ++used;
  if (used == cnf.num_vars || used == 0) return cnf;
  Cnf out;
  out.num_vars = used;
  out.clauses.reserve(cnf.clauses.size());
  for (const auto& clause : cnf.clauses) {
    std::vector<int> c;
    c.reserve(clause.size());
    for (int lit : clause) c.push_back(lit < 0 ? -renumber[std::size_t(-lit)] : renumber[std::size_t(lit)]);
    out.clauses.push_back(std::move(c));
  }
  kept.reserve(static_cast<std::size_t>(used));
  for (int v = 1; v <= cnf.num_vars; ++v)
    if (renumber[static_cast<std::size_t>(v)]) kept.push_back(v);
  return out;
}

// plan_chain without the order hint of its refusals.
static ChainPlan plan_stages(const Cnf& input, const Route& route, double budget) {
  if (route.to == Level::sat) throw InputError("", "the sat level has no reduction to plan");
  ChainPlan plan;
  plan.original_vars = input.num_vars;
  plan.cnf = route.keep_unused ? input : drop_unused_variables(input, plan.kept_vars);
  const Cnf& cnf = plan.cnf;
  plan.route = route;
  plan.budget = budget;
  plan.split = route.split.empty() ? split_variables(cnf.num_vars, route.k) : parse_split(route.split, cnf.num_vars, route.k);
  const int k = route.k;
  const bool protocol = uses_protocol(route);
  if (route.to == Level::attention && !(route.attention_eps > 0 && route.attention_eps < 0.5))
    throw InputError("", "backend error eps_a must be in (0, 0.5)");

  // SAT -> kOV: the absolute limits and the packed bytes against the whole budget.
  check_sat_to_kov_size(cnf, plan.split, budget);
  const int m = static_cast<int>(cnf.num_clauses());
  StageSize kov{Stage::kov, {}, double(m), 0, 0, true};
  for (int s : plan.split.size) kov.vectors.push_back(std::size_t(1) << s);
  kov.bytes = kov_binary_bytes(k, m, kov.vectors);
  plan.stages.push_back(kov);
  double held = kov.bytes;
  if (route.to == Level::kov) return plan;

  if (!protocol) {  // direct signed route
    within(budget, held, "the kOV instance", [&](double left) { check_kov_to_maxip_size(m, kov.vectors, left); });
    const StageSize mip{Stage::maxip, kov.vectors, 2.0 * m, 0, maxip_memory_bytes(2 * m, kov.vectors), true};
    plan.stages.push_back(mip);
    held += mip.bytes;
  } else {
    const protocols::ProtocolPlan p =
        protocols::choose_parameters(std::size_t(m), k, route.target_soundness, route.code);
    plan.protocol = p;
    const std::size_t merlin_dim = p.product_dimension - p.block_size;
    const auto count = power_count(p.field_size, merlin_dim);
    plan.merlin_messages = count ? *count : std::numeric_limits<std::uint64_t>::max();
    const double messages = count ? double(*count) : std::exp2(p.log2_merlin_messages);
    const bool implicit = implicit_merlin_messages(route, count, p.positions);
    within(budget, held, "the kOV instance", [&](double left) {
      if (implicit) {
        check_gap_maxip_implicit(count, merlin_dim, double(kov.vectors[0]), total(kov.vectors), p.blocks,
                                 p.positions, left);
        return;
      }
      check_size("the Gap-MaxIP instance: " + std::to_string(kov.vectors[0]) + " x " + count_text(messages) +
                     " party-1 vectors (Merlin messages of " + p.code + " over GF(" + std::to_string(p.field_size) +
                     "), T = " + std::to_string(p.blocks) + ", r = " + std::to_string(p.block_size) + ")",
                 double(kov.vectors[0]) * messages * double(p.positions) * 4.0, left,
                 "the protocol route fits only tiny formulas; " + direct_route_hint(route.to == Level::attention, k));
      check_gap_maxip_tables(count, merlin_dim, total(kov.vectors), p.blocks, p.positions, left);
    });
    StageSize tables{Stage::gap_tables, kov.vectors, 0, 0, 0, true};
    tables.vectors[0] = saturating_product(kov.vectors[0], plan.merlin_messages);
    tables.implicit_dimension =
        double(p.positions) * std::pow(double(p.field_size), double(p.blocks) * double(k - 1));
    tables.dimension = tables.implicit_dimension;
    tables.bytes = implicit ? gap_maxip_implicit_bytes(merlin_dim, total(kov.vectors), p.blocks, p.positions)
                            : gap_maxip_table_bytes(messages, total(kov.vectors), p.blocks, p.positions);
    plan.stages.push_back(tables);
    held += tables.bytes;
    if (builds_explicit_maxip(route)) {
      // Upper bound: at position j, party p >= 2 sends one of at most
      // min(n_p, |F|^T) messages; compression keeps the combinations present.
      StageSize ex{Stage::gap_explicit, tables.vectors, double(p.positions), 0, 0, false};
      const double per_party = std::pow(double(p.field_size), double(p.blocks));
      for (int q = 1; q < k; ++q) ex.dimension *= std::min(double(kov.vectors[std::size_t(q)]), per_party);
      ex.bytes = ex.dimension * total(ex.vectors) * 4.0;
      plan.stages.push_back(ex);
      held += ex.bytes;
    }
  }
  if (route.to != Level::attention) return plan;

  // Lemma B.1 over the MaxIP stage before it.
  const StageSize mip = plan.stages.back();
  StageSize att{Stage::attention, {mip.vectors[0]}, 2.0 * mip.dimension, 0, 0, mip.exact};
  for (std::size_t q = 1; q < mip.vectors.size(); ++q) att.vectors.push_back(2 * mip.vectors[q]);
  if (mip.exact) {
    std::vector<std::size_t> sizes = mip.vectors;
    within(budget, held, maxip_held_by(protocol),
           [&](double left) { check_attention_embedding_size(int(mip.dimension), sizes, left); });
    att.bytes = attention_embedding_bytes(int(mip.dimension), sizes);
  } else {
    double cells = double(mip.vectors[0]) * att.dimension;
    for (std::size_t q = 1; q < mip.vectors.size(); ++q) cells += 2.0 * double(mip.vectors[q]) * (att.dimension + 1);
    att.bytes = 8.0 * cells;
  }
  plan.stages.push_back(att);
  return plan;
}

// A refusal of the plan, with the order that would fit: the smallest k past
// route.k (up to kMaxOrder) whose whole plan passes the same limits and
// budget, found by planning it (sizes only, nothing built). A hint never
// suggests a k that cannot help (issue 14 part 5); with a chosen --split a
// larger k needs another split, which is the user's to choose.
static SizeLimitError with_order_hint(const SizeLimitError& e, const Cnf& input, const Route& route, double budget) {
  if (!route.split.empty() || route.k >= kMaxOrder) return e;
  for (int k = route.k + 1; k <= kMaxOrder; ++k) {
    Route larger = route;
    larger.k = k;
    try {
      plan_stages(input, larger, budget);
    } catch (const SizeLimitError&) {
      continue;
    } catch (const InputError&) {
      continue;
    }
    return SizeLimitError(std::string(e.what()) + "; " + order_option(k) + " fits");
  }
  return SizeLimitError(std::string(e.what()) + " (no larger k up to " + std::to_string(kMaxOrder) + " fits either)");
}

ChainPlan plan_chain(const Cnf& input, const Route& route, double budget) {
  try {
    return plan_stages(input, route, budget);
  } catch (const SizeLimitError& e) {
    throw with_order_hint(e, input, route, budget);
  }
}

Chain build_chain(const ChainPlan& plan) {
  const Route& route = plan.route;
  const double budget = plan.budget;
  const bool protocol = uses_protocol(route);
  Chain c;
  c.plan = plan;
  c.kov = sat_to_kov(plan.cnf, plan.split, budget);
  c.built.push_back({Stage::kov, c.kov.sizes(), double(c.kov.d), 0,
                     kov_binary_bytes(c.kov.k, c.kov.d, c.kov.sizes()), true});
  double held = c.built.back().bytes;
  if (route.to != Level::kov) {
    if (!protocol) {
      within(budget, held, "the kOV instance", [&](double left) { c.maxip = kov_to_maxip(c.kov, left); });
      c.built.push_back(maxip_size(Stage::maxip, *c.maxip));
      held += c.built.back().bytes;
    } else {
      const protocols::ProtocolPlan& p = *plan.protocol;
      c.protocol = std::make_shared<protocols::MaDisjointness>(std::size_t(c.kov.d), c.kov.k, p.blocks,
                                                               protocols::build_code(p));
      within(budget, held, "the kOV instance",
             [&](double left) {
               const bool implicit = implicit_merlin_messages(route, c.protocol->merlin_message_count(),
                                                              c.protocol->positions());
               c.gap = std::make_unique<GapMaxIpReduction>(
                   c.kov, c.protocol, left, implicit ? MerlinStorage::implicit : MerlinStorage::table);
             });
      StageSize tables{Stage::gap_tables, c.gap->sizes(), 0, 0, c.gap->memory_bytes(), true};
      tables.implicit_dimension = double(c.protocol->positions()) *
                                  std::pow(double(c.protocol->field().size()), double(p.blocks) * (c.kov.k - 1));
      tables.dimension = tables.implicit_dimension;
      c.built.push_back(tables);
      held += tables.bytes;
      if (builds_explicit_maxip(route)) {
        within(budget, held, "the kOV instance and the protocol's tables",
               [&](double left) { c.maxip = c.gap->explicit_instance(left); });
        c.built.push_back(maxip_size(Stage::gap_explicit, *c.maxip));
        held += c.built.back().bytes;
      }
    }
    if (route.to == Level::attention) {
      within(budget, held, maxip_held_by(protocol),
             [&](double left) { c.attention = maxip_to_attention(*c.maxip, route.attention_eps, left); });
      c.built.push_back(attention_size(c.attention->instance));
      held += c.built.back().bytes;
    }
  }
  c.held_bytes = held;
  return c;
}

std::vector<std::size_t> Chain::kov_tuple(Level level, const std::vector<std::size_t>& witness) const {
  const std::size_t k = std::size_t(kov.k);
  if (witness.size() != k)
    throw InputError("", "a " + std::string(to_string(level)) + " witness has " + std::to_string(k) +
                             " indices, not " + std::to_string(witness.size()));
  std::vector<std::size_t> tuple = witness;
  switch (level) {
    case Level::sat: throw InputError("", "the sat level has no tuple witness");
    case Level::kov: break;
    case Level::maxip:  // the protocol route's explicit instance has gap_maxip witnesses
      if (!maxip || gap) throw InputError("", "this chain has no direct MaxIP stage");
      break;
    case Level::gap_maxip:
      if (!gap) throw InputError("", "this chain has no Gap-MaxIP stage");
      if (witness[0] >= gap->sizes()[0]) throw InputError("", "party-1 index out of range of the Gap-MaxIP instance");
      tuple = gap->kov_tuple(witness);
      break;
    case Level::attention: {
      if (!attention || !attention->instance.manifest) throw InputError("", "this chain has no attention stage");
      const auto& row_map = attention->instance.manifest->row_map;
      std::vector<std::size_t> mip(k);
      for (std::size_t p = 0; p < k; ++p) {
        if (witness[p] >= row_map[p].size() || row_map[p][witness[p]] < 0)
          throw InputError("", "attention index " + std::to_string(witness[p]) + " of side " + std::to_string(p) +
                                   " is not a data row");
        mip[p] = std::size_t(row_map[p][witness[p]]);
      }
      tuple = gap ? gap->kov_tuple(mip) : mip;
      break;
    }
  }
  for (std::size_t p = 0; p < k; ++p)
    if (tuple[p] >= kov.parties[p].size())
      throw InputError("", "kOV index " + std::to_string(tuple[p]) + " of party " + std::to_string(p + 1) +
                               " is out of range");
  return tuple;
}

std::vector<bool> Chain::map_back(Level level, const std::vector<std::size_t>& witness) const {
  std::vector<bool> x = kov_witness_to_assignment(plan.split, kov_tuple(level, witness));
  if (plan.kept_vars.empty()) return x;
  std::vector<bool> full(static_cast<std::size_t>(plan.original_vars), false);  // dropped: false
  for (std::size_t i = 0; i < x.size() && i < plan.kept_vars.size(); ++i)
    full[static_cast<std::size_t>(plan.kept_vars[i] - 1)] = x[i];
  return full;
}

}  // namespace sethkit::reductions
