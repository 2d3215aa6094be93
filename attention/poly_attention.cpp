// The polynomial-method backend (see poly_attention.hpp for the contract,
// the method and the proofs of the bounds). Paper 001: Algorithm 1, Lemma C.3
// (column-wise Kronecker identity), Lemmas D.5/D.6 (error propagation), Lemma
// E.1 (features), Lemma E.2 / Theorem E.3 (degree and time).
//
// Layout of the work: every side is cut into blocks of row_block rows; a
// block's features are built feature-major (U[t][i], rows contiguous), so
// U[t] = U[parent(t)] (.) x_{var(t)} is one vectorized multiply per feature,
// and consumed at once while in L1:
//   key side p:  acc_p[t][:] += U_blk[t] . [V_p | 1]_blk   (d_v + 1 dots of length b)
//   query side:  out_blk[:][i] = sum_chunks sum_{t in chunk} U_blk[t][i] H[t][:]
// with H = w o G_1 o .. o G_{k-1} (double) between the two. These products
// have only d_v + 1 columns, so they are plain vectorized loops, not BLAS:
// no switching of OpenBLAS's thread count inside OpenMP (about 30 ms per call
// with its pthreads pool, which would dominate at small n), and the summation
// order, hence the rounding depth the bound counts, is ours.
#include "attention/poly_attention.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>

#include "attention/backend_options.hpp"
#include "attention/kernel_core.hpp"
#include "core/errors.hpp"

namespace sethkit::attention {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kUnitDouble = 0x1p-53;
constexpr double kUnitFloat = 0x1p-24;

// x rounded up past the error of `ops` correctly rounded double operations
// (each relative <= 2^-53): (1 + 2^-53)^ops <= 1 + (ops + 1) 2^-53 for ops < 2^20.
double up(double x, int ops) { return x * (1.0 + double(ops + 2) * kUnitDouble); }

// The multi-indices |a| <= g over d variables, degree by degree. Feature t
// (>= 1) is its parent times x_{var[t]}; the variables along a chain never
// decrease (children of t use var >= var[t]), so each multi-index occurs
// exactly once and the count is sum_m C(m+d-1, d-1) = C(d+g, g).
struct Monomials {
  std::vector<int32_t> parent;  // -1 for the constant
  std::vector<int32_t> var;     // the variable multiplied last (0 for the constant)
  std::vector<int32_t> power;   // exponent of var in t (0 for the constant)
  std::vector<int32_t> degree;  // |a|
  std::size_t size() const { return parent.size(); }
};

Monomials enumerate_monomials(std::size_t d, int g) {
  Monomials m;
  m.parent.push_back(-1);
  m.var.push_back(0);
  m.power.push_back(0);
  m.degree.push_back(0);
  std::size_t level_begin = 0, level_end = 1;
  for (int deg = 1; deg <= g; ++deg) {
    for (std::size_t t = level_begin; t < level_end; ++t) {
      for (std::size_t v = std::size_t(m.var[t]); v < d; ++v) {
        m.parent.push_back(int32_t(t));
        m.var.push_back(int32_t(v));
        m.power.push_back(std::size_t(m.var[t]) == v ? m.power[t] + 1 : 1);
        m.degree.push_back(deg);
      }
    }
    level_begin = level_end;
    level_end = m.size();
  }
  return m;
}

// Everything about the instance the plan and the run share.
struct Prepared {
  int k = 0;
  std::size_t d = 0, dv = 0;
  std::vector<std::size_t> n;        // n_q, n_1, ..
  double scale = 0;
  std::vector<double> beta_q;        // column maxima of |Q| (1 for a zero column)
  std::vector<std::vector<double>> beta_k;  // per key side
  std::vector<double> gamma;         // scale maxQ_c prod_p maxK_pc (signed, 0 for zero columns)
  double radius = 0;                 // sum_c |gamma_c|, rounded up
  double radius_uniform = 0;
  std::vector<double> entry_bounds;
  double value_max = 0, value_halfrange = 0;
  double tuples = 1;                 // prod_p n_p
};

Prepared prepare(const AttentionInstance& inst, double scale) {
  Prepared pr;
  pr.k = inst.k;
  pr.d = inst.d();
  pr.dv = inst.d_v();
  pr.n = inst.lengths();
  pr.scale = scale;
  const std::vector<double> mq = kernel::column_abs_max(inst.q);
  pr.gamma.assign(pr.d, scale);
  for (std::size_t c = 0; c < pr.d; ++c) pr.gamma[c] *= mq[c];
  double bq = *std::max_element(mq.begin(), mq.end());
  pr.entry_bounds.push_back(bq);
  double uniform = std::abs(scale) * double(pr.d) * bq;
  for (const DenseMatrix& key : inst.keys) {
    const std::vector<double> mk = kernel::column_abs_max(key);
    for (std::size_t c = 0; c < pr.d; ++c) pr.gamma[c] *= mk[c];
    const double bk = *std::max_element(mk.begin(), mk.end());
    pr.entry_bounds.push_back(bk);
    uniform *= bk;
    std::vector<double> beta = mk;
    for (double& b : beta)
      if (b == 0) b = 1;  // a zero column: its features are 0 whatever beta is
    pr.beta_k.push_back(std::move(beta));
    pr.tuples *= double(key.rows);
  }
  pr.beta_q = mq;
  for (double& b : pr.beta_q)
    if (b == 0) b = 1;
  double r = 0;
  for (double g : pr.gamma) r += std::abs(g);
  // k multiplications per term, d - 1 additions of nonnegative terms.
  pr.radius = r == 0 ? 0.0 : std::nextafter(up(r, pr.k + int(pr.d)), kInf);
  pr.radius_uniform = std::nextafter(up(uniform, pr.k + 1), kInf);

  // Range of the value products V1[j1,v] .. V_{k-1}[j_{k-1},v], per column.
  for (std::size_t v = 0; v < pr.dv; ++v) {
    double lo = 1, hi = 1;
    for (const DenseMatrix& val : inst.values) {
      double mn = kInf, mx = -kInf;
      for (std::size_t j = 0; j < val.rows; ++j) {
        mn = std::min(mn, val(j, v));
        mx = std::max(mx, val(j, v));
      }
      const double c[4] = {lo * mn, lo * mx, hi * mn, hi * mx};
      lo = *std::min_element(c, c + 4);
      hi = *std::max_element(c, c + 4);
    }
    pr.value_max = std::max(pr.value_max, std::max(std::abs(lo), std::abs(hi)));
    pr.value_halfrange = std::max(pr.value_halfrange, 0.5 * (hi - lo));
  }
  pr.value_max = up(pr.value_max, pr.k);
  pr.value_halfrange = up(pr.value_halfrange, pr.k + 2);
  return pr;
}

std::size_t effective_row_block(const Prepared& pr, const PolyTuning& t) {
  return std::max<std::size_t>(1, std::min(t.row_block, *std::max_element(pr.n.begin(), pr.n.end())));
}

// Scratch and output of a run at rank r (header: "bytes").
double run_bytes(const Prepared& pr, double r, Precision precision, int threads,
                 const PolyTuning& t) {
  const double st = precision == Precision::float32 ? 4.0 : 8.0;
  const double dv1 = double(pr.dv + 1);
  const double b = double(effective_row_block(pr, t));
  const double tables = r * (4.0 * 4 + 8);               // parent, var, power, degree; w
  const double shared = r * dv1 * (8.0 + 8.0 + st);      // H, G (double), H in T
  const double per_thread = r * (dv1 + b) * st + b * (double(pr.d) + 2 * dv1) * 8.0;
  const double output = double(pr.n[0]) * (double(pr.dv) + 1) * 8.0;
  return tables + shared + double(threads) * per_thread + output;
}

std::string fmt(const char* f, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, x);
  return buf;
}

std::string describe(const Prepared& pr, double eps) {
  return "polynomial attention (k = " + std::to_string(pr.k) + ", d = " + std::to_string(pr.d) +
         ", B = " + fmt("%.4g", *std::max_element(pr.entry_bounds.begin(), pr.entry_bounds.end())) +
         ", R = " + fmt("%.4g", pr.radius) + ", eps = " + fmt("%.3g", eps) + ")";
}

std::string rank_text(double r) {
  if (!std::isfinite(r)) return "> 1e308";
  return r < 0x1p53 ? fmt("%.0f", r) : fmt("%.4g", r);
}

void check_options(const PolyOptions& o) {
  if (!(o.eps > 0 && o.eps < 1))
    throw InputError("", "polynomial attention: eps must be in (0, 1) (got " + fmt("%g", o.eps) + ")");
  if (o.max_degree < 0 || o.max_degree > kMaxExpDegree)
    throw InputError("", "polynomial attention: max_degree must be in [0, " +
                             std::to_string(kMaxExpDegree) + "]");
  if (o.degree && (*o.degree < 0 || *o.degree > kMaxExpDegree))
    throw InputError("", "polynomial attention: the degree must be in [0, " +
                             std::to_string(kMaxExpDegree) + "]");
  if (o.tuning.row_block == 0 || o.tuning.rank_chunk == 0)
    throw InputError("", "polynomial attention tuning: row_block and rank_chunk must be >= 1");
  if (!(o.max_bytes >= 0)) throw InputError("", "polynomial attention: max_bytes must be >= 0");
}

PolyReport make_plan(const PolyOptions& opt, const Prepared& pr, int threads) {
  PolyReport rep;
  rep.k = pr.k;
  rep.lengths = pr.n;
  rep.d = pr.d;
  rep.d_v = pr.dv;
  rep.scale = pr.scale;
  rep.entry_bounds = pr.entry_bounds;
  rep.entry_bound = *std::max_element(pr.entry_bounds.begin(), pr.entry_bounds.end());
  rep.radius = pr.radius;
  rep.radius_uniform = pr.radius_uniform;
  rep.method = opt.polynomial ? opt.polynomial->method : opt.method;
  rep.value_max = pr.value_max;
  rep.value_halfrange = pr.value_halfrange;
  rep.exp_rel_error = kInf;
  rep.approx_bound = kInf;
  auto bytes_at = [&](int g) {
    return run_bytes(pr, poly_rank(pr.d, g), opt.precision, threads, opt.tuning);
  };
  auto set_degree = [&](int g, bool estimated) {
    rep.degree = g;
    rep.degree_estimated = estimated;
    rep.rank = poly_rank(pr.d, g);
    rep.bytes = bytes_at(g);
  };
  auto memory_refusal = [&](const std::string& extra) {
    rep.refusal = describe(pr, opt.eps) + ": degree g = " + std::to_string(rep.degree) +
                  (rep.degree_estimated ? " (estimated)" : "") + ", rank r = C(d+g, g) = " +
                  rank_text(rep.rank) + " needs " + human_bytes(rep.bytes) + " (limit " +
                  human_bytes(opt.max_bytes) + ")" + extra +
                  "; loosen eps, raise the memory limit, or use the exact backend";
  };
  const double dbl_floor = kUnitDouble * std::exp(std::min(2.0 * pr.radius, 700.0));

  if (opt.polynomial) {
    const ExpPolynomial& p = *opt.polynomial;
    if (!(p.radius >= pr.radius))
      throw InputError("", "polynomial attention: the given polynomial is certified on [-" +
                               fmt("%.6g", p.radius) + ", " + fmt("%.6g", p.radius) +
                               "] but this instance's scores reach R = " + fmt("%.6g", pr.radius));
    if (p.coeffs.size() != std::size_t(p.degree) + 1)
      throw InputError("", "polynomial attention: the given polynomial has " +
                               std::to_string(p.coeffs.size()) + " coefficients for degree " +
                               std::to_string(p.degree));
    rep.polynomial = p;
    set_degree(p.degree, false);
  } else if (opt.degree) {
    set_degree(*opt.degree, false);
    if (rep.bytes <= opt.max_bytes) rep.polynomial = exp_polynomial(opt.method, pr.radius, *opt.degree);
  } else if (pr.radius > kPolyMaxRadius) {
    // Past any double-precision certificate (floor 2^-53 e^{2R} > 1): refuse
    // without the search, whose MPFR precision grows like 3R bits.
    set_degree(std::min(estimate_exp_degree(opt.method, pr.radius, opt.eps), kMaxExpDegree), true);
    rep.refusal = describe(pr, opt.eps) + ": the scores reach R = " + fmt("%.4g", pr.radius) +
                  ", past " + fmt("%g", kPolyMaxRadius) +
                  ", where no double-precision polynomial can be certified (the monomial "
                  "expansion floors near 2^-53 e^{2R} = " + fmt("%.2g", dbl_floor) +
                  "); estimated degree g = " + std::to_string(rep.degree) +
                  (rep.degree == kMaxExpDegree ? "+" : "") + ", rank r = " + rank_text(rep.rank) +
                  "; use the exact backend";
    return rep;
  } else {
    int g_fit = -1;
    while (g_fit < opt.max_degree && bytes_at(g_fit + 1) <= opt.max_bytes) ++g_fit;
    if (g_fit >= 0) rep.polynomial = smallest_exp_polynomial(opt.method, pr.radius, opt.eps, g_fit);
    if (rep.polynomial) {
      set_degree(rep.polynomial->degree, false);
    } else {
      const int est = estimate_exp_degree(opt.method, pr.radius, opt.eps);
      if (g_fit < opt.max_degree && est > g_fit) {
        set_degree(std::max(est, g_fit + 1), true);
        memory_refusal(g_fit >= 0 ? "; no degree up to " + std::to_string(g_fit) +
                                        " (the largest that fits) is certified"
                                  : std::string());
      } else {
        set_degree(std::min(est, kMaxExpDegree), true);
        rep.refusal = describe(pr, opt.eps) + ": no degree g <= " + std::to_string(g_fit) +
                      " has a certified relative error <= eps for exp on [-R, R] (" +
                      to_string(opt.method) +
                      "; in double the monomial expansion floors near 2^-53 e^{2R} = " +
                      fmt("%.2g", dbl_floor) + "); estimated degree g = " + std::to_string(rep.degree) +
                      ", rank r = " + rank_text(rep.rank) +
                      "; loosen eps or use the exact backend";
      }
      return rep;
    }
  }
  if (rep.bytes > opt.max_bytes) {
    memory_refusal("");
    return rep;
  }
  rep.exp_rel_error = rep.polynomial->rel_error;
  rep.eps_met = rep.exp_rel_error <= opt.eps;
  const double e = rep.exp_rel_error;
  rep.approx_bound = e < 1 ? up(e / (1 - e) * pr.value_halfrange, 4) : kInf;
  return rep;
}

// Upper bound on sum_m |c_m| x^m for x >= 0 (positive Horner: <= 2g roundings).
double abs_poly(const std::vector<double>& c, double x) {
  double s = 0;
  for (std::size_t m = c.size(); m-- > 0;) s = s * x + std::abs(c[m]);
  return up(s, 2 * int(c.size()));
}

// G_p = U_p^T [V_p | 1] (r x (d_v+1)), accumulated in T per thread over row
// blocks, reduced in double in thread order. Blocks are handed out
// dynamically: on a shared machine a static half waits for a preempted
// thread (measured: 2-thread time growing like n^1.5 at n >= 2^15 under
// load). So which thread sums which block varies, and G_p may differ between
// runs in the last bits; the rounding bound counts the worst order. Feature t of the block is built
// (U[t] = U[parent] (.) x_var, rows contiguous) and at once dotted with the
// d_v + 1 value columns while it is in L1: each dot sums be <= row_block
// products, then one add into the accumulator.
template <class T>
std::vector<double> key_pass(const DenseMatrix& key, const DenseMatrix& val,
                             const std::vector<double>& beta, const Monomials& mono,
                             std::size_t b, int threads) {
  const std::size_t r = mono.size(), d = key.cols, dv = val.cols, dv1 = dv + 1, n = key.rows;
  const std::size_t blocks = (n + b - 1) / b;
  std::vector<std::vector<T>> accs(static_cast<std::size_t>(threads));
  // Per thread: accs[thread], and u, x, vt (the value block transposed).
  struct State {
    std::vector<T>& acc;
    std::vector<T> u, x, vt;
  };
  kernel::parallel_rows(
      kernel::FaultRegion::poly_key_pass, blocks, threads, 1,
      [&] {
        std::vector<T>& acc = accs[std::size_t(omp_get_thread_num())];
        acc.assign(r * dv1, T(0));
        return State{acc, std::vector<T>(r * b), std::vector<T>(d * b), std::vector<T>(dv1 * b)};
      },
      [&](std::size_t blk, State& st) {
        auto& [acc, u, x, vt] = st;
        const std::size_t j0 = blk * b, be = std::min(b, n - j0);
        for (std::size_t i = 0; i < be; ++i) {
          const double* kr = key.row(j0 + i);
          for (std::size_t c = 0; c < d; ++c) x[c * b + i] = T(kr[c] / beta[c]);
          const double* vr = val.row(j0 + i);
          for (std::size_t v = 0; v < dv; ++v) vt[v * b + i] = T(vr[v]);
          vt[dv * b + i] = T(1);
        }
        for (std::size_t t = 0; t < r; ++t) {
          T* ut = u.data() + t * b;
          if (t == 0) {
            for (std::size_t i = 0; i < be; ++i) ut[i] = T(1);
          } else {
            const T* src = u.data() + std::size_t(mono.parent[t]) * b;
            const T* xv = x.data() + std::size_t(mono.var[t]) * b;
  #pragma omp simd
            for (std::size_t i = 0; i < be; ++i) ut[i] = src[i] * xv[i];
          }
          T* at = acc.data() + t * dv1;
          for (std::size_t v = 0; v < dv1; ++v) {
            const T* vv = vt.data() + v * b;
            T sum = 0;
  #pragma omp simd reduction(+ : sum)
            for (std::size_t i = 0; i < be; ++i) sum += ut[i] * vv[i];
            at[v] += sum;
          }
        }
      });
  std::vector<double> g(r * dv1, 0.0);
  for (const auto& acc : accs)
    if (acc.size() == g.size())  // a thread of the team that never started has none
      for (std::size_t i = 0; i < g.size(); ++i) g[i] += double(acc[i]);
  return g;
}

template <class T>
void run_poly(const AttentionInstance& inst, const PolyOptions& opt, const Prepared& pr,
              int threads, PolyReport& rep, AttentionOutput& out) {
  const ExpPolynomial& poly = *rep.polynomial;
  const int g = poly.degree;
  const Monomials mono = enumerate_monomials(pr.d, g);
  const std::size_t r = mono.size(), d = pr.d, dv = pr.dv, dv1 = dv + 1;
  const std::size_t b = effective_row_block(pr, opt.tuning);
  const std::size_t chunk = std::min(opt.tuning.rank_chunk, r);

  // w_t = c_{|a|} multinomial(|a|; a) gamma^a, by the chain
  // z_t = z_parent * gamma_var * |a| / a_var  (multinomial(m; a) = multinomial(m-1; a - e_v) m / a_v).
  std::vector<double> w(r);
  {
    std::vector<double> z(r);
    z[0] = 1;
    w[0] = poly.coeffs[0];
    for (std::size_t t = 1; t < r; ++t) {
      z[t] = z[std::size_t(mono.parent[t])] * pr.gamma[std::size_t(mono.var[t])] *
             double(mono.degree[t]) / double(mono.power[t]);
      w[t] = poly.coeffs[std::size_t(mono.degree[t])] * z[t];
    }
  }
  std::vector<double> h(r * dv1);
  for (std::size_t t = 0; t < r; ++t)
    for (std::size_t v = 0; v < dv1; ++v) h[t * dv1 + v] = w[t];
  for (std::size_t p = 0; p < inst.keys.size(); ++p) {
    const std::vector<double> gp =
        key_pass<T>(inst.keys[p], inst.values[p], pr.beta_k[p], mono, b, threads);
    for (std::size_t i = 0; i < h.size(); ++i) h[i] *= gp[i];
  }
  std::vector<T> hf;
  const T* hp;
  if constexpr (std::is_same_v<T, double>) {
    hp = h.data();
  } else {
    hf.assign(h.begin(), h.end());
    hp = hf.data();
  }

  // The rounding count L of the header (each term's roundings, generously):
  //   w: gamma (k) + 3 per chain level + c_m (1);  query features: normalize,
  //   cast, chain (g + 2);  per key side: normalize, cast, chain, value cast
  //   (g + 3) + dot depth (row_block + 1) + blocks accumulated + thread
  //   reduction;  Hadamard and cast (k);  query sums: chunk + chunks + 1.
  double l = double(3 * g + pr.k + 1) + double(g + 2) + double(pr.k) +
             double(chunk + (r + chunk - 1) / chunk + 1) + 4;
  for (std::size_t p = 1; p < pr.n.size(); ++p)
    l += double(g + 3) + double(b + 1) + double((pr.n[p] + b - 1) / b) + double(threads) + 1;
  const double u = std::is_same_v<T, double> ? kUnitDouble : kUnitFloat;
  const double gamma_l = l * u < 1 ? l * u / (1 - l * u) : kInf;
  const double e = rep.exp_rel_error;
  const double log_eps = e < 1 ? -std::log1p(-e) : kInf;

  const std::size_t n_q = pr.n[0];
  const std::size_t blocks = (n_q + b - 1) / b;
  double worst_rounding = 0, worst_log = 0;
  std::size_t bad = 0;
  const DenseMatrix& q = inst.q;
  std::vector<double> abs_gamma_over_beta(d);
  for (std::size_t c = 0; c < d; ++c) abs_gamma_over_beta[c] = std::abs(pr.gamma[c]) / pr.beta_q[c];
  // Per thread: m, the block's features (r x b, rows contiguous); part/ob: the chunk's and
  // the block's sums, (d_v + 1) x b; the worst bounds, combined after (max, count: any order).
  struct State {
    std::vector<T> m, x, part, ob;
    double worst_rounding = 0, worst_log = 0;
    std::size_t bad = 0;
  };
  std::vector<std::optional<State>> slots(static_cast<std::size_t>(threads));
  kernel::parallel_rows(
      kernel::FaultRegion::poly_query_pass, blocks, threads, 1,
      [&] {
        auto& slot = slots[std::size_t(omp_get_thread_num())];
        return &slot.emplace(State{std::vector<T>(r * b), std::vector<T>(d * b), std::vector<T>(dv1 * b),
                                   std::vector<T>(dv1 * b)});
      },
      [&](std::size_t blk, State* stp) {
        State& st = *stp;
        auto& [m, x, part, ob, unused_r, unused_l, unused_b] = st;
        const std::size_t i0 = blk * b, be = std::min(b, n_q - i0);
        for (std::size_t i = 0; i < be; ++i) {
          const double* qr = q.row(i0 + i);
          for (std::size_t c = 0; c < d; ++c) x[c * b + i] = T(qr[c] / pr.beta_q[c]);
        }
        std::fill(ob.begin(), ob.end(), T(0));
        for (std::size_t t0 = 0; t0 < r; t0 += chunk) {
          std::fill(part.begin(), part.end(), T(0));
          for (std::size_t t = t0; t < std::min(r, t0 + chunk); ++t) {
            T* mt = m.data() + t * b;
            if (t == 0) {
              for (std::size_t i = 0; i < be; ++i) mt[i] = T(1);
            } else {
              const T* src = m.data() + std::size_t(mono.parent[t]) * b;
              const T* xv = x.data() + std::size_t(mono.var[t]) * b;
  #pragma omp simd
              for (std::size_t i = 0; i < be; ++i) mt[i] = src[i] * xv[i];
            }
            for (std::size_t v = 0; v < dv1; ++v) {
              const T hv = hp[t * dv1 + v];
              T* pv = part.data() + v * b;
  #pragma omp simd
              for (std::size_t i = 0; i < be; ++i) pv[i] += mt[i] * hv;
            }
          }
  #pragma omp simd
          for (std::size_t i = 0; i < dv1 * b; ++i) ob[i] += part[i];
        }
        for (std::size_t i = 0; i < be; ++i) {
          const std::size_t row = i0 + i;
          const double den = double(ob[dv * b + i]);
          bool ok = std::isfinite(den) && den > 0;
          for (std::size_t v = 0; v < dv && ok; ++v) ok = std::isfinite(double(ob[v * b + i]));
          if (!ok) {
            ++st.bad;
            for (std::size_t v = 0; v < dv; ++v) out.o[row * dv + v] = kNaN;
            out.log_d[row] = kNaN;
            continue;
          }
          for (std::size_t v = 0; v < dv; ++v) out.o[row * dv + v] = double(ob[v * b + i]) / den;
          out.log_d[row] = std::log(den);
          // eta_i = gamma_L prod_p n_p Pabs(R_i), R_i = sum_c |gamma_c| |Q[i,c]| / beta_c.
          const double* qr = q.row(row);
          double ri = 0;
          for (std::size_t c = 0; c < d; ++c) ri += abs_gamma_over_beta[c] * std::abs(qr[c]);
          ri = std::min(up(ri, int(d) + pr.k + 4), pr.radius);  // gamma_c carries k roundings
          const double eta = up(gamma_l * pr.tuples * abs_poly(poly.coeffs, ri), 4);
          const double rel = eta / den;
          const double rounding = up(pr.value_max * (2 * rel * (1 + kUnitDouble) + kUnitDouble), 6);
          st.worst_rounding = std::max(st.worst_rounding, rounding);
          const double log_round = rel < 1 ? -std::log1p(-rel) : kInf;
          st.worst_log = std::max(st.worst_log, up(log_eps + log_round, 4) +
                                              4 * kUnitDouble * std::abs(out.log_d[row]) + 0x1p-1074);
        }
      });
  for (const auto& st : slots) {
    if (!st) continue;
    worst_rounding = std::max(worst_rounding, st->worst_rounding);
    worst_log = std::max(worst_log, st->worst_log);
    bad += st->bad;
  }
  rep.bad_rows = bad;
  rep.rounding_bound = bad > 0 ? kInf : worst_rounding;
  rep.error_bound = bad > 0 ? kInf : up(rep.approx_bound + rep.rounding_bound, 1);
  rep.log_d_bound = bad > 0 ? kInf : worst_log;
}

}  // namespace

double poly_rank(std::size_t d, int degree) {
  if (degree < 0) return 0;
  // C(d+g, s) with s = min(d, g): prod_{i=1..s} (d+g-s+i)/i, an integer at
  // every step; long double keeps it exact up to 2^64.
  const std::size_t g = std::size_t(degree);
  const std::size_t s = std::min(d, g), top = d + g;
  long double r = 1;
  for (std::size_t i = 1; i <= s; ++i) {
    r = r * static_cast<long double>(top - s + i) / static_cast<long double>(i);
    if (r > 1e300L) return kInf;
  }
  return static_cast<double>(std::round(r));
}

std::vector<std::vector<int>> poly_exponents(std::size_t d, int degree) {
  if (poly_rank(d, degree) > 1e7)
    throw SizeLimitError("poly_exponents: rank " + fmt("%.4g", poly_rank(d, degree)) +
                         " is too large to list");
  const Monomials m = enumerate_monomials(d, degree);
  std::vector<std::vector<int>> out(m.size(), std::vector<int>(d, 0));
  for (std::size_t t = 1; t < m.size(); ++t) {
    out[t] = out[std::size_t(m.parent[t])];
    ++out[t][std::size_t(m.var[t])];
  }
  return out;
}

namespace {

// The checks, the prepared columns and the plan both entry points start with.
struct Planned {
  Prepared pr;
  PolyReport report;
  int threads = 0;
};

Planned checked_plan(const AttentionInstance& inst, const PolyOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  inst.validate();
  check_options(options);
  const double scale = resolve_scale(options.scale, inst.scale);
  const int threads = resolve_threads(options.threads);
  Planned p{prepare(inst, scale), {}, threads};
  p.report = make_plan(options, p.pr, p.threads);
  p.report.seconds_plan = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return p;
}

}  // namespace

PolyReport plan_poly_attention(const AttentionInstance& inst, const PolyOptions& options) {
  return checked_plan(inst, options).report;
}

PolyAttentionResult poly_attention(const AttentionInstance& inst, const PolyOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  Planned planned_run = checked_plan(inst, options);
  const Prepared& pr = planned_run.pr;
  const int threads = planned_run.threads;
  PolyAttentionResult res;
  res.report = std::move(planned_run.report);
  const auto planned = std::chrono::steady_clock::now();
  if (!res.report.runnable()) throw SizeLimitError(res.report.refusal);
  if (res.report.rank > double(std::numeric_limits<int32_t>::max()))
    throw SizeLimitError(describe(pr, options.eps) + ": rank r = " + rank_text(res.report.rank) +
                         " exceeds the index range");

  AttentionOutput& out = res.out;
  out.rows = inst.n_q();
  out.cols = inst.d_v();
  out.precision = options.precision;
  out.o.assign(out.rows * out.cols, 0.0);
  out.log_d.assign(out.rows, 0.0);
  if (options.precision == Precision::float32) {
    run_poly<float>(inst, options, pr, threads, res.report, out);
  } else {
    run_poly<double>(inst, options, pr, threads, res.report, out);
  }
  const auto done = std::chrono::steady_clock::now();
  res.report.seconds_compute = std::chrono::duration<double>(done - planned).count();
  out.seconds = std::chrono::duration<double>(done - start).count();
  return res;
}

}  // namespace sethkit::attention
