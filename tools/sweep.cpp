#include "tools/sweep.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/errors.hpp"
#include "core/progress.hpp"
#include "distributed/distributed.hpp"
#include "reductions/chain.hpp"
#include "tools/subprocess.hpp"

namespace sethkit::tools {
namespace {

using nlohmann::json;
using Row = std::map<std::string, std::string>;
namespace fs = std::filesystem;

// The routes of the command line: the solve options of each, and the chain
// route its predicted sizes come from (none for sat and cadical).
struct RouteSpec {
  std::string name;
  std::vector<std::string> solve_args;
  bool chain = true;
  reductions::Level level = reductions::Level::kov;
  bool poly = false;
};

RouteSpec route_spec(const std::string& name) {
  using reductions::Level;
  if (name == "sat") return {name, {"--via", "sat"}, false, Level::sat};
  if (name == "cadical") return {name, {"--via", "cadical"}, false, Level::sat};
  if (name == "kov") return {name, {"--via", "kov"}, true, Level::kov};
  if (name == "maxip") return {name, {"--via", "maxip"}, true, Level::maxip};
  if (name == "gap-maxip") return {name, {"--via", "gap-maxip"}, true, Level::gap_maxip};
  if (name == "attention") return {name, {"--via", "attention"}, true, Level::attention};
  if (name == "attention-poly") return {name, {"--via", "attention", "--backend", "poly"}, true, Level::attention, true};
  throw InputError("--routes", "unknown route '" + name + "'");
}

struct Range {
  long long first = 0, last = 0, step = 1;
};

Range parse_range(const std::string& text) {
  Range r;
  char tail = 0;
  const int n = std::sscanf(text.c_str(), "%lld:%lld:%lld%c", &r.first, &r.last, &r.step, &tail);
  if (n == 1) {
    r.last = r.first;
    r.step = 1;
  } else if (n != 3) {
    throw CLI::ValidationError("--vars", "expected A:B:STEP (or one value), found '" + text + "'");
  }
  if (r.step <= 0 || r.first > r.last || r.first < 0)
    throw CLI::ValidationError("--vars", "'" + text + "' is empty or has a step <= 0: use A:B:STEP with A <= B, STEP >= 1");
  if ((r.last - r.first) / r.step > 10000) throw CLI::ValidationError("--vars", "more than 10000 values in '" + text + "'");
  return r;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') fields.back() += '"', ++i;
      else if (c == '"') quoted = false;
      else fields.back() += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  return fields;
}

std::string key_of(const Row& r) {
  return r.at("family") + "|" + r.at("parameters") + "|" + r.at("seed") + "|" + r.at("route") + "|" + r.at("k");
}

// The bytes of the file, empty when it cannot be read (no earlier run).
std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The rows of an earlier run of the same CSV (resume), from its text;
// InputError when the file has other columns.
std::vector<Row> read_csv(const std::string& path, const std::string& text) {
  std::vector<Row> rows;
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line)) return rows;
  const std::vector<std::string> header = split_csv_line(line);
  if (header != kSweepColumns)
    throw InputError(path, "is not a sweep CSV of this version (its header differs): remove it or pick another --csv");
  std::size_t number = 1;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    const std::vector<std::string> f = split_csv_line(line);
    if (f.size() != header.size()) continue;  // a row cut short by a kill: run it again
    Row r;
    for (std::size_t i = 0; i < f.size(); ++i) r[header[i]] = f[i];
    rows.push_back(std::move(r));
  }
  return rows;
}

std::string number_text(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}

std::string join(const std::vector<std::size_t>& v) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? " " : "") + std::to_string(v[i]);
  return s;
}

struct Instance {
  std::string family, parameters, seed, file;
  int vars = 0;
  std::size_t clauses = 0;
};

// Writes the family's formula with `sethkit gen` in a child (the same
// options and bytes as gen on the command line); kept for reruns.
Instance generate(const SweepOptions& o, long long value, int seed) {
  Instance in;
  in.family = o.family;
  std::vector<std::string> args = {"--" + o.over, std::to_string(value)};
  if (!o.ratio.empty()) args.insert(args.end(), {"--ratio", o.ratio});
  if (!o.clauses.empty()) args.insert(args.end(), {"--clauses", o.clauses});
  if (!o.width.empty()) args.insert(args.end(), {"--k", o.width});
  args.insert(args.end(), o.gen_args.begin(), o.gen_args.end());
  for (std::size_t i = 0; i < args.size(); ++i) in.parameters += (i ? " " : "") + args[i];
  in.seed = std::to_string(seed);
  std::string stem = o.family;
  for (const auto& a : args) stem += "_" + (a.rfind("--", 0) == 0 ? a.substr(2) : a);
  in.file = (fs::path(o.workdir) / (stem + "_seed" + in.seed + ".cnf")).string();
  std::error_code ec;
  if (!fs::exists(in.file, ec)) {
    std::vector<std::string> argv = {self_executable(), "gen", o.family};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--seed", in.seed, "-o", in.file});
    const ChildResult r = run_child(argv, 600);
    if (r.exit_code != 0)
      throw InputError("sweep", "sethkit gen " + o.family + " " + in.parameters + " --seed " + in.seed +
                                    " failed: " + r.err.substr(0, r.err.find('\n')));
  }
  return in;
}

void count(Instance& in) {
  const Cnf cnf = load_cnf(in.file, false);
  in.vars = cnf.num_vars;
  in.clauses = cnf.num_clauses();
}

// plan_chain's sizes for the route's level (no budget: predicted even when
// the run is refused); blank when the plan itself refuses.
void add_prediction(Row& row, const Cnf& cnf, const RouteSpec& spec, const SweepOptions& o) {
  row["predicted_vectors_per_party"] = row["predicted_dimension"] = row["predicted_bytes"] = "";
  if (!spec.chain) return;
  try {
    reductions::Route route;
    route.to = spec.level;
    route.k = o.k;
    route.code = o.code;
    route.backend = spec.poly ? "poly" : "exact";
    const reductions::ChainPlan plan = reductions::plan_chain(cnf, route, reductions::kNoBudget);
    const reductions::StageSize& s = plan.last();
    row["predicted_vectors_per_party"] = join(s.vectors);
    row["predicted_dimension"] = number_text(s.implicit_dimension > 0 ? s.implicit_dimension : s.dimension);
    row["predicted_bytes"] = number_text(s.bytes);
  } catch (const std::exception&) {
  }
}

// One run's row; "agrees" is left blank here and filled by set_agreement on
// rank 0, which holds CaDiCaL's answers (a run may be on another rank than
// its instance's truth run).
Row run_one(const Instance& in, const Cnf& cnf, const RouteSpec& spec, const SweepOptions& o) {
  Row row;
  row["family"] = in.family;
  row["parameters"] = in.parameters;
  row["seed"] = in.seed;
  row["vars"] = std::to_string(in.vars);
  row["clauses"] = std::to_string(in.clauses);
  row["route"] = spec.name;
  row["k"] = spec.chain ? std::to_string(o.k) : "";
  row["code"] = spec.level == reductions::Level::gap_maxip ? o.code : "";
  row["file"] = in.file;
  for (const char* c : {"answer", "agrees", "reduce_seconds", "solve_seconds", "vectors_per_party", "dimension", "bytes"})
    row[c] = "";
  add_prediction(row, cnf, spec, o);
  std::vector<std::string> argv = {self_executable(), "solve", in.file, "--json", "--quiet",
                                   "--max-bytes", number_text(o.max_bytes), "--hints-for", "sweep"};
  argv.insert(argv.end(), spec.solve_args.begin(), spec.solve_args.end());
  if (spec.chain) argv.insert(argv.end(), {"--k", std::to_string(o.k)});
  if (spec.level == reductions::Level::gap_maxip) argv.insert(argv.end(), {"--code", o.code});
  const ChildResult r = run_child(argv, o.timeout);
  if (r.timed_out) {
    row["status"] = "timeout";
    row["solve_seconds"] = number_text(r.seconds);
    return row;
  }
  json j;
  try {
    j = json::parse(r.out);
  } catch (const json::exception&) {
    row["status"] = "error";
    return row;
  }
  if (r.exit_code == kExitSatisfiable || r.exit_code == kExitUnsatisfiable) {
    row["status"] = "ok";
    row["answer"] = r.exit_code == kExitSatisfiable ? "SAT" : "UNSAT";
    const json& t = j["times"];
    row["reduce_seconds"] = number_text(t.value("reduce", 0.0));
    row["solve_seconds"] = number_text(t.value("solve", 0.0));
    const json& i = j["instance"];
    row["vectors_per_party"] = join(i.value("n", std::vector<std::size_t>{}));
    row["dimension"] = number_text(i.value("d", 0.0));
    row["bytes"] = number_text(i.value("bytes", 0.0));
    return row;
  }
  row["status"] = j.value("status", "") == "refused" ? "refused" : "error";
  return row;
}

// Whether the run's answer agrees with CaDiCaL's on its instance (blank for
// CaDiCaL itself, for a run without an answer and when CaDiCaL had none).
void set_agreement(Row& row, const RouteSpec& spec, const std::string& truth) {
  if (row.at("status") == "ok" && !truth.empty() && spec.name != "cadical")
    row["agrees"] = row.at("answer") == truth ? "yes" : "NO";
}

// A run of the sweep, planned before any run so that every rank holds the
// same list: the instance, the route, whether it is CaDiCaL's run for the
// instance's answer (the truth the other rows are compared with), whether
// its row goes into the CSV, and the progress count before it.
struct Run {
  std::size_t instance = 0;
  RouteSpec spec;
  bool truth = false, record = true;
  std::size_t position = 0;
};

std::string instance_id(const Instance& in) { return in.family + "|" + in.parameters + "|" + in.seed; }

// The runs in the single process's order: per instance CaDiCaL first when its
// answer is not in the CSV yet (its row recorded when cadical is a route),
// then every route whose row is not in the CSV. `done` (the CSV's rows) gains
// the planned rows; `resumed` counts the routes found there.
std::vector<Run> plan_runs(const std::vector<Instance>& instances, const std::vector<RouteSpec>& routes,
                           const SweepOptions& o, std::set<std::string>& done,
                           const std::map<std::string, std::string>& truth, std::size_t& resumed) {
  std::vector<Run> runs;
  const bool cadical_listed = std::find(o.routes.begin(), o.routes.end(), "cadical") != o.routes.end();
  std::set<std::string> planned;
  std::size_t position = 0;
  for (std::size_t i = 0; i < instances.size(); ++i) {
    const Instance& in = instances[i];
    auto key = [&](const RouteSpec& spec) {
      return key_of(Row{{"family", in.family}, {"parameters", in.parameters}, {"seed", in.seed}, {"route", spec.name},
                        {"k", spec.chain ? std::to_string(o.k) : ""}});
    };
    if (!truth.count(instance_id(in))) {
      const RouteSpec cadical = route_spec("cadical");
      const std::string k = key(cadical);
      const bool record = cadical_listed && !done.count(k);
      runs.push_back({i, cadical, true, record, position});
      if (record) {
        done.insert(k);
        planned.insert(k);
      }
    }
    for (const RouteSpec& spec : routes) {
      ++position;
      const std::string k = key(spec);
      if (done.count(k)) {
        if (!planned.count(k)) ++resumed;
        continue;
      }
      runs.push_back({i, spec, false, true, position - 1});
      done.insert(k);
      planned.insert(k);
    }
  }
  return runs;
}

// The instance list as text (rank 0 lists and generates, the others read it).
std::string instances_text(const std::vector<Instance>& instances) {
  json j = json::array();
  for (const Instance& in : instances) j.push_back({in.family, in.parameters, in.seed, in.file});
  return j.dump();
}

std::vector<Instance> instances_of(const std::string& text) {
  std::vector<Instance> instances;
  for (const json& e : json::parse(text))
    instances.push_back({e[0].get<std::string>(), e[1].get<std::string>(), e[2].get<std::string>(),
                         e[3].get<std::string>()});
  return instances;
}

// The instances in input order: the folder's .cnf files sorted by name, or
// the family's formulas over the range and seeds (generated when missing).
std::vector<Instance> list_instances(const SweepOptions& o) {
  std::vector<Instance> instances;
  std::error_code ec;
  if (!o.dir.empty()) {
    if (!fs::is_directory(o.dir, ec)) throw InputError(o.dir, "is not a folder");
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(o.dir, ec))
      if (e.path().extension() == ".cnf") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    if (files.empty()) throw InputError(o.dir, "holds no .cnf file");
    for (const auto& f : files) instances.push_back({"dir", fs::path(f).filename().string(), "0", f});
  } else {
    fs::create_directories(o.workdir, ec);
    if (ec) throw InputError(o.workdir, "cannot create the folder for the generated CNFs: " + ec.message());
    const Range r = parse_range(o.range);
    for (long long v = r.first; v <= r.last; v += r.step)
      for (int s = 0; s < o.seeds; ++s) instances.push_back(generate(o, v, s));
  }
  return instances;
}

void write_row(std::ofstream& out, const Row& r) {
  for (std::size_t c = 0; c < kSweepColumns.size(); ++c) out << (c ? "," : "") << csv_field(r.at(kSweepColumns[c]));
  out << '\n' << std::flush;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

// The plot script beside the sources (bench/plot_sweep.py), or $SETHKIT_PLOT_SWEEP.
std::string plot_script() {
  if (const char* env = std::getenv("SETHKIT_PLOT_SWEEP")) return env;
  return SETHKIT_SOURCE_DIR "/bench/plot_sweep.py";
}

}  // namespace

CLI::App* setup_sweep(CLI::App& app, SweepOptions& o) {
  CLI::App* sub = app.add_subcommand("sweep", "Solver time per route against the size of generated or given CNFs");
  auto* family = sub->add_option("--family", o.family, "a family of sethkit gen (random-ksat, planted-ksat, ...)");
  sub->add_option("--dir", o.dir, "a folder of .cnf files instead of a family")->excludes(family);
  sub->add_option("--vars", o.range, "the values of the swept gen option, A:B:STEP (or one value)");
  sub->add_option("--over", o.over, "the gen option that --vars sweeps (vars, pigeons, vertices, ...)")
      ->capture_default_str();
  sub->add_option("--ratio", o.ratio, "gen --ratio (clauses per variable)");
  sub->add_option("--clauses", o.clauses, "gen --clauses");
  sub->add_option("--width", o.width, "gen --k: the clause width of random and planted k-SAT");
  sub->add_option("--gen", o.gen_args, "more gen options, verbatim (--gen=--functional)")->allow_extra_args(false);
  sub->add_option("--seeds", o.seeds, "seeds 0..N-1 of each parameter")->check(CLI::Range(1, 10000))->capture_default_str();
  sub->add_option("--routes", o.routes, "sat, kov, maxip, gap-maxip, attention, attention-poly, cadical (comma-separated)")
      ->delimiter(',')
      ->check(CLI::IsMember({"sat", "kov", "maxip", "gap-maxip", "attention", "attention-poly", "cadical"}))
      ->capture_default_str();
  sub->add_option("--k", o.k, "order k of the kOV level")->check(CLI::Range(2, 16))->capture_default_str();
  sub->add_option("--code", o.code, "gap-maxip: rs or hermitian")->check(CLI::IsMember({"rs", "hermitian"}))->capture_default_str();
  sub->add_option("--timeout", o.timeout, "seconds each run may take (killed past them: status timeout)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  add_max_bytes_option(*sub, o.max_bytes);
  sub->add_option("--csv", o.csv, "the CSV (one row per run; the default output, sweep.csv; resumed when it exists)");
  sub->add_option("--json", o.json, "a JSON document of the rows, the sethkit version and the machine");
  sub->add_option("--png", o.png, "a plot (needs /usr/bin/python3 with matplotlib; the CSV and JSON do not)");
  sub->add_option("--workdir", o.workdir, "where generated CNFs are written (default: beside the CSV)");
  auto* quiet = sub->add_flag("--quiet", o.quiet, "no progress on stderr");
  sub->add_flag("--progress", o.progress, "progress on stderr even when it is not a terminal")->excludes(quiet);
  sub->callback([&o] {  // usage errors (exit 2), found while parsing
    if (o.family.empty() && o.dir.empty()) throw CLI::ValidationError("sweep", "give --family F (with --vars) or --dir FOLDER");
    if (!o.family.empty() && o.range.empty()) throw CLI::ValidationError("--vars", "--family needs --vars A:B:STEP");
    if (!o.range.empty()) parse_range(o.range);
    if (!o.ratio.empty() && !o.clauses.empty()) throw CLI::ValidationError("--ratio", "give --ratio or --clauses, not both");
  });
  return sub;
}

int run_sweep(const SweepOptions& opts) {
  SweepOptions o = opts;
  if (o.csv.empty() && o.json.empty()) o.csv = "sweep.csv";
  const std::string table = o.csv.empty() ? o.json + ".csv" : o.csv;  // the plot reads a CSV
  if (o.workdir.empty()) o.workdir = table + ".cnf";
  std::vector<RouteSpec> routes;
  for (const auto& r : o.routes) routes.push_back(route_spec(r));

  // The instances, in order, and the CSV of an earlier run: read (and the
  // CNFs generated) by rank 0 alone, then sent to every rank, so that all
  // plan the same runs. Under mpirun the other ranks read the CNFs by name:
  // the folder (--dir, --workdir) must be on a file system every rank sees.
  std::vector<Instance> instances;
  std::string listing, csv_text;
  distributed::step([&] {
    if (!distributed::is_root()) return;
    instances = list_instances(o);
    listing = instances_text(instances);
    csv_text = file_text(table);
  });
  distributed::broadcast(listing, 0);
  distributed::broadcast(csv_text, 0);
  if (!distributed::is_root()) instances = instances_of(listing);
  std::vector<Row> rows;
  distributed::step([&] {
    // Every CNF is read before any run (a bad file ends the sweep with nothing
    // run); each rank reads a contiguous part, so the first bad file in input
    // order is the one the lowest failing rank reports, as alone.
    const distributed::Range mine = distributed::my_range(instances.size());
    for (std::size_t i = mine.lo; i < mine.hi; ++i) count(instances[i]);
  });
  distributed::step([&] { rows = read_csv(table, csv_text); });  // the same on every rank

  std::set<std::string> done;
  std::map<std::string, std::string> truth;  // instance -> cadical's answer
  for (const auto& r : rows) {
    done.insert(key_of(r));
    if (r.at("route") == "cadical" && r.at("status") == "ok")
      truth[r.at("family") + "|" + r.at("parameters") + "|" + r.at("seed")] = r.at("answer");
  }
  std::size_t ran = 0, resumed = 0;
  const std::vector<Run> runs = plan_runs(instances, routes, o, done, truth, resumed);
  std::ofstream out;
  distributed::step([&] {  // rank 0 alone writes
    if (!distributed::is_root()) return;
    const bool fresh = rows.empty();
    out.open(table, std::ios::app);
    if (!out) throw InputError(table, "cannot write");
    if (fresh) {
      for (std::size_t c = 0; c < kSweepColumns.size(); ++c) out << (c ? "," : "") << kSweepColumns[c];
      out << '\n' << std::flush;
    }
  });

  // Under mpirun run i goes to rank i % R; after each round of R runs rank 0
  // gathers their rows, completes them (agreement with CaDiCaL) and appends
  // them in input order, so the CSV is the single process's, row for row,
  // and a killed sweep resumes from the rounds it finished.
  Progress progress("sweep", double(instances.size() * routes.size()), Progress::enabled(o.progress, o.quiet));
  const std::size_t ranks = std::size_t(distributed::size()), me = std::size_t(distributed::rank());
  std::size_t cached = instances.size();  // the instance whose CNF this rank holds
  Cnf cnf;
  for (std::size_t round = 0; round < runs.size(); round += ranks) {
    std::string mine;
    distributed::step([&] {
      if (round + me >= runs.size()) return;
      const Run& run = runs[round + me];
      Instance in = instances[run.instance];
      if (cached != run.instance) cnf = load_cnf(in.file, false), cached = run.instance;
      in.vars = cnf.num_vars;
      in.clauses = cnf.num_clauses();
      if (!run.truth)
        progress.update(double(run.position), in.family + " " + in.parameters + " seed " + in.seed + ", " + run.spec.name);
      mine = json(run_one(in, cnf, run.spec, o)).dump();
    });
    const std::vector<std::string> texts = distributed::gather_strings(mine);
    for (std::size_t t = 0; t < texts.size() && distributed::is_root(); ++t) {
      if (texts[t].empty()) continue;
      const Run& run = runs[round + t];
      Row row = json::parse(texts[t]).get<Row>();
      const std::string id = instance_id(instances[run.instance]);
      if (run.truth && row.at("status") == "ok") truth[id] = row.at("answer");
      set_agreement(row, run.spec, truth.count(id) ? truth.at(id) : "");
      if (!run.record) continue;
      ++ran;
      write_row(out, row);
      rows.push_back(std::move(row));
    }
  }
  progress.finish();
  distributed::step([&] {  // rank 0's outputs; an error here ends every rank
    if (!distributed::is_root()) return;
    out.close();
    if (!o.quiet) std::fprintf(stderr, "sweep: %zu runs, %zu resumed from %s\n", ran, resumed, table.c_str());
    if (!o.json.empty()) {
      json doc;
      doc["sethkit_version"] = SETHKIT_VERSION_STRING;
      doc["machine"] = {{"cores", std::thread::hardware_concurrency()}, {"cpu", cpu_model()}};
      doc["columns"] = kSweepColumns;
      doc["rows"] = json::array();
      for (const auto& r : rows) doc["rows"].push_back(r);
      write_file_atomically(o.json, [&](std::ostream& s) { s << doc.dump(2) << '\n'; });
    }
    if (!o.png.empty()) {
      const ChildResult r = run_child({"/usr/bin/python3", plot_script(), table, o.png}, 300);
      if (r.exit_code != 0)
        throw ToolError("the plot was not written (" + o.png + "): " +
                        (r.err.empty() ? "python3 failed" : r.err.substr(0, 400)) + "; the CSV" +
                        std::string(o.json.empty() ? "" : " and JSON") + " are written");
    }
  });
  return kExitOk;
}

}  // namespace sethkit::tools
