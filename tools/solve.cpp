#include "tools/solve.hpp"

#include <chrono>
#include <cmath>
#include <iostream>
#include <new>


#include <nlohmann/json.hpp>

#include "attention/backend.hpp"
#include "core/errors.hpp"
#include "core/progress.hpp"
#include "solvers/cnf_decider.hpp"
#include "solvers/external_sat.hpp"
#include "tools/common.hpp"
#include "tools/split_option.hpp"
#include "tools/solve_instance.hpp"

namespace sethkit::tools {

CLI::App* setup_solve(CLI::App& app, SolveOptions& o) {
  CLI::App* sub = app.add_subcommand("solve", "Decide a CNF through one level of the reduction chain, or an instance file");
  sub->add_option("FILE", o.file, "CNF file (DIMACS), kOV or MaxIP file (text or binary), or attention directory")
      ->required();
  sub->add_option("--format", o.format, "the format of FILE: auto (detected), cnf, kov, maxip or attention")
      ->check(CLI::IsMember({"auto", "cnf", "kov", "maxip", "attention"}))
      ->capture_default_str();
  sub->add_option("--threshold", o.threshold,
                  "instance files: the YES threshold (MaxIP: max >= T; attention: log O_i >= T), overriding the file's");
  sub->add_option("--via", o.via,
                  "level whose solver decides: sat (brute force), kov, maxip (direct route), gap-maxip (protocol route), attention, "
                  "or cadical (the external solver, for comparison)")
      ->check(CLI::IsMember({"sat", "kov", "maxip", "gap-maxip", "attention", "cadical"}))
      ->capture_default_str();
  sub->add_option("--k", o.k, "order k of the kOV level (number of parties)")
      ->check(CLI::Range(2, 16))
      ->capture_default_str();
  sub->add_option("--kov-algorithm", o.kov_algorithm, "kOV solver: auto, packed or small-dimension")
      ->check(CLI::IsMember({"auto", "packed", "small-dimension"}))
      ->capture_default_str();
  sub->add_flag("--no-prune", o.no_prune, "search every kOV vector (do not drop dominated ones first)");
  add_protocol_options(*sub, o.code, o.soundness);
  sub->add_option("--backend", o.backend,
                  "attention: the backend that decides the rows (" + cli_backend_list(", ") +
                      "; --precision float for the certified float32 one); an approximate one decides a row only "
                      "when its certified interval is on one side")
      ->check(CLI::IsMember(cli_backend_names()))
      ->capture_default_str();
  sub->add_option("--precision", o.precision,
                  "attention: float runs the exact backend in float32 with its certified rounding bound "
                  "(the registry's float backend); double (default) in float64")
      ->check(CLI::IsMember({"float", "double"}))
      ->capture_default_str();
  sub->add_option("--route", o.route, "attention: the MaxIP it embeds, direct (signed) or protocol (Gap-MaxIP)")
      ->check(CLI::IsMember({"direct", "protocol"}))
      ->capture_default_str();
  add_split_option(*sub, o.split);
  add_max_bytes_option(*sub, o.max_bytes);
  sub->add_flag("--keep-unused", o.keep_unused, "keep variables that occur in no clause (default: dropped before the split)");
  sub->add_flag("--json", o.json, "print one JSON object instead of s/v lines");
  auto* quiet = sub->add_flag("--quiet", o.quiet, "no 'c' comment lines, no progress");
  sub->add_flag("--progress", o.progress, "progress on stderr even when it is not a terminal")->excludes(quiet);
  sub->add_flag("--lenient", o.lenient, "accept header mismatches and an unterminated last clause");
  return sub;
}

namespace {

// NaN (a side without rows) is JSON null.
nlohmann::json number_or_null(double x) { return std::isnan(x) ? nlohmann::json() : nlohmann::json(x); }

void add_measured(nlohmann::json& j, const solvers::Decision& d) {
  if (d.has_gap)
    j["gap"] = {{"best_inner_product", d.best_inner_product},
                {"yes_threshold", d.yes_threshold},
                {"no_bound", d.no_bound}};
  if (d.has_margin) {
    j["margin"] = {{"log_threshold", d.log_threshold},
                   {"closest_no_log_o", number_or_null(d.closest_no_log_o)},
                   {"closest_yes_log_o", number_or_null(d.closest_yes_log_o)}};
    if (d.relative_error > 0)
      // Issue 18 part 6: the relative error used beside the absolute error tolerated (and the paper's).
      j["error_tolerance"] = {{"relative_error", d.relative_error},
                              {"log_o_error", d.log_o_error},
                              {"log_abs_error_tolerated", number_or_null(d.log_abs_error_tolerated)},
                              {"abs_error_exponent", number_or_null(d.abs_error_exponent)},
                              {"paper_abs_exponent", number_or_null(d.paper_abs_exponent)}};
  }
}

// --via cadical: the external solver on the CNF, its model checked, as a
// Decision so that sweep compares it with the chain's levels.
solvers::Decision decide_with_cadical(const Cnf& cnf) {
  if (!solvers::external_solver_available(solvers::ExternalSolver::cadical))
    throw ToolError("cadical is not found on PATH (scripts/install-deps installs it)");
  const auto start = std::chrono::steady_clock::now();
  const solvers::ExternalAnswer a = solvers::run_external_solver(solvers::ExternalSolver::cadical, cnf);
  solvers::Decision d;
  d.level = solvers::Level::sat;
  d.solver = "cadical";
  d.satisfiable = a.satisfiable;
  d.assignment = a.model;
  if (a.satisfiable && !cnf.satisfied_by(a.model)) throw ToolError("cadical returned a model that falsifies the formula");
  d.instance_summary = std::to_string(cnf.num_vars) + " variables, " + std::to_string(cnf.num_clauses()) + " clauses";
  d.vectors = {std::size_t(cnf.num_vars)};
  d.dimension = double(cnf.num_clauses());
  d.seconds = d.solve_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return d;
}

int solve_cnf(const SolveOptions& o, ProgressReporter& progress) {
  const auto start = std::chrono::steady_clock::now();
  progress.stage("reading " + o.file);
  const Cnf cnf = load_cnf(o.file, o.lenient);
  const double read_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  solvers::DecideOptions options;
  options.via = o.via == "cadical" ? solvers::Level::sat : solvers::parse_level(o.via);
  options.k = o.k;
  options.max_bytes = o.max_bytes;
  options.kov_algorithm = solvers::parse_kov_algorithm(o.kov_algorithm);
  options.kov_prune = !o.no_prune;
  options.code = o.code;
  options.backend = attention_backend_of(o);
  options.attention_protocol_route = o.route == "protocol";
  options.target_soundness = o.soundness;
  options.split = o.split;
  options.keep_unused = o.keep_unused;
  solvers::Decision d;
  progress.stage(o.via == "cadical" ? std::string("deciding with cadical")
                                    : "deciding via " + o.via + " (reduce, solve, map back; k = " + std::to_string(o.k) + ")");
  try {
    d = o.via == "cadical" ? decide_with_cadical(cnf) : solvers::decide_cnf(cnf, options);
  } catch (const TimeoutError&) {
    progress.finish();
    if (!o.json) std::cout << "s UNKNOWN\n" << std::flush;  // SAT-competition answer for "no answer"
    throw;
  }
  const int exit_code = d.satisfiable ? kExitSatisfiable : kExitUnsatisfiable;
  progress.finish();  // before the answer: the line never mixes with the s/v lines

  if (o.json) {
    nlohmann::json j;
    j["file"] = o.file;
    j["format"] = "cnf";
    j["via"] = o.via == "cadical" ? std::string("cadical") : std::string(to_string(d.level));
    j["solver"] = d.solver;
    // The instance decided: level, k, n per party (attention: rows per
    // side; sat and cadical: the variables), d (sat: the clauses), bytes.
    j["instance"] = {{"level", o.via == "cadical" ? "sat" : to_string(d.level)},
                     {"k", d.level == solvers::Level::sat ? 0 : o.k},
                     {"n", d.vectors},
                     {"d", d.dimension},
                     {"bytes", d.bytes}};
    j["instance_summary"] = d.instance_summary;
    j["times"] = {{"read", read_seconds}, {"reduce", d.reduce_seconds}, {"solve", d.solve_seconds}, {"map_back", 0.0}};
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
    add_measured(j, d);
    std::cout << j.dump(2) << '\n';
    return exit_code;
  }
  if (!o.quiet) {
    std::cout << "c sethkit solve " << o.file << " via " << (o.via == "cadical" ? "cadical" : to_string(d.level)) << '\n'
              << "c instance: " << d.instance_summary << '\n'
              << "c solver: " << d.solver << ", " << d.seconds << " s\n";
    if (!d.notes.empty()) std::cout << "c " << d.notes << '\n';
    if (d.satisfiable) std::cout << "c witness mapped back and checked on the CNF\n";
  }
  std::cout << (d.satisfiable ? "s SATISFIABLE\n" : "s UNSATISFIABLE\n");
  if (d.satisfiable) print_v_lines(std::cout, d.assignment);
  return exit_code;
}

int solve_any(const SolveOptions& o) {
  ProgressReporter progress("solve", Progress::enabled(o.progress, o.quiet));
  const std::string format = o.format == "auto" ? detect_format(o.file) : o.format;
  if (format == "cnf") {
    if (o.threshold) throw InputError("--threshold", "applies to instance files, not to a CNF");
    return solve_cnf(o, progress);
  }
  return solve_instance_file(o, format, &progress);
}

}  // namespace

// With --json a failure is a JSON object on stdout too: run_guarded
// (tools/common.hpp), with the file and --via from the command line.
int run_solve(const SolveOptions& o) { return solve_any(o); }

}  // namespace sethkit::tools
