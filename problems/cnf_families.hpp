// Instance families for `sethkit gen` (issue 16 part 2): random and planted
// k-SAT, the pigeonhole principle, Tseitin formulas on random regular graphs,
// the parity principle and graph colouring. Names and meanings follow cnfgen
// (Lauria et al., "CNFgen: a generator of crafted benchmarks") where it has
// them: randkcnf, php, tseitin, parity, kcolor.
//
//   sethkit::Cnf f = sethkit::random_ksat(20, 91, 3, /*seed=*/7);
//   sethkit::PlantedCnf p = sethkit::planted_ksat(20, 91, 3, 7);
//   bool ok = p.cnf.satisfied_by(p.assignment);            // always true
//
// Reproducible: the same parameters and seed give the same formula on every
// machine and standard library. Randomness comes from std::mt19937_64 (its
// output sequence is fixed by the C++ standard) through FamilyRng's own
// unbiased reduction; std::uniform_int_distribution is never used because
// its output is implementation-defined. Output order never depends on a hash
// table's iteration order.
//
// Every generator checks its parameters first (std::invalid_argument, the
// message naming the `gen` option and its range: the command line maps it
// to a usage error) and then its size (SizeLimitError with the clause and
// literal counts) before it allocates anything.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "problems/cnf.hpp"

namespace sethkit {

// A generated formula may hold at most this many literals (about 250 MB of
// DIMACS text); past it the generator refuses and says the size.
inline constexpr int64_t kMaxGeneratedLiterals = int64_t(1) << 25;

// mt19937_64 with a fully specified uniform reduction (rejection of the
// low 2^64 mod n values, then mod n: exact, and the same everywhere).
class FamilyRng {
 public:
  explicit FamilyRng(uint64_t seed) : engine_(seed) {}
  // Uniform in [0, n); requires n >= 1.
  uint64_t below(uint64_t n);
  bool coin() { return (engine_() >> 63) != 0; }

 private:
  std::mt19937_64 engine_;
};

// Clauses for a clause/variable ratio: round(ratio * vars), halves away from
// zero. Throws std::invalid_argument unless 0 < ratio <= 1e6.
int64_t clauses_for_ratio(int vars, double ratio);

// cnfgen randkcnf: `clauses` distinct clauses, each on `k` distinct
// variables chosen uniformly, each sign a fair coin; a clause already drawn
// is drawn again (sampling without repetition, as cnfgen does). Literals of
// a clause are sorted by variable. Requires 1 <= k <= vars and clauses <=
// C(vars, k) 2^k.
Cnf random_ksat(int vars, int64_t clauses, int k, uint64_t seed);

struct PlantedCnf {
  Cnf cnf;
  std::vector<bool> assignment;  // assignment[v-1]: the planted value of v
};
// As random_ksat, but first a uniform assignment is drawn and every clause
// it falsifies is rejected, so the formula is satisfiable by construction
// (cnfgen randkcnf with a planted assignment). Requires clauses <=
// C(vars, k) (2^k - 1).
PlantedCnf planted_ksat(int vars, int64_t clauses, int k, uint64_t seed);

// cnfgen php: variable p(i, j) = i*holes + j + 1 says pigeon i (0-based)
// sits in hole j. Clauses: every pigeon in some hole; no two pigeons in one
// hole; with `functional`, no pigeon in two holes; with `onto`, every hole
// gets a pigeon. Satisfiable iff pigeons <= holes (and pigeons == holes
// when both functional and onto).
Cnf pigeonhole(int pigeons, int holes, bool functional, bool onto);

// A simple undirected graph on vertices 0..vertices-1, edges u < v.
struct Graph {
  int vertices = 0;
  std::vector<std::pair<int, int>> edges;
  std::string construction;  // how it was made, for the file's header
};

// A uniformly random simple D-regular graph (approximately: pairing of the
// configuration model with early rejection of loops and repeated edges,
// Steger-Wormald, restarted when it gets stuck). After 100 failed restarts
// it falls back to the circulant graph (i ~ i +- s for s <= D/2, plus the
// antipode when D is odd), which is connected; `construction` says which.
// Requires 1 <= degree < vertices and vertices * degree even.
Graph random_regular_graph(int vertices, int degree, uint64_t seed);

// The circulant D-regular graph: i ~ i + s (mod V) for 1 <= s <= D/2, and
// i ~ i + V/2 when D is odd; connected once D >= 2. Same requirements.
Graph circulant_regular_graph(int vertices, int degree);

// G(n, m): `edges` distinct edges chosen uniformly among the C(n, 2).
Graph random_graph(int vertices, int64_t edges, uint64_t seed);

// Tseitin formula (cnfgen tseitin): one variable per edge (edge e is
// variable e+1); for each vertex the XOR of its edges equals its charge,
// written as the 2^(deg-1) clauses that forbid the wrong parities.
// Unsatisfiable iff some connected component has odd total charge.
Cnf tseitin(const Graph& graph, const std::vector<bool>& charge);

struct TseitinCnf {
  Cnf cnf;
  Graph graph;
  std::vector<bool> charge;  // charge[v] of vertex v
};
// Tseitin on random_regular_graph(vertices, degree, seed) with random
// charges, adjusted per connected component: `odd` makes the component of
// vertex 0 odd and every other one even (total charge odd: unsatisfiable,
// cnfgen's randomodd); otherwise every component is even (satisfiable).
// Requires degree <= 30 besides random_regular_graph's conditions.
TseitinCnf tseitin_random_regular(int vertices, int degree, bool odd, uint64_t seed);

// cnfgen parity: one variable per pair {i, j} of [n] (lexicographic order),
// every element matched to exactly one other: a perfect matching of the
// complete graph K_n, so satisfiable iff n is even. Requires n >= 2.
Cnf parity_principle(int n);

// cnfgen kcolor (functional encoding): x(v, c) = v*colors + c + 1; every
// vertex gets at least one and at most one colour, adjacent vertices never
// share one. Satisfiable iff the graph is `colors`-colourable.
Cnf graph_coloring(const Graph& graph, int colors);

struct ColoringCnf {
  Cnf cnf;
  Graph graph;
};
// graph_coloring on random_graph(vertices, edges, seed), with every
// parameter and the formula's size checked before the graph is drawn.
ColoringCnf coloring_random_graph(int vertices, int64_t edges, int colors, uint64_t seed);

}  // namespace sethkit
