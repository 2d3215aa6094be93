// The fast gradient by the polynomial method; see poly_gradient.hpp for the
// formulas and the proof of the bound.
#include "attention/poly_gradient.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>

#include "attention/backend_options.hpp"
#include "attention/blas_threads.hpp"
#include "attention/kernel_core.hpp"
#include "core/deadline.hpp"
#include "core/errors.hpp"

namespace sethkit::attention {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kUnit = 0x1p-53;
using kernel::column_abs_max;
using kernel::FaultRegion;

std::vector<double> normalizers(const DenseMatrix& m) {
  std::vector<double> b = column_abs_max(m);
  for (double& x : b)
    if (x == 0) x = 1;  // a zero column: its features are 0 whatever the normalizer is
  return b;
}

// The multi-indices (poly_exponents' order), flattened r x d.
struct Features {
  std::size_t r = 0, d = 0;
  int g = 0;
  std::vector<int> exps;

  // u[a] = (w ? w[a] : 1) prod_c (row[c] / beta[c])^{a_c}; xpow: d (g+1) scratch.
  void eval(const double* row, const std::vector<double>& beta, const double* w, double* u,
            std::vector<double>& xpow) const {
    const std::size_t g1 = std::size_t(g) + 1;
    for (std::size_t c = 0; c < d; ++c) {
      const double x = row[c] / beta[c];
      double* xp = xpow.data() + c * g1;
      xp[0] = 1;
      for (std::size_t e = 1; e < g1; ++e) xp[e] = xp[e - 1] * x;
    }
    for (std::size_t a = 0; a < r; ++a) {
      double v = w ? w[a] : 1.0;
      const int* ea = exps.data() + a * d;
      for (std::size_t c = 0; c < d; ++c) v *= xpow[c * g1 + std::size_t(ea[c])];
      u[a] = v;
    }
  }
};

// Rows [0, n) in a fixed number of chunks (kernel::row_chunks: a function of
// n and the accumulator size only), each summing its rows in order into a
// private accumulator of `size` doubles; the accumulators are added in chunk
// order (kernel::ordered_reduce). fn(row, acc, u, xpow) with u (r) and xpow
// scratch per thread. An exception in a thread is rethrown after the region.
template <class Fn>
std::vector<double> chunked_sum(std::size_t n, std::size_t size, const Features& f, int threads, Fn fn) {
  const kernel::ChunkPlan plan = kernel::row_chunks(n, 8.0 * double(size));
  std::vector<std::vector<double>> acc(plan.chunks);
  struct State {
    std::vector<double> u, xpow;
  };
  kernel::parallel_rows(
      FaultRegion::poly_gradient_rows, plan.chunks, threads, 1,
      [&] { return State{std::vector<double>(f.r), std::vector<double>(f.d * (std::size_t(f.g) + 1))}; },
      [&](std::size_t ch, State& st) {
        acc[ch].assign(size, 0.0);
        for (std::size_t i = plan.lo(ch); i < plan.hi(ch, n); ++i) fn(i, acc[ch].data(), st.u.data(), st.xpow);
      });
  std::vector<const double*> parts;
  for (const auto& a : acc) parts.push_back(a.data());
  std::vector<double> out(size, 0.0);
  kernel::ordered_reduce(parts, size, out.data(), threads);
  return out;
}

// Per key side: F (r x d_v x d), F' (r x d), E (r x d_v).
struct SideSums {
  std::vector<double> f, f1, e;
  std::vector<double> fa, fa1;  // paper form only: FA (r x d_v x d), FA' (r x d)
};

double round_up(double x) { return x * (1 + 1e-9); }

// poly_paper_gradient's extra inputs and outputs (poly_gradient.hpp): A1 on
// the query side, A2 and A3 beside K1 and K2 (sides[p] pairs with K_{p+1}).
struct PaperDxPoly {
  const DenseMatrix* query = nullptr;
  const DenseMatrix* sides[2] = {nullptr, nullptr};
  DenseMatrix d_x;         // out: d x d^2
  double d_x_bound = 0;    // out: entrywise
};

PolyAttentionGradient poly_gradient_impl(const AttentionInstance& inst, const DenseMatrix& target,
                                         const PolyOptions& options, PaperDxPoly* paper);

}  // namespace

double poly_attention_gradient_bytes(const AttentionInstance& inst, double rank) {
  const double d = double(inst.d()), dv = double(inst.d_v());
  const double per = rank * (dv * d + d + dv) * 8.0;
  double rows = double(inst.n_q()) * (d + 2 * dv + 2);
  for (const DenseMatrix& k : inst.keys) rows += double(k.rows) * (d + dv);
  return per * (double(inst.keys.size()) + 4) +
         std::max(per, std::min(double(kernel::kMaxChunks) * per, kernel::kChunkBudget)) +
         8.0 * rows;
}

PolyAttentionGradient poly_attention_gradient(const AttentionInstance& inst, const DenseMatrix& target,
                                              const PolyOptions& options) {
  return poly_gradient_impl(inst, target, options, nullptr);
}

namespace {

PolyAttentionGradient poly_gradient_impl(const AttentionInstance& inst, const DenseMatrix& target,
                                         const PolyOptions& options, PaperDxPoly* paper) {
  inst.validate();
  const std::size_t nq = inst.n_q(), d = inst.d(), dv = inst.d_v(), sides = inst.keys.size();
  if (target.rows != nq || target.cols != dv)
    throw InputError("target", "has shape (" + std::to_string(target.rows) + ", " + std::to_string(target.cols) +
                                   ") but O is n_q x d_v = (" + std::to_string(nq) + ", " + std::to_string(dv) + ")");
  for (double x : target.data)
    if (!std::isfinite(x)) throw InputError("target", "has a non-finite entry");

  PolyAttentionGradient res;
  AttentionGradient& gr = res.gradient;
  const auto t0 = std::chrono::steady_clock::now();
  PolyOptions fopt = options;
  fopt.precision = Precision::float64;
  PolyAttentionResult fwd = poly_attention(inst, fopt);
  res.report = fwd.report;
  const auto t1 = std::chrono::steady_clock::now();
  gr.forward_seconds = std::chrono::duration<double>(t1 - t0).count();
  const int threads = resolve_threads(options.threads);
  const double scale = options.scale ? *options.scale : inst.scale;
  const ExpPolynomial& poly = *res.report.polynomial;

  gr.o = DenseMatrix(nq, dv);
  gr.o.data = fwd.out.o;
  gr.log_d = fwd.out.log_d;

  // Features and weights (as poly_attention: column-normalized, w on the query side).
  Features f;
  f.d = d;
  f.g = poly.degree;
  {
    const std::vector<std::vector<int>> ex = poly_exponents(d, poly.degree);
    f.r = ex.size();
    f.exps.reserve(f.r * d);
    for (const auto& e : ex) f.exps.insert(f.exps.end(), e.begin(), e.end());
  }
  const std::size_t r = f.r, vd = dv * d;
  const std::vector<double> beta_q = normalizers(inst.q);
  std::vector<std::vector<double>> beta_k;
  std::vector<double> gamma = column_abs_max(inst.q);
  std::vector<double> qmax = gamma;
  std::vector<std::vector<double>> kmax, vmax;
  for (std::size_t p = 0; p < sides; ++p) {
    beta_k.push_back(normalizers(inst.keys[p]));
    kmax.push_back(column_abs_max(inst.keys[p]));
    vmax.push_back(column_abs_max(inst.values[p]));
    for (std::size_t c = 0; c < d; ++c) gamma[c] *= kmax[p][c];
  }
  for (double& x : gamma) x *= scale;
  std::vector<double> w(r);
  // --timeout (core/deadline.hpp): the loops outside parallel_rows check the
  // deadline about every 2^20 operations.
  DeadlinePoller weight_poll(static_cast<unsigned>(std::max<std::size_t>(1, (std::size_t(1) << 20) / (4 * d + 1))));
  for (std::size_t a = 0; a < r; ++a) {
    weight_poll.poll();
    const int* ea = f.exps.data() + a * d;
    int m = 0;
    double v = 1;
    for (std::size_t c = 0; c < d; ++c) {
      for (int e = 1; e <= ea[c]; ++e) v *= gamma[c] / double(e);
      m += ea[c];
    }
    for (int e = 2; e <= m; ++e) v *= double(e);
    w[a] = poly.coeffs[std::size_t(m)] * v;
  }

  // dO, delta, loss.
  DenseMatrix dout(nq, dv);
  std::vector<double> delta(nq, 0.0), inv_d(nq);
  gr.loss = 0;
  DeadlinePoller row_poll(static_cast<unsigned>(std::max<std::size_t>(1, (std::size_t(1) << 20) / (dv + 1))));
  for (std::size_t i = 0; i < nq; ++i) {
    row_poll.poll();
    for (std::size_t c = 0; c < dv; ++c) {
      dout(i, c) = gr.o(i, c) - target(i, c);
      delta[i] += dout(i, c) * gr.o(i, c);
      gr.loss += 0.5 * dout(i, c) * dout(i, c);
    }
    inv_d[i] = std::exp(-gr.log_d[i]);
  }

  // Key passes: F_p, F'_p, E_p.
  std::vector<SideSums> side(sides);
  for (std::size_t p = 0; p < sides; ++p) {
    const DenseMatrix& key = inst.keys[p];
    const DenseMatrix& val = inst.values[p];
    const std::size_t o1 = r * vd, o2 = o1 + r * d, o3 = o2 + r * dv, o4 = o3 + r * vd;
    // Paper form: FA_p (r x d_v x d) and FA'_p (r x d) with A2 / A3 in K's place.
    const DenseMatrix* pa = paper ? paper->sides[p] : nullptr;
    std::vector<double> all = chunked_sum(
        key.rows, pa ? o4 + r * d : o3, f, threads,
        [&](std::size_t j, double* acc, double* u, std::vector<double>& xpow) {
          f.eval(key.row(j), beta_k[p], nullptr, u, xpow);
          const double* kr = key.row(j);
          const double* vr = val.row(j);
          const double* ar = pa ? pa->row(j) : nullptr;
          for (std::size_t a = 0; a < r; ++a) {
            const double ua = u[a];
            double* fa = acc + a * vd;
            for (std::size_t v = 0; v < dv; ++v) {
              const double t = ua * vr[v];
              for (std::size_t c = 0; c < d; ++c) fa[v * d + c] += t * kr[c];
              acc[o2 + a * dv + v] += t;
              if (ar)
                for (std::size_t c = 0; c < d; ++c) acc[o3 + a * vd + v * d + c] += t * ar[c];
            }
            for (std::size_t c = 0; c < d; ++c) acc[o1 + a * d + c] += ua * kr[c];
            if (ar)
              for (std::size_t c = 0; c < d; ++c) acc[o4 + a * d + c] += ua * ar[c];
          }
        });
    side[p].f.assign(all.begin(), all.begin() + std::ptrdiff_t(o1));
    side[p].f1.assign(all.begin() + std::ptrdiff_t(o1), all.begin() + std::ptrdiff_t(o2));
    side[p].e.assign(all.begin() + std::ptrdiff_t(o2), all.begin() + std::ptrdiff_t(o3));
    if (pa) {
      side[p].fa.assign(all.begin() + std::ptrdiff_t(o3), all.begin() + std::ptrdiff_t(o4));
      side[p].fa1.assign(all.begin() + std::ptrdiff_t(o4), all.end());
    }
  }
  // Products over all sides, and over all sides but one.
  auto product = [&](std::vector<double> SideSums::*m, std::size_t skip) {
    std::vector<double> out((side[0].*m).size(), 1.0);
    constexpr std::size_t kBlock = std::size_t(1) << 20;  // entries between deadline checks
    for (std::size_t p = 0; p < sides; ++p)
      if (p != skip)
        for (std::size_t lo = 0; lo < out.size(); lo += kBlock) {
          check_deadline();
          const std::size_t hi = std::min(out.size(), lo + kBlock);
          for (std::size_t t = lo; t < hi; ++t) out[t] *= (side[p].*m)[t];
        }
    return out;
  };
  const std::vector<double> pf = product(&SideSums::f, sides), pf1 = product(&SideSums::f1, sides);

  // Query pass: dQ rows, and H, H', J.
  gr.d_q = DenseMatrix(nq, d);
  const std::size_t h1 = r * vd, hj = h1 + r * d, hx = hj + r * dv, hx1 = hx + r * vd;
  const DenseMatrix* a1 = paper ? paper->query : nullptr;
  const std::vector<double> hsum = chunked_sum(
      nq, a1 ? hx1 + r * d : hx, f, threads, [&](std::size_t i, double* acc, double* u, std::vector<double>& xpow) {
        f.eval(inst.q.row(i), beta_q, w.data(), u, xpow);
        const double* qr = inst.q.row(i);
        if (a1) {  // HX[a,c',a'] and HX'[a,a'] (poly_gradient.hpp, paper form)
          const double* ar = a1->row(i);
          const double* dr = dout.row(i);
          for (std::size_t a = 0; a < r; ++a) {
            const double uo = u[a] * inv_d[i];
            for (std::size_t v = 0; v < dv; ++v) {
              const double t = uo * dr[v];
              for (std::size_t c = 0; c < d; ++c) acc[hx + a * vd + v * d + c] += t * ar[c];
            }
            for (std::size_t c = 0; c < d; ++c) acc[hx1 + a * d + c] += uo * delta[i] * ar[c];
          }
        }
        const double* dor = dout.row(i);
        double* dq = gr.d_q.row(i);
        const double di = delta[i], inv = inv_d[i];
        for (std::size_t a = 0; a < r; ++a) {
          const double ua = u[a], uo = ua * inv;
          const double* fa = pf.data() + a * vd;
          double* ha = acc + a * vd;
          for (std::size_t c = 0; c < d; ++c) {
            double s = 0;
            for (std::size_t v = 0; v < dv; ++v) s += dor[v] * fa[v * d + c];
            dq[c] += ua * (s - di * pf1[a * d + c]);
            acc[h1 + a * d + c] += uo * di * qr[c];
          }
          for (std::size_t v = 0; v < dv; ++v) {
            const double t = uo * dor[v];
            for (std::size_t c = 0; c < d; ++c) ha[v * d + c] += t * qr[c];
            acc[hj + a * dv + v] += t;
          }
        }
        for (std::size_t c = 0; c < d; ++c) dq[c] *= scale * inv;
      });

  // Key sides: dK_p, dV_p.
  gr.d_keys.resize(sides);
  gr.d_values.resize(sides);
  for (std::size_t p = 0; p < sides; ++p) {
    const DenseMatrix& key = inst.keys[p];
    const DenseMatrix& val = inst.values[p];
    std::vector<double> hx = product(&SideSums::f, p), h1x = product(&SideSums::f1, p),
                        jx = product(&SideSums::e, p);
    for (std::size_t t = 0; t < hx.size(); ++t) hx[t] *= hsum[t];
    for (std::size_t t = 0; t < h1x.size(); ++t) h1x[t] *= hsum[h1 + t];
    for (std::size_t t = 0; t < jx.size(); ++t) jx[t] *= hsum[hj + t];
    DenseMatrix& dk = gr.d_keys[p] = DenseMatrix(key.rows, d);
    DenseMatrix& dvm = gr.d_values[p] = DenseMatrix(key.rows, dv);
    struct State {
      std::vector<double> u, xpow;
    };
    kernel::parallel_rows(
        FaultRegion::poly_gradient_keys, key.rows, threads, 16,
        [&] { return State{std::vector<double>(r), std::vector<double>(d * (std::size_t(f.g) + 1))}; },
        [&](std::size_t j, State& st) {
          f.eval(key.row(j), beta_k[p], nullptr, st.u.data(), st.xpow);
          const double* vr = val.row(j);
          double* dkr = dk.row(j);
          double* dvr = dvm.row(j);
          for (std::size_t a = 0; a < r; ++a) {
            const double ua = st.u[a];
            const double* ha = hx.data() + a * vd;
            for (std::size_t c = 0; c < d; ++c) {
              double s = 0;
              for (std::size_t v = 0; v < dv; ++v) s += vr[v] * ha[v * d + c];
              dkr[c] += ua * (s - h1x[a * d + c]);
            }
            for (std::size_t v = 0; v < dv; ++v) dvr[v] += ua * jx[a * dv + v];
          }
          for (std::size_t c = 0; c < d; ++c) dkr[c] *= scale;
        });
  }
  if (paper) {  // dX~[a', b1 + b2 d] = scale sum_a [..] (poly_gradient.hpp)
    paper->d_x = DenseMatrix(d, d * d);
    DenseMatrix& dx = paper->d_x;
    const std::vector<double>&fa = side[0].fa, &fb = side[1].fa, &fa1 = side[0].fa1, &fb1 = side[1].fa1;
    std::vector<double> m(vd * d);  // (v, b1 + b2 d): FA_1[a,v,b1] FA_2[a,v,b2]
    for (std::size_t a = 0; a < r; ++a) {
      check_deadline();
      for (std::size_t v = 0; v < dv; ++v)
        for (std::size_t b2 = 0; b2 < d; ++b2)
          for (std::size_t b1 = 0; b1 < d; ++b1) m[v * d * d + b1 + b2 * d] = fa[a * vd + v * d + b1] * fb[a * vd + v * d + b2];
      for (std::size_t ap = 0; ap < d; ++ap) {
        double* row = dx.row(ap);
        const double h1v = hsum[hx1 + a * d + ap];
        for (std::size_t b2 = 0; b2 < d; ++b2)
          for (std::size_t b1 = 0; b1 < d; ++b1) row[b1 + b2 * d] -= h1v * fa1[a * d + b1] * fb1[a * d + b2];
        for (std::size_t v = 0; v < dv; ++v) {
          const double h = hsum[hx + a * vd + v * d + ap];
          const double* mv = m.data() + v * d * d;
          for (std::size_t b = 0; b < d * d; ++b) row[b] += h * mv[b];
        }
      }
    }
    for (double& x : dx.data) x *= scale;
  }
  gr.backward_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();

  // ---- the bound (poly_gradient.hpp) ----------------------------------------
  const PolyReport& rep = res.report;
  res.d_key_bounds.assign(sides, kInf);
  res.d_value_bounds.assign(sides, kInf);
  if (rep.bad_rows > 0 || !std::isfinite(rep.error_bound) || !(rep.exp_rel_error < 1)) {
    res.loss_bound = res.d_q_bound = res.error_bound = kInf;
    if (paper) paper->d_x_bound = kInf;
    return res;
  }
  const double eps = rep.exp_rel_error, beta = rep.error_bound, lambda = rep.log_d_bound;
  const double vm = rep.value_max, dvd = double(dv);
  const double eta = (1 + eps) * std::expm1(lambda) + eps;  // (1 + eps) e^lambda - 1
  double lsum = 0;
  std::size_t total_n = nq;
  double tuples = 1;
  for (const DenseMatrix& k : inst.keys) {
    total_n += k.rows;
    tuples *= double(k.rows);
  }
  const double L = 2.0 * f.g + double(d) + 8 + double(inst.k) + double(total_n) + double(r) + dvd +
                   2.0 * double(kernel::kMaxChunks);
  const double gamma_l = L * kUnit / (1 - L * kUnit);
  const double pabs = poly.abs_sum;
  double e_sum = 0, e_max = 0, rho_sum = 0, rho_max = 0;
  std::vector<double> v_col_sum(dv, 0.0);  // sum_i (eta |dO_ic'| + beta)
  double dinf_sum = 0;                     // sum_i ||dO_i||_inf / D_i
  // Paper form: sum_i |A1[i,a']| (|scale| e_i + rho_i gamma_{L+4} / gamma_L), per a'.
  std::vector<double> ax_sum(paper ? d : 0, 0.0);
  DeadlinePoller bound_poll(static_cast<unsigned>(std::max<std::size_t>(1, (std::size_t(1) << 20) / (dv + 1))));
  for (std::size_t i = 0; i < nq; ++i) {
    bound_poll.poll();
    double n1 = 0, ninf = 0;
    for (std::size_t v = 0; v < dv; ++v) {
      const double a = std::abs(dout(i, v));
      n1 += a;
      ninf = std::max(ninf, a);
      lsum += beta * (a + 0.5 * beta);
      v_col_sum[v] += eta * a + beta;
    }
    const double e = eta * n1 * (2 * vm + beta) + dvd * beta * (2 * vm + beta) + (n1 + dvd * beta) * beta;
    e_sum += e;
    e_max = std::max(e_max, e);
    const double rho = gamma_l * std::abs(scale) * pabs * tuples * (n1 * vm + std::abs(delta[i])) * inv_d[i];
    rho_sum += rho;
    rho_max = std::max(rho_max, rho);
    dinf_sum += ninf * inv_d[i];
    if (paper) {
      // Four more roundings per term (the A factors): gamma_{L+4} <= gamma_L (1 + 5/L).
      const double term = std::abs(scale) * e + rho * (1 + 5.0 / L);
      for (std::size_t c = 0; c < d; ++c) ax_sum[c] += std::abs((*a1)(i, c)) * term;
    }
  }
  res.loss_bound = round_up(lsum + gamma_l * gr.loss);
  double kprod_max = 0;
  for (std::size_t c = 0; c < d; ++c) {
    double kc = 1;
    for (std::size_t p = 0; p < sides; ++p) kc *= kmax[p][c];
    kprod_max = std::max(kprod_max, kc);
  }
  res.d_q_bound = round_up(kprod_max * (std::abs(scale) * e_max + rho_max));
  res.error_bound = res.d_q_bound;
  for (std::size_t p = 0; p < sides; ++p) {
    const double np = double(inst.keys[p].rows);
    double qk = 0;
    for (std::size_t c = 0; c < d; ++c) {
      double x = qmax[c];
      for (std::size_t p2 = 0; p2 < sides; ++p2)
        if (p2 != p) x *= kmax[p2][c];
      qk = std::max(qk, x);
    }
    res.d_key_bounds[p] = round_up(qk * (std::abs(scale) * e_sum + rho_sum / np));
    double vb = 0, vmo = 0;
    for (std::size_t v = 0; v < dv; ++v) {
      double x = 1;
      for (std::size_t p2 = 0; p2 < sides; ++p2)
        if (p2 != p) x *= vmax[p2][v];
      vb = std::max(vb, x * v_col_sum[v]);
      vmo = std::max(vmo, x);
    }
    res.d_value_bounds[p] = round_up(vb + gamma_l * pabs * (tuples / np) * vmo * dinf_sum);
    res.error_bound = std::max({res.error_bound, res.d_key_bounds[p], res.d_value_bounds[p]});
  }
  if (paper) {
    auto all_max = [](const DenseMatrix& m) {
      double x = 0;
      for (double v : m.data) x = std::max(x, std::abs(v));
      return x;
    };
    const double pair = all_max(*paper->sides[0]) * all_max(*paper->sides[1]);
    double worst = 0;
    for (double x : ax_sum) worst = std::max(worst, x);
    paper->d_x_bound = round_up(pair * worst);
  }
  return res;
}

}  // namespace

double poly_paper_gradient_bytes(const AttentionInstance& inst, double rank) {
  const double d = double(inst.d()), dv = double(inst.d_v());
  const double extra = rank * (dv * d + d) * 8.0;  // FA, FA' per side; HX, HX' per row chunk
  return poly_attention_gradient_bytes(inst, rank) + extra * (double(inst.keys.size()) + 1) +
         std::min(double(kernel::kMaxChunks) * extra, kernel::kChunkBudget) + 8.0 * (dv * d * d + 2 * d * d * d);
}

PolyPaperGradient poly_paper_gradient(const PaperInstance& paper, const PolyOptions& options) {
  paper.validate();
  const double scale = paper_scale(paper, options.scale);
  const AttentionInstance inst = paper_attention_instance(paper);
  PaperDxPoly dx;
  dx.query = &paper.a1;
  dx.sides[0] = &paper.a2;
  dx.sides[1] = &paper.a3;
  PolyPaperGradient out;
  PolyOptions popt = options;
  popt.scale = scale;
  out.attention_bounds = poly_gradient_impl(inst, paper.e, popt, &dx);
  AttentionGradient& ag = out.attention_bounds.gradient;
  out.report = out.attention_bounds.report;
  out.loss_bound = out.attention_bounds.loss_bound;
  out.d_x_bound = dx.d_x_bound;
  PaperGradient& g = out.gradient;
  g.loss = ag.loss;
  g.d_x = std::move(dx.d_x);
  // The factor gradients by the chain rule, and their bounds (poly_gradient.hpp).
  BlasSingleThreaded guard;
  auto factor = [&](const DenseMatrix& a, const DenseMatrix& grad, double bound, DenseMatrix& result,
                    double& result_bound) {
    result = DenseMatrix(a.cols, grad.cols);
    kernel::gemm(true, false, a.cols, grad.cols, a.rows, 1.0, a.data.data(), a.cols, grad.data.data(), grad.cols, 0.0,
                 result.data.data(), grad.cols);
    if (!std::isfinite(bound)) {
      result_bound = kInf;
      return;
    }
    const double n = double(a.rows);
    const double gamma_n = n * kUnit / (1 - n * kUnit);
    double col = 0, mixed = 0;
    for (std::size_t c = 0; c < a.cols; ++c) {
      double s = 0;
      for (std::size_t i = 0; i < a.rows; ++i) s += std::abs(a(i, c));
      col = std::max(col, s);
      for (std::size_t v = 0; v < grad.cols; ++v) {
        double t = 0;
        for (std::size_t i = 0; i < a.rows; ++i) t += std::abs(a(i, c)) * std::abs(grad(i, v));
        mixed = std::max(mixed, t);
      }
    }
    result_bound = round_up(col * bound + gamma_n * mixed);
  };
  const PolyAttentionGradient& b = out.attention_bounds;
  factor(paper.a1, ag.d_q, b.d_q_bound, g.d_x1, out.d_x1_bound);
  factor(paper.a2, ag.d_keys[0], b.d_key_bounds[0], g.d_x2, out.d_x2_bound);
  factor(paper.a3, ag.d_keys[1], b.d_key_bounds[1], g.d_x3, out.d_x3_bound);
  factor(paper.a4, ag.d_values[0], b.d_value_bounds[0], g.d_y1, out.d_y1_bound);
  factor(paper.a5, ag.d_values[1], b.d_value_bounds[1], g.d_y2, out.d_y2_bound);
  g.attention = std::move(ag);
  out.attention_bounds.gradient = AttentionGradient{};
  return out;
}

}  // namespace sethkit::attention
