// Exact attention against the machine's own GEMM peak (issue 17 parts 1, 2,
// 3 and 6). Every ratio is taken in one run of this program (DESIGN.md
// "Standards"): first the sgemm / dgemm peak of the BLAS this process loaded
// (square n = --peak-n, OpenBLAS on --threads threads, best of --reps), then
// the exact forward (attention/exact_attention.hpp, exact_forward on views)
// and the exact backward from dO with O and log D given
// (attention/exact_backward.hpp), k = 3, n_q = n_1 = n_2 = n, d = d_v = 64,
// entries uniform in [-1, 1], scale 1/sqrt(d).
//
// Flops counted: forward 4 n^3 d (S = Z K_b^T and W = P V_b, paper 001
// Definition 1.1 with Lemma C.3's factored products), backward 12 n^3 d (the
// six tile GEMMs of exact_backward.cpp). Printed per size: GFLOP/s, the ratio
// to the GEMM peak, backward time over forward time, and 1-thread time over
// 2-thread time; every ratio the median over --reps repetitions of a pair
// measured side by side (the peak again beside each repetition: see
// run_precision). Windows (FBGEMM's w1 = 512, w2 = 32) at --window-seq:
// seconds per allowed tuple over full attention's seconds per tuple at the
// largest --sizes entry.
//
// The machine line names the CPU, the cores, whether the CPU has AVX-512 and
// which OpenBLAS kernels run (OPENBLAS_CORETYPE=Haswell forces the AVX2
// ones). bench/run_attention_bench.sh runs this program twice, with the
// variable as set and without it, so both kernel sets are measured. Where
// the CPU has AVX-512F the tile products run on sethkit's own micro-kernels
// whatever OpenBLAS uses (the peak is still the BLAS's, of the set named);
// --cblas sends them through cblas instead, the path before those kernels.
//
//   build/bench/bench_attention [--sizes 256,512,768] [--threads 2] [--reps 3]
//                               [--precision both|float|double] [--window-seq 4096]
//                               [--cpu-time] [--no-one-thread] [--forward-only] [--cblas]
//                               [--tile-a A --tile-b B --grad-tile-a A --grad-tile-b B]
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <ctime>
#include <vector>

#include "attention/exact_attention.hpp"
#include "attention/exact_backward.hpp"
#include "attention/kernel_core.hpp"
#include "attention/tile_gemm.hpp"

extern "C" {
void openblas_set_num_threads(int num_threads) __attribute__((weak));
char* openblas_get_corename(void) __attribute__((weak));
}

using namespace sethkit;
using namespace sethkit::attention;

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kD = 64;

struct Args {
  std::vector<std::size_t> sizes{256, 512, 768};
  int threads = 2;
  int reps = 3;
  std::size_t peak_n = 2048;
  std::size_t window_seq = 4096;
  bool fp32 = true, fp64 = true;
  bool one_thread = true;  // also time 1 thread (the scaling columns)
  bool backward = true;
  std::size_t tile_a = 0, tile_b = 0, grad_tile_a = 0, grad_tile_b = 0;  // 0: the defaults
  bool tile_kernels = true;  // --cblas: the tile products through cblas (the path before the AVX-512 kernels)
};
const Args* g_args = nullptr;

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

// Wall seconds, or with --cpu-time the process's CPU seconds (all threads):
// on a machine shared with other work the CPU time of a 1-thread run is the
// steadier figure for comparing two variants.
bool g_cpu_time = false;
double now_seconds() {
  if (g_cpu_time) {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
  }
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

template <class F>
double best_seconds(int reps, F&& f) {
  double best = 1e300;
  for (int r = 0; r < reps; ++r) {
    const double t0 = now_seconds();
    f();
    best = std::min(best, now_seconds() - t0);
  }
  return best;
}

// The median (0 for none).
double median(std::vector<double> x) {
  if (x.empty()) return 0;
  std::sort(x.begin(), x.end());
  const std::size_t h = x.size() / 2;
  return x.size() % 2 ? x[h] : 0.5 * (x[h - 1] + x[h]);
}

template <class T>
std::vector<T> uniform(std::mt19937_64& rng, std::size_t n) {
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<T> v(n);
  for (T& x : v) x = T(u(rng));
  return v;
}

// The BLAS's square GEMM (n = --peak-n) in GFLOP/s, best of `reps` calls.
template <class T>
class GemmPeak {
 public:
  explicit GemmPeak(std::size_t n) : n_(n) {
    std::mt19937_64 rng(1);
    x_ = uniform<T>(rng, n * n);
    y_ = uniform<T>(rng, n * n);
    z_.resize(n * n);
  }
  double measure(int threads, int reps) {
    if (openblas_set_num_threads) openblas_set_num_threads(threads);
    once();  // warm-up
    const double s = best_seconds(reps, [&] { once(); });
    return 2.0 * double(n_) * double(n_) * double(n_) / s / 1e9;
  }

 private:
  void once() {
    kernel::gemm(false, false, n_, n_, n_, T(1), x_.data(), n_, y_.data(), n_, T(0), z_.data(), n_);
  }
  std::size_t n_;
  std::vector<T> x_, y_, z_;
};

template <class T>
struct Inputs {
  std::size_t n;
  std::vector<T> q, k1, k2, v1, v2, d_out, o, dq, dk1, dk2, dv1, dv2;
  std::vector<double> log_d;
  explicit Inputs(std::size_t n_) : n(n_) {
    std::mt19937_64 rng(n);
    q = uniform<T>(rng, n * kD);
    k1 = uniform<T>(rng, n * kD);
    k2 = uniform<T>(rng, n * kD);
    v1 = uniform<T>(rng, n * kD);
    v2 = uniform<T>(rng, n * kD);
    d_out = uniform<T>(rng, n * kD);
    o.assign(n * kD, 0);
    dq = dk1 = dk2 = dv1 = dv2 = o;
    log_d.assign(n, 0);
  }
  MatrixView<T> v(const std::vector<T>& m) const { return {m.data(), n, kD, kD}; }
  MutableMatrixView<T> mv(std::vector<T>& m) { return {m.data(), n, kD, kD}; }
  void forward(int threads, const std::optional<CausalWindow>& w) {
    ExactOptions opt;
    opt.threads = threads;
    opt.scale = 1.0 / std::sqrt(double(kD));
    opt.window = w;
    opt.max_bytes = 1e18;
    if (g_args->tile_a) opt.tuning.tile_a = g_args->tile_a;
    if (g_args->tile_b) opt.tuning.tile_b = g_args->tile_b;
    opt.tuning.tile_kernels = g_args->tile_kernels;
    exact_forward<T>(v(q), {v(k1), v(k2)}, {v(v1), v(v2)}, opt, mv(o), log_d.data());
  }
  void backward(int threads, const std::optional<CausalWindow>& w) {
    BackwardOptions opt;
    opt.threads = threads;
    opt.scale = 1.0 / std::sqrt(double(kD));
    opt.window = w;
    opt.max_bytes = 1e18;
    if (g_args->grad_tile_a) opt.tuning.tile_a = g_args->grad_tile_a;
    if (g_args->grad_tile_b) opt.tuning.tile_b = g_args->grad_tile_b;
    opt.tuning.tile_kernels = g_args->tile_kernels;
    exact_backward<T>(v(q), {v(k1), v(k2)}, {v(v1), v(v2)}, v(d_out), log_d.data(), opt, mv(dq), {mv(dk1), mv(dk2)},
                      {mv(dv1), mv(dv2)}, v(o));
  }
};

template <class T>
void run_precision(const Args& a, const char* name) {
  // Every repetition measures the peak again right beside the kernel and
  // takes the ratio of that pair; the figures printed are the medians of
  // the pairs' ratios (and of the 1-thread / 2-thread time pairs). On a
  // shared virtual machine whose speed drifts over seconds to minutes, a
  // pair sees the same machine, where a peak taken once at the start could
  // be a fast or a slow moment. Times are the best of the repetitions.
  GemmPeak<T> gemm_peak(a.peak_n);
  const double peak = gemm_peak.measure(a.threads, a.reps);
  const double peak1 = gemm_peak.measure(1, a.reps);
  std::printf("\n%s: %cgemm peak (n = %zu, best of %d): %.1f GFLOP/s on %d threads, %.1f on 1\n", name,
              sizeof(T) == 4 ? 's' : 'd', a.peak_n, a.reps, peak, a.threads, peak1);
  std::printf("%6s %10s %10s %8s %10s %10s %8s %8s %9s %9s %9s\n", "n", "fwd_s", "fwd_GF/s", "fwd/pk", "bwd_s",
              "bwd_GF/s", "bwd/pk", "bwd/fwd", "fwd_1t/2t", "bwd_1t/2t", "pk_GF/s");
  double full_per_tuple = 0;
  for (std::size_t n : a.sizes) {
    Inputs<T> in(n);
    in.forward(a.threads, std::nullopt);  // warm-up, and O / log D for the backward
    const double n3d = double(n) * double(n) * double(n) * double(kD);
    double f = 1e300, b = 1e300, best_peak = 0;
    std::vector<double> fwd_pk, bwd_pk, bwd_fwd, fwd_scale, bwd_scale;
    for (int rep = 0; rep < a.reps; ++rep) {
      const double pk = gemm_peak.measure(a.threads, 1);
      best_peak = std::max(best_peak, pk);
      const double tf = best_seconds(1, [&] { in.forward(a.threads, std::nullopt); });
      f = std::min(f, tf);
      fwd_pk.push_back(4 * n3d / tf / 1e9 / pk);
      double tb = 0;
      if (a.backward) {
        tb = best_seconds(1, [&] { in.backward(a.threads, std::nullopt); });
        b = std::min(b, tb);
        bwd_pk.push_back(12 * n3d / tb / 1e9 / pk);
        bwd_fwd.push_back(tb / tf);
      }
      if (a.one_thread) {
        fwd_scale.push_back(best_seconds(1, [&] { in.forward(1, std::nullopt); }) / tf);
        if (a.backward) bwd_scale.push_back(best_seconds(1, [&] { in.backward(1, std::nullopt); }) / tb);
      }
    }
    const double fg = 4 * n3d / f / 1e9, bg = a.backward ? 12 * n3d / b / 1e9 : 0.0;
    std::printf("%6zu %10.4f %10.1f %8.3f %10.4f %10.1f %8.3f %8.3f %9.3f %9.3f %9.1f\n", n, f, fg, median(fwd_pk),
                a.backward ? b : 0.0, bg, median(bwd_pk), median(bwd_fwd), median(fwd_scale), median(bwd_scale),
                best_peak);
    full_per_tuple = f / (double(n) * double(n) * double(n));
  }
  if (a.window_seq > 0) {
    const std::size_t n = a.window_seq;
    const CausalWindow w{512, 32};
    Inputs<T> in(n);
    in.forward(a.threads, w);
    const double f = best_seconds(a.reps, [&] { in.forward(a.threads, w); });
    const double b = a.backward ? best_seconds(a.reps, [&] { in.backward(a.threads, w); }) : 0.0;
    double tuples = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const auto ra = kernel::window_range(i, w.w1, n), rb = kernel::window_range(i, w.w2, n);
      tuples += double(ra.hi - ra.lo) * double(rb.hi - rb.lo);
    }
    std::printf("windows (512, 32) at seq %zu: fwd %.4f s, bwd %.4f s (bwd/fwd %.3f), %.3g allowed tuples; "
                "fwd s/tuple over full attention's at n = %zu: %.3f\n",
                n, f, b, b / f, tuples, a.sizes.back(), f / tuples / full_per_tuple);
  }
}

std::vector<std::size_t> parse_sizes(const char* s) {
  std::vector<std::size_t> out;
  std::string t(s);
  std::size_t pos = 0;
  while (pos < t.size()) {
    const std::size_t comma = t.find(',', pos);
    out.push_back(std::stoul(t.substr(pos, comma - pos)));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

// OpenBLAS's AVX-512 core names (kernel/x86_64/KERNEL.*).
bool avx512_blas() {
  if (!openblas_get_corename) return false;
  const std::string c = openblas_get_corename();
  return c == "SkylakeX" || c == "Cooperlake" || c == "Sapphirerapids";
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--cpu-time") {
      g_cpu_time = true;
      continue;
    }
    if (arg == "--forward-only") {
      a.backward = false;
      continue;
    }
    if (arg == "--no-one-thread") {
      a.one_thread = false;
      continue;
    }
    if (arg == "--cblas") {
      a.tile_kernels = false;
      continue;
    }
    const char* next = i + 1 < argc ? argv[i + 1] : nullptr;
    if (!next) {
      std::fprintf(stderr, "bench_attention: %s needs a value\n", arg.c_str());
      return 2;
    }
    try {
      if (arg == "--sizes") a.sizes = parse_sizes(next);
      else if (arg == "--threads") a.threads = std::stoi(next);
      else if (arg == "--reps") a.reps = std::stoi(next);
      else if (arg == "--peak-n") a.peak_n = std::stoul(next);
      else if (arg == "--tile-a") a.tile_a = std::stoul(next);
      else if (arg == "--tile-b") a.tile_b = std::stoul(next);
      else if (arg == "--grad-tile-a") a.grad_tile_a = std::stoul(next);
      else if (arg == "--grad-tile-b") a.grad_tile_b = std::stoul(next);
      else if (arg == "--window-seq") a.window_seq = std::stoul(next);
      else if (arg == "--precision") {
        const std::string p = next;
        a.fp32 = p == "both" || p == "float";
        a.fp64 = p == "both" || p == "double";
      } else {
        std::fprintf(stderr, "bench_attention: unknown option %s\n", arg.c_str());
        return 2;
      }
    } catch (const std::exception&) {
      std::fprintf(stderr, "bench_attention: bad value %s for %s\n", next, arg.c_str());
      return 2;
    }
    ++i;
  }
  if (a.sizes.empty() || a.threads < 1 || a.reps < 1) {
    std::fprintf(stderr, "bench_attention: --sizes, --threads and --reps need positive values\n");
    return 2;
  }
  g_args = &a;
  const char* core = std::getenv("OPENBLAS_CORETYPE");
  std::printf("machine: %s, %u logical cores, AVX-512 in the CPU: %s, AVX2: %s\n", cpu_model().c_str(),
              std::thread::hardware_concurrency(), __builtin_cpu_supports("avx512f") ? "yes" : "no",
              __builtin_cpu_supports("avx2") ? "yes" : "no");
  std::printf("BLAS kernels: OpenBLAS core %s (OPENBLAS_CORETYPE=%s), so AVX-512 kernels in use: %s\n",
              openblas_get_corename ? openblas_get_corename() : "unknown (not OpenBLAS)", core ? core : "(unset)",
              avx512_blas() ? "yes" : "no");
  std::printf("tile products: %s\n", a.tile_kernels && kernel::tile_gemm_supported()
                                         ? "sethkit's AVX-512 micro-kernels (attention/tile_gemm.hpp)"
                                         : "cblas (OpenBLAS, the kernel set above)");
  std::printf("exact attention: k = 3, d = d_v = %zu, threads %d (1-thread columns: time ratios)\n", kD, a.threads);
  if (a.fp32) run_precision<float>(a, "float32");
  if (a.fp64) run_precision<double>(a, "float64");
  return 0;
}
