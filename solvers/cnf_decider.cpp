#include "solvers/cnf_decider.hpp"

#include <chrono>
#include <stdexcept>

#include "problems/errors.hpp"
#include "reductions/kov_to_maxip.hpp"
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

}  // namespace

const char* to_string(Level level) {
  switch (level) {
    case Level::sat: return "sat";
    case Level::kov: return "kov";
    case Level::maxip: return "maxip";
  }
  return "?";
}

Level parse_level(const std::string& name) {
  if (name == "sat") return Level::sat;
  if (name == "kov") return Level::kov;
  if (name == "maxip") return Level::maxip;
  throw InputError("", "unknown level '" + name + "' (expected sat, kov or maxip)");
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
  }
  check_witness(cnf, d);
  d.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return d;
}

}  // namespace sethkit::solvers
