#include "tools/gen.hpp"

#include <charconv>
#include <iostream>
#include <limits>
#include <stdexcept>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/errors.hpp"
#include "problems/cnf.hpp"
#include "problems/cnf_families.hpp"
#include "tools/common.hpp"

#ifndef SETHKIT_VERSION_STRING
#define SETHKIT_VERSION_STRING "unknown"
#endif

namespace sethkit::tools {
namespace {

constexpr const char* kFamilies = "random-ksat, random-2sat, planted-ksat, php, tseitin, parity, coloring";
constexpr int kIntMax = std::numeric_limits<int>::max();

// Shortest text that reads back as the same double (std::to_chars): the
// same on every machine, unlike iostream precision defaults.
std::string shortest(double x) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, r.ptr);
}

// Comment lines "PREFIX a b c ..." of at most ~78 characters.
void add_wrapped(std::vector<std::string>& comments, const std::string& prefix, const std::vector<std::string>& items) {
  std::string line = prefix;
  for (const auto& item : items) {
    if (line.size() + 1 + item.size() > 76 && line.size() > prefix.size()) {
      comments.push_back(line);
      line = prefix;
    }
    line += ' ' + item;
  }
  comments.push_back(line);
}

struct Generated {
  Cnf cnf;
  std::string parameters;         // as options, e.g. "--vars 20 --clauses 91 --k 3"
  std::vector<std::string> notes;  // family-specific header lines
};

// --vars N and the clause count from --clauses or --ratio.
int64_t clause_count(const GenOptions& o, std::string& parameters) {
  parameters = "--vars " + std::to_string(o.vars);
  if (o.clauses) {
    parameters += " --clauses " + std::to_string(*o.clauses);
    return *o.clauses;
  }
  if (!o.ratio) throw std::invalid_argument("give the clause count: --clauses M or --ratio R");
  const int64_t m = clauses_for_ratio(o.vars, *o.ratio);
  parameters += " --ratio " + shortest(*o.ratio);
  return m;
}

Generated generate(const GenOptions& o) {
  Generated g;
  const std::string& f = o.family;
  if (f == "random-ksat" || f == "random-2sat" || f == "planted-ksat") {
    const int64_t m = clause_count(o, g.parameters);
    const int k = f == "random-2sat" ? 2 : o.k;
    if (f != "random-2sat") g.parameters += " --k " + std::to_string(k);
    if (!o.clauses) g.notes.push_back("clauses: " + std::to_string(m) + " (round(ratio * vars))");
    if (f == "planted-ksat") {
      PlantedCnf p = planted_ksat(o.vars, m, k, o.seed);
      std::vector<std::string> lits;
      for (std::size_t v = 0; v < p.assignment.size(); ++v) {
        lits.push_back((p.assignment[v] ? "" : "-") + std::to_string(v + 1));
      }
      add_wrapped(g.notes, "planted", lits);
      g.cnf = std::move(p.cnf);
    } else {
      g.cnf = random_ksat(o.vars, m, k, o.seed);
    }
  } else if (f == "php") {
    g.parameters = "--pigeons " + std::to_string(o.pigeons) + " --holes " + std::to_string(o.holes);
    if (o.functional) g.parameters += " --functional";
    if (o.onto) g.parameters += " --onto";
    g.cnf = pigeonhole(o.pigeons, o.holes, o.functional, o.onto);
    g.notes.push_back("variable i*holes+j+1 (0-based i, j): pigeon i sits in hole j");
  } else if (f == "tseitin") {
    g.parameters = "--vertices " + std::to_string(o.vertices) + " --degree " + std::to_string(o.degree) +
                   " --charge " + o.charge;
    TseitinCnf t = tseitin_random_regular(o.vertices, o.degree, o.charge == "odd", o.seed);
    g.notes.push_back("graph: " + t.graph.construction + "; variable e+1 is edge e");
    std::vector<std::string> charged;
    for (int v = 0; v < o.vertices; ++v) {
      if (t.charge[std::size_t(v)]) charged.push_back(std::to_string(v));
    }
    add_wrapped(g.notes, "charge 1 on vertices (0-based):", charged);
    g.cnf = std::move(t.cnf);
  } else if (f == "parity") {
    g.parameters = "--vars " + std::to_string(o.vars);
    g.cnf = parity_principle(o.vars);
    g.notes.push_back("a perfect matching of K_" + std::to_string(o.vars) + "; pairs {i<j} numbered lexicographically");
  } else if (f == "coloring") {
    g.parameters = "--vertices " + std::to_string(o.vertices) + " --edges " + std::to_string(o.edges) +
                   " --colors " + std::to_string(o.colors);
    ColoringCnf c = coloring_random_graph(o.vertices, o.edges, o.colors, o.seed);
    g.notes.push_back("graph: " + c.graph.construction + "; variable v*colors+c+1: vertex v has colour c");
    g.cnf = std::move(c.cnf);
  } else {
    throw std::logic_error("gen: unknown family " + f);
  }
  return g;
}

CLI::App* add_family(CLI::App& gen, GenOptions& o, const std::string& name, const std::string& help) {
  CLI::App* sub = gen.add_subcommand(name, help);
  sub->allow_extras(false);  // gen allows extras; its families do not
  sub->callback([&o, name] { o.family = name; });
  sub->add_option("--seed", o.seed, "random seed (default 0); the same seed gives the same bytes");
  sub->add_option("-o,--output", o.output, "output DIMACS file, or - for stdout")->required();
  return sub;
}

void add_ksat_options(CLI::App* sub, GenOptions& o, bool with_k) {
  sub->add_option("--vars", o.vars, "number of variables N")->required()->check(CLI::Range(1, kIntMax));
  auto* clauses = sub->add_option("--clauses", o.clauses, "number of clauses M")
                      ->check(CLI::Range(int64_t(0), int64_t(kIntMax)));
  auto* ratio = sub->add_option("--ratio", o.ratio, "clauses per variable R, 0 < R <= 1e6 (M = round(R N))");
  clauses->excludes(ratio);
  if (with_k) sub->add_option("--k", o.k, "clause width W, 1 <= W <= N (default 3)")->check(CLI::Range(1, 1 << 16));
}

}  // namespace

CLI::App* setup_gen(CLI::App& app, GenOptions& o) {
  CLI::App* gen = app.add_subcommand("gen", "Write a formula of an instance family (reproducible from --seed)");
  // Not require_subcommand: a missing or mistyped family gets a message that
  // lists the families (run_gen), not CLI11's "A subcommand is required".
  gen->allow_extras();
  gen->callback([gen, &o] { o.unknown = gen->remaining(); });
  add_ksat_options(add_family(*gen, o, "random-ksat", "uniform random k-CNF, distinct clauses (cnfgen randkcnf)"), o,
                   true);
  add_ksat_options(add_family(*gen, o, "random-2sat", "uniform random 2-CNF, distinct clauses"), o, false);
  add_ksat_options(add_family(*gen, o, "planted-ksat", "random k-CNF satisfied by a planted assignment"), o, true);

  CLI::App* php = add_family(*gen, o, "php", "pigeonhole principle (cnfgen php): SAT iff pigeons <= holes");
  php->add_option("--pigeons", o.pigeons, "pigeons P")->required()->check(CLI::Range(1, kIntMax));
  php->add_option("--holes", o.holes, "holes H")->required()->check(CLI::Range(1, kIntMax));
  php->add_flag("--functional", o.functional, "no pigeon in two holes");
  php->add_flag("--onto", o.onto, "every hole gets a pigeon");

  CLI::App* ts = add_family(*gen, o, "tseitin", "Tseitin formula on a random D-regular graph (cnfgen tseitin)");
  ts->add_option("--vertices", o.vertices, "vertices V (V*D even)")->required()->check(CLI::Range(2, kIntMax));
  ts->add_option("--degree", o.degree, "degree D, 1 <= D < V")->required()->check(CLI::Range(1, 30));
  ts->add_option("--charge", o.charge, "odd: total charge odd (UNSAT); even: every component even (SAT)")
      ->required()
      ->check(CLI::IsMember({"odd", "even"}));

  CLI::App* par = add_family(*gen, o, "parity", "parity principle (cnfgen parity): SAT iff N is even");
  par->add_option("--vars", o.vars, "elements N to match in pairs")->required()->check(CLI::Range(2, 1 << 16));

  CLI::App* col = add_family(*gen, o, "coloring", "C-colouring of a uniform random graph G(V, E) (cnfgen kcolor)");
  col->add_option("--vertices", o.vertices, "vertices V")->required()->check(CLI::Range(1, kIntMax));
  col->add_option("--edges", o.edges, "edges E, 0 <= E <= V(V-1)/2")
      ->required()
      ->check(CLI::Range(int64_t(0), std::numeric_limits<int64_t>::max()));
  col->add_option("--colors", o.colors, "colours C")->required()->check(CLI::Range(1, kIntMax));
  return gen;
}

int run_gen(const GenOptions& o) {
  if (o.family.empty()) {
    std::cerr << "sethkit gen: error: "
              << (o.unknown.empty() ? std::string("name a family") : "unknown family '" + o.unknown.front() + "'")
              << "; the families are " << kFamilies << " (see sethkit gen FAMILY --help)\n";
    return kExitUsage;
  }
  if (!o.unknown.empty()) {
    std::cerr << "sethkit gen: error: unexpected '" << o.unknown.front() << "' before the family: write `sethkit gen "
              << o.family << " [options]`\n";
    return kExitUsage;
  }
  Generated g;
  try {
    g = generate(o);
  } catch (const std::invalid_argument& e) {
    // A parameter out of range for the others (--k past --vars, ...).
    std::cerr << "sethkit gen " << o.family << ": error: " << e.what() << " (see sethkit gen " << o.family
              << " --help)\n";
    return kExitUsage;
  }
  std::vector<std::string> comments = {
      "generated by sethkit " SETHKIT_VERSION_STRING,
      "family: " + o.family,
      "parameters: " + g.parameters,
      "seed: " + std::to_string(o.seed),
      "command: sethkit gen " + o.family + " " + g.parameters + " --seed " + std::to_string(o.seed),
  };
  comments.insert(comments.end(), g.notes.begin(), g.notes.end());
  if (o.output == "-") {
    write_dimacs(std::cout, g.cnf, comments);
    std::cout.flush();
    if (!std::cout) throw InputError("-", "cannot write to stdout");
    return kExitOk;
  }
  write_file_atomically(o.output, [&](std::ostream& out) { write_dimacs(out, g.cnf, comments); });
  std::cout << "wrote " << o.output << ": " << o.family << ", " << g.cnf.num_vars << " variables, "
            << g.cnf.num_clauses() << " clauses\n";
  return kExitOk;
}

}  // namespace sethkit::tools
