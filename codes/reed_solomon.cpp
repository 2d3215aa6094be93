// Reed-Solomon codes with systematic encoding by interpolation (stand-in for
// the AG codes of paper 001, Theorem 4.4; product codes for Theorem 4.5).
#include "codes/reed_solomon.hpp"

#include <algorithm>
#include <stdexcept>

#include "core/deadline.hpp"
#include "core/errors.hpp"

namespace sethkit::codes {

namespace {

std::string rs_name(const std::shared_ptr<const Field>& field, std::size_t n, std::size_t r) {
  return "RS[" + std::to_string(n) + ", " + std::to_string(r) + "]" + (field ? " over " + field->name() : "");
}

// Validates the parameters, then returns the systematic generator whose row i
// is the Lagrange basis polynomial L_i of x_0..x_{r-1} evaluated at all
// points (barycentric form: L_i(x) = l(x) w_i / (x - x_i) with
// l(x) = prod_{m<r} (x - x_m), w_i = 1 / prod_{m != i} (x_i - x_m)).
Matrix lagrange_generator(const std::shared_ptr<const Field>& field_ptr, const std::vector<Element>& points,
                          std::size_t r) {
  if (!field_ptr) throw std::invalid_argument("ReedSolomonCode: no field");
  const Field& field = *field_ptr;
  const std::size_t n = points.size();
  if (n == 0) throw InputError("", "Reed-Solomon code: needs at least one evaluation point (n >= 1)");
  if (r < 1 || r > n)
    throw InputError("", "Reed-Solomon code: dimension r = " + std::to_string(r) + " must be between 1 and n = " +
                             std::to_string(n));
  check_elimination_size("Reed-Solomon generator", double(r), double(n));
  for (Element x : points)
    if (!field.contains(x)) throw InputError("", "Reed-Solomon code: evaluation point outside " + field.name());
  std::vector<Element> sorted = points;
  std::sort(sorted.begin(), sorted.end());
  const auto repeat = std::adjacent_find(sorted.begin(), sorted.end());
  if (repeat != sorted.end())
    throw InputError("", "Reed-Solomon code: evaluation point " + field.to_string(*repeat) + " repeated");
  std::vector<Element> w(r);
  for (std::size_t i = 0; i < r; ++i) {
    Element prod = 1;
    for (std::size_t m = 0; m < r; ++m)
      if (m != i) prod = field.mul(prod, field.sub(points[i], points[m]));
    w[i] = field.inv(prod);
  }
  Matrix g(r, n);
  for (std::size_t i = 0; i < r; ++i) g(i, i) = 1;
  DeadlinePoller poll(64);  // --timeout: a column is 3r field operations
  for (std::size_t j = r; j < n; ++j) {
    poll.poll();
    Element l = 1;
    for (std::size_t m = 0; m < r; ++m) l = field.mul(l, field.sub(points[j], points[m]));
    for (std::size_t i = 0; i < r; ++i) g(i, j) = field.div(field.mul(l, w[i]), field.sub(points[j], points[i]));
  }
  return g;
}

std::vector<std::size_t> first_positions(std::size_t r) {
  std::vector<std::size_t> s(r);
  for (std::size_t i = 0; i < r; ++i) s[i] = i;
  return s;
}

}  // namespace

ReedSolomonCode::ReedSolomonCode(std::shared_ptr<const Field> field, std::vector<Element> points,
                                 std::size_t dimension)
    : LinearCode(SystematicTag{}, field, lagrange_generator(field, points, dimension), first_positions(dimension),
                 rs_name(field, points.size(), dimension), points.size() - dimension + 1),
      points_(std::move(points)) {}

ReedSolomonCode ReedSolomonCode::first_points(std::shared_ptr<const Field> field, std::size_t n,
                                              std::size_t dimension) {
  if (!field) throw std::invalid_argument("ReedSolomonCode: no field");
  if (n > field->size())
    throw InputError("", "Reed-Solomon code: n = " + std::to_string(n) + " evaluation points do not fit in " +
                             field->name() + " (n <= " + std::to_string(field->size()) + ")");
  if (dimension >= 1 && dimension <= n)  // else the constructor says why
    check_elimination_size("Reed-Solomon generator", double(dimension), double(n));
  std::vector<Element> points(n);
  for (std::size_t i = 0; i < n; ++i) points[i] = Element(i);
  return ReedSolomonCode(std::move(field), std::move(points), dimension);
}

std::vector<Element> ReedSolomonCode::evaluate_polynomial(std::span<const Element> coefficients) const {
  if (coefficients.size() > dimension())
    throw std::invalid_argument("evaluate_polynomial: degree must be below the dimension");
  const Field& f = field();
  std::vector<Element> word(points_.size());
  for (std::size_t j = 0; j < points_.size(); ++j) {
    Element v = 0;  // Horner
    for (std::size_t i = coefficients.size(); i-- > 0;) v = f.add(f.mul(v, points_[j]), coefficients[i]);
    word[j] = v;
  }
  return word;
}

std::vector<Element> ReedSolomonCode::polynomial_of(std::span<const Element> word) const {
  if (word.size() != length()) throw std::invalid_argument("polynomial_of: word has the wrong length");
  const Field& f = field();
  const std::size_t r = dimension();
  std::vector<Element> poly(r, 0), newton(r + 1, 0);  // newton = prod_{m<i} (x - x_m)
  newton[0] = 1;
  for (std::size_t i = 0; i < r; ++i) {
    Element p_at = 0, n_at = 0;
    for (std::size_t d = r; d-- > 0;) p_at = f.add(f.mul(p_at, points_[i]), poly[d]);
    for (std::size_t d = r + 1; d-- > 0;) n_at = f.add(f.mul(n_at, points_[i]), newton[d]);
    const Element c = f.div(f.sub(word[i], p_at), n_at);
    for (std::size_t d = 0; d < r; ++d) poly[d] = f.add(poly[d], f.mul(c, newton[d]));
    for (std::size_t d = r; d > 0; --d) newton[d] = f.sub(newton[d - 1], f.mul(points_[i], newton[d]));
    newton[0] = f.neg(f.mul(points_[i], newton[0]));
  }
  return poly;
}

std::size_t ReedSolomonCode::product_dimension(std::size_t dimension, int k) {
  return std::size_t(k) * (dimension - 1) + 1;
}

ReedSolomonCode ReedSolomonCode::product_code(int k) const {
  if (k < 1) throw InputError("", "product code C^(k): k must be >= 1, got " + std::to_string(k));
  const std::size_t r = dimension(), n = length();
  const double wanted = double(k) * double(r - 1) + 1;
  if (wanted > double(n))
    throw InputError("", "Reed-Solomon product C^(" + std::to_string(k) + ") needs dimension k(r-1)+1 = " +
                             std::to_string(k) + "*(" + std::to_string(r) + "-1)+1 = " +
                             std::to_string(std::uint64_t(wanted)) + " > n = " + std::to_string(n) +
                             ": products of k codewords have degree up to k(r-1), which " + std::to_string(n) +
                             " points cannot determine; use more points or a smaller dimension");
  return ReedSolomonCode(field_ptr(), points_, product_dimension(r, k));
}

std::unique_ptr<LinearCode> ReedSolomonCode::product(int k) const {
  return std::make_unique<ReedSolomonCode>(product_code(k));
}

}  // namespace sethkit::codes
