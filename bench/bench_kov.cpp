// kOV solver throughput (issues 3 and 17): k-tuples decided per second, k = 3,
// n = 256..2048 per party, for the packed solver (d = 64..256) and the
// small-dimension subset-zeta solver (d = 8..24), on instances with no
// orthogonal tuple (every vector has coordinate 0 set), so neither solver
// exits early and the figure is the worst case. The per-unit costs these
// runs report ("ns_per_tuple_word", "ns_per_zeta_step", "ns_per_query") are
// the constants of solvers/kov_solver.hpp that place the automatic cutoff;
// each run also reports the value core/options.hpp holds for it ("table_ns")
// so that a stale constant shows as a ratio far from 1.
//
// BM_PackedVsRoof (issue 17 part 4) times, in one run on the same data, the
// packed solver with each kernel this CPU has, the loop it replaced (main
// 18b795b, kept below as the "before" reference), and the roof: a tight loop
// of one AND + test-zero instruction per 8 tuple-words over the same
// transposed words, L1 tiles and 4 prefixes a load as the solver
// (kov_and_test_roof: VPTESTMQ chains, the test's issue rate). It prints
// tuples/s of each and the ratios after/roof (in tuple-words) and
// after/before; the context lines name the CPU, the cores and whether
// AVX-512 is used. Above one word the solver folds a tuple's words with
// VPTERNLOGQ (either vector port) before one test, so it can pass this
// roof: there the ratio says how far.
//
//   build/bench/bench_kov --benchmark_filter=PackedVsRoof --benchmark_counters_tabular=true
//   build/bench/bench_kov --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include <atomic>
#include <algorithm>
#include <omp.h>

#include "core/options.hpp"
#include "solvers/kov_packed.hpp"
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

// ---- "before": the packed loop of main 18b795b, unchanged (reference) ----
namespace before {
// The hot path: the first row of `rows` (n rows of W words) whose AND with
// prefix is zero, or -1. W is a compile-time constant so the compiler
// vectorizes across a block of rows; a block with a zero row is rescanned.
template <int W>
std::ptrdiff_t find_orthogonal_row_fixed(const uint64_t* prefix, const uint64_t* rows, std::size_t n) {
  constexpr std::size_t kBlock = 16;
  uint64_t p[W];
  for (int w = 0; w < W; ++w) p[w] = prefix[w];
  std::size_t i = 0;
  for (; i + kBlock <= n; i += kBlock) {
    bool zero = false;
    for (std::size_t b = 0; b < kBlock; ++b) {
      uint64_t any = 0;
      for (int w = 0; w < W; ++w) any |= p[w] & rows[(i + b) * W + static_cast<std::size_t>(w)];
      zero |= any == 0;
    }
    if (zero) break;
  }
  for (; i < n; ++i) {
    uint64_t any = 0;
    for (int w = 0; w < W; ++w) any |= p[w] & rows[i * W + static_cast<std::size_t>(w)];
    if (!any) return static_cast<std::ptrdiff_t>(i);
  }
  return -1;
}

std::ptrdiff_t find_orthogonal_row(const uint64_t* prefix, const uint64_t* rows, std::size_t n,
                                   std::size_t words) {
  switch (words) {
    case 0: return n > 0 ? 0 : -1;
    case 1: return find_orthogonal_row_fixed<1>(prefix, rows, n);
    case 2: return find_orthogonal_row_fixed<2>(prefix, rows, n);
    case 3: return find_orthogonal_row_fixed<3>(prefix, rows, n);
    case 4: return find_orthogonal_row_fixed<4>(prefix, rows, n);
    default: break;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const uint64_t* v = rows + i * words;
    uint64_t any = 0;
    for (std::size_t w = 0; w < words; ++w) any |= prefix[w] & v[w];
    if (!any) return static_cast<std::ptrdiff_t>(i);
  }
  return -1;
}

// Depth-first search over parties 1..k-1 for one fixed first-party vector.
// prefix[level] holds the AND of the chosen vectors of parties 0..level.
class PackedSearch {
 public:
  PackedSearch(const KOvInstance& inst, const std::atomic<bool>& stop)
      : inst_(inst), words_(words_for_bits(inst.d)), stop_(stop),
        prefix_(static_cast<std::size_t>(inst.k) * std::max<std::size_t>(words_, 1)),
        choice_(static_cast<std::size_t>(inst.k), 0) {}

  bool run(std::size_t first) {
    choice_[0] = first;
    // d = 0: no words, and row() of an empty buffer is null, which memcpy
    // may not be given even for 0 bytes (UBSan, issue 9).
    if (words_ != 0) std::memcpy(level(0), inst_.parties[0].row(first), words_ * sizeof(uint64_t));
    return descend(1);
  }
  const std::vector<std::size_t>& witness() const { return choice_; }

 private:
  uint64_t* level(int p) { return prefix_.data() + static_cast<std::size_t>(p) * words_; }

  bool is_zero(const uint64_t* v) const {
    for (std::size_t w = 0; w < words_; ++w)
      if (v[w]) return false;
    return true;
  }

  bool descend(int p) {
    const uint64_t* prev = level(p - 1);
    if (is_zero(prev)) {  // already orthogonal: any completion works
      for (int q = p; q < inst_.k; ++q) choice_[static_cast<std::size_t>(q)] = 0;
      return true;
    }
    const PackedVectors& party = inst_.parties[static_cast<std::size_t>(p)];
    const std::size_t n = party.size();
    if (p == inst_.k - 1) {
      const std::ptrdiff_t hit = find_orthogonal_row(prev, party.row(0), n, words_);
      if (hit < 0) return false;
      choice_[static_cast<std::size_t>(p)] = static_cast<std::size_t>(hit);
      return true;
    }
    uint64_t* cur = level(p);
    for (std::size_t i = 0; i < n; ++i) {
      if (stop_.load(std::memory_order_relaxed)) return false;
      const uint64_t* v = party.row(i);
      for (std::size_t w = 0; w < words_; ++w) cur[w] = prev[w] & v[w];
      choice_[static_cast<std::size_t>(p)] = i;
      if (descend(p + 1)) return true;
    }
    return false;
  }

  const KOvInstance& inst_;
  std::size_t words_;
  const std::atomic<bool>& stop_;
  std::vector<uint64_t> prefix_;
  std::vector<std::size_t> choice_;
};

bool solve(const KOvInstance& inst) {
  std::atomic<bool> stop{false}, found{false};
  const auto n0 = static_cast<int64_t>(inst.parties[0].size());
#pragma omp parallel
  {
    PackedSearch search(inst, stop);
#pragma omp for schedule(dynamic, 1)
    for (int64_t i = 0; i < n0; ++i) {
      if (stop.load(std::memory_order_relaxed)) continue;
      if (search.run(static_cast<std::size_t>(i))) {
        found = true;
        stop = true;
      }
    }
  }
  return found;
}
}  // namespace before

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

template <typename F>
double seconds_of(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// n = party size, d = dimension, kernel = KOvKernel value (0 = automatic).
void BM_PackedVsRoof(benchmark::State& state) {
  const auto n = std::size_t(state.range(0));
  const int d = int(state.range(1));
  const auto kernel = static_cast<KOvKernel>(state.range(2));
  if (!kov_kernel_supported(kernel)) {
    state.SkipWithError("this CPU lacks the kernel");
    for (auto _ : state) {
    }
    return;
  }
  const KOvInstance inst = no_witness_instance(3, d, n, 1);
  for (auto _ : state) {
    const KOvResult r = solve_kov_packed(inst, kernel);
    if (r.found) state.SkipWithError("found a witness in a no-witness instance");
  }
  const double tuples = double(n) * double(n) * double(n);
  const double words = double(words_for_bits(d));
  const double after = seconds_of([&] { benchmark::DoNotOptimize(solve_kov_packed(inst, kernel)); });
  const double old = seconds_of([&] { benchmark::DoNotOptimize(before::solve(inst)); });
  // The roof over the same words: party-1 rows ANDed with 64 party-0 rows
  // as prefixes (some milliseconds of work), against the whole last party.
  const std::size_t w = words_for_bits(d), reps = std::min<std::size_t>(64, n);
  std::vector<uint64_t> prefixes(reps * n * w), rows(n * w);
  for (std::size_t a = 0; a < reps; ++a)
    for (std::size_t b = 0; b < n; ++b)
      for (std::size_t x = 0; x < w; ++x)
        prefixes[(a * n + b) * w + x] = inst.parties[0].row(a)[x] & inst.parties[1].row(b)[x];
  for (std::size_t c = 0; c < n; ++c) std::memcpy(rows.data() + c * w, inst.parties[2].row(c), w * 8);
  const KOvKernel roof_kernel = kernel == KOvKernel::avx512 || (kernel == KOvKernel::automatic &&
                                                                best_kov_kernel() == KOvKernel::avx512)
                                    ? KOvKernel::avx512
                                    : KOvKernel::scalar;
  const double roof = seconds_of([&] {
    benchmark::DoNotOptimize(kov_and_test_roof(prefixes.data(), reps * n, rows.data(), n, w, roof_kernel));
  });
  const double roof_rate = double(reps) * double(n) * double(n) * words / roof;  // tuple-words/s
  state.counters["tuples_per_s"] = benchmark::Counter(tuples, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["after_G"] = tuples / after * 1e-9;
  state.counters["before_G"] = tuples / old * 1e-9;
  state.counters["roof_Gwords"] = roof_rate * 1e-9;
  state.counters["after_per_before"] = old / after;
  state.counters["after_per_roof"] = tuples * words / after / roof_rate;
  state.counters["n"] = double(n);
  state.counters["d"] = d;
  state.SetLabel(std::string(to_string(kernel == KOvKernel::automatic ? best_kov_kernel() : kernel)) +
                 ", roof " + to_string(roof_kernel));
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

BENCHMARK(BM_PackedVsRoof)
    ->ArgsProduct({{2048}, {64, 256}, {int(KOvKernel::avx512), int(KOvKernel::avx2), int(KOvKernel::scalar)}})
    ->ArgNames({"n", "d", "kernel"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

int main(int argc, char** argv) {
  benchmark::AddCustomContext("cpu_model", cpu_model());
  benchmark::AddCustomContext("cores", std::to_string(std::thread::hardware_concurrency()));
  benchmark::AddCustomContext("omp_threads", std::to_string(omp_get_max_threads()));
  benchmark::AddCustomContext("avx512_used", best_kov_kernel() == KOvKernel::avx512 ? "yes" : "no");
  benchmark::AddCustomContext("kov_kernel", to_string(best_kov_kernel()));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
