#include "solvers/cnf_decider.hpp"

#include <chrono>
#include <cmath>
#include <algorithm>
#include <cstdio>
#include <optional>
#include <stdexcept>

#include "core/errors.hpp"
#include "reductions/hints.hpp"
#include "solvers/attention_decider.hpp"
#include "solvers/gap_maxip_solver.hpp"
#include "solvers/maxip_solver.hpp"
#include "solvers/rank_split.hpp"
#include "solvers/sat_brute_force.hpp"

namespace sethkit::solvers {
namespace {

void check_witness(const Cnf& cnf, const Decision& d) {
  if (!d.satisfiable) return;
  const long bad = static_cast<long>(d.assignment.size()) == cnf.num_vars ? cnf.first_falsified(d.assignment) : 0;
  if (bad >= 0)
    throw std::logic_error(std::string("internal error: the witness found via ") + to_string(d.level) +
                           " falsifies clause " + std::to_string(bad + 1) + " of the CNF");
}

std::string join_sizes(const std::vector<std::size_t>& sizes) {
  std::string s;
  for (std::size_t i = 0; i < sizes.size(); ++i) s += (i ? "," : "") + std::to_string(sizes[i]);
  return s;
}

using reductions::Chain;
using reductions::ChainPlan;
using reductions::Stage;

void decide_kov(const Chain& c, const DecideOptions& options, Decision& d) {
  const KOvInstance& inst = c.kov;
  d.instance_summary = "k = " + std::to_string(inst.k) + ", d = " + std::to_string(inst.d) +
                       ", n = " + join_sizes(inst.sizes());
  const KOvResult r = solve_kov_across_ranks(inst, options.kov_algorithm, options.kov_prune);  // plain solve_kov on one rank
  d.solver = std::string("kov ") + to_string(r.algorithm);
  if (r.searched_sizes != inst.sizes())
    d.solver += " after pruning dominated vectors to n = " + join_sizes(r.searched_sizes);
  d.satisfiable = r.found;
  if (r.found) {
    if (inst.inner_product(r.witness) != 0)
      throw std::logic_error("internal error: the kOV solver returned a non-orthogonal tuple");
    d.level_witness = r.witness;
    d.assignment = c.map_back(Level::kov, r.witness);
  }
}

void decide_maxip(const Chain& c, Decision& d) {
  const MaxIpInstance& mip = *c.maxip;
  d.instance_summary = "k = " + std::to_string(mip.k) + ", d = " + std::to_string(mip.d) +
                       ", n = " + join_sizes(mip.sizes()) + ", YES iff max >= " + std::to_string(mip.gap->threshold);
  const MaxIpResult r = maximize_across_ranks(mip, mip.gap->threshold);
  d.solver = "maxip brute force";
  d.has_gap = true;
  d.best_inner_product = r.best;
  d.yes_threshold = mip.gap->threshold;
  d.no_bound = mip.gap->no_bound;
  const GapAnswer answer = gap_answer(r.best, *mip.gap);
  if (answer == GapAnswer::promise_violated)
    throw std::logic_error("internal error: the direct MaxIP instance broke its promise (max " +
                           std::to_string(r.best) + ")");
  d.satisfiable = answer == GapAnswer::yes;
  if (d.satisfiable) {
    if (c.kov.inner_product(r.argmax) != 0)
      throw std::logic_error("internal error: the MaxIP witness is not an orthogonal kOV tuple");
    d.level_witness = r.argmax;
    d.assignment = c.map_back(Level::maxip, r.argmax);
  }
}

// The exact brute force over the implicit instance's tuples runs up to
// kMaxGapMaxIpWork; past it the pruned search (solvers/gap_maxip_solver.hpp),
// refused past kMaxGapMaxIpPrunedWork from the plan, before anything is built.
double brute_force_gap_work(const ChainPlan& plan) {
  const protocols::ProtocolPlan& p = *plan.protocol;
  const std::vector<std::size_t>& kov = plan.at(Stage::kov).vectors;
  double tuples = double(kov[0]) * std::exp2(p.log2_merlin_messages);
  for (std::size_t q = 1; q < kov.size(); ++q) tuples *= double(kov[q]);
  return tuples * double(p.positions * p.blocks) * double(kov.size());
}

double planned_pruned_work(const ChainPlan& plan) {
  const protocols::ProtocolPlan& p = *plan.protocol;
  return pruned_gap_work(plan.at(Stage::kov).vectors, p.positions, p.blocks, p.product_dimension - p.block_size);
}

void check_gap_work(const ChainPlan& plan) {
  const double brute = brute_force_gap_work(plan);
  if (brute <= kMaxGapMaxIpWork) return;
  const double work = planned_pruned_work(plan);
  if (work <= kMaxGapMaxIpPrunedWork) return;
  const protocols::ProtocolPlan& p = *plan.protocol;
  const std::vector<std::size_t>& kov = plan.at(Stage::kov).vectors;
  double kov_tuples = 1;
  for (std::size_t n : kov) kov_tuples *= double(n);
  const double brute_tuples = kov_tuples * std::exp2(p.log2_merlin_messages);
  throw SizeLimitError("deciding the Gap-MaxIP instance by brute force means " + count_text(brute_tuples) +
                       " tuples, about " + count_text(brute) + " field operations (limit " +
                       count_text(kMaxGapMaxIpWork) + "), and by the pruned search (one candidate Merlin message "
                       "per kOV tuple) " + count_text(kov_tuples) + " kOV tuples, about " + count_text(work) +
                       " field operations (limit " + count_text(kMaxGapMaxIpPrunedWork) +
                       "); the protocol route fits only small formulas: " +
                       reductions::direct_route_hint(false, plan.route.k));
}

void decide_gap_maxip(const Chain& c, Decision& d) {
  const protocols::ProtocolPlan& plan = *c.plan.protocol;
  const reductions::GapMaxIpReduction& gap = *c.gap;
  d.instance_summary = "k = " + std::to_string(gap.k()) + ", n = " + join_sizes(gap.sizes()) +
                       ", implicit dimension n_C |F|^{T(k-1)} = " + std::to_string(plan.positions) + " * " +
                       std::to_string(plan.field_size) + "^" + std::to_string(plan.blocks * (c.kov.k - 1)) +
                       ", YES iff max = " + std::to_string(gap.threshold()) + ", NO iff max <= " +
                       std::to_string(gap.no_bound());
  d.notes = plan.code + " code over GF(" + std::to_string(plan.field_size) + "), T = " + std::to_string(plan.blocks) +
            ", r = " + std::to_string(plan.block_size) + ", n_C = " + std::to_string(plan.positions) + ", " +
            std::to_string(gap.merlin_messages()) + " Merlin messages";
  const GapSearch search = find_accepting_tuple(gap);
  d.has_gap = true;
  d.yes_threshold = gap.threshold();
  d.no_bound = gap.no_bound();
  MaxIpResult r;
  if (brute_force_gap_work(c.plan) <= kMaxGapMaxIpWork) {
    ImplicitMaxIp implicit{gap.k(), gap.sizes(),
                           [&gap](const std::vector<std::size_t>& t) { return gap.inner_product(t); }};
    r = maximize_across_ranks(implicit, gap.threshold());
    d.solver = "gap-maxip brute force (implicit)";
    const GapAnswer answer = gap_answer(r.best, MaxIpGap{gap.threshold(), gap.no_bound()});
    if (answer == GapAnswer::promise_violated)
      throw std::logic_error("internal error: the Gap-MaxIP instance broke its promise (max " +
                             std::to_string(r.best) + ")");
    if ((answer == GapAnswer::yes) != search.found)
      throw std::logic_error("internal error: the pruned Gap-MaxIP search disagrees with the brute force");
    d.satisfiable = answer == GapAnswer::yes;
  } else {
    // Pruned: YES has the tuple reaching n_C; NO means no party-1 vector
    // reaches it, and the promise (Theorem 4.7) bounds the maximum, which is
    // not enumerated.
    d.solver = "gap-maxip pruned search (implicit)";
    d.satisfiable = search.found;
    if (search.found) {
      r.best = gap.inner_product(search.tuple);  // the generic inner product, formed independently
      r.argmax = search.tuple;
      if (r.best != gap.threshold())
        throw std::logic_error("internal error: the pruned Gap-MaxIP witness reaches " + std::to_string(r.best) +
                               ", not n_C = " + std::to_string(gap.threshold()));
    } else {
      d.has_gap = false;
      d.notes += "; no party-1 vector reaches n_C = " + std::to_string(gap.threshold()) + " over " +
                 count_text(search.kov_tuples) +
                 " kOV tuples (one candidate message each); the maximum is not enumerated: by the promise it is at "
                 "most the NO bound " +
                 std::to_string(gap.no_bound());
    }
  }
  d.best_inner_product = r.best;
  if (d.satisfiable) {
    if (c.kov.inner_product(c.kov_tuple(Level::gap_maxip, r.argmax)) != 0)
      throw std::logic_error("internal error: the Gap-MaxIP witness is not an orthogonal kOV tuple");
    d.level_witness = r.argmax;
    d.assignment = c.map_back(Level::gap_maxip, r.argmax);
  }
}

// The decider copies Q and the instance's data rows (at most all of it):
// with the chain's instances that is what solve --via attention holds.
void check_attention_total(double chain_bytes, double attention_bytes, bool protocol, double max_bytes) {
  check_size(std::string("holding the chain's instances (kOV, MaxIP, ") + (protocol ? "the protocol's tables, " : "") +
                 "attention, and the attention's data-row copy)",
             chain_bytes + attention_bytes, max_bytes, "raise --max-bytes");
}

void decide_attention(const Chain& c, const DecideOptions& options, Decision& d) {
  const bool protocol = c.gap != nullptr;
  const reductions::AttentionEmbedding& emb = *c.attention;
  const double held = c.held_bytes + c.built.back().bytes;
  check_attention_total(c.held_bytes, c.built.back().bytes, protocol, options.max_bytes);
  d.instance_summary = "k = " + std::to_string(emb.instance.k) + ", n = " + join_sizes(emb.instance.lengths()) +
                       ", d = " + std::to_string(emb.instance.d()) +
                       (protocol ? " (protocol route, explicit Gap-MaxIP)" : " (direct route)");
  char notes[256];
  std::snprintf(notes, sizeof notes, "beta = %.6g, B = %.6g (paper's C_b (log n)^{1/k} = %.6g), threshold log O >= %.6g",
                emb.beta, emb.entry_bound, emb.paper_entry_bound, emb.log_threshold);
  d.notes = notes;
  AttentionDecideOptions backend;
  backend.backend = c.plan.route.backend;
  backend.eps = options.attention_eps;
  backend.max_bytes = options.max_bytes - held;
  std::optional<AttentionRowDecisions> decided;
  try {
    decided = decide_attention_rows(emb.instance, backend);
  } catch (const SizeLimitError& e) {
    throw reductions::shared_budget_refusal(e, options.max_bytes,
                                            "the kOV, MaxIP and attention instances and its data-row copy", held);
  }
  const AttentionRowDecisions& rows = *decided;
  if (!rows.details.empty()) d.notes += "; " + rows.details;
  {
    // The absolute error the decision tolerates, and the paper's n^{-C_a}.
    std::size_t n = 2;
    for (std::size_t s : c.maxip->sizes()) n = std::max(n, s);
    const double log_n = std::log(double(n));
    d.relative_error = emb.eps_a;
    d.log_o_error = rows.log_o_error;
    d.log_abs_error_tolerated =
        emb.log_o_yes_min + std::log1p(-std::exp(emb.log_o_no_max - emb.log_o_yes_min)) - std::log(2.0);
    d.abs_error_exponent = -d.log_abs_error_tolerated / log_n;
    const MaxIpGap& gap = *c.maxip->gap;
    const double c_b = emb.paper_entry_bound / std::pow(log_n, 1.0 / emb.instance.k);
    d.paper_abs_exponent = 2 + c_b * c_b * (1 - double(std::max<int64_t>(gap.threshold, 1)) / double(c.maxip->d));
  }
  d.solver = "attention " + rows.backend;
  d.has_margin = true;
  d.log_threshold = rows.threshold;
  d.closest_no_log_o = d.closest_yes_log_o = std::nan("");
  for (std::size_t i = 0; i < rows.yes.size(); ++i) {
    double& closest = rows.yes[i] ? d.closest_yes_log_o : d.closest_no_log_o;
    if (std::isnan(closest) || (rows.yes[i] ? rows.log_o[i] < closest : rows.log_o[i] > closest)) closest = rows.log_o[i];
  }
  std::size_t yes_row = rows.yes.size();
  for (std::size_t i = 0; i < rows.yes.size() && yes_row == rows.yes.size(); ++i)
    if (rows.yes[i]) yes_row = i;
  d.satisfiable = yes_row < rows.yes.size();
  if (d.satisfiable) {
    // Row -> party-1 vector (row map), key tuple by argmax, then down the chain.
    const MaxIpInstance& mip = *c.maxip;
    const std::size_t first = static_cast<std::size_t>(emb.instance.manifest->row_map[0][yes_row]);
    const MaxIpResult r = maximize_with_first(mip, first);
    if (r.best < mip.gap->threshold)
      throw std::logic_error("internal error: attention row " + std::to_string(yes_row) +
                             " is YES but its best MaxIP tuple is " + std::to_string(r.best));
    d.level_witness = r.argmax;
    std::vector<std::size_t> rows_of_tuple = r.argmax;  // data row j of each key side is MaxIP vector j
    rows_of_tuple[0] = yes_row;
    d.assignment = c.map_back(Level::attention, rows_of_tuple);
  }
}

}  // namespace

reductions::Route route_of(const DecideOptions& o) {
  reductions::Route r;
  r.to = o.via;
  r.k = o.k;
  r.route = o.attention_protocol_route ? reductions::RouteKind::protocol : reductions::RouteKind::direct;
  r.code = o.code;
  r.target_soundness = o.target_soundness;
  r.attention_eps = o.attention_eps;
  r.backend = o.backend;
  r.split = o.split;
  r.keep_unused = o.keep_unused;
  return r;
}

Decision decide_cnf(const Cnf& cnf, const DecideOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  Decision d;
  d.level = options.via;
  if (options.via == Level::sat) {
    d.solver = "brute-force";
    d.instance_summary = std::to_string(cnf.num_vars) + " variables, " + std::to_string(cnf.num_clauses()) + " clauses";
    d.vectors = {std::size_t(cnf.num_vars)};  // the level's "instance": the formula itself
    d.dimension = double(cnf.num_clauses());
    auto model = solve_sat_brute_force(cnf);
    d.satisfiable = model.has_value();
    if (model) d.assignment = *model;
  } else if (cnf.num_clauses() == 0 && !options.keep_unused) {
    // No clauses: the kOV dimension is 0, every tuple is orthogonal (and every
    // MaxIP tuple meets the threshold 0), so the answer is YES at every level;
    // any assignment is a witness. (--keep-unused builds the literal reduction.)
    d.solver = "none needed";
    d.instance_summary = std::to_string(cnf.num_vars) + " variables, no clauses (kOV dimension 0)";
    d.satisfiable = true;
    d.assignment.assign(static_cast<std::size_t>(cnf.num_vars), false);
    d.notes = "a formula with no clauses is satisfied by every assignment: every tuple is orthogonal";
  } else {
    // Every size is checked on the plan before anything is built.
    const ChainPlan plan = reductions::plan_chain(cnf, route_of(options), options.max_bytes);
    if (options.via == Level::gap_maxip) check_gap_work(plan);
    if (options.via == Level::attention && plan.exact())
      check_attention_total(plan.total_bytes(), plan.last().bytes, plan.protocol.has_value(), options.max_bytes);
    const Chain chain = reductions::build_chain(plan);
    d.reduce_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    d.vectors = chain.built.back().vectors;
    d.dimension = chain.built.back().dimension;
    d.bytes = chain.built.back().bytes;
    switch (options.via) {
      case Level::kov: decide_kov(chain, options, d); break;
      case Level::maxip: decide_maxip(chain, d); break;
      case Level::gap_maxip: decide_gap_maxip(chain, d); break;
      case Level::attention: decide_attention(chain, options, d); break;
      case Level::sat: break;
    }
    if (plan.dropped_vars() > 0) {
      const std::string dropped = std::to_string(plan.dropped_vars()) +
          " variables occur in no clause: dropped before the split, false in the witness (--keep-unused keeps them)";
      d.notes = d.notes.empty() ? dropped : dropped + "; " + d.notes;
    }
  }
  check_witness(cnf, d);
  d.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  d.solve_seconds = d.seconds - d.reduce_seconds;
  return d;
}

}  // namespace sethkit::solvers
