// Gap-MaxIP through the protocol route (issue 17 part 5): the time to decide
// random 3-CNFs with N = 5..9 variables and 5N clauses (45 at N = 9) by
// `solve --via gap-maxip --code rs` (decide_cnf, default limits), per N,
// over a few formulas each; the context lines name the CPU and cores.
// "exact" counts formulas decided by the exact brute force (small), the
// rest by the pruned search (solvers/gap_maxip_solver.hpp).
//
//   build/bench/bench_gap_maxip --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <chrono>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "solvers/cnf_decider.hpp"
#include "tests/support/random_cnf.hpp"

using namespace sethkit;
using namespace sethkit::solvers;

namespace {

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

constexpr int kFormulas = 4;

void BM_GapMaxIp(benchmark::State& state) {
  const int n = int(state.range(0)), m = 5 * n;
  std::mt19937_64 rng{static_cast<uint64_t>(n)};
  std::vector<Cnf> formulas;
  for (int i = 0; i < kFormulas; ++i) formulas.push_back(test_support::random_cnf(rng, n, m, 3, 3));
  DecideOptions o;
  o.via = Level::gap_maxip;
  o.code = "rs";
  double worst = 0, exact = 0, sat = 0;
  for (auto _ : state) {
    for (const Cnf& f : formulas) {
      const auto t0 = std::chrono::steady_clock::now();
      const Decision d = decide_cnf(f, o);
      worst = std::max(worst, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      exact += d.solver.find("brute force") != std::string::npos;
      sat += d.satisfiable;
    }
  }
  state.counters["s_per_formula"] =
      benchmark::Counter(double(kFormulas), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["worst_s"] = worst;
  state.counters["formulas"] = kFormulas;
  state.counters["exact"] = exact;
  state.counters["sat"] = sat;
  state.counters["N"] = n;
  state.counters["clauses"] = m;
}

}  // namespace

BENCHMARK(BM_GapMaxIp)->DenseRange(5, 9)->ArgName("N")->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

int main(int argc, char** argv) {
  benchmark::AddCustomContext("cpu_model", cpu_model());
  benchmark::AddCustomContext("cores", std::to_string(std::thread::hardware_concurrency()));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
