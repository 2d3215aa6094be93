#include "tools/solve.hpp"

#include <iostream>

#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "solvers/cnf_decider.hpp"
#include "tools/common.hpp"

namespace sethkit::tools {

CLI::App* setup_solve(CLI::App& app, SolveOptions& o) {
  CLI::App* sub = app.add_subcommand("solve", "Decide a CNF through one level of the reduction chain");
  sub->add_option("FILE", o.file, "CNF file (DIMACS)")->required();
  sub->add_option("--via", o.via,
                  "level whose solver decides: sat (brute force), kov, maxip (direct route), gap-maxip (protocol route), attention")
      ->check(CLI::IsMember({"sat", "kov", "maxip", "gap-maxip", "attention"}))
      ->capture_default_str();
  sub->add_option("--k", o.k, "order k of the kOV level (number of parties)")
      ->check(CLI::Range(2, 16))
      ->capture_default_str();
  sub->add_option("--kov-algorithm", o.kov_algorithm, "kOV solver: auto, packed or small-dimension")
      ->check(CLI::IsMember({"auto", "packed", "small-dimension"}))
      ->capture_default_str();
  sub->add_flag("--no-prune", o.no_prune, "search every kOV vector (do not drop dominated ones first)");
  add_protocol_options(*sub, o.code, o.soundness);
  sub->add_option("--backend", o.backend, "attention: exact or poly (the polynomial method; refuses past its reach)")
      ->check(CLI::IsMember({"exact", "poly"}))
      ->capture_default_str();
  sub->add_option("--route", o.route, "attention: the MaxIP it embeds, direct (signed) or protocol (Gap-MaxIP)")
      ->check(CLI::IsMember({"direct", "protocol"}))
      ->capture_default_str();
  add_max_bytes_option(*sub, o.max_bytes);
  sub->add_flag("--keep-unused", o.keep_unused, "keep variables that occur in no clause (default: dropped before the split)");
  sub->add_flag("--json", o.json, "print one JSON object instead of s/v lines");
  sub->add_flag("--quiet", o.quiet, "no 'c' comment lines");
  sub->add_flag("--lenient", o.lenient, "accept header mismatches and an unterminated last clause");
  return sub;
}

int run_solve(const SolveOptions& o) {
  const Cnf cnf = load_cnf(o.file, o.lenient);
  solvers::DecideOptions options;
  options.via = solvers::parse_level(o.via);
  options.k = o.k;
  options.max_bytes = o.max_bytes;
  options.kov_algorithm = solvers::parse_kov_algorithm(o.kov_algorithm);
  options.kov_prune = !o.no_prune;
  options.code = o.code;
  options.backend = o.backend;
  options.attention_protocol_route = o.route == "protocol";
  options.target_soundness = o.soundness;
  options.keep_unused = o.keep_unused;
  solvers::Decision d;
  try {
    d = solvers::decide_cnf(cnf, options);
  } catch (const TimeoutError&) {
    if (!o.json) std::cout << "s UNKNOWN\n" << std::flush;  // SAT-competition answer for "no answer"
    throw;
  }
  const int exit_code = d.satisfiable ? kExitSatisfiable : kExitUnsatisfiable;

  if (o.json) {
    nlohmann::json j;
    j["file"] = o.file;
    j["via"] = to_string(d.level);
    j["solver"] = d.solver;
    j["instance"] = d.instance_summary;
    j["satisfiable"] = d.satisfiable;
    j["answer"] = d.satisfiable ? "SATISFIABLE" : "UNSATISFIABLE";
    j["seconds"] = d.seconds;
    if (!d.notes.empty()) j["notes"] = d.notes;
    if (d.satisfiable) {
      std::vector<int> lits;
      for (std::size_t v = 0; v < d.assignment.size(); ++v)
        lits.push_back(d.assignment[v] ? int(v + 1) : -int(v + 1));
      j["assignment"] = lits;
      j["witness_checked"] = true;
      if (!d.level_witness.empty()) j["level_witness"] = d.level_witness;
    }
    std::cout << j.dump(2) << '\n';
    return exit_code;
  }
  if (!o.quiet) {
    std::cout << "c sethkit solve " << o.file << " via " << to_string(d.level) << '\n'
              << "c instance: " << d.instance_summary << '\n'
              << "c solver: " << d.solver << ", " << d.seconds << " s\n";
    if (!d.notes.empty()) std::cout << "c " << d.notes << '\n';
    if (d.satisfiable) std::cout << "c witness mapped back and checked on the CNF\n";
  }
  std::cout << (d.satisfiable ? "s SATISFIABLE\n" : "s UNSATISFIABLE\n");
  if (d.satisfiable) print_v_lines(std::cout, d.assignment);
  return exit_code;
}

}  // namespace sethkit::tools
