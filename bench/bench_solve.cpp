// `solve --via kov` against `--via sat` (bit-sliced brute force) and CaDiCaL
// on random 3-SAT at the satisfiability threshold (M = round(4.26 N)),
// N = 24..36 (issue 3). Each (N, seed) is one formula; the three solvers
// decide the same formula in the same run, and their answers must agree.
// CaDiCaL runs as the Debian binary, so its time includes process start.
//
//   build/bench/bench_solve --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <random>

#include "solvers/cnf_decider.hpp"
#include "solvers/external_sat.hpp"

using namespace sethkit;
using namespace sethkit::solvers;

namespace {

Cnf threshold_3sat(int n, uint64_t seed) {
  std::mt19937_64 rng(seed * 1000003 + uint64_t(n));
  Cnf f;
  f.num_vars = n;
  const int m = int(4.26 * n + 0.5);
  for (int j = 0; j < m; ++j) {
    std::vector<int> c;
    while (c.size() < 3) {
      const int v = 1 + int(rng() % uint64_t(n));
      bool dup = false;
      for (int l : c) dup = dup || std::abs(l) == v;
      if (!dup) c.push_back(rng() % 2 ? v : -v);
    }
    f.clauses.push_back(c);
  }
  return f;
}

bool reference_answer(const Cnf& f) { return run_external_solver(ExternalSolver::cadical, f).satisfiable; }

void BM_Level(benchmark::State& state, Level level) {
  const Cnf f = threshold_3sat(int(state.range(0)), uint64_t(state.range(1)));
  const bool truth = reference_answer(f);
  DecideOptions options;
  options.via = level;
  options.k = 3;
  options.max_bytes = 8.0 * (1u << 30);
  for (auto _ : state) {
    const Decision d = decide_cnf(f, options);
    if (d.satisfiable != truth) state.SkipWithError("answer disagrees with CaDiCaL");
  }
  state.counters["N"] = f.num_vars;
  state.counters["sat"] = truth;
}

void BM_Cadical(benchmark::State& state) {
  const Cnf f = threshold_3sat(int(state.range(0)), uint64_t(state.range(1)));
  bool sat = false;
  for (auto _ : state) sat = reference_answer(f);
  state.counters["N"] = f.num_vars;
  state.counters["sat"] = sat;
}

void args(benchmark::internal::Benchmark* b) {
  b->ArgsProduct({{24, 28, 32, 36}, {1, 2, 3}})->ArgNames({"N", "seed"})->Unit(benchmark::kMillisecond)->UseRealTime();
}

}  // namespace

BENCHMARK_CAPTURE(BM_Level, kov, Level::kov)->Apply(args)->Iterations(1);
BENCHMARK_CAPTURE(BM_Level, sat, Level::sat)->Apply(args)->Iterations(1);
BENCHMARK(BM_Cadical)->Apply(args)->Iterations(3);

BENCHMARK_MAIN();
