#include "tools/verify.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "core/progress.hpp"
#include "solvers/external_sat.hpp"
#include "solvers/sat_brute_force.hpp"
#include "distributed/distributed.hpp"
#include "tools/common.hpp"
#include "tools/split_option.hpp"
#include "tools/subprocess.hpp"

namespace sethkit::tools {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

const char* answer_word(bool sat) { return sat ? "SAT" : "UNSAT"; }

// One column of the run: a level, its k, and for attention the route.
struct Check {
  std::string level;  // sat, kov, maxip, gap-maxip, attention
  int k = 0;          // 0 for sat
  bool protocol = false;
  std::string name() const {
    std::string n = level + (protocol ? "/protocol" : "");
    if (k) n += "(k=" + std::to_string(k) + ")";
    return n;
  }
};

// The fixed columns of the run, from --levels and --k (the same for every
// file, so rows stream under the right headers).
std::vector<Check> checks_of(const VerifyOptions& o) {
  auto selected = [&o](const char* l) { return std::find(o.levels.begin(), o.levels.end(), l) != o.levels.end(); };
  std::vector<Check> c;
  if (selected("sat")) c.push_back({"sat", 0, false});
  for (const char* level : {"kov", "maxip", "gap-maxip", "attention", "protocol"}) {
    if (!selected(level)) continue;
    for (int k : o.ks) c.push_back({level, k, false});
    if (std::string(level) == "attention")
      for (int k : o.ks) c.push_back({level, k, true});
  }
  return c;
}

// The reference answer, its model re-checked on the formula.
json reference_answer(const Cnf& cnf, const VerifyOptions& o, bool& satisfiable) {
  json r;
  if (!o.expect.empty()) {
    satisfiable = o.expect == "sat";
    r["solver"] = "--expect";
    r["answer"] = answer_word(satisfiable);
    return r;
  }
  std::string used = o.reference;
  if (o.reference != "brute") {
    const auto solver = o.reference == "minisat" ? solvers::ExternalSolver::minisat : solvers::ExternalSolver::cadical;
    if (!solvers::external_solver_available(solver)) {
      r["note"] = o.reference + " not found on PATH; brute force used instead";
      used = "brute";
    } else {
      const auto start = Clock::now();
      const solvers::ExternalAnswer a = solvers::run_external_solver(solver, cnf);
      r["seconds"] = std::chrono::duration<double>(Clock::now() - start).count();
      satisfiable = a.satisfiable;
      if (a.satisfiable && !cnf.satisfied_by(a.model))
        throw ToolError(o.reference + " returned a model that falsifies the formula");
      r["model_checked"] = a.satisfiable;
    }
  }
  if (used == "brute") {
    const auto start = Clock::now();
    const auto model = solvers::solve_sat_brute_force(cnf);
    r["seconds"] = std::chrono::duration<double>(Clock::now() - start).count();
    satisfiable = model.has_value();
    r["model_checked"] = satisfiable;
    if (model && !cnf.satisfied_by(*model)) throw std::logic_error("brute-force model falsifies the formula");
  }
  r["solver"] = used;
  r["answer"] = answer_word(satisfiable);
  return r;
}

std::string format_seconds(double s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g s", s);
  return buf;
}

std::string bytes_arg(double b) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f", std::floor(b));
  return buf;
}

// The first line of a child's stderr, without the "sethkit solve: " prefix.
std::string first_error_line(const std::string& err) {
  std::string line = err.substr(0, err.find('\n'));
  const std::string prefix = "sethkit solve: ";
  if (line.rfind(prefix, 0) == 0) line = line.substr(prefix.size());
  return line.empty() ? "no message" : line;
}

// The protocol's exact completeness and soundness on the file's kOV tuples
// (`sethkit protocol FILE --k K --json` in a child; DESIGN.md "verify"):
// agree when both hold, DISAGREE when one fails, skipped when the analysis
// is refused or past its work limit.
json check_protocol(const std::string& path, const Check& c, const VerifyOptions& o, double limit, json l) {
  std::vector<std::string> argv = {self_executable(), "protocol", path,          "--k", std::to_string(c.k),
                                   "--json",          "--max-bytes", bytes_arg(o.max_bytes)};
  if (o.lenient) argv.push_back("--lenient");
  const ChildResult r = run_child(argv, limit);
  l["seconds"] = r.seconds;
  if (r.timed_out) {
    l["status"] = "timeout";
    l["reason"] = "over the time limit of the level";
    return l;
  }
  json j;
  try {
    j = json::parse(r.out);
  } catch (const json::exception&) {
    l["status"] = "DISAGREE";
    l["reason"] = "the protocol analysis printed no JSON (exit " + std::to_string(r.exit_code) +
                  "): " + first_error_line(r.err);
    return l;
  }
  if (j.contains("status")) {  // the error object
    l["status"] = j["status"] == "internal" ? "DISAGREE" : "skipped";
    l["reason"] = (j["status"] == "refused" ? "refused: " : "") + j.value("error", std::string());
    return l;
  }
  const json& a = j.value("analysis", json());
  if (!a.is_object()) {
    l["status"] = "skipped";
    std::string why = a.is_string() ? a.get<std::string>() : std::string("no analysis");
    if (why.rfind("skipped: ", 0) == 0) why = why.substr(9);
    l["reason"] = why;
    return l;
  }
  l["protocol"] = {{"code", j.value("code", "")}, {"n_C", j.value("n_C", 0)},
                   {"soundness_bound", j.value("soundness_bound", 0)}, {"analysis", a}};
  const bool complete = a.value("completeness_holds", false), sound = a.value("soundness_holds", false);
  l["status"] = complete && sound ? "agree" : "DISAGREE";
  l["agrees"] = complete && sound;
  if (!complete) l["reason"] = "completeness fails: a disjoint tuple is rejected at some position";
  else if (!sound) l["reason"] = "soundness fails: an intersecting tuple passes more positions than the bound";
  return l;
}

// Runs one level in a child and gives it a status against the truth.
json check_level(const std::string& path, const Check& c, const VerifyOptions& o, bool truth, Clock::time_point run_deadline,
                 bool has_deadline) {
  json l;
  l["name"] = c.name();
  l["level"] = c.level;
  if (c.k) l["k"] = c.k;
  if (c.level == "attention") l["route"] = c.protocol ? "protocol" : "direct";
  double limit = o.timeout_level;
  bool run_limit = false;
  if (has_deadline) {
    const double left = std::chrono::duration<double>(run_deadline - Clock::now()).count();
    if (left <= 0) {
      l["status"] = "timeout";
      l["reason"] = "the run's --timeout " + format_seconds(o.timeout) + " was reached before this level";
      return l;
    }
    if (limit <= 0 || left < limit) {
      limit = left;
      run_limit = true;
    }
  }
  if (c.level == "protocol") return check_protocol(path, c, o, limit, std::move(l));
  std::vector<std::string> argv = {self_executable(), "solve", path, "--via", c.level, "--json", "--quiet",
                                   "--max-bytes", bytes_arg(o.max_bytes), "--hints-for", "verify"};
  if (c.k) argv.insert(argv.end(), {"--k", std::to_string(c.k)});
  if (c.protocol) argv.insert(argv.end(), {"--route", "protocol"});
  if (c.level == "attention") argv.insert(argv.end(), {"--backend", o.backend, "--precision", o.precision});
  if (!o.split.empty() && c.k) argv.insert(argv.end(), {"--split", o.split});
  if (o.lenient) argv.push_back("--lenient");
  const ChildResult r = run_child(argv, limit);
  l["seconds"] = r.seconds;
  if (r.timed_out) {
    l["status"] = "timeout";
    l["reason"] = run_limit ? "the run's --timeout " + format_seconds(o.timeout) + " was reached"
                            : "over --timeout-level " + format_seconds(o.timeout_level);
    return l;
  }
  if (r.signal) {
    l["status"] = "DISAGREE";
    l["reason"] = "the level crashed (signal " + std::to_string(r.signal) + "): " + first_error_line(r.err);
    return l;
  }
  json j;
  try {
    j = json::parse(r.out);
  } catch (const json::exception&) {
    l["status"] = "DISAGREE";
    l["reason"] = "the level printed no JSON (exit " + std::to_string(r.exit_code) + "): " + first_error_line(r.err);
    return l;
  }
  if (r.exit_code == kExitSatisfiable || r.exit_code == kExitUnsatisfiable) {
    const bool sat = j.value("satisfiable", false);
    l["answer"] = answer_word(sat);
    l["solver"] = j.value("solver", "");
    l["instance"] = j.value("instance", json());
    l["witness_checked"] = j.value("witness_checked", false);
    for (const char* key : {"gap", "margin", "error_tolerance", "level_witness"})
      if (j.contains(key)) l[key] = j[key];
    l["agrees"] = sat == truth;
    l["status"] = sat == truth ? "agree" : "DISAGREE";
    if (sat != truth)
      l["reason"] = std::string("the level says ") + answer_word(sat) + ", the reference " + answer_word(truth);
    return l;
  }
  const std::string status = j.value("status", "");
  const std::string message = j.value("error", first_error_line(r.err));
  if (status == "internal") {
    l["status"] = "DISAGREE";
    l["reason"] = message;
  } else {
    l["status"] = "skipped";
    l["reason"] = (status == "refused" ? "refused: " : "") + message;
  }
  return l;
}

struct Counts {
  std::size_t agree = 0, disagree = 0, skipped = 0, timeout = 0;
  void add(const std::string& s) {
    if (s == "agree") ++agree;
    else if (s == "DISAGREE") ++disagree;
    else if (s == "skipped") ++skipped;
    else ++timeout;
  }
  json to_json() const {
    return {{"agree", agree}, {"DISAGREE", disagree}, {"skipped", skipped}, {"timeout", timeout}};
  }
};

json verify_file(const std::string& path, const VerifyOptions& o, const std::vector<Check>& checks, Counts& counts,
                 Clock::time_point deadline, bool has_deadline, Progress& progress, std::size_t& step) {
  json f;
  f["file"] = path;
  try {
    const Cnf cnf = load_cnf(path, o.lenient);
    f["variables"] = cnf.num_vars;
    f["clauses"] = cnf.num_clauses();
    bool truth = false;
    f["reference"] = reference_answer(cnf, o, truth);
    json levels = json::array();
    Counts mine;
    for (const Check& c : checks) {
      progress.update(double(step++), path + " " + c.name());
      json l = check_level(path, c, o, truth, deadline, has_deadline);
      mine.add(l["status"].get<std::string>());
      levels.push_back(std::move(l));
    }
    f["levels"] = std::move(levels);
    f["counts"] = mine.to_json();
    // A skip is never an agreement: "yes" needs a checked level and nothing else wrong.
    const char* verdict = mine.disagree ? "DISAGREE" : mine.timeout ? "timeout" : mine.agree == 0 ? "unchecked" : "yes";
    f["verdict"] = verdict;
    f["agree"] = std::string(verdict) == "yes";
    counts.agree += mine.agree;
    counts.disagree += mine.disagree;
    counts.skipped += mine.skipped;
    counts.timeout += mine.timeout;
  } catch (const std::exception& e) {
    f["error"] = e.what();
    f["agree"] = false;
    f["verdict"] = "error";
  }
  return f;
}

std::vector<int> column_widths(const std::vector<Check>& checks) {
  std::vector<int> w;
  for (const Check& c : checks) w.push_back(std::max<int>(12, int(c.name().size())));
  return w;
}

void print_header(const std::vector<Check>& checks) {
  std::printf("%-34s %5s %7s  %-16s", "file", "vars", "clauses", "reference");
  const std::vector<int> w = column_widths(checks);
  for (std::size_t c = 0; c < checks.size(); ++c) std::printf(" %-*s", w[c], checks[c].name().c_str());
  std::printf(" %s\n", "agree");
  std::fflush(stdout);
}

std::string gap_note(const json& l) {
  const json& g = l["gap"];
  const long long best = g["best_inner_product"], yes = g["yes_threshold"], no = g["no_bound"];
  char buf[256];
  if (l["answer"] == "SAT")
    std::snprintf(buf, sizeof buf, "YES: the witness tuple reaches %lld (YES threshold %lld, NO bound %lld)", best, yes,
                  no);
  else
    std::snprintf(buf, sizeof buf, "NO: the largest inner product is %lld <= NO bound %lld (YES threshold %lld)", best,
                  no, yes);
  return buf;
}

std::string margin_note(const json& l) {
  const json& m = l["margin"];
  const double t = m["log_threshold"];
  std::string s = "log O threshold " + std::to_string(t) + "; closest NO row ";
  s += m["closest_no_log_o"].is_null() ? "none" : std::to_string(m["closest_no_log_o"].get<double>()) + " (margin " +
                                                      std::to_string(t - m["closest_no_log_o"].get<double>()) + ")";
  s += ", closest YES row ";
  s += m["closest_yes_log_o"].is_null() ? "none" : std::to_string(m["closest_yes_log_o"].get<double>()) + " (margin " +
                                                       std::to_string(m["closest_yes_log_o"].get<double>() - t) + ")";
  if (l.contains("error_tolerance") && l["error_tolerance"]["abs_error_exponent"].is_number()) {
    const json& e = l["error_tolerance"];
    char buf[200];
    std::snprintf(buf, sizeof buf, "; relative error %.3g, absolute error tolerated n^-%.4g (paper: n^-%.4g)",
                  e["relative_error"].get<double>(), e["abs_error_exponent"].get<double>(),
                  e["paper_abs_exponent"].is_number() ? e["paper_abs_exponent"].get<double>() : 0.0);
    s += buf;
  }
  return s;
}

void print_row(const json& f, const std::vector<Check>& checks) {
  const std::string name = f["file"].get<std::string>();
  if (f.contains("error")) {
    std::printf("%-34s error: %s\n", name.c_str(), f["error"].get<std::string>().c_str());
    std::fflush(stdout);
    return;
  }
  const std::string ref =
      f["reference"]["answer"].get<std::string>() + " (" + f["reference"]["solver"].get<std::string>() + ")";
  std::printf("%-34s %5d %7zu  %-16s", name.c_str(), f["variables"].get<int>(), f["clauses"].get<std::size_t>(),
              ref.c_str());
  const std::vector<int> w = column_widths(checks);
  std::vector<std::string> notes;
  std::size_t column = 0;
  for (const auto& l : f["levels"]) {
    const std::string status = l["status"];
    std::string cell = status;
    if (status == "agree" && l.contains("answer"))
      cell = l["answer"].get<std::string>() + (l["witness_checked"].get<bool>() ? "+w" : "");
    else if (status == "agree")
      cell = "holds";  // protocol: completeness and soundness hold on the file's tuples
    std::printf(" %-*s", w[column++], cell.c_str());
    const std::string who = "  " + l["name"].get<std::string>() + " ";
    if (l.contains("reason")) notes.push_back(who + status + ": " + l["reason"].get<std::string>());
    if (l.contains("gap")) notes.push_back(who + "gap: " + gap_note(l));
    if (l.contains("margin")) notes.push_back(who + "margin: " + margin_note(l));
    if (l.contains("protocol")) {
      const json& a = l["protocol"]["analysis"];
      notes.push_back(who + "protocol: " + std::to_string(a.value("disjoint_accepted_everywhere", 0)) + " of " +
                      std::to_string(a.value("disjoint_tuples", 0)) + " disjoint tuples accepted at all " +
                      std::to_string(l["protocol"].value("n_C", 0)) + " positions; intersecting: best message at " +
                      std::to_string(a.value("intersecting_max_accepted", 0)) + " (bound " +
                      std::to_string(l["protocol"].value("soundness_bound", 0)) + ")");
    }
  }
  std::printf(" %s\n", f["verdict"].get<std::string>().c_str());
  for (const auto& n : notes) std::printf("%s\n", n.c_str());
  std::fflush(stdout);
}

int exit_code_of(const Counts& c, bool strict, bool bad_file) {
  if (c.disagree) return kExitDisagree;
  if (c.timeout || (strict && c.skipped)) return kExitTimeout;
  if (bad_file) return kExitError;
  return kExitOk;
}

}  // namespace

CLI::App* setup_verify(CLI::App& app, VerifyOptions& o) {
  CLI::App* sub = app.add_subcommand("verify", "Check every level of the chain against a reference SAT solver");
  sub->add_option("FILE", o.files, "CNF files (DIMACS)")->required();
  sub->add_option("--k", o.ks, "orders k of the kOV level to check (comma-separated)")
      ->delimiter(',')
      ->check(CLI::Range(2, 16))
      ->capture_default_str();
  sub->add_option("--levels", o.levels,
                  "levels to check (comma-separated; attention covers both routes; protocol, not among the defaults, "
                  "checks the MA protocol's exact completeness and soundness on the file's kOV tuples)")
      ->delimiter(',')
      ->check(CLI::IsMember({"sat", "kov", "maxip", "gap-maxip", "attention", "protocol"}))
      ->capture_default_str();
  sub->add_option("--reference", o.reference, "truth: cadical (default), minisat or brute")
      ->check(CLI::IsMember({"cadical", "minisat", "brute"}))
      ->capture_default_str();
  sub->add_option("--expect", o.expect, "the known answer of every FILE (sat or unsat), used instead of --reference")
      ->check(CLI::IsMember({"sat", "unsat"}));
  sub->add_option("--timeout-level", o.timeout_level, "seconds each level may take (it is killed past them: timeout)")
      ->check(CLI::PositiveNumber);
  sub->add_option("--timeout", o.timeout, "seconds the whole run may take (levels past it: timeout)")
      ->check(CLI::PositiveNumber);
  sub->add_flag("--strict", o.strict, "a skipped level fails the run (exit 3)");
  add_max_bytes_option(*sub, o.max_bytes);
  auto* json_flag = sub->add_flag("--json", o.json, "print one JSON document at the end");
  sub->add_flag("--jsonl", o.jsonl, "print one JSON line per file as it finishes, then a summary line")
      ->excludes(json_flag);
  auto* quiet = sub->add_flag("--quiet", o.quiet, "no progress on stderr");
  sub->add_flag("--progress", o.progress, "progress on stderr even when it is not a terminal")->excludes(quiet);
  sub->add_flag("--lenient", o.lenient, "accept header mismatches and an unterminated last clause");
  sub->add_option("--backend", o.backend,
                  "attention levels: the backend that decides the rows (" + cli_backend_list(", ") +
                      "), as solve --backend")
      ->check(CLI::IsMember(cli_backend_names()))
      ->capture_default_str();
  sub->add_option("--precision", o.precision,
                  "attention levels: float runs the certified float32 backend, as solve --precision")
      ->check(CLI::IsMember({"float", "double"}))
      ->capture_default_str();
  add_split_option(*sub, o.split);
  return sub;
}

int run_verify(const VerifyOptions& o) {
  if (o.precision == "float" && o.backend != "exact")
    throw UsageError("--precision float applies to --backend exact (it runs the exact kernel in float32 with its "
                     "certified rounding bound), not --backend " + o.backend);
  if (!o.split.empty() && o.split != "interleaved") {
    const auto groups = std::size_t(std::count(o.split.begin(), o.split.end(), ',')) + 1;
    for (int k : o.ks)
      if (groups != std::size_t(k))
        throw UsageError("--split " + o.split + " names " + std::to_string(groups) + " variable groups but --k " +
                         std::to_string(k) + " needs " + std::to_string(k) +
                         "; give one --k, or use --split interleaved for several");
  }
  const std::vector<Check> checks = checks_of(o);
  const auto start = Clock::now();
  const bool has_deadline = o.timeout > 0;
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.timeout));
  json report;
  report["levels"] = json::array();
  for (const Check& c : checks) report["levels"].push_back(c.name());
  report["files"] = json::array();
  Counts counts;
  bool bad_file = false, all = true;
  Progress progress("verify", double(o.files.size() * checks.size()), Progress::enabled(o.progress, o.quiet));
  std::size_t step = 0;
  const bool text = !o.json && !o.jsonl;
  if (text) print_header(checks);
  // Under mpirun file i goes to rank i % R; after each round of R files rank
  // 0 gathers the rows and prints them in input order (one row a file, as
  // alone). The counts are summed from the rows, on rank 0.
  const std::size_t ranks = std::size_t(distributed::size()), me = std::size_t(distributed::rank());
  for (std::size_t round = 0; round < o.files.size(); round += ranks) {
    std::string mine;
    distributed::step([&] {
      const std::size_t i = round + me;
      if (i >= o.files.size()) return;
      step = i * checks.size();  // a bad file skips its levels
      Counts unused;
      mine = verify_file(o.files[i], o, checks, unused, deadline, has_deadline, progress, step).dump();
    });
    for (const std::string& row : distributed::gather_strings(mine)) {
      if (row.empty()) continue;
      json f = json::parse(row);
      if (f.contains("counts"))
        for (const char* status : {"agree", "DISAGREE", "skipped", "timeout"})
          for (std::size_t t = 0; t < f["counts"][status].get<std::size_t>(); ++t) counts.add(status);
      bad_file = bad_file || f.contains("error");
      all = all && f["agree"].get<bool>();
      if (text) print_row(f, checks);
      if (o.jsonl) std::cout << f.dump() << '\n' << std::flush;
      if (o.json) report["files"].push_back(std::move(f));
    }
  }
  progress.finish();
  const int rc = exit_code_of(counts, o.strict, bad_file);
  json summary = counts.to_json();
  summary["files"] = o.files.size();
  summary["levels"] = counts.agree + counts.disagree + counts.skipped + counts.timeout;
  summary["all_agree"] = all;
  summary["strict"] = o.strict;
  summary["exit_code"] = rc;
  summary["seconds"] = std::chrono::duration<double>(Clock::now() - start).count();
  if (o.json) {
    report["summary"] = summary;
    report["all_agree"] = all;
    std::cout << report.dump(2) << '\n';
  } else if (o.jsonl) {
    std::cout << json{{"summary", summary}}.dump() << '\n';
  } else {
    std::printf("(+w: the witness found at that level was mapped back and satisfies the CNF)\n");
    std::printf("summary: %zu files, %zu levels: %zu agree, %zu DISAGREE, %zu skipped, %zu timeout%s\n", o.files.size(),
                std::size_t(summary["levels"]), counts.agree, counts.disagree, counts.skipped, counts.timeout,
                o.strict && counts.skipped ? " (--strict: a skip fails the run)" : "");
  }
  return rc;
}

}  // namespace sethkit::tools
