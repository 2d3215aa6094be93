#include "solvers/cnf_decider.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <utility>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "core/errors.hpp"
#include "reductions/kov_to_gap_maxip.hpp"
#include "reductions/kov_to_maxip.hpp"
#include "reductions/maxip_to_attention.hpp"
#include "solvers/attention_decider.hpp"
#include "reductions/sat_to_kov.hpp"
#include "solvers/maxip_solver.hpp"
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

// The protocol route's instance for a kOV instance: parameters chosen for
// the target soundness, refused (with sizes) before a code is built or
// Merlin's messages are enumerated, and refused when brute force would pass
// kMaxGapMaxIpWork.
std::pair<protocols::ProtocolPlan, std::unique_ptr<reductions::GapMaxIpReduction>> build_gap_reduction(
    const KOvInstance& kov, const DecideOptions& options) {
  const protocols::ProtocolPlan plan =
      protocols::choose_parameters(std::size_t(kov.d), kov.k, options.target_soundness, options.code);
  const double first = double(kov.parties[0].size());
  check_size("the Gap-MaxIP instance: " + std::to_string(kov.parties[0].size()) + " x " +
                 count_text(std::exp2(plan.log2_merlin_messages)) + " party-1 vectors (Merlin messages of " + plan.code +
                 " over GF(" + std::to_string(plan.field_size) + "), T = " + std::to_string(plan.blocks) +
                 ", r = " + std::to_string(plan.block_size) + ")",
             first * std::exp2(plan.log2_merlin_messages) * double(plan.positions) * 4.0, options.max_bytes,
             "the protocol route fits only tiny formulas; use --via maxip for the direct route");
  double tuples = first * std::exp2(plan.log2_merlin_messages);
  for (int p = 1; p < kov.k; ++p) tuples *= double(kov.parties[std::size_t(p)].size());
  const double work = tuples * double(plan.positions * plan.blocks) * kov.k;
  if (work > kMaxGapMaxIpWork)
    throw SizeLimitError("deciding the Gap-MaxIP instance by brute force means " + count_text(tuples) +
                         " tuples, about " + count_text(work) + " field operations (limit " +
                         count_text(kMaxGapMaxIpWork) +
                         "); the protocol route fits only tiny formulas: use --via maxip for the direct route");
  auto protocol = std::make_shared<protocols::MaDisjointness>(std::size_t(kov.d), kov.k, plan.blocks,
                                                              protocols::build_code(plan));
  return {plan, std::make_unique<reductions::GapMaxIpReduction>(kov, protocol, options.max_bytes)};
}

// A stage's refusal, saying that --max-bytes is shared by the chain and how
// much of it the earlier stages hold.
SizeLimitError shared_budget_refusal(const SizeLimitError& e, double max_bytes, const std::string& held_by,
                                     double held) {
  return SizeLimitError(std::string(e.what()) + " (--max-bytes " + human_bytes(max_bytes) +
                        " covers the whole chain; already held by " + held_by + ": " + human_bytes(held) + ")");
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

Decision decide_cnf(const Cnf& cnf, const DecideOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  Decision d;
  d.level = options.via;
  switch (options.via) {
    case Level::sat: {
      d.solver = "brute-force";
      d.instance_summary = std::to_string(cnf.num_vars) + " variables, " + std::to_string(cnf.num_clauses()) + " clauses";
      auto model = solve_sat_brute_force(cnf);
      d.satisfiable = model.has_value();
      if (model) d.assignment = *model;
      break;
    }
    case Level::kov: {
      const auto split = reductions::split_variables(cnf.num_vars, options.k);
      const KOvInstance inst = reductions::sat_to_kov(cnf, options.k, options.max_bytes);
      d.instance_summary = "k = " + std::to_string(inst.k) + ", d = " + std::to_string(inst.d) +
                           ", n = " + join_sizes(inst.sizes());
      const KOvResult r = solve_kov(inst, options.kov_algorithm, options.kov_prune);
      d.solver = std::string("kov ") + to_string(r.algorithm);
      if (r.searched_sizes != inst.sizes())
        d.solver += " after pruning dominated vectors to n = " + join_sizes(r.searched_sizes);
      d.satisfiable = r.found;
      if (r.found) {
        if (inst.inner_product(r.witness) != 0)
          throw std::logic_error("internal error: the kOV solver returned a non-orthogonal tuple");
        d.level_witness = r.witness;
        d.assignment = reductions::kov_witness_to_assignment(split, r.witness);
      }
      break;
    }
    case Level::maxip: {
      const auto split = reductions::split_variables(cnf.num_vars, options.k);
      const KOvInstance kov = reductions::sat_to_kov(cnf, options.k, options.max_bytes);
      const MaxIpInstance mip = reductions::kov_to_maxip(kov, options.max_bytes);
      d.instance_summary = "k = " + std::to_string(mip.k) + ", d = " + std::to_string(mip.d) +
                           ", n = " + join_sizes(mip.sizes()) + ", YES iff max >= " +
                           std::to_string(mip.gap->threshold);
      const MaxIpResult r = maximize_inner_product(mip, mip.gap->threshold);
      d.solver = "maxip brute force";
      const GapAnswer answer = gap_answer(r.best, *mip.gap);
      if (answer == GapAnswer::promise_violated)
        throw std::logic_error("internal error: the direct MaxIP instance broke its promise (max " +
                               std::to_string(r.best) + ")");
      d.satisfiable = answer == GapAnswer::yes;
      if (d.satisfiable) {
        if (kov.inner_product(r.argmax) != 0)
          throw std::logic_error("internal error: the MaxIP witness is not an orthogonal kOV tuple");
        d.level_witness = r.argmax;
        d.assignment = reductions::kov_witness_to_assignment(split, r.argmax);
      }
      break;
    }
    case Level::gap_maxip: {
      const auto split = reductions::split_variables(cnf.num_vars, options.k);
      const KOvInstance kov = reductions::sat_to_kov(cnf, options.k, options.max_bytes);
      const auto built = build_gap_reduction(kov, options);
      const protocols::ProtocolPlan& plan = built.first;
      const reductions::GapMaxIpReduction& gap = *built.second;
      d.instance_summary = "k = " + std::to_string(gap.k()) + ", n = " + join_sizes(gap.sizes()) +
                           ", implicit dimension n_C |F|^{T(k-1)} = " + std::to_string(plan.positions) + " * " +
                           std::to_string(plan.field_size) + "^" + std::to_string(plan.blocks * (kov.k - 1)) +
                           ", YES iff max = " + std::to_string(gap.threshold()) + ", NO iff max <= " +
                           std::to_string(gap.no_bound());
      d.notes = plan.code + " code over GF(" + std::to_string(plan.field_size) + "), T = " + std::to_string(plan.blocks) +
                ", r = " + std::to_string(plan.block_size) + ", n_C = " + std::to_string(plan.positions) +
                ", " + std::to_string(gap.merlin_messages()) + " Merlin messages";
      ImplicitMaxIp implicit{gap.k(), gap.sizes(),
                             [&gap](const std::vector<std::size_t>& t) { return gap.inner_product(t); }};
      const MaxIpResult r = maximize_inner_product(implicit, gap.threshold());
      d.solver = "gap-maxip brute force (implicit)";
      const GapAnswer answer = gap_answer(r.best, MaxIpGap{gap.threshold(), gap.no_bound()});
      if (answer == GapAnswer::promise_violated)
        throw std::logic_error("internal error: the Gap-MaxIP instance broke its promise (max " +
                               std::to_string(r.best) + ")");
      d.satisfiable = answer == GapAnswer::yes;
      if (d.satisfiable) {
        const auto tuple = gap.kov_tuple(r.argmax);
        if (kov.inner_product(tuple) != 0)
          throw std::logic_error("internal error: the Gap-MaxIP witness is not an orthogonal kOV tuple");
        d.level_witness = r.argmax;
        d.assignment = reductions::kov_witness_to_assignment(split, tuple);
      }
      break;
    }
    case Level::attention: {
      // The kOV, MaxIP and attention instances are all held until the
      // witness is mapped back, so one --max-bytes covers them together:
      // each stage may use what the instances before it leave.
      double held = 0;
      const auto split = reductions::split_variables(cnf.num_vars, options.k);
      const KOvInstance kov = reductions::sat_to_kov(cnf, options.k, options.max_bytes);
      held += kov_binary_bytes(kov.k, kov.d, kov.sizes());
      // The MaxIP instance of the chosen route; its party-1 vectors are the query rows.
      std::unique_ptr<reductions::GapMaxIpReduction> gap;
      MaxIpInstance mip;
      try {
        if (options.attention_protocol_route) {
          DecideOptions left = options;
          left.max_bytes = options.max_bytes - held;
          gap = build_gap_reduction(kov, left).second;
          held += gap->memory_bytes();
          mip = gap->explicit_instance(options.max_bytes - held);
        } else {
          mip = reductions::kov_to_maxip(kov, options.max_bytes - held);
        }
      } catch (const SizeLimitError& e) {
        throw shared_budget_refusal(e, options.max_bytes,
                                    gap ? "the kOV instance and the protocol's tables" : "the kOV instance", held);
      }
      held += maxip_memory_bytes(mip.d, mip.sizes());
      std::optional<reductions::AttentionEmbedding> built;
      try {
        built = reductions::maxip_to_attention(mip, options.attention_eps, options.max_bytes - held);
      } catch (const SizeLimitError& e) {
        throw shared_budget_refusal(
            e, options.max_bytes, gap ? "the kOV and MaxIP instances and the protocol's tables" : "the kOV and MaxIP instances",
            held);
      }
      const reductions::AttentionEmbedding& emb = *built;
      // The decider also copies Q and the instance's data rows (at most all of it).
      held += 2 * 8.0 * double(emb.instance.entries());
      check_size(std::string("holding the chain's instances (kOV, MaxIP, ") + (gap ? "the protocol's tables, " : "") +
                     "attention, and the attention's data-row copy)",
                 held, options.max_bytes, "raise --max-bytes");
      d.instance_summary = "k = " + std::to_string(emb.instance.k) + ", n = " + join_sizes(emb.instance.lengths()) +
                           ", d = " + std::to_string(emb.instance.d()) +
                           (gap ? " (protocol route, explicit Gap-MaxIP)" : " (direct route)");
      char notes[256];
      std::snprintf(notes, sizeof notes, "beta = %.6g, B = %.6g (paper's C_b (log n)^{1/k} = %.6g), threshold log O >= %.6g",
                    emb.beta, emb.entry_bound, emb.paper_entry_bound, emb.log_threshold);
      d.notes = notes;
      AttentionDecideOptions backend;
      backend.backend = options.attention_backend;
      backend.eps = options.attention_eps;
      backend.max_bytes = options.max_bytes - held;
      std::optional<AttentionRowDecisions> decided;
      try {
        decided = decide_attention_rows(emb.instance, backend);
      } catch (const SizeLimitError& e) {
        throw shared_budget_refusal(e, options.max_bytes, "the kOV, MaxIP and attention instances and its data-row copy",
                                    held);
      }
      const AttentionRowDecisions& rows = *decided;
      if (!rows.details.empty()) d.notes += "; " + rows.details;
      d.solver = "attention " + rows.backend;
      std::size_t yes_row = rows.yes.size();
      for (std::size_t i = 0; i < rows.yes.size() && yes_row == rows.yes.size(); ++i)
        if (rows.yes[i]) yes_row = i;
      d.satisfiable = yes_row < rows.yes.size();
      if (d.satisfiable) {
        // Row -> party-1 vector (row map), key tuple by argmax, then down the chain.
        const std::size_t first = static_cast<std::size_t>(emb.instance.manifest->row_map[0][yes_row]);
        const MaxIpResult r = maximize_with_first(mip, first);
        if (r.best < mip.gap->threshold)
          throw std::logic_error("internal error: attention row " + std::to_string(yes_row) +
                                 " is YES but its best MaxIP tuple is " + std::to_string(r.best));
        d.level_witness = r.argmax;
        d.assignment = reductions::kov_witness_to_assignment(split, gap ? gap->kov_tuple(r.argmax) : r.argmax);
      }
      break;
    }
  }
  check_witness(cnf, d);
  d.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return d;
}

}  // namespace sethkit::solvers
