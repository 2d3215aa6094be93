// kOV solver throughput (issue 3): k-tuples decided per second, k = 3,
// n = 256..2048 per party, for the packed solver (d = 64..256) and the
// small-dimension subset-zeta solver (d = 8..24), on instances with no
// orthogonal tuple (every vector has coordinate 0 set), so neither solver
// exits early and the figure is the worst case. The per-unit costs these
// runs report ("ns_per_tuple_word", "ns_per_zeta_step", "ns_per_query") are
// the constants of solvers/kov_solver.hpp that place the automatic cutoff;
// each run also reports the value core/options.hpp holds for it ("table_ns")
// so that a stale constant shows as a ratio far from 1.
//
//   build/bench/bench_kov --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>

#include "core/options.hpp"
#include "solvers/kov_solver.hpp"

using namespace sethkit;
using namespace sethkit::solvers;

namespace {

KOvInstance no_witness_instance(int k, int d, std::size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  KOvInstance inst;
  inst.k = k;
  inst.d = d;
  for (int p = 0; p < k; ++p) {
    PackedVectors party(n, d);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t w = 0; w < party.words(); ++w) party.row(i)[w] = rng();
      if (d % 64) party.row(i)[party.words() - 1] &= (uint64_t(1) << (d % 64)) - 1;
      party.set(i, 0, true);  // a common coordinate: no k-tuple is orthogonal
    }
    inst.parties.push_back(std::move(party));
  }
  return inst;
}

void report(benchmark::State& state, const KOvInstance& inst) {
  const double tuples = std::pow(double(inst.parties[0].size()), inst.k);
  state.counters["tuples_per_s"] = benchmark::Counter(tuples, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["n"] = double(inst.parties[0].size());
  state.counters["d"] = inst.d;
}

void BM_Packed(benchmark::State& state) {
  const KOvInstance inst = no_witness_instance(3, int(state.range(1)), std::size_t(state.range(0)), 1);
  for (auto _ : state) {
    const KOvResult r = solve_kov_packed(inst);
    if (r.found) state.SkipWithError("found a witness in a no-witness instance");
  }
  report(state, inst);
  const double tuple_words = std::pow(double(inst.parties[0].size()), 3) * double(words_for_bits(inst.d));
  state.counters["ns_per_tuple_word"] =
      benchmark::Counter(tuple_words * 1e-9, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["model_ratio"] = packed_cost_ns(inst) / small_dimension_cost_ns(inst);
  state.counters["table_ns"] = core::find_option("kov.packed_ns_per_tuple_word").value;
}

void BM_SmallDimension(benchmark::State& state) {
  const KOvInstance inst = no_witness_instance(3, int(state.range(1)), std::size_t(state.range(0)), 2);
  for (auto _ : state) {
    const KOvResult r = solve_kov_small_dimension(inst);
    if (r.found) state.SkipWithError("found a witness in a no-witness instance");
  }
  report(state, inst);
  state.counters["model_ns"] = small_dimension_cost_ns(inst);
  state.counters["model_packed_ns"] = packed_cost_ns(inst);
}

// The two halves of the small-dimension cost, separately: the table build
// (n tiny, so d 2^d dominates) and the queries (d tiny, so n^2 dominates).
void BM_ZetaTable(benchmark::State& state) {
  const KOvInstance inst = no_witness_instance(3, int(state.range(0)), 2, 3);
  for (auto _ : state) benchmark::DoNotOptimize(solve_kov_small_dimension(inst));
  state.counters["ns_per_zeta_step"] = benchmark::Counter(
      double(inst.d) * std::ldexp(1.0, inst.d) * 1e-9,
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["table_ns"] = core::find_option("kov.zeta_ns_per_step").value;
}

void BM_TableQueries(benchmark::State& state) {
  const KOvInstance inst = no_witness_instance(3, 4, std::size_t(state.range(0)), 4);
  for (auto _ : state) benchmark::DoNotOptimize(solve_kov_small_dimension(inst));
  const double n = double(inst.parties[0].size());
  state.counters["ns_per_query"] = benchmark::Counter(
      n * n * 1e-9, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["table_ns"] = core::find_option("kov.table_ns_per_query").value;
}

}  // namespace

BENCHMARK(BM_Packed)
    ->ArgsProduct({{256, 512, 1024, 2048}, {64, 128, 256}})
    ->ArgNames({"n", "d"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK(BM_Packed)->ArgsProduct({{256, 1024}, {16, 24}})->ArgNames({"n", "d"})->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_SmallDimension)
    ->ArgsProduct({{256, 512, 1024, 2048}, {8, 16, 20, 24}})
    ->ArgNames({"n", "d"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK(BM_ZetaTable)->Arg(22)->Arg(24)->ArgName("d")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TableQueries)->Arg(2048)->Arg(4096)->ArgName("n")->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
