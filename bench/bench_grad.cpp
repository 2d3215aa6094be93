// Exact tensor-attention gradient (issue 8): backward time over forward time
// as n grows, k = 3, n_q = n_1 = n_2 = n, d = d_v = 4, entries uniform in
// [-B, B] with B = 1 (the bounded-entry regime of paper 002), target E
// uniform in [-1, 1]. The forward is exact_attention (what the backward
// saves: O and log D); the backward is the streaming recomputation of
// attention/gradient.cpp. Both times come from the same gradient call, so
// "backward_over_forward" is a ratio taken in one run (DESIGN.md
// "Standards"). BM_Forward times exact_attention alone for comparison;
// BM_PaperGradient adds the paper's dX (two more GEMMs per tile).
// BM_PolyGradient: the fast gradient by the polynomial method
// (attention/poly_gradient.hpp, eps = 1e-6, polynomial certified once outside
// the timing) on the same instances, with its proven error bound as a
// counter: compare its time with BM_Gradient's as n grows (log-log slopes:
// ~1 against ~3).
// BM_ExactTileB / BM_GradientTileB: the forward and the backward at n = 512
// with ExactTuning::tile_b and GradientTuning::tile_b at 1/4 .. 4 times their
// defaults, read from core/options.hpp and clamped to its range ("default"
// marks the default's row): the default should be near the fastest.
//
//   build/bench/bench_grad --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <string_view>

#include "attention/exact_attention.hpp"
#include "attention/gradient.hpp"
#include "attention/poly_gradient.hpp"
#include "core/options.hpp"

using namespace sethkit;
using namespace sethkit::attention;

namespace {

constexpr std::size_t kD = 4;
constexpr double kB = 1.0;

DenseMatrix uniform(std::mt19937_64& rng, std::size_t rows, std::size_t cols, double bound) {
  std::uniform_real_distribution<double> u(-bound, bound);
  DenseMatrix m(rows, cols);
  for (double& x : m.data) x = u(rng);
  return m;
}

AttentionInstance instance(std::size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  DenseMatrix q = uniform(rng, n, kD, kB);
  std::vector<DenseMatrix> keys{uniform(rng, n, kD, kB), uniform(rng, n, kD, kB)};
  std::vector<DenseMatrix> values{uniform(rng, n, kD, kB), uniform(rng, n, kD, kB)};
  return make_attention_instance(std::move(q), std::move(keys), std::move(values));
}

void set_common(benchmark::State& state, std::size_t n) {
  state.counters["n"] = double(n);
  state.counters["d"] = double(kD);
  const double tuples = double(n) * double(n) * double(n);
  state.counters["tuples_per_s"] = benchmark::Counter(tuples, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Forward(benchmark::State& state) {
  const auto n = std::size_t(state.range(0));
  const AttentionInstance inst = instance(n, 1);
  for (auto _ : state) {
    AttentionOutput out = exact_attention(inst);
    benchmark::DoNotOptimize(out.o.data());
  }
  set_common(state, n);
}

void BM_Gradient(benchmark::State& state) {
  const auto n = std::size_t(state.range(0));
  const AttentionInstance inst = instance(n, 1);
  std::mt19937_64 rng(2);
  const DenseMatrix e = uniform(rng, n, kD, 1.0);
  double forward = 0, backward = 0;
  for (auto _ : state) {
    AttentionGradient g = exact_attention_gradient(inst, e);
    benchmark::DoNotOptimize(g.d_q.data.data());
    forward += g.forward_seconds;
    backward += g.backward_seconds;
  }
  set_common(state, n);
  const double iters = double(state.iterations());
  state.counters["forward_s"] = forward / iters;
  state.counters["backward_s"] = backward / iters;
  state.counters["backward_over_forward"] = backward / forward;
}

void BM_PolyGradient(benchmark::State& state) {
  const auto n = std::size_t(state.range(0));
  const AttentionInstance inst = instance(n, 1);
  std::mt19937_64 rng(2);
  const DenseMatrix e = uniform(rng, n, kD, 1.0);
  PolyOptions opt;
  opt.eps = 1e-6;
  const PolyReport plan = plan_poly_attention(inst, opt);
  opt.polynomial = plan.polynomial;
  double bound = 0;
  for (auto _ : state) {
    PolyAttentionGradient g = poly_attention_gradient(inst, e, opt);
    benchmark::DoNotOptimize(g.gradient.d_q.data.data());
    bound = g.error_bound;
  }
  set_common(state, n);
  state.counters["degree"] = double(plan.degree);
  state.counters["rank"] = plan.rank;
  state.counters["error_bound"] = bound;
}

void BM_PaperGradient(benchmark::State& state) {
  const auto n = std::size_t(state.range(0));
  std::mt19937_64 rng(3);
  // Entries of A_i X_i bounded by B = 1: A uniform in [-1, 1], X = I / 1 plus
  // noise scaled so |A X| <= d * 1 * (1/d) = 1.
  PaperInstance p;
  for (DenseMatrix* a : {&p.a1, &p.a2, &p.a3, &p.a4, &p.a5}) *a = uniform(rng, n, kD, 1.0);
  for (DenseMatrix* x : {&p.x1, &p.x2, &p.x3, &p.y1, &p.y2}) *x = uniform(rng, kD, kD, 1.0 / double(kD));
  p.e = uniform(rng, n, kD, 1.0);
  double forward = 0, backward = 0;
  for (auto _ : state) {
    PaperGradient g = paper_gradient(p);
    benchmark::DoNotOptimize(g.d_x.data.data());
    forward += g.attention.forward_seconds;
    backward += g.attention.backward_seconds;
  }
  set_common(state, n);
  state.counters["backward_over_forward"] = backward / forward;
}

// 1/4 .. 4 times a tunable's default, clamped to its range (core/options.hpp).
std::vector<int64_t> sweep(std::string_view name) {
  const core::OptionSpec& o = core::find_option(name);
  std::vector<int64_t> values;
  for (double f : {0.25, 0.5, 1.0, 2.0, 4.0}) values.push_back(int64_t(std::clamp(o.value * f, o.min, o.max)));
  return values;
}

constexpr std::size_t kSweepN = 512;

void BM_ExactTileB(benchmark::State& state) {
  const AttentionInstance inst = instance(kSweepN, 1);
  ExactOptions options;
  options.tuning.tile_b = std::size_t(state.range(0));
  for (auto _ : state) {
    AttentionOutput out = exact_attention(inst, options);
    benchmark::DoNotOptimize(out.o.data());
  }
  set_common(state, kSweepN);
  state.counters["default"] = double(options.tuning.tile_b == core::option_as<std::size_t>("exact.tile_b"));
}

void BM_GradientTileB(benchmark::State& state) {
  const AttentionInstance inst = instance(kSweepN, 1);
  std::mt19937_64 rng(2);
  const DenseMatrix e = uniform(rng, kSweepN, kD, 1.0);
  GradientOptions options;
  options.tuning.tile_b = std::size_t(state.range(0));
  for (auto _ : state) {
    AttentionGradient g = exact_attention_gradient(inst, e, options);
    benchmark::DoNotOptimize(g.d_q.data.data());
  }
  set_common(state, kSweepN);
  state.counters["default"] = double(options.tuning.tile_b == core::option_as<std::size_t>("grad.tile_b"));
}

}  // namespace

BENCHMARK(BM_Forward)->RangeMultiplier(2)->Range(64, 512)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Gradient)->RangeMultiplier(2)->Range(64, 512)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_PolyGradient)->RangeMultiplier(2)->Range(64, 4096)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_PaperGradient)->RangeMultiplier(2)->Range(64, 512)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK(BM_ExactTileB)->ArgsProduct({sweep("exact.tile_b")})->ArgName("tile_b")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_GradientTileB)->ArgsProduct({sweep("grad.tile_b")})->ArgName("tile_b")->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
