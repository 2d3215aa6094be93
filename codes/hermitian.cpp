// One-point Hermitian code C_L(a P_inf) on y^q + y = x^{q+1} over F_{q^2}
// (paper 001, Theorem 4.4; the AG code of the Theorem 4.5 protocol). See
// hermitian.hpp for the construction and where it departs from the paper.
#include "codes/hermitian.hpp"

#include <algorithm>
#include <stdexcept>

#include "core/deadline.hpp"
#include "core/errors.hpp"

namespace sethkit::codes {

namespace {

void require_prime_q(std::int64_t q) {
  if (q < 2 || q > std::int64_t(kMaxCharacteristic) || !is_prime(q)) {
    throw InputError("", "Hermitian code: q = " + std::to_string(q) +
                             " is not a supported prime; the code lives on y^q + y = x^(q+1) over F_(q^2) with q "
                             "prime (the protocol needs characteristic q > T), e.g. q = 3, 5, 7");
  }
}

void require_a(std::uint64_t q, std::int64_t a, const std::string& what) {
  const std::uint64_t n = q * q * q;
  if (a < 0 || std::uint64_t(a) >= n) {
    throw InputError("", what + ": a = " + std::to_string(a) + " is out of range; need 0 <= a < q^3 = " +
                             std::to_string(n) + " (at a >= q^3 the evaluation map on the q^3 points is not "
                             "injective)");
  }
}

std::string hermitian_name(std::uint64_t q, std::uint64_t a) {
  return "Hermitian C_L(" + std::to_string(a) + " P_inf) over GF(" + std::to_string(q) + "^2)";
}

}  // namespace

struct HermitianCode::Parts {
  std::shared_ptr<const Field> field;
  std::uint32_t q = 0;
  std::uint64_t a = 0;
  std::vector<CurvePoint> points;
  std::vector<Monomial> monomials;
  Matrix generator;

  Parts(std::shared_ptr<const Field> f, std::int64_t a_in) : field(std::move(f)) {
    if (!field) throw std::invalid_argument("HermitianCode: no field");
    if (field->degree() != 2)
      throw InputError("", "Hermitian code: needs the field F_(q^2), got " + field->name());
    q = field->characteristic();
    require_a(q, a_in, "Hermitian code");
    a = std::uint64_t(a_in);
    const std::uint64_t n = std::uint64_t(q) * q * q;
    check_elimination_size(hermitian_name(q, a) + " generator", double(riemann_roch_dimension(q, a)), double(n));
    monomials = pole_basis(q, a);
    points = affine_points(*field);
    std::uint64_t max_i = 0;
    for (const Monomial& m : monomials) max_i = std::max(max_i, m.i);
    generator = Matrix(monomials.size(), n);
    std::vector<Element> xpow(max_i + 1), ypow(q);
    DeadlinePoller poll(256);  // --timeout (core/deadline.hpp)
    for (std::size_t c = 0; c < points.size(); ++c) {
      poll.poll();
      xpow[0] = ypow[0] = 1;
      for (std::uint64_t i = 1; i <= max_i; ++i) xpow[i] = field->mul(xpow[i - 1], points[c].x);
      for (std::uint64_t j = 1; j < q; ++j) ypow[j] = field->mul(ypow[j - 1], points[c].y);
      for (std::size_t r = 0; r < monomials.size(); ++r)
        generator(r, c) = field->mul(xpow[monomials[r].i], ypow[monomials[r].j]);
    }
  }
};

std::uint64_t HermitianCode::riemann_roch_dimension(std::uint64_t q, std::uint64_t a) {
  std::uint64_t count = 0;
  for (std::uint64_t j = 0; j < q && j * (q + 1) <= a; ++j) count += (a - j * (q + 1)) / q + 1;
  return count;
}

std::vector<Monomial> HermitianCode::pole_basis(std::uint64_t q, std::uint64_t a) {
  const std::uint64_t count = riemann_roch_dimension(q, a);
  if (double(count) > kMaxMatrixEntries)
    throw SizeLimitError("the pole basis of L(" + std::to_string(a) + " P_inf) for q = " + std::to_string(q) +
                         " has " + std::to_string(count) + " monomials (limit " +
                         std::to_string(std::uint64_t(kMaxMatrixEntries)) +
                         ", the rows of a generator matrix); choose a smaller a");
  std::vector<Monomial> basis;
  basis.reserve(count);
  for (std::uint64_t j = 0; j < q && j * (q + 1) <= a; ++j)
    for (std::uint64_t i = 0; i * q + j * (q + 1) <= a; ++i) basis.push_back({i, j, i * q + j * (q + 1)});
  // Pole orders are distinct (q and q+1 are coprime and j < q), so this
  // order is total.
  std::sort(basis.begin(), basis.end(),
            [](const Monomial& u, const Monomial& v) { return u.pole_order < v.pole_order; });
  return basis;
}

std::vector<CurvePoint> HermitianCode::affine_points(const Field& field) {
  if (field.degree() != 2) throw InputError("", "Hermitian curve: needs F_(q^2), got " + field.name());
  const std::uint64_t q = field.characteristic();
  if (double(q) * double(q) * double(q) > kMaxMatrixEntries)
    throw SizeLimitError("the Hermitian curve over " + field.name() + " has q^3 = " + std::to_string(q * q * q) +
                         " affine points (limit " + std::to_string(std::uint64_t(kMaxMatrixEntries)) +
                         ", the columns of a generator matrix); choose a smaller q");
  // Bucket y by its trace y^q + y, an element of F_q (an index < q).
  std::vector<std::vector<Element>> by_trace(q);
  for (Element y = 0; y < field.size(); ++y) {
    const Element trace = field.add(field.frobenius(y), y);
    if (trace >= q) throw std::logic_error("Hermitian curve: a trace fell outside F_q");
    by_trace[trace].push_back(y);
  }
  std::vector<CurvePoint> points;
  points.reserve(q * q * q);
  DeadlinePoller poll(64);
  for (Element x = 0; x < field.size(); ++x) {
    poll.poll();
    const Element norm = field.pow(x, q + 1);
    if (norm >= q) throw std::logic_error("Hermitian curve: a norm fell outside F_q");
    for (Element y : by_trace[norm]) {
      // Checked with pow, independently of the Frobenius used for the buckets.
      if (field.add(field.pow(y, q), y) != norm)
        throw std::logic_error("Hermitian curve: point (" + field.to_string(x) + ", " + field.to_string(y) +
                               ") is not on y^q + y = x^(q+1)");
      points.push_back({x, y});
    }
  }
  if (points.size() != q * q * q) throw std::logic_error("Hermitian curve: expected q^3 affine points");
  return points;
}

HermitianCode::HermitianCode(std::int64_t q, std::int64_t a)
    : HermitianCode(Parts((require_prime_q(q), require_a(std::uint64_t(q), a, "Hermitian code"),
                           Field::quadratic(q)),
                          a)) {}

HermitianCode::HermitianCode(std::shared_ptr<const Field> field, std::int64_t a)
    : HermitianCode(Parts(std::move(field), a)) {}

HermitianCode::HermitianCode(Parts&& parts)
    : LinearCode(parts.field, parts.generator, hermitian_name(parts.q, parts.a),
                 std::uint64_t(parts.q) * parts.q * parts.q - parts.a),
      q_(parts.q),
      a_(parts.a),
      points_(std::move(parts.points)),
      monomials_(std::move(parts.monomials)) {
  if (dimension() != monomials_.size())
    throw std::logic_error(name() + ": the evaluation map is not injective (rank " + std::to_string(dimension()) +
                           " < " + std::to_string(monomials_.size()) + " monomials)");
}

HermitianCode HermitianCode::product_code(int k) const {
  if (k < 1) throw InputError("", "product code C^(k): k must be >= 1, got " + std::to_string(k));
  const std::uint64_t n = std::uint64_t(q_) * q_ * q_;
  const std::uint64_t ka = std::uint64_t(k) * a_;
  if (ka >= n)
    throw InputError("", "Hermitian product C^(" + std::to_string(k) + ") = L(k a P_inf) needs k*a < q^3, but k*a = " +
                             std::to_string(k) + "*" + std::to_string(a_) + " = " + std::to_string(ka) +
                             " >= q^3 = " + std::to_string(n) +
                             ": at k*a >= q^3 the evaluation map on the q^3 points is no longer injective; "
                             "use a smaller a or a larger q");
  return HermitianCode(field_ptr(), std::int64_t(ka));
}

std::unique_ptr<LinearCode> HermitianCode::product(int k) const {
  return std::make_unique<HermitianCode>(product_code(k));
}

}  // namespace sethkit::codes
