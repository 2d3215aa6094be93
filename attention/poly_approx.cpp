// Certified polynomial approximations of exp (see poly_approx.hpp for the
// method and the proof of the certificate). MPFR builds the polynomials, MPFI
// (interval arithmetic over MPFR, outward rounding) certifies them.
#include "attention/poly_approx.hpp"

#include <mpfi.h>
#include <mpfr.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numbers>
#include <string>

#include "core/errors.hpp"

namespace sethkit::attention {

namespace {

// RAII holders: MPFR/MPFI values are C arrays that must be cleared.
class Real {
 public:
  explicit Real(mpfr_prec_t prec) { mpfr_init2(x_, prec); }
  ~Real() { mpfr_clear(x_); }
  Real(const Real&) = delete;
  Real& operator=(const Real&) = delete;
  mpfr_ptr get() { return x_; }
  mpfr_srcptr get() const { return x_; }

 private:
  mpfr_t x_;
};

class Interval {
 public:
  explicit Interval(mpfr_prec_t prec) { mpfi_init2(x_, prec); }
  ~Interval() { mpfi_clear(x_); }
  Interval(const Interval&) = delete;
  Interval& operator=(const Interval&) = delete;
  Interval(Interval&& o) noexcept {
    // MPFI has no move; swap into a fresh value.
    mpfi_init2(x_, mpfi_get_prec(o.x_));
    mpfi_swap(x_, o.x_);
  }
  mpfi_ptr get() { return x_; }
  mpfi_srcptr get() const { return x_; }

 private:
  mpfi_t x_;
};

std::vector<Interval> intervals(std::size_t n, mpfr_prec_t prec) {
  std::vector<Interval> v;
  v.reserve(n);
  for (std::size_t i = 0; i < n; ++i) v.emplace_back(prec);
  return v;
}

double right_endpoint_up(mpfi_srcptr x) {
  Real r(mpfi_get_prec(x));
  mpfi_get_right(r.get(), x);
  return mpfr_get_d(r.get(), MPFR_RNDU);
}

double left_endpoint_down(mpfi_srcptr x) {
  Real r(mpfi_get_prec(x));
  mpfi_get_left(r.get(), x);
  return mpfr_get_d(r.get(), MPFR_RNDD);
}

void check_radius(double radius) {
  if (!std::isfinite(radius) || radius < 0)
    throw InputError("", "exp approximation: the radius R must be finite and >= 0 (got " +
                             std::to_string(radius) + ")");
}

void check_degree(int degree) {
  if (degree < 0 || degree > kMaxExpDegree)
    throw InputError("", "exp approximation: degree " + std::to_string(degree) +
                             " is outside [0, " + std::to_string(kMaxExpDegree) + "]");
}

// Working precision of the certificate. The Taylor shift at a centre m < 0
// cancels terms of size about e^{|m|} down to e^m, and the E_j it must resolve
// are about eps e^m: 3R bits cover e^{2R} with room; 160 bits cover eps down
// to far below double's range.
mpfr_prec_t certificate_precision(double radius, int degree) {
  return static_cast<mpfr_prec_t>(160 + std::ceil(3.0 * radius) + degree);
}

// Proven lower bound on max |P(x)/e^x - 1| from the points R cos(pi i / M),
// i = 0..M, M = 2g + 2 (the extrema of the Chebyshev error and both ends).
double lower_bound(std::span<const double> c, double radius, mpfr_prec_t prec) {
  const int g = static_cast<int>(c.size()) - 1;
  const int m_points = 2 * g + 2;
  Interval x(prec), p(prec), e(prec), t(prec);
  double best = 0;
  for (int i = 0; i <= m_points; ++i) {
    double xd = radius * std::cos(std::numbers::pi * double(i) / double(m_points));
    if (i == 0) xd = radius;
    if (i == m_points) xd = -radius;
    mpfi_set_d(x.get(), xd);  // a point: the bound is a bound at xd, whatever xd is
    mpfi_set_d(p.get(), c[g]);
    for (int k = g - 1; k >= 0; --k) {  // Horner
      mpfi_mul(p.get(), p.get(), x.get());
      mpfi_add_d(p.get(), p.get(), c[k]);
    }
    mpfi_exp(e.get(), x.get());
    mpfi_div(t.get(), p.get(), e.get());
    mpfi_sub_ui(t.get(), t.get(), 1);
    mpfi_abs(t.get(), t.get());
    best = std::max(best, left_endpoint_down(t.get()));
  }
  return best;
}

// Upper bound on sum_m |c_m| R^m.
double abs_sum_bound(std::span<const double> c, double radius, mpfr_prec_t prec) {
  Interval s(prec), pw(prec), t(prec);
  mpfi_set_ui(s.get(), 0);
  mpfi_set_ui(pw.get(), 1);
  for (double cm : c) {
    mpfi_mul_d(t.get(), pw.get(), std::abs(cm));
    mpfi_add(s.get(), s.get(), t.get());
    mpfi_mul_d(pw.get(), pw.get(), radius);
  }
  return right_endpoint_up(s.get());
}

// Upper bound on max |P(x)/e^x - 1| over [-R, R] (header comment, "The
// certificate").
double upper_bound(std::span<const double> c, double radius, mpfr_prec_t prec) {
  const int g = static_cast<int>(c.size()) - 1;
  const int pieces = radius == 0 ? 1 : 8 * (g + 1);
  std::vector<Interval> b = intervals(c.size(), prec);
  Interval em(prec), f(prec), ej(prec), hpow(prec), sum(prec), rem(prec), lo(prec), hi(prec),
      mi(prec), hv(prec);
  Real h_up(53), tmp(53);
  double worst = 0;
  // Breakpoints -R cos(pi i / N): t[0] = -R and t[N] = R exactly, so the pieces
  // cover [-R, R] whatever rounding the cosines get.
  auto breakpoint = [&](int i) {
    if (i == 0) return -radius;
    if (i == pieces) return radius;
    return -radius * std::cos(std::numbers::pi * double(i) / double(pieces));
  };
  for (int piece = 0; piece < pieces; ++piece) {
    const double a = breakpoint(piece);
    const double bnd = breakpoint(piece + 1);
    const double m = 0.5 * (a + bnd);  // any double in [a, b] serves as the centre
    // h = max(m - a, b - m), rounded up.
    mpfr_set_d(h_up.get(), m, MPFR_RNDN);
    mpfr_sub_d(h_up.get(), h_up.get(), a, MPFR_RNDU);
    mpfr_set_d(tmp.get(), bnd, MPFR_RNDN);
    mpfr_sub_d(tmp.get(), tmp.get(), m, MPFR_RNDU);
    if (mpfr_cmp(tmp.get(), h_up.get()) > 0) mpfr_set(h_up.get(), tmp.get(), MPFR_RNDU);
    if (mpfr_sgn(h_up.get()) < 0) mpfr_set_ui(h_up.get(), 0, MPFR_RNDN);
    const double h = mpfr_get_d(h_up.get(), MPFR_RNDU);

    // Taylor shift: after pass j, b[j] = P^{(j)}(m) / j!.
    for (int i = 0; i <= g; ++i) mpfi_set_d(b[i].get(), c[i]);
    for (int j = 0; j < g; ++j)
      for (int i = g - 1; i >= j; --i) {
        mpfi_mul_d(f.get(), b[i + 1].get(), m);
        mpfi_add(b[i].get(), b[i].get(), f.get());
      }
    // sum_j |b_j - e^m/j!| h^j
    mpfi_set_d(mi.get(), m);
    mpfi_exp(em.get(), mi.get());
    mpfi_set(f.get(), em.get());  // e^m / j!
    mpfi_set_ui(hpow.get(), 1);
    mpfi_set_ui(sum.get(), 0);
    for (int j = 0; j <= g; ++j) {
      if (j > 0) {
        mpfi_div_ui(f.get(), f.get(), static_cast<unsigned long>(j));
        mpfi_mul_d(hpow.get(), hpow.get(), h);
      }
      mpfi_sub(ej.get(), b[j].get(), f.get());
      mpfi_abs(ej.get(), ej.get());
      mpfi_mul(ej.get(), ej.get(), hpow.get());
      mpfi_add(sum.get(), sum.get(), ej.get());
    }
    // + e^{m+h} h^{g+1} / (g+1)!  (the remainder: E^{(g+1)} = -exp)
    mpfi_set_d(hv.get(), h);
    mpfi_add(hi.get(), mi.get(), hv.get());
    mpfi_exp(rem.get(), hi.get());
    mpfi_mul_d(rem.get(), rem.get(), h);  // hpow holds h^g; one more factor h
    mpfi_mul(rem.get(), rem.get(), hpow.get());
    mpfi_mul(rem.get(), rem.get(), f.get());  // f = e^m / g!, so f / e^m = 1 / g!
    mpfi_div(rem.get(), rem.get(), em.get());
    mpfi_div_ui(rem.get(), rem.get(), static_cast<unsigned long>(g + 1));
    mpfi_add(sum.get(), sum.get(), rem.get());
    // relative: divide by min_{[a,b]} e^x >= e^{m-h}
    mpfi_sub(lo.get(), mi.get(), hv.get());
    mpfi_exp(lo.get(), lo.get());
    mpfi_div(sum.get(), sum.get(), lo.get());
    worst = std::max(worst, right_endpoint_up(sum.get()));
  }
  return worst;
}

// Chebyshev interpolant of exp at the g+1 first-kind points of [-R, R], in
// the monomial basis, rounded to double at the end.
std::vector<double> chebyshev_coefficients(double radius, int g) {
  std::vector<double> out(static_cast<std::size_t>(g) + 1, 0.0);
  if (radius == 0) {  // all nodes coincide: the interpolant of e^0 is 1
    out[0] = 1.0;
    return out;
  }
  const mpfr_prec_t prec = static_cast<mpfr_prec_t>(128 + 2 * g + std::ceil(3.0 * radius));
  const int n = g + 1;
  Real pi(prec), theta(prec), t(prec), f(prec), tj(prec), tjm1(prec), tnext(prec), acc(prec),
      r(prec);
  mpfr_const_pi(pi.get(), MPFR_RNDN);
  mpfr_set_d(r.get(), radius, MPFR_RNDN);
  std::vector<Real*> a;  // Chebyshev coefficients a_0..a_g
  std::vector<std::unique_ptr<Real>> hold;
  for (int j = 0; j <= g; ++j) {
    hold.push_back(std::make_unique<Real>(prec));
    mpfr_set_ui(hold.back()->get(), 0, MPFR_RNDN);
    a.push_back(hold.back().get());
  }
  // a_j = (2/n) sum_i f(x_i) T_j(t_i), a_0 halved (discrete orthogonality).
  for (int i = 0; i < n; ++i) {
    mpfr_mul_ui(theta.get(), pi.get(), static_cast<unsigned long>(2 * i + 1), MPFR_RNDN);
    mpfr_div_ui(theta.get(), theta.get(), static_cast<unsigned long>(2 * n), MPFR_RNDN);
    mpfr_cos(t.get(), theta.get(), MPFR_RNDN);
    mpfr_mul(f.get(), t.get(), r.get(), MPFR_RNDN);
    mpfr_exp(f.get(), f.get(), MPFR_RNDN);
    mpfr_set_ui(tjm1.get(), 1, MPFR_RNDN);  // T_0
    mpfr_set(tj.get(), t.get(), MPFR_RNDN);  // T_1
    for (int j = 0; j <= g; ++j) {
      Real& tv = j == 0 ? tjm1 : tj;
      mpfr_mul(acc.get(), f.get(), tv.get(), MPFR_RNDN);
      mpfr_add(a[j]->get(), a[j]->get(), acc.get(), MPFR_RNDN);
      if (j >= 1) {  // advance T_j -> T_{j+1}
        mpfr_mul(tnext.get(), t.get(), tj.get(), MPFR_RNDN);
        mpfr_mul_2ui(tnext.get(), tnext.get(), 1, MPFR_RNDN);
        mpfr_sub(tnext.get(), tnext.get(), tjm1.get(), MPFR_RNDN);
        mpfr_swap(tjm1.get(), tj.get());
        mpfr_swap(tj.get(), tnext.get());
      }
    }
  }
  for (int j = 0; j <= g; ++j) {
    mpfr_mul_ui(a[j]->get(), a[j]->get(), 2, MPFR_RNDN);
    mpfr_div_ui(a[j]->get(), a[j]->get(), static_cast<unsigned long>(n), MPFR_RNDN);
  }
  mpfr_div_2ui(a[0]->get(), a[0]->get(), 1, MPFR_RNDN);

  // Monomial coefficients in t: e[m] = sum_j a_j [t^m] T_j(t), the T_j from
  // T_{j+1} = 2t T_j - T_{j-1} (integer coefficients, exact at this precision).
  std::vector<std::unique_ptr<Real>> e, prev, cur, next;
  auto make_row = [&](std::vector<std::unique_ptr<Real>>& row) {
    row.clear();
    for (int m = 0; m <= g; ++m) {
      row.push_back(std::make_unique<Real>(prec));
      mpfr_set_ui(row.back()->get(), 0, MPFR_RNDN);
    }
  };
  make_row(e);
  make_row(prev);
  make_row(cur);
  make_row(next);
  mpfr_set_ui(prev[0]->get(), 1, MPFR_RNDN);        // T_0 = 1
  if (g >= 1) mpfr_set_ui(cur[1]->get(), 1, MPFR_RNDN);  // T_1 = t
  for (int m = 0; m <= g; ++m) mpfr_mul(e[m]->get(), a[0]->get(), prev[m]->get(), MPFR_RNDN);
  for (int j = 1; j <= g; ++j) {
    for (int m = 0; m <= g; ++m) {
      mpfr_mul(acc.get(), a[j]->get(), cur[m]->get(), MPFR_RNDN);
      mpfr_add(e[m]->get(), e[m]->get(), acc.get(), MPFR_RNDN);
    }
    if (j == g) break;
    for (int m = 0; m <= g; ++m) {  // next = 2t cur - prev
      if (m == 0) {
        mpfr_neg(next[m]->get(), prev[m]->get(), MPFR_RNDN);
      } else {
        mpfr_mul_2ui(next[m]->get(), cur[m - 1]->get(), 1, MPFR_RNDN);
        mpfr_sub(next[m]->get(), next[m]->get(), prev[m]->get(), MPFR_RNDN);
      }
    }
    std::swap(prev, cur);
    std::swap(cur, next);
  }
  // x = R t: c_m = e[m] / R^m.
  Real rp(prec);
  mpfr_set_ui(rp.get(), 1, MPFR_RNDN);
  for (int m = 0; m <= g; ++m) {
    mpfr_div(acc.get(), e[m]->get(), rp.get(), MPFR_RNDN);
    out[m] = mpfr_get_d(acc.get(), MPFR_RNDN);
    mpfr_mul(rp.get(), rp.get(), r.get(), MPFR_RNDN);
  }
  return out;
}

std::vector<double> taylor_coefficients(int g) {
  std::vector<double> out(static_cast<std::size_t>(g) + 1);
  Real f(256);
  mpfr_set_ui(f.get(), 1, MPFR_RNDN);
  for (int m = 0; m <= g; ++m) {
    if (m > 0) mpfr_div_ui(f.get(), f.get(), static_cast<unsigned long>(m), MPFR_RNDN);
    out[m] = mpfr_get_d(f.get(), MPFR_RNDN);
  }
  return out;
}

std::vector<double> build_coefficients(ExpApproxMethod method, double radius, int degree) {
  return method == ExpApproxMethod::chebyshev ? chebyshev_coefficients(radius, degree)
                                              : taylor_coefficients(degree);
}

ExpPolynomial assemble(ExpApproxMethod method, double radius, int degree, std::vector<double> c,
                       const ExpCertificate& cert) {
  ExpPolynomial p;
  p.method = method;
  p.radius = radius;
  p.degree = degree;
  p.coeffs = std::move(c);
  p.rel_error = cert.rel_error;
  p.rel_error_lower = cert.rel_error_lower;
  p.abs_sum = cert.abs_sum;
  return p;
}

}  // namespace

std::string to_string(ExpApproxMethod method) {
  return method == ExpApproxMethod::chebyshev ? "chebyshev" : "taylor";
}

ExpCertificate certify_exp_relative_error(std::span<const double> coeffs, double radius) {
  check_radius(radius);
  if (coeffs.empty()) throw InputError("", "exp certificate: no coefficients");
  check_degree(static_cast<int>(coeffs.size()) - 1);
  for (double c : coeffs)
    if (!std::isfinite(c)) throw InputError("", "exp certificate: a coefficient is not finite");
  const mpfr_prec_t prec = certificate_precision(radius, static_cast<int>(coeffs.size()) - 1);
  ExpCertificate cert;
  cert.rel_error = upper_bound(coeffs, radius, prec);
  cert.rel_error_lower = lower_bound(coeffs, radius, prec);
  cert.abs_sum = abs_sum_bound(coeffs, radius, prec);
  return cert;
}

ExpPolynomial exp_polynomial(ExpApproxMethod method, double radius, int degree) {
  check_radius(radius);
  check_degree(degree);
  std::vector<double> c = build_coefficients(method, radius, degree);
  const ExpCertificate cert = certify_exp_relative_error(c, radius);
  return assemble(method, radius, degree, std::move(c), cert);
}

std::optional<ExpPolynomial> smallest_exp_polynomial(ExpApproxMethod method, double radius,
                                                     double eps, int max_degree) {
  check_radius(radius);
  if (!(eps > 0 && eps < 1))
    throw InputError("", "exp approximation: eps must be in (0, 1) (got " + std::to_string(eps) + ")");
  check_degree(std::max(max_degree, 0));
  const int estimate = estimate_exp_degree(method, radius, eps);
  double best_lower = std::numeric_limits<double>::infinity();
  int last_gain = 0;
  for (int g = 0; g <= max_degree; ++g) {
    std::vector<double> c = build_coefficients(method, radius, g);
    const mpfr_prec_t prec = certificate_precision(radius, g);
    // Cheap proven rejection first: O(g^2) against O(g^3) for the certificate.
    const double lower = lower_bound(c, radius, prec);
    if (lower < 0.5 * best_lower) {
      best_lower = lower;
      last_gain = g;
    }
    if (lower > eps) {
      // Stalled past the estimate: the double coefficients' floor (header).
      if (g > estimate && g - last_gain >= kExpDegreeStall) break;
      continue;
    }
    const ExpCertificate cert = certify_exp_relative_error(c, radius);
    if (cert.rel_error <= eps) return assemble(method, radius, g, std::move(c), cert);
  }
  return std::nullopt;
}

int estimate_exp_degree(ExpApproxMethod method, double radius, double eps) {
  check_radius(radius);
  if (!(eps > 0 && eps < 1))
    throw InputError("", "exp approximation: eps must be in (0, 1) (got " + std::to_string(eps) + ")");
  if (radius == 0) return 0;
  const double target = std::log(eps);
  const double log_r = std::log(radius);
  for (int g = 0; g < 100000; ++g) {
    const double n = g + 1;
    double log_err;
    if (method == ExpApproxMethod::chebyshev) {
      // I_n(R) ~ (R/2)^n / n! * exp(R^2 / (4 (n+1))) (first terms of its series).
      log_err = std::log(2.0) + n * (log_r - std::log(2.0)) - std::lgamma(n + 1) +
                radius * radius / (4.0 * (n + 1)) + radius;
    } else {
      const double tail = radius < g + 2 ? -std::log1p(-radius / (g + 2)) : 50.0;
      log_err = n * log_r - std::lgamma(n + 1) + radius + tail;
    }
    if (log_err <= target) return g;
  }
  return 100000;
}

}  // namespace sethkit::attention
