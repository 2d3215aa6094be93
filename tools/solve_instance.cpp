#include "tools/solve_instance.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "problems/attention_instance.hpp"
#include "problems/decompress.hpp"
#include "problems/kov_instance.hpp"
#include "problems/maxip_instance.hpp"
#include "reductions/chain.hpp"
#include "solvers/attention_decider.hpp"
#include "solvers/kov_solver.hpp"
#include "solvers/maxip_solver.hpp"
#include "solvers/rank_split.hpp"

namespace sethkit::tools {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string head_of(const std::string& path, std::size_t bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "cannot open");
  std::string s(bytes, '\0');
  in.read(s.data(), std::streamsize(bytes));
  s.resize(std::size_t(in.gcount()));
  return s;
}

// What `sethkit reduce` recorded: the CNF, the level and the route.
struct Provenance {
  std::string cnf;
  std::string level;  // kov, maxip, gap-maxip, attention
  std::string route = "direct";
  int k = 0;
  std::string split;    // --split of reduce, empty: consecutive
  std::string fnv1a64;  // attention only
};

// Text files: the first comment is "c sethkit reduce --to L [--route R] --k K FILE".
std::optional<Provenance> text_provenance(const std::string& path) {
  std::istringstream in(head_of(path, 4096));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("c ", 0) != 0) break;
    std::istringstream words(line.substr(2));
    std::string w, a, b;
    words >> a >> b;
    if (a != "sethkit" || b != "reduce") continue;
    Provenance p;
    while (words >> w) {
      if (w == "--to") words >> p.level;
      else if (w == "--route") words >> p.route;
      else if (w == "--k") words >> p.k;
      else if (w == "--split") words >> p.split;
      else p.cnf = w;
    }
    if (p.level.empty() || p.k < 2 || p.cnf.empty()) return std::nullopt;
    if (p.level == "maxip" && p.route == "protocol") p.level = "gap-maxip";
    return p;
  }
  return std::nullopt;
}

std::string fnv1a64_of_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  uint64_t h = 1469598103934665603ull;
  char c;
  while (in.get(c)) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// The CNF a provenance names: as written (relative to the working
// directory), else relative to the instance's folder.
std::string locate_cnf(const std::string& named, const std::string& instance) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_regular_file(named, ec)) return named;
  const fs::path beside = fs::path(instance).parent_path() / fs::path(named).filename();
  if (fs::is_regular_file(beside, ec)) return beside.string();
  return "";
}

struct Answer {
  bool yes = false;
  std::vector<std::size_t> witness;
  std::string solver;
  json instance;
  json extra = json::object();
  double read_seconds = 0, solve_seconds = 0;
};

json instance_object(const std::string& level, int k, const std::vector<std::size_t>& n, std::size_t d, double bytes) {
  return {{"level", level}, {"k", k}, {"n", n}, {"d", d}, {"bytes", bytes}};
}

Answer solve_kov_file(const SolveOptions& o) {
  Answer a;
  auto t = Clock::now();
  const KOvInstance inst = read_kov_file(o.file);
  a.read_seconds = since(t);
  double bytes = 0;
  for (const auto& p : inst.parties) bytes += double(p.size()) * double(p.words()) * 8.0;
  a.instance = instance_object("kov", inst.k, inst.sizes(), std::size_t(inst.d), bytes);
  t = Clock::now();
  const solvers::KOvResult r =
      solvers::solve_kov_across_ranks(inst, solvers::parse_kov_algorithm(o.kov_algorithm), !o.no_prune);
  a.solve_seconds = since(t);
  a.solver = std::string("kov ") + solvers::to_string(r.algorithm);
  a.yes = r.found;
  if (r.found) {
    if (inst.inner_product(r.witness) != 0)
      throw std::logic_error("internal error: the kOV solver returned a non-orthogonal tuple");
    a.witness = r.witness;
  }
  return a;
}

Answer solve_maxip_file(const SolveOptions& o) {
  Answer a;
  auto t = Clock::now();
  const MaxIpInstance inst = read_maxip_file(o.file);
  a.read_seconds = since(t);
  a.instance = instance_object("maxip", inst.k, inst.sizes(), std::size_t(inst.d), maxip_memory_bytes(inst.d, inst.sizes()));
  std::optional<MaxIpGap> gap = inst.gap;
  if (o.threshold) {
    const double t = *o.threshold;
    if (!(std::abs(t) < 9e18) || t != std::floor(t))
      throw InputError("--threshold", "a MaxIP threshold is an integer, found " + std::to_string(t));
    gap = MaxIpGap{int64_t(t), int64_t(t) - 1};
  }
  if (!gap)
    throw InputError(o.file, "the MaxIP file has no 't THRESHOLD NO_BOUND' line: pass --threshold T (YES iff max >= T)");
  t = Clock::now();
  const solvers::MaxIpResult r = solvers::maximize_across_ranks(inst, gap->threshold);
  a.solve_seconds = since(t);
  a.solver = "maxip brute force";
  a.yes = r.best >= gap->threshold;
  a.extra["gap"] = {{"best_inner_product", r.best}, {"yes_threshold", gap->threshold}, {"no_bound", gap->no_bound}};
  if (!a.yes && r.best > gap->no_bound)
    a.extra["promise_violated"] = "the maximum " + std::to_string(r.best) + " lies strictly between the NO bound " +
                                  std::to_string(gap->no_bound) + " and the threshold";
  if (a.yes) {
    if (inst.inner_product(r.argmax) < gap->threshold)
      throw std::logic_error("internal error: the MaxIP witness does not reach the threshold");
    a.witness = r.argmax;
  }
  return a;
}

// The data-row tuple of the key sides with the largest score for query row i
// (on a YES row of a reduced instance it is a tuple reaching the MaxIP
// threshold, Lemma B.1).
std::vector<std::size_t> best_key_rows(const AttentionInstance& inst, std::size_t i) {
  const std::size_t sides = inst.keys.size(), d = inst.d();
  std::vector<std::vector<std::size_t>> rows(sides);
  double tuples = 1;
  for (std::size_t p = 0; p < sides; ++p) {
    for (std::size_t r = 0; r < inst.keys[p].rows; ++r)
      if (inst.manifest->row_map[p + 1][r] >= 0) rows[p].push_back(r);
    tuples *= double(rows[p].size());
  }
  check_size("searching the key tuples of a YES row for the witness", tuples * double(d) * 8.0, 8e9,
             "the answer stands; only the witness tuple is not searched");
  std::vector<std::size_t> at(sides, 0), best;
  double best_score = -INFINITY;
  std::vector<double> prod(d);
  while (true) {
    bool empty = false;
    for (std::size_t p = 0; p < sides; ++p) empty = empty || rows[p].empty();
    if (empty) break;
    double s = 0;
    for (std::size_t c = 0; c < d; ++c) {
      double x = inst.q(i, c);
      for (std::size_t p = 0; p < sides; ++p) x *= inst.keys[p](rows[p][at[p]], c);
      s += x;
    }
    if (s > best_score) {
      best_score = s;
      best.assign(1, i);
      for (std::size_t p = 0; p < sides; ++p) best.push_back(rows[p][at[p]]);
    }
    std::size_t p = 0;
    while (p < sides && ++at[p] == rows[p].size()) at[p++] = 0;
    if (p == sides) break;
  }
  return best;
}

Answer solve_attention_dir(const SolveOptions& o) {
  Answer a;
  auto t = Clock::now();
  AttentionReadOptions read;
  read.max_bytes = o.max_bytes;
  AttentionInstance inst = read_attention_directory(o.file, read);
  a.read_seconds = since(t);
  if (!inst.manifest || inst.manifest->row_map.size() != std::size_t(inst.k))
    throw InputError(o.file, "the attention directory has no manifest.json with a row map (which rows are data "
                             "rows): solve decides instances written by `sethkit reduce --to attention`");
  if (o.threshold) inst.manifest->threshold = *o.threshold;
  if (!inst.manifest->threshold)
    throw InputError(o.file + "/manifest.json", "no threshold: pass --threshold T (YES iff log O_i >= T for a row)");
  a.instance = instance_object("attention", inst.k, inst.lengths(), inst.d(), double(inst.entries()) * 8.0);
  solvers::AttentionDecideOptions options;
  options.backend = attention_backend_of(o);
  options.max_bytes = o.max_bytes;
  t = Clock::now();
  const solvers::AttentionRowDecisions rows = solvers::decide_attention_rows(inst, options);
  a.solver = "attention " + rows.backend;
  std::size_t yes_row = rows.yes.size();
  double closest_no = NAN, closest_yes = NAN;
  for (std::size_t i = 0; i < rows.yes.size(); ++i) {
    if (rows.yes[i] && yes_row == rows.yes.size()) yes_row = i;
    double& c = rows.yes[i] ? closest_yes : closest_no;
    if (std::isnan(c) || (rows.yes[i] ? rows.log_o[i] < c : rows.log_o[i] > c)) c = rows.log_o[i];
  }
  auto num = [](double x) { return std::isnan(x) ? json() : json(x); };
  a.extra["margin"] = {{"log_threshold", rows.threshold},
                       {"closest_no_log_o", num(closest_no)},
                       {"closest_yes_log_o", num(closest_yes)}};
  a.yes = yes_row < rows.yes.size();
  if (a.yes) a.witness = best_key_rows(inst, yes_row);
  a.solve_seconds = since(t);
  if (inst.manifest->provenance.is_object()) a.extra["provenance"] = inst.manifest->provenance;
  return a;
}

std::optional<Provenance> attention_provenance(const json& p, int k) {
  if (!p.is_object() || !p.contains("input") || !p["input"].is_string()) return std::nullopt;
  Provenance r;
  r.cnf = p["input"];
  r.level = "attention";
  r.route = p.value("route", "direct");
  r.k = k;
  r.fnv1a64 = p.value("input_fnv1a64", "");
  r.split = p.value("split", "");
  if (r.split == "consecutive") r.split.clear();
  return r;
}

// Rebuilds the chain from the CNF the provenance names, checks that it gives
// the instance that was solved, and maps the witness back. The result says
// why when it cannot.
json map_back(const SolveOptions& o, const std::string& format, const Answer& a, const Provenance& p) {
  json m;
  m["cnf"] = p.cnf;
  const std::string cnf_path = locate_cnf(p.cnf, o.file);
  if (cnf_path.empty()) {
    m["mapped"] = false;
    m["reason"] = "the CNF named in the provenance, " + p.cnf + ", is not found";
    return m;
  }
  if (!p.fnv1a64.empty() && fnv1a64_of_file(cnf_path) != p.fnv1a64) {
    m["mapped"] = false;
    m["reason"] = cnf_path + " has changed since the instance was written (its fingerprint differs)";
    return m;
  }
  const Cnf cnf = load_cnf(cnf_path, o.lenient);
  reductions::Route route;
  route.to = reductions::parse_level(p.level);
  route.k = p.k;
  route.route = reductions::parse_route(p.route);
  route.explicit_gap_maxip = route.to == reductions::Level::gap_maxip;
  route.code = o.code;
  route.target_soundness = o.soundness;
  route.split = p.split;
  const reductions::Chain chain = reductions::build_chain(reductions::plan_chain(cnf, route, o.max_bytes));
  const std::vector<std::size_t> n = a.instance["n"].get<std::vector<std::size_t>>();
  bool same = false;
  if (format == "kov") same = chain.kov == read_kov_file(o.file);
  else if (format == "maxip") same = chain.maxip && *chain.maxip == read_maxip_file(o.file);
  else same = chain.attention && chain.attention->instance.lengths() == n;
  if (!same) {
    m["mapped"] = false;
    m["reason"] = "rebuilding the chain from " + cnf_path + " gives a different instance (other options?)";
    return m;
  }
  const reductions::Level level = format == "kov" ? reductions::Level::kov : reductions::parse_level(p.level);
  const std::vector<bool> x = chain.map_back(level, a.witness);
  // The instance file came from outside: a failing check is reported, not
  // taken for a bug of the chain (the file may have been edited).
  const long bad = cnf.first_falsified(x);
  if (bad >= 0) {
    m["mapped"] = false;
    m["reason"] = "the witness maps back to an assignment that falsifies clause " + std::to_string(bad + 1) + " of " +
                  cnf_path + " (was the instance edited?)";
    return m;
  }
  m["mapped"] = true;
  m["checked"] = true;
  std::vector<int> lits;
  for (std::size_t v = 0; v < x.size(); ++v) lits.push_back(x[v] ? int(v + 1) : -int(v + 1));
  m["assignment"] = lits;
  return m;
}

}  // namespace

std::string detect_format(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  // Standard input, a FIFO, a device or a missing file: never opened here
  // (a FIFO would block). The CNF reader reads "-" and refuses the rest
  // with the precise message.
  if (path == "-" || !fs::exists(path, ec) ||
      (!fs::is_regular_file(path, ec) && !fs::is_directory(path, ec)))
    return "cnf";
  if (fs::is_directory(path, ec)) {
    if (fs::exists(fs::path(path) / "Q.npy", ec)) return "attention";
    throw InputError(path, "is a directory, but not an attention directory (no Q.npy): give a CNF, kOV or MaxIP "
                           "file, or a directory written by `sethkit reduce --to attention`");
  }
  const std::string head = head_of(path, 65536);
  if (head.rfind("SETHKOV1", 0) == 0) return "kov";
  if (head.rfind("SETHMIP1", 0) == 0) return "maxip";
  // Compressed input is a CNF (SAT competition files come as .cnf.gz/.xz):
  // the DIMACS reader decompresses it and names a corrupt stream.
  if (detect_compression(head) != Compression::none) return "cnf";
  std::istringstream in(head);
  std::string line;
  while (std::getline(in, line)) {
    const std::size_t start = line.find_first_not_of(" \t\r");
    if (start == std::string::npos || line[start] == 'c') continue;
    std::istringstream words(line.substr(start));
    std::string p, kind;
    words >> p >> kind;
    if (p == "p" && (kind == "cnf" || kind == "kov" || kind == "maxip")) return kind;
    break;
  }
  if (fs::path(path).extension() == ".cnf") return "cnf";  // the CNF reader gives the precise error
  throw InputError(path, "cannot tell the format (no 'p cnf|kov|maxip' line, no binary magic, not a directory): "
                         "pass --format cnf|kov|maxip|attention");
}

int solve_instance_file(const SolveOptions& o, const std::string& format, ProgressReporter* progress) {
  const auto start = Clock::now();
  if (progress) progress->stage("deciding the " + format + " instance " + o.file);
  Answer a = format == "kov" ? solve_kov_file(o) : format == "maxip" ? solve_maxip_file(o) : solve_attention_dir(o);
  std::optional<Provenance> p =
      format == "attention" ? attention_provenance(a.extra.value("provenance", json()), a.instance["k"].get<int>())
                            : text_provenance(o.file);
  json mapped;
  double map_seconds = 0;
  if (a.yes && p && o.threshold) {
    mapped = {{"cnf", p->cnf}, {"mapped", false}, {"reason", "--threshold changes the question the instance asks"}};
  } else if (a.yes && p) {
    if (progress) progress->stage("mapping the witness back to " + p->cnf);
    const auto t = Clock::now();
    mapped = map_back(o, format, a, *p);
    map_seconds = since(t);
  }
  const int exit_code = a.yes ? kExitSatisfiable : kExitUnsatisfiable;
  if (progress) progress->finish();  // before the answer: the line never mixes with stdout
  if (o.json) {
    json j;
    j["file"] = o.file;
    j["format"] = format;
    j["via"] = a.instance["level"];
    j["solver"] = a.solver;
    j["instance"] = a.instance;
    j["satisfiable"] = a.yes;
    j["answer"] = a.yes ? "YES" : "NO";
    j["seconds"] = since(start);
    j["times"] = {{"read", a.read_seconds}, {"reduce", 0.0}, {"solve", a.solve_seconds}, {"map_back", map_seconds}};
    if (a.yes) {
      j["witness"] = a.witness;
      j["witness_checked"] = true;
    }
    for (const char* key : {"gap", "margin", "promise_violated"})
      if (a.extra.contains(key)) j[key] = a.extra[key];
    if (!mapped.is_null()) {
      j["mapped_back"] = mapped;
      if (mapped.value("mapped", false)) j["assignment"] = mapped["assignment"];
    }
    std::cout << j.dump(2) << '\n';
    return exit_code;
  }
  if (!o.quiet) {
    std::cout << "c sethkit solve " << o.file << " (" << format << " instance: k = " << a.instance["k"]
              << ", n = " << a.instance["n"].dump() << ", d = " << a.instance["d"] << ")\n"
              << "c solver: " << a.solver << ", " << a.solve_seconds << " s\n";
    if (a.extra.contains("promise_violated"))
      std::cout << "c warning: " << a.extra["promise_violated"].get<std::string>() << '\n';
  }
  std::cout << (a.yes ? "s YES\n" : "s NO\n");
  if (a.yes) {
    std::cout << "w";
    for (std::size_t i : a.witness) std::cout << ' ' << i;
    std::cout << '\n';
    if (!mapped.is_null()) {
      if (mapped.value("mapped", false)) {
        if (!o.quiet) std::cout << "c witness mapped back to " << mapped["cnf"].get<std::string>() << " and checked\n";
        std::vector<bool> x;
        for (int lit : mapped["assignment"]) x.push_back(lit > 0);
        print_v_lines(std::cout, x);
      } else if (!o.quiet) {
        std::cout << "c witness not mapped back: " << mapped["reason"].get<std::string>() << '\n';
      }
    }
  }
  return exit_code;
}

}  // namespace sethkit::tools
