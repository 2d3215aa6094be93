// The polynomial method against exact tensor attention (issue 7, part 4):
// the B-threshold experiment of paper 001 (Theorem 1.3 lower bound vs
// Theorem 1.4 / E.3 upper bound, threshold B ~ (log n)^{1/3} for k = 3).
//
// Instances: k = 3, d = d_v = 4, scale 1/d, Q and K_p uniform in [-B, B],
// V_p uniform in [-1, 1], one seed per (n, B). Families:
//   poly/...        poly_attention with its certified polynomial computed
//                   beforehand (plan_s reports that part; the timed region is
//                   the O(n r d) work). Refused configurations keep their
//                   label ("refused-memory" / "refused-precision") and report
//                   the degree and rank they would need.
//   exact_rows/...  exact_attention on `rows` evenly spaced query rows with the
//                   full key sides: its time per row times n is the full exact
//                   time (rows are independent: exactly linear in n_q), and
//                   the poly output on those rows (from the full instance) is
//                   compared with it: err = max |O~ - O|, next to the bound.
//   exact_full/...  exact_attention on all rows, small n: the n^3 law.
// Sweeps:
//   B = c (ln n)^{1/3}, n = 2^lo..2^hi, c from --poly_c (the threshold);
//   B fixed (--poly_fixed_b, default 1), same n: the log-log slope of poly.
//
//   build/bench/bench_poly --benchmark_counters_tabular=true
//   build/bench/bench_poly --poly_n=8:12 --poly_c=0.5,1 --poly_eps=1e-6
//       --benchmark_out=poly.json --benchmark_out_format=json   (one line; b_threshold.sh)
//
// Own flags (removed before Google Benchmark reads the rest):
//   --poly_n=LO:HI            log2 n range (default 6:16)
//   --poly_c=C1,C2,..         c values (default 0.5,0.75,1,1.1,1.25)
//   --poly_eps=E              target relative error of P ~ exp (default 1e-6)
//   --poly_fixed_b=B          B of the slope family (default 1; 0: none)
//   --poly_rows_max_n=N       exact_rows up to this n (default 16384)
//   --poly_full_max_n=N       exact_full up to this n (default 1024)
//   --poly_exact_tuples=T     exact_rows budget: rows = T / n^2, in [2, 64] (default 3e8)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "attention/exact_attention.hpp"
#include "attention/poly_attention.hpp"

using namespace sethkit;
using namespace sethkit::attention;

namespace {

constexpr std::size_t kD = 4;
constexpr int kOrder = 3;

struct Config {
  int lo = 6, hi = 16;
  std::vector<double> cs = {0.5, 0.75, 1.0, 1.1, 1.25};
  double eps = 1e-6;
  double fixed_b = 1.0;
  std::size_t rows_max_n = 16384;
  std::size_t full_max_n = 1024;
  double exact_tuples = 3e8;
};

DenseMatrix uniform(std::mt19937_64& rng, std::size_t rows, std::size_t cols, double lo, double hi) {
  std::uniform_real_distribution<double> u(lo, hi);
  DenseMatrix m(rows, cols);
  for (auto& x : m.data) x = u(rng);
  return m;
}

AttentionInstance make_instance(std::size_t n, double b) {
  std::mt19937_64 rng(n * 1000003u + std::size_t(std::llround(b * 1e6)));
  DenseMatrix q = uniform(rng, n, kD, -b, b);
  std::vector<DenseMatrix> keys, values;
  for (int p = 1; p < kOrder; ++p) {
    keys.push_back(uniform(rng, n, kD, -b, b));
    values.push_back(uniform(rng, n, kD, -1, 1));
  }
  return make_attention_instance(std::move(q), std::move(keys), std::move(values));
}

// One instance and its plan per (n, B), shared by the families.
struct Prepared {
  AttentionInstance inst;
  PolyReport plan;
};

const Prepared& prepared(std::size_t n, double b, double eps) {
  static std::map<std::tuple<std::size_t, double, double>, std::unique_ptr<Prepared>> cache;
  auto& slot = cache[{n, b, eps}];
  if (!slot) {
    slot = std::make_unique<Prepared>();
    slot->inst = make_instance(n, b);
    PolyOptions opt;
    opt.eps = eps;
    slot->plan = plan_poly_attention(slot->inst, opt);
  }
  return *slot;
}

std::string status_of(const PolyReport& plan) {
  if (plan.runnable()) return "ok";
  return plan.refusal.find("needs") != std::string::npos ? "refused-memory" : "refused-precision";
}

void common_counters(benchmark::State& state, std::size_t n, double b, double c, const PolyReport& plan) {
  state.counters["n"] = double(n);
  state.counters["B"] = b;
  state.counters["c"] = c;  // -1: the fixed-B family
  state.counters["R"] = plan.radius;
  state.counters["degree"] = plan.degree;
  state.counters["rank"] = plan.rank;
  state.counters["estimated"] = plan.degree_estimated ? 1 : 0;
  state.counters["eps_P"] = plan.exp_rel_error;
  state.counters["plan_s"] = plan.seconds_plan;
}

void bm_poly(benchmark::State& state, std::size_t n, double b, double c, double eps) {
  const Prepared& pre = prepared(n, b, eps);
  common_counters(state, n, b, c, pre.plan);
  state.SetLabel(status_of(pre.plan));
  if (!pre.plan.runnable()) {
    for (auto _ : state) benchmark::DoNotOptimize(pre.plan.rank);
    state.counters["error_bound"] = std::numeric_limits<double>::infinity();
    return;
  }
  PolyOptions opt;
  opt.eps = eps;
  opt.polynomial = pre.plan.polynomial;
  PolyAttentionResult res;
  for (auto _ : state) {
    res = poly_attention(pre.inst, opt);
    benchmark::DoNotOptimize(res.out.o.data());
  }
  state.counters["error_bound"] = res.report.error_bound;
  state.counters["approx_bound"] = res.report.approx_bound;
  state.counters["rounding_bound"] = res.report.rounding_bound;
  state.counters["compute_s"] = res.report.seconds_compute;
}

std::size_t rows_for(std::size_t n, const Config& cfg) {
  const double r = cfg.exact_tuples / (double(n) * double(n));
  return std::min<std::size_t>(n, std::size_t(std::clamp(r, 2.0, 64.0)));
}

void bm_exact_rows(benchmark::State& state, std::size_t n, double b, double c, double eps,
                   std::size_t rows) {
  const Prepared& pre = prepared(n, b, eps);
  common_counters(state, n, b, c, pre.plan);
  std::vector<std::size_t> pick(rows);
  for (std::size_t s = 0; s < rows; ++s) pick[s] = s * n / rows;
  AttentionInstance sub = pre.inst;
  sub.q = DenseMatrix(rows, kD);
  for (std::size_t s = 0; s < rows; ++s)
    for (std::size_t col = 0; col < kD; ++col) sub.q(s, col) = pre.inst.q(pick[s], col);
  sub.manifest.reset();
  AttentionOutput ex;
  for (auto _ : state) {
    ex = exact_attention(sub);
    benchmark::DoNotOptimize(ex.o.data());
  }
  state.counters["rows"] = double(rows);
  state.counters["exact_row_s"] = ex.seconds / double(rows);
  state.counters["exact_s"] = ex.seconds / double(rows) * double(n);  // all n rows
  state.SetLabel(status_of(pre.plan));
  if (!pre.plan.runnable()) return;
  PolyOptions opt;
  opt.eps = eps;
  opt.polynomial = pre.plan.polynomial;
  const PolyAttentionResult res = poly_attention(pre.inst, opt);
  double err = 0, lerr = 0;
  for (std::size_t s = 0; s < rows; ++s) {
    for (std::size_t v = 0; v < kD; ++v)
      err = std::max(err, std::abs(res.out.o[pick[s] * kD + v] - ex.o[s * kD + v]));
    lerr = std::max(lerr, std::abs(res.out.log_d[pick[s]] - ex.log_d[s]));
  }
  state.counters["err"] = err;
  state.counters["log_d_err"] = lerr;
  state.counters["error_bound"] = res.report.error_bound;
  state.counters["log_d_bound"] = res.report.log_d_bound;
}

void bm_exact_full(benchmark::State& state, std::size_t n, double b, double eps) {
  const Prepared& pre = prepared(n, b, eps);
  common_counters(state, n, b, -1, pre.plan);
  AttentionOutput ex;
  for (auto _ : state) {
    ex = exact_attention(pre.inst);
    benchmark::DoNotOptimize(ex.o.data());
  }
  state.counters["exact_s"] = ex.seconds;
}

std::string name(const char* family, std::size_t n, double b, double c) {
  std::ostringstream os;
  os << family << "/n:" << n << "/B:" << b;
  if (c >= 0) os << "/c:" << c; else os << "/fixed";
  return os.str();
}

void register_all(const Config& cfg) {
  auto add = [](const std::string& nm, auto fn, bool once) {
    auto* bm = benchmark::RegisterBenchmark(nm.c_str(), fn);
    bm->UseRealTime()->Unit(benchmark::kMillisecond);
    if (once) bm->Iterations(1);
    else bm->MinTime(0.2);
  };
  for (int lg = cfg.lo; lg <= cfg.hi; ++lg) {
    const std::size_t n = std::size_t(1) << lg;
    std::vector<std::pair<double, double>> bs;  // (B, c)
    if (cfg.fixed_b > 0) bs.push_back({cfg.fixed_b, -1});
    for (double c : cfg.cs) bs.push_back({c * std::cbrt(std::log(double(n))), c});
    for (auto [b, c] : bs) {
      const double eps = cfg.eps;
      add(name("poly", n, b, c), [=](benchmark::State& s) { bm_poly(s, n, b, c, eps); }, false);
      if (n <= cfg.rows_max_n) {
        const std::size_t rows = rows_for(n, cfg);
        add(name("exact_rows", n, b, c),
            [=](benchmark::State& s) { bm_exact_rows(s, n, b, c, eps, rows); }, true);
      }
    }
    if (n <= cfg.full_max_n && cfg.fixed_b > 0) {
      const double b = cfg.fixed_b, eps = cfg.eps;
      add(name("exact_full", n, b, -1), [=](benchmark::State& s) { bm_exact_full(s, n, b, eps); }, true);
    }
  }
}

// Parses and removes our flags; exits 2 on a malformed one.
Config parse_flags(int& argc, char** argv) {
  Config cfg;
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const std::string& flag) -> const char* {
      return a.rfind(flag + "=", 0) == 0 ? argv[i] + flag.size() + 1 : nullptr;
    };
    try {
      if (const char* v = value("--poly_n")) {
        if (std::sscanf(v, "%d:%d", &cfg.lo, &cfg.hi) != 2 || cfg.lo < 1 || cfg.hi > 30 || cfg.lo > cfg.hi)
          throw std::invalid_argument("--poly_n=LO:HI with 1 <= LO <= HI <= 30");
      } else if (const char* v = value("--poly_c")) {
        cfg.cs.clear();
        std::stringstream ss(v);
        for (std::string t; std::getline(ss, t, ',');) cfg.cs.push_back(std::stod(t));
      } else if (const char* v = value("--poly_eps")) {
        cfg.eps = std::stod(v);
      } else if (const char* v = value("--poly_fixed_b")) {
        cfg.fixed_b = std::stod(v);
      } else if (const char* v = value("--poly_rows_max_n")) {
        cfg.rows_max_n = std::stoull(v);
      } else if (const char* v = value("--poly_full_max_n")) {
        cfg.full_max_n = std::stoull(v);
      } else if (const char* v = value("--poly_exact_tuples")) {
        cfg.exact_tuples = std::stod(v);
      } else {
        argv[out++] = argv[i];
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench_poly: bad flag %s (%s)\n", a.c_str(), e.what());
      std::exit(2);
    }
  }
  argc = out;
  return cfg;
}

}  // namespace

int main(int argc, char** argv) {
  const Config cfg = parse_flags(argc, argv);
  register_all(cfg);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
