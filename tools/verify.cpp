#include "tools/verify.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "solvers/cnf_decider.hpp"
#include "solvers/external_sat.hpp"
#include "solvers/sat_brute_force.hpp"
#include "tools/common.hpp"

namespace sethkit::tools {
namespace {

using nlohmann::json;

const char* answer_word(bool sat) { return sat ? "SAT" : "UNSAT"; }

// The reference answer, its model re-checked on the formula.
json reference_answer(const Cnf& cnf, const std::string& reference, bool& satisfiable) {
  json r;
  std::string used = reference;
  if (reference != "brute") {
    const auto solver = reference == "minisat" ? solvers::ExternalSolver::minisat : solvers::ExternalSolver::cadical;
    if (!solvers::external_solver_available(solver)) {
      r["note"] = reference + " not found on PATH; brute force used instead";
      used = "brute";
    } else {
      const auto start = std::chrono::steady_clock::now();
      const solvers::ExternalAnswer a = solvers::run_external_solver(solver, cnf);
      r["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      satisfiable = a.satisfiable;
      if (a.satisfiable && !cnf.satisfied_by(a.model))
        throw ToolError(reference + " returned a model that falsifies the formula");
      r["model_checked"] = a.satisfiable;
    }
  }
  if (used == "brute") {
    const auto start = std::chrono::steady_clock::now();
    const auto model = solvers::solve_sat_brute_force(cnf);
    r["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    satisfiable = model.has_value();
    r["model_checked"] = satisfiable;  // decided by construction, checked anyway
    if (model && !cnf.satisfied_by(*model)) throw std::logic_error("brute-force model falsifies the formula");
  }
  r["solver"] = used;
  r["answer"] = answer_word(satisfiable);
  return r;
}

json check_level(const Cnf& cnf, solvers::DecideOptions options, bool truth) {
  json l;
  l["level"] = to_string(options.via);
  if (options.via != solvers::Level::sat) l["k"] = options.k;
  if (options.via == solvers::Level::attention) l["route"] = options.attention_protocol_route ? "protocol" : "direct";
  try {
    const solvers::Decision d = solvers::decide_cnf(cnf, options);
    l["answer"] = answer_word(d.satisfiable);
    l["solver"] = d.solver;
    l["instance"] = d.instance_summary;
    l["seconds"] = d.seconds;
    l["witness_checked"] = d.satisfiable;  // decide_cnf throws when a witness fails
    l["agrees"] = d.satisfiable == truth;
  } catch (const SizeLimitError& e) {
    l["skipped"] = e.what();
    l["agrees"] = true;
  }
  return l;
}

json verify_file(const std::string& path, const VerifyOptions& o) {
  json f;
  f["file"] = path;
  try {
    const Cnf cnf = load_cnf(path, o.lenient);
    f["variables"] = cnf.num_vars;
    f["clauses"] = cnf.num_clauses();
    bool truth = false;
    f["reference"] = reference_answer(cnf, o.reference, truth);
    json levels = json::array();
    solvers::DecideOptions options;
    options.max_bytes = o.max_bytes;
    options.via = solvers::Level::sat;
    if (cnf.num_vars <= solvers::kMaxBruteForceVariables) levels.push_back(check_level(cnf, options, truth));
    // Every level of the chain (reductions/chain.hpp), attention over both
    // routes; a level whose plan is refused is skipped with the refusal.
    using reductions::Level;
    const std::pair<Level, bool> checks[] = {{Level::kov, false},       {Level::maxip, false},
                                             {Level::gap_maxip, true},  {Level::attention, false},
                                             {Level::attention, true}};
    for (const auto& [level, protocol] : checks) {
      options.via = level;
      options.attention_protocol_route = protocol;
      for (int k : o.ks) {
        options.k = k;
        levels.push_back(check_level(cnf, options, truth));
      }
    }
    bool agree = true;
    for (const auto& l : levels) agree = agree && l["agrees"].get<bool>();
    f["levels"] = levels;
    f["agree"] = agree;
  } catch (const TimeoutError&) {
    throw;  // --timeout ends the whole run (exit 3), not one file
  } catch (const std::exception& e) {
    f["error"] = e.what();
    f["agree"] = false;
  }
  return f;
}

void print_table(const json& report) {
  std::printf("%-34s %5s %6s  %-16s", "file", "vars", "clauses", "reference");
  std::vector<std::string> headers;
  if (!report["files"].empty()) {
    for (const auto& f : report["files"]) {
      if (!f.contains("levels")) continue;
      for (const auto& l : f["levels"])
        headers.push_back(l["level"].get<std::string>() +
                          (l.value("route", "") == "protocol" ? "/protocol" : "") +
                          (l.contains("k") ? "(k=" + std::to_string(l["k"].get<int>()) + ")" : ""));
      break;
    }
  }
  std::vector<int> width;  // a column is as wide as its header, at least 12
  for (const auto& h : headers) width.push_back(std::max<int>(12, int(h.size())));
  for (std::size_t c = 0; c < headers.size(); ++c) std::printf(" %-*s", width[c], headers[c].c_str());
  std::printf(" %s\n", "agree");
  for (const auto& f : report["files"]) {
    const std::string name = f["file"].get<std::string>();
    if (f.contains("error")) {
      std::printf("%-34s error: %s\n", name.c_str(), f["error"].get<std::string>().c_str());
      continue;
    }
    const std::string ref = f["reference"]["answer"].get<std::string>() + " (" +
                            f["reference"]["solver"].get<std::string>() + ")";
    std::printf("%-34s %5d %6zu  %-16s", name.c_str(), f["variables"].get<int>(),
                f["clauses"].get<std::size_t>(), ref.c_str());
    std::size_t column = 0;
    for (const auto& l : f["levels"]) {
      const int w = column < width.size() ? width[column] : 12;
      ++column;
      std::string cell;
      if (l.contains("skipped")) cell = "skipped";
      else cell = l["answer"].get<std::string>() + (l["witness_checked"].get<bool>() ? "+w" : "");
      std::printf(" %-*s", w, cell.c_str());
    }
    std::printf(" %s\n", f["agree"].get<bool>() ? "yes" : "NO");
  }
  std::printf("%s\n", "(+w: the witness found at that level was mapped back and satisfies the CNF)");
}

}  // namespace

CLI::App* setup_verify(CLI::App& app, VerifyOptions& o) {
  CLI::App* sub = app.add_subcommand("verify", "Check every level of the chain against a reference SAT solver");
  sub->add_option("FILE", o.files, "CNF files (DIMACS)")->required();
  sub->add_option("--k", o.ks, "orders k of the kOV level to check (comma-separated)")
      ->delimiter(',')
      ->check(CLI::Range(2, 16))
      ->capture_default_str();
  sub->add_option("--reference", o.reference, "truth: cadical (default), minisat or brute")
      ->check(CLI::IsMember({"cadical", "minisat", "brute"}))
      ->capture_default_str();
  add_max_bytes_option(*sub, o.max_bytes);
  sub->add_flag("--json", o.json, "print one JSON report");
  sub->add_flag("--quiet", o.quiet, "no progress on stderr");
  sub->add_flag("--lenient", o.lenient, "accept header mismatches and an unterminated last clause");
  return sub;
}

int run_verify(const VerifyOptions& o) {
  json report;
  report["files"] = json::array();
  bool all = true;
  const bool progress = !o.quiet && stderr_is_tty();
  for (std::size_t i = 0; i < o.files.size(); ++i) {
    if (progress) std::cerr << "\rverify: " << i + 1 << "/" << o.files.size() << " " << o.files[i] << "\033[K" << std::flush;
    json f = verify_file(o.files[i], o);
    all = all && f["agree"].get<bool>();
    report["files"].push_back(std::move(f));
  }
  if (progress) std::cerr << "\r\033[K" << std::flush;
  report["all_agree"] = all;
  if (o.json) std::cout << report.dump(2) << '\n';
  else print_table(report);
  return all ? kExitOk : kExitError;
}

}  // namespace sethkit::tools
