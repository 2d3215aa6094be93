#include "problems/cnf_families.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "core/errors.hpp"

namespace sethkit {
namespace {

using Count = long double;  // sizes are estimated in floating point: no overflow

// Pairing gives up after this many restarts (the chance a restart succeeds
// is about exp(-(D^2-1)/4) for plain pairing, much better with early
// rejection; the circulant graph takes over past this).
constexpr int kRegularGraphRestarts = 100;
constexpr int kMaxTseitinDegree = 30;

[[noreturn]] void bad_parameter(const std::string& what) { throw std::invalid_argument(what); }

void require_range(const char* option, long double value, long double lo, long double hi) {
  if (value < lo || value > hi) {
    auto text = [](long double x) {
      if (std::fabs(x) < 9e15L && x == std::floor(x)) return std::to_string(int64_t(x));
      return std::to_string(double(x));
    };
    bad_parameter(std::string(option) + " " + text(value) + " is out of range: it must be in [" + text(lo) + ", " +
                  text(hi) + "]");
  }
}

std::string count_str(Count c) { return count_text(double(c)); }

// Refuses (SizeLimitError) before any allocation when the formula is past
// the DIMACS variable range or kMaxGeneratedLiterals.
void check_generated_size(const std::string& family, Count vars, Count clauses, Count literals) {
  if (vars > Count(kMaxDimacsVariables)) {
    throw SizeLimitError(family + " needs " + count_str(vars) + " variables (DIMACS allows " +
                         count_str(Count(kMaxDimacsVariables)) + "); use smaller parameters");
  }
  if (literals > Count(kMaxGeneratedLiterals) || clauses > Count(kMaxDimacsClauses)) {
    throw SizeLimitError(family + " has " + count_str(clauses) + " clauses and " + count_str(literals) +
                         " literals (limit " + count_str(Count(kMaxGeneratedLiterals)) +
                         " literals); use smaller parameters");
  }
}

Count binomial(Count n, Count k) {
  if (k < 0 || k > n) return 0;
  k = std::min(k, n - k);
  Count r = 1;
  for (int i = 1; i <= int(k); ++i) r = r * (n - k + i) / i;
  return std::round(r);
}

uint64_t mix(uint64_t h, uint64_t x) {
  // splitmix64 finaliser over a running combination: only used for lookups
  h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  return h;
}

uint64_t clause_hash(const std::vector<int>& clause) {
  uint64_t h = clause.size();
  for (int lit : clause) h = mix(h, uint64_t(uint32_t(lit)));
  return h;
}

void check_ksat(const char* family, int vars, int64_t clauses, int k, Count distinct) {
  require_range("--vars", vars, 1, Count(kMaxDimacsVariables));
  require_range("--k", k, 1, vars);
  require_range("--clauses", Count(clauses), 0, Count(kMaxDimacsClauses));
  if (Count(clauses) > distinct) {
    bad_parameter(std::string("--clauses ") + std::to_string(clauses) + " is out of range: " + family + " over " +
                  std::to_string(vars) + " variables has only " + count_str(distinct) +
                  " distinct clauses of width " + std::to_string(k));
  }
  check_generated_size(std::string(family) + " with " + std::to_string(vars) + " variables", vars, clauses,
                       Count(clauses) * k);
}

// Draws clauses of k distinct variables with random signs, skipping those
// already drawn and those `reject` refuses.
template <class Reject>
Cnf sample_distinct_clauses(int vars, int64_t clauses, int k, FamilyRng& rng, Reject reject) {
  Cnf cnf;
  cnf.num_vars = vars;
  cnf.clauses.reserve(std::size_t(clauses));
  std::unordered_multimap<uint64_t, std::size_t> seen;
  seen.reserve(std::size_t(clauses));
  std::vector<uint32_t> stamp(std::size_t(vars) + 1, 0);
  uint32_t round = 0;
  std::vector<int> clause;
  while (int64_t(cnf.clauses.size()) < clauses) {
    if (++round == 0) {  // stamps wrapped: clear them
      std::fill(stamp.begin(), stamp.end(), 0);
      round = 1;
    }
    clause.clear();
    // Floyd's algorithm: k distinct values of 1..vars with k draws.
    for (int j = vars - k + 1; j <= vars; ++j) {
      int t = int(rng.below(uint64_t(j))) + 1;
      if (stamp[std::size_t(t)] == round) t = j;
      stamp[std::size_t(t)] = round;
      clause.push_back(t);
    }
    std::sort(clause.begin(), clause.end());
    for (int& v : clause) v = rng.coin() ? v : -v;
    if (reject(clause)) continue;
    const uint64_t h = clause_hash(clause);
    bool duplicate = false;
    for (auto [it, end] = seen.equal_range(h); it != end; ++it) {
      if (cnf.clauses[it->second] == clause) duplicate = true;
    }
    if (duplicate) continue;
    seen.emplace(h, cnf.clauses.size());
    cnf.clauses.push_back(clause);
  }
  return cnf;
}

// Undirected edge key for lookups, u < v.
uint64_t edge_key(int u, int v) { return (uint64_t(uint32_t(u)) << 32) | uint32_t(v); }

// Pairing of the configuration model with early rejection: returns false
// when it gets stuck (the caller restarts).
bool try_regular_pairing(int vertices, int degree, FamilyRng& rng, std::vector<std::pair<int, int>>& edges) {
  std::vector<int> points(std::size_t(vertices) * std::size_t(degree));
  for (std::size_t p = 0; p < points.size(); ++p) points[p] = int(p / std::size_t(degree));
  std::unordered_set<uint64_t> present;
  edges.clear();
  while (!points.empty()) {
    const std::size_t r = points.size();
    // Bounded tries: a dead end (left points all on one vertex or all
    // already adjacent) is detected by running out of them.
    const int tries = 64 + int(std::min<std::size_t>(r, 4096));
    bool placed = false;
    for (int t = 0; t < tries && !placed; ++t) {
      std::size_t i = std::size_t(rng.below(r));
      std::size_t j = std::size_t(rng.below(r - 1));
      if (j >= i) ++j;
      int u = points[i], v = points[j];
      if (u == v) continue;
      if (u > v) std::swap(u, v);
      if (!present.insert(edge_key(u, v)).second) continue;
      edges.emplace_back(u, v);
      // Remove the larger index first so the smaller stays valid.
      if (i < j) std::swap(i, j);
      points[i] = points.back();
      points.pop_back();
      points[j] = points.back();
      points.pop_back();
      placed = true;
    }
    if (!placed) return false;
  }
  return true;
}

// Connected components: comp[v] is the smallest vertex of v's component.
std::vector<int> components(const Graph& g) {
  std::vector<int> parent(std::size_t(g.vertices));
  std::iota(parent.begin(), parent.end(), 0);
  auto find = [&](int x) {
    while (parent[std::size_t(x)] != x) x = parent[std::size_t(x)] = parent[std::size_t(parent[std::size_t(x)])];
    return x;
  };
  for (auto [u, v] : g.edges) {
    const int a = find(u), b = find(v);
    if (a != b) parent[std::size_t(std::max(a, b))] = std::min(a, b);
  }
  std::vector<int> comp(std::size_t(g.vertices));
  for (int v = 0; v < g.vertices; ++v) comp[std::size_t(v)] = find(v);
  return comp;
}

}  // namespace

uint64_t FamilyRng::below(uint64_t n) {
  if (n == 0) throw std::invalid_argument("FamilyRng::below(0)");
  const uint64_t threshold = (0 - n) % n;  // 2^64 mod n
  uint64_t r = engine_();
  while (r < threshold) r = engine_();
  return r % n;
}

int64_t clauses_for_ratio(int vars, double ratio) {
  if (!(ratio > 0 && ratio <= 1e6)) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, ratio);
    bad_parameter("--ratio " + std::string(buf, r.ptr) + " is out of range: it must be in (0, 1000000]");
  }
  return int64_t(std::llround(double(vars) * ratio));
}

Cnf random_ksat(int vars, int64_t clauses, int k, uint64_t seed) {
  check_ksat("random-ksat", vars, clauses, k, binomial(vars, k) * std::pow(Count(2), k));
  FamilyRng rng(seed);
  return sample_distinct_clauses(vars, clauses, k, rng, [](const std::vector<int>&) { return false; });
}

PlantedCnf planted_ksat(int vars, int64_t clauses, int k, uint64_t seed) {
  check_ksat("planted-ksat", vars, clauses, k, binomial(vars, k) * (std::pow(Count(2), k) - 1));
  FamilyRng rng(seed);
  PlantedCnf out;
  out.assignment.resize(std::size_t(vars));
  for (int v = 0; v < vars; ++v) out.assignment[std::size_t(v)] = rng.coin();
  const std::vector<bool>& a = out.assignment;
  out.cnf = sample_distinct_clauses(vars, clauses, k, rng, [&a](const std::vector<int>& clause) {
    for (int lit : clause) {
      if (a[std::size_t(std::abs(lit) - 1)] == (lit > 0)) return false;
    }
    return true;  // falsified by the planted assignment
  });
  return out;
}

Cnf pigeonhole(int pigeons, int holes, bool functional, bool onto) {
  require_range("--pigeons", pigeons, 1, Count(kMaxDimacsVariables));
  require_range("--holes", holes, 1, Count(kMaxDimacsVariables));
  const Count P = pigeons, H = holes;
  Count clauses = P + H * binomial(P, 2), literals = P * H + 2 * H * binomial(P, 2);
  if (functional) clauses += P * binomial(H, 2), literals += 2 * P * binomial(H, 2);
  if (onto) clauses += H, literals += P * H;
  check_generated_size("php with " + std::to_string(pigeons) + " pigeons and " + std::to_string(holes) + " holes",
                       P * H, clauses, literals);
  auto p = [holes](int i, int j) { return i * holes + j + 1; };
  Cnf cnf;
  cnf.num_vars = pigeons * holes;
  cnf.clauses.reserve(std::size_t(clauses));
  for (int i = 0; i < pigeons; ++i) {
    std::vector<int> c;
    for (int j = 0; j < holes; ++j) c.push_back(p(i, j));
    cnf.clauses.push_back(std::move(c));
  }
  for (int j = 0; j < holes; ++j) {
    for (int i = 0; i < pigeons; ++i) {
      for (int i2 = i + 1; i2 < pigeons; ++i2) cnf.clauses.push_back({-p(i, j), -p(i2, j)});
    }
  }
  if (functional) {
    for (int i = 0; i < pigeons; ++i) {
      for (int j = 0; j < holes; ++j) {
        for (int j2 = j + 1; j2 < holes; ++j2) cnf.clauses.push_back({-p(i, j), -p(i, j2)});
      }
    }
  }
  if (onto) {
    for (int j = 0; j < holes; ++j) {
      std::vector<int> c;
      for (int i = 0; i < pigeons; ++i) c.push_back(p(i, j));
      cnf.clauses.push_back(std::move(c));
    }
  }
  return cnf;
}

Graph random_regular_graph(int vertices, int degree, uint64_t seed) {
  require_range("--vertices", vertices, 2, Count(kMaxDimacsVariables));
  require_range("--degree", degree, 1, vertices - 1);
  if ((int64_t(vertices) * degree) % 2 != 0) {
    bad_parameter("--vertices " + std::to_string(vertices) + " times --degree " + std::to_string(degree) +
                  " is odd: a D-regular graph on V vertices needs V*D even");
  }
  // Edges are variables and pairing holds 2 ints per point.
  check_generated_size("a " + std::to_string(degree) + "-regular graph on " + std::to_string(vertices) + " vertices",
                       Count(vertices) * degree / 2, 0, Count(vertices) * degree);
  Graph g;
  g.vertices = vertices;
  FamilyRng rng(seed);
  for (int attempt = 1; attempt <= kRegularGraphRestarts; ++attempt) {
    if (try_regular_pairing(vertices, degree, rng, g.edges)) {
      g.construction = "random " + std::to_string(degree) + "-regular graph (pairing with early rejection, attempt " +
                       std::to_string(attempt) + ")";
      return g;
    }
  }
  g = circulant_regular_graph(vertices, degree);
  g.construction += " (pairing failed " + std::to_string(kRegularGraphRestarts) + " times)";
  return g;
}

Graph circulant_regular_graph(int vertices, int degree) {
  require_range("--vertices", vertices, 2, Count(kMaxDimacsVariables));
  require_range("--degree", degree, 1, vertices - 1);
  if ((int64_t(vertices) * degree) % 2 != 0) {
    bad_parameter("--vertices " + std::to_string(vertices) + " times --degree " + std::to_string(degree) +
                  " is odd: a D-regular graph on V vertices needs V*D even");
  }
  check_generated_size("a " + std::to_string(degree) + "-regular graph on " + std::to_string(vertices) + " vertices",
                       Count(vertices) * degree / 2, 0, Count(vertices) * degree);
  // Offsets s <= D/2 stay below V/2 (D < V), so no edge repeats; an odd D
  // forces V even and adds the antipodal matching.
  Graph g;
  g.vertices = vertices;
  for (int i = 0; i < vertices; ++i) {
    for (int s = 1; s <= degree / 2; ++s) {
      const int j = (i + s) % vertices;
      g.edges.emplace_back(std::min(i, j), std::max(i, j));
    }
    if (degree % 2 == 1 && i < vertices / 2) g.edges.emplace_back(i, i + vertices / 2);
  }
  g.construction = "circulant " + std::to_string(degree) + "-regular graph";
  return g;
}

Graph random_graph(int vertices, int64_t edges, uint64_t seed) {
  require_range("--vertices", vertices, 1, Count(kMaxDimacsVariables));
  const Count total = binomial(vertices, 2);
  require_range("--edges", Count(edges), 0, total);
  check_generated_size("a graph with " + std::to_string(edges) + " edges", 0, edges, 2 * Count(edges));
  Graph g;
  g.vertices = vertices;
  g.construction = "uniform random graph G(n = " + std::to_string(vertices) + ", m = " + std::to_string(edges) + ")";
  FamilyRng rng(seed);
  // Draw the smaller of the edge set and its complement by rejection.
  const bool complement = Count(2 * edges) > total;
  const int64_t draw = complement ? int64_t(total) - edges : edges;
  std::unordered_set<uint64_t> chosen;
  chosen.reserve(std::size_t(draw));
  std::vector<std::pair<int, int>> drawn;
  while (int64_t(drawn.size()) < draw) {
    int u = int(rng.below(uint64_t(vertices)));
    int v = int(rng.below(uint64_t(vertices - 1)));
    if (v >= u) ++v;
    if (u > v) std::swap(u, v);
    if (chosen.insert(edge_key(u, v)).second) drawn.emplace_back(u, v);
  }
  if (!complement) {
    g.edges = std::move(drawn);
    return g;
  }
  g.edges.reserve(std::size_t(edges));
  for (int u = 0; u < vertices; ++u) {
    for (int v = u + 1; v < vertices; ++v) {
      if (!chosen.count(edge_key(u, v))) g.edges.emplace_back(u, v);
    }
  }
  return g;
}

Cnf tseitin(const Graph& graph, const std::vector<bool>& charge) {
  if (charge.size() != std::size_t(graph.vertices)) {
    throw std::invalid_argument("tseitin: " + std::to_string(charge.size()) + " charges for " +
                                std::to_string(graph.vertices) + " vertices");
  }
  std::vector<std::vector<int>> incident(std::size_t(graph.vertices));
  for (std::size_t e = 0; e < graph.edges.size(); ++e) {
    incident[std::size_t(graph.edges[e].first)].push_back(int(e) + 1);
    incident[std::size_t(graph.edges[e].second)].push_back(int(e) + 1);
  }
  Count clauses = 0, literals = 0;
  for (const auto& inc : incident) {
    if (inc.size() > std::size_t(kMaxTseitinDegree)) {
      throw std::invalid_argument("tseitin: vertex degree " + std::to_string(inc.size()) + " is past " +
                                  std::to_string(kMaxTseitinDegree));
    }
    const Count c = inc.empty() ? 1 : std::pow(Count(2), Count(inc.size() - 1));
    clauses += c;
    literals += c * Count(inc.size());
  }
  check_generated_size("tseitin on " + std::to_string(graph.vertices) + " vertices", Count(graph.edges.size()),
                       clauses, literals);
  Cnf cnf;
  cnf.num_vars = int(graph.edges.size());
  for (int v = 0; v < graph.vertices; ++v) {
    const auto& inc = incident[std::size_t(v)];
    const bool want = charge[std::size_t(v)];
    if (inc.empty()) {
      if (want) cnf.clauses.push_back({});  // an isolated vertex with charge 1
      continue;
    }
    // Clause forbidding the assignment `bits` of the incident edges, for
    // every `bits` whose parity differs from the charge.
    for (uint32_t bits = 0; bits < (uint32_t(1) << inc.size()); ++bits) {
      if ((std::popcount(bits) % 2 == 1) == want) continue;
      std::vector<int> c(inc.size());
      for (std::size_t i = 0; i < inc.size(); ++i) c[i] = (bits >> i) & 1 ? -inc[i] : inc[i];
      cnf.clauses.push_back(std::move(c));
    }
  }
  return cnf;
}

TseitinCnf tseitin_random_regular(int vertices, int degree, bool odd, uint64_t seed) {
  require_range("--vertices", vertices, 2, Count(kMaxDimacsVariables));
  require_range("--degree", degree, 1, std::min(vertices - 1, kMaxTseitinDegree));
  if ((int64_t(vertices) * degree) % 2 != 0) {
    bad_parameter("--vertices " + std::to_string(vertices) + " times --degree " + std::to_string(degree) +
                  " is odd: a D-regular graph on V vertices needs V*D even");
  }
  const Count clauses = Count(vertices) * std::pow(Count(2), degree - 1);
  check_generated_size("tseitin with " + std::to_string(vertices) + " vertices of degree " + std::to_string(degree),
                       Count(vertices) * degree / 2, clauses, clauses * degree);
  TseitinCnf out;
  out.graph = random_regular_graph(vertices, degree, seed);
  // Charges from their own stream so they do not depend on how many
  // draws the graph took.
  FamilyRng rng(seed ^ 0x5deece66dULL);
  out.charge.resize(std::size_t(vertices));
  for (int v = 0; v < vertices; ++v) out.charge[std::size_t(v)] = rng.coin();
  const std::vector<int> comp = components(out.graph);
  std::vector<char> parity(std::size_t(vertices), 0);
  for (int v = 0; v < vertices; ++v) parity[std::size_t(comp[std::size_t(v)])] ^= char(out.charge[std::size_t(v)]);
  for (int v = 0; v < vertices; ++v) {
    if (comp[std::size_t(v)] != v) continue;  // v is not a component's root
    const bool want = odd && v == 0;
    if (bool(parity[std::size_t(v)]) != want) out.charge[std::size_t(v)] = !out.charge[std::size_t(v)];
  }
  out.cnf = tseitin(out.graph, out.charge);
  return out;
}

Cnf parity_principle(int n) {
  require_range("--vars", n, 2, 1 << 16);
  const Count N = n;
  const Count amo = N * binomial(N - 1, 2);
  check_generated_size("parity on " + std::to_string(n) + " elements", binomial(N, 2), N + amo,
                       N * (N - 1) + 2 * amo);
  // Pair {i, j}, i < j, numbered lexicographically from 1.
  std::vector<std::vector<int>> var(std::size_t(n), std::vector<int>(std::size_t(n), 0));
  int next = 0;
  for (int i = 0; i < n; ++i) {
    for (int j = i + 1; j < n; ++j) var[std::size_t(i)][std::size_t(j)] = var[std::size_t(j)][std::size_t(i)] = ++next;
  }
  Cnf cnf;
  cnf.num_vars = next;
  for (int i = 0; i < n; ++i) {
    std::vector<int> c;
    for (int j = 0; j < n; ++j) {
      if (j != i) c.push_back(var[std::size_t(i)][std::size_t(j)]);
    }
    cnf.clauses.push_back(c);
    for (std::size_t a = 0; a < c.size(); ++a) {
      for (std::size_t b = a + 1; b < c.size(); ++b) cnf.clauses.push_back({-c[a], -c[b]});
    }
  }
  return cnf;
}

namespace {
void check_coloring_size(Count V, Count E, int colors) {
  require_range("--colors", colors, 1, Count(kMaxDimacsVariables));
  const Count C = colors;
  const Count clauses = V + V * binomial(C, 2) + E * C;
  check_generated_size("coloring with " + std::to_string(colors) + " colors", V * C, clauses,
                       V * C + 2 * V * binomial(C, 2) + 2 * E * C);
}
}  // namespace

ColoringCnf coloring_random_graph(int vertices, int64_t edges, int colors, uint64_t seed) {
  require_range("--vertices", vertices, 1, Count(kMaxDimacsVariables));
  require_range("--edges", Count(edges), 0, binomial(vertices, 2));
  check_coloring_size(vertices, Count(edges), colors);
  ColoringCnf out;
  out.graph = random_graph(vertices, edges, seed);
  out.cnf = graph_coloring(out.graph, colors);
  return out;
}

Cnf graph_coloring(const Graph& graph, int colors) {
  check_coloring_size(graph.vertices, Count(graph.edges.size()), colors);
  auto x = [colors](int v, int c) { return v * colors + c + 1; };
  Cnf cnf;
  cnf.num_vars = graph.vertices * colors;
  for (int v = 0; v < graph.vertices; ++v) {
    std::vector<int> c;
    for (int k = 0; k < colors; ++k) c.push_back(x(v, k));
    cnf.clauses.push_back(std::move(c));
    for (int a = 0; a < colors; ++a) {
      for (int b = a + 1; b < colors; ++b) cnf.clauses.push_back({-x(v, a), -x(v, b)});
    }
  }
  for (auto [u, v] : graph.edges) {
    for (int k = 0; k < colors; ++k) cnf.clauses.push_back({-x(u, k), -x(v, k)});
  }
  return cnf;
}

}  // namespace sethkit
