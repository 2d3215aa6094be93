// Linear algebra over F_p / F_{p^2} through NTL (see linear_algebra.hpp).
// Paper 001, Theorem 4.4 ("Systematicity"): the systematic generator is
// inv(E[:, I]) E for the pivot columns I of an echelon form E.
#include "codes/linear_algebra.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "codes/ntl_bridge.hpp"
#include "core/deadline.hpp"
#include "core/errors.hpp"

namespace sethkit::codes {

void Matrix::append_row(std::span<const Element> row) {
  if (rows_ == 0 && cols_ == 0) cols_ = row.size();
  if (row.size() != cols_) throw std::invalid_argument("Matrix::append_row: row has the wrong length");
  entries_.insert(entries_.end(), row.begin(), row.end());
  ++rows_;
}

Matrix transpose(const Matrix& a) {
  Matrix t(a.cols(), a.rows());
  for (std::size_t i = 0; i < a.rows(); ++i)
    for (std::size_t j = 0; j < a.cols(); ++j) t(j, i) = a(i, j);
  return t;
}

Matrix multiply(const Field& field, const Matrix& a, const Matrix& b) {
  if (a.cols() != b.rows()) throw std::invalid_argument("multiply: inner dimensions differ");
  const Matrix bt = transpose(b);
  Matrix c(a.rows(), b.cols());
  for (std::size_t i = 0; i < a.rows(); ++i)
    for (std::size_t j = 0; j < b.cols(); ++j) c(i, j) = field.dot(a.row(i), bt.row(j));
  return c;
}

Matrix select_columns(const Matrix& a, std::span<const std::size_t> columns) {
  Matrix s(a.rows(), columns.size());
  for (std::size_t i = 0; i < a.rows(); ++i)
    for (std::size_t c = 0; c < columns.size(); ++c) s(i, c) = a(i, columns[c]);
  return s;
}

void check_matrix_size(const std::string& what, double rows, double cols) {
  if (rows * cols > kMaxMatrixEntries) {
    char buf[160];
    std::snprintf(buf, sizeof buf, " is a %.0f x %.0f matrix (%.3g entries, limit %.3g)", rows, cols,
                  rows * cols, kMaxMatrixEntries);
    throw SizeLimitError(what + buf + "; choose smaller parameters");
  }
}

void check_elimination_size(const std::string& what, double rows, double cols) {
  check_matrix_size(what, rows, cols);
  const double r = std::min(rows, cols);
  if (r * r * std::max(rows, cols) > kMaxEliminationWork) {
    char buf[160];
    std::snprintf(buf, sizeof buf, " (%.0f x %.0f) needs about %.3g field operations to eliminate (limit %.3g)", rows,
                  cols, r * r * std::max(rows, cols), kMaxEliminationWork);
    throw SizeLimitError(what + buf + "; choose smaller parameters");
  }
}

namespace {

// NTL matrix types per element type.
template <class T> struct NtlMat;
template <> struct NtlMat<NTL::zz_p> { using type = NTL::mat_zz_p; };
template <> struct NtlMat<NTL::zz_pE> { using type = NTL::mat_zz_pE; };

template <class T>
typename NtlMat<T>::type to_ntl_matrix(const Field& field, const Matrix& a) {
  typename NtlMat<T>::type m;
  m.SetDims(long(a.rows()), long(a.cols()));
  for (std::size_t i = 0; i < a.rows(); ++i) {
    check_deadline();  // --timeout: one check per row
    for (std::size_t j = 0; j < a.cols(); ++j) m[long(i)][long(j)] = to_ntl<T>(field, a(i, j));
  }
  return m;
}

template <class M>
Matrix from_ntl_matrix(const Field& field, const M& m, long rows) {
  Matrix a(std::size_t(rows), std::size_t(m.NumCols()));
  for (long i = 0; i < rows; ++i) {
    check_deadline();
    for (long j = 0; j < m.NumCols(); ++j) a(std::size_t(i), std::size_t(j)) = from_ntl(field, m[i][j]);
  }
  return a;
}

// Reduced row echelon form of an NTL matrix, in place: gauss() gives an
// echelon form whose leading entries move strictly right row by row (the
// pivots); the reduced form is inv(E[:, pivots]) E over the first rank rows.
template <class M>
std::vector<std::size_t> reduce_in_place(M& e) {
  // --timeout: NTL's elimination cannot be interrupted; the deadline is
  // checked between its steps (check_elimination_size bounds each one).
  check_deadline();
  const long rank = NTL::gauss(e);
  check_deadline();
  std::vector<std::size_t> pivots;
  for (long i = 0; i < rank; ++i) {
    long j = 0;
    while (NTL::IsZero(e[i][j])) ++j;
    pivots.push_back(std::size_t(j));
  }
  e.SetDims(rank, e.NumCols());
  M square;
  square.SetDims(rank, rank);
  for (long i = 0; i < rank; ++i)
    for (long c = 0; c < rank; ++c) square[i][c] = e[i][long(pivots[std::size_t(c)])];
  M reduced;
  NTL::mul(reduced, NTL::inv(square), e);
  check_deadline();
  e = reduced;
  return pivots;
}

template <class T>
RowEchelon reduced_row_echelon_ntl(const Field& field, const Matrix& a) {
  NtlScope scope(field);
  typename NtlMat<T>::type e = to_ntl_matrix<T>(field, a);
  RowEchelon out;
  out.pivots = reduce_in_place(e);
  out.rank = out.pivots.size();
  out.basis = from_ntl_matrix(field, e, e.NumRows());
  return out;
}

// F_{p^2} through F_p: with psi(x) = (x0, x1) the coordinates of each entry,
// the rows psi(A_i), psi(w A_i) span psi(W) for the F_{p^2}-row space W of A.
// Because W is an F_{p^2}-space, the greedy F_p pivots of psi(W) come in
// pairs (2j, 2j+1) exactly for the F_{p^2} pivots j, and the reduced F_p row
// of pivot 2j is psi of the reduced F_{p^2} row of pivot j. NTL's mat_zz_p
// is about ten times faster per entry than mat_zz_pE, which more than pays
// for the doubled size.
RowEchelon reduced_row_echelon_quadratic(const Field& field, const Matrix& a) {
  const Element w = field.from_coordinates(0, 1);
  NtlScope scope(field);
  NTL::mat_zz_p b;
  b.SetDims(2 * long(a.rows()), 2 * long(a.cols()));
  for (std::size_t i = 0; i < a.rows(); ++i) {
    check_deadline();  // --timeout: one check per row
    for (std::size_t j = 0; j < a.cols(); ++j) {
      const auto c = field.coordinates(a(i, j));
      const auto cw = field.coordinates(field.mul(w, a(i, j)));
      b[2 * long(i)][2 * long(j)] = long(c[0]);
      b[2 * long(i)][2 * long(j) + 1] = long(c[1]);
      b[2 * long(i) + 1][2 * long(j)] = long(cw[0]);
      b[2 * long(i) + 1][2 * long(j) + 1] = long(cw[1]);
    }
  }
  const std::vector<std::size_t> prime_pivots = reduce_in_place(b);
  if (prime_pivots.size() % 2 != 0) throw std::logic_error("reduced_row_echelon: odd F_p rank for an F_(p^2) space");
  RowEchelon out;
  out.rank = prime_pivots.size() / 2;
  out.basis = Matrix(out.rank, a.cols());
  for (std::size_t t = 0; t < out.rank; ++t) {
    const std::size_t lead = prime_pivots[2 * t];
    if (lead % 2 != 0 || prime_pivots[2 * t + 1] != lead + 1)
      throw std::logic_error("reduced_row_echelon: F_p pivots of an F_(p^2) space not in pairs");
    out.pivots.push_back(lead / 2);
    check_deadline();
    for (std::size_t j = 0; j < a.cols(); ++j) {
      out.basis(t, j) = field.from_coordinates(std::uint32_t(NTL::rep(b[2 * long(t)][2 * long(j)])),
                                               std::uint32_t(NTL::rep(b[2 * long(t)][2 * long(j) + 1])));
    }
  }
  return out;
}

template <class T>
Matrix left_kernel_ntl(const Field& field, const Matrix& a) {
  using M = typename NtlMat<T>::type;
  NtlScope scope(field);
  const M m = to_ntl_matrix<T>(field, a);
  M x;
  NTL::kernel(x, m);  // rows x with x * m = 0
  Matrix k = from_ntl_matrix(field, x, x.NumRows());
  if (x.NumRows() == 0) k = Matrix(0, a.rows());
  return k;
}

template <class T>
Matrix inverse_ntl(const Field& field, const Matrix& a) {
  using M = typename NtlMat<T>::type;
  NtlScope scope(field);
  const M m = to_ntl_matrix<T>(field, a);
  T det;
  M x;
  NTL::inv(det, x, m);
  if (NTL::IsZero(det)) throw InputError("", "inverse: the matrix is singular");
  return from_ntl_matrix(field, x, x.NumRows());
}

}  // namespace

RowEchelon reduced_row_echelon(const Field& field, const Matrix& a) {
  if (a.rows() == 0 || a.cols() == 0) {
    RowEchelon out;
    out.basis = Matrix(0, a.cols());
    return out;
  }
  check_elimination_size("row reduction", double(a.rows()), double(a.cols()));
  return field.degree() == 1 ? reduced_row_echelon_ntl<NTL::zz_p>(field, a) : reduced_row_echelon_quadratic(field, a);
}

RowEchelon reduced_row_echelon_reference(const Field& field, const Matrix& a) {
  if (a.rows() == 0 || a.cols() == 0) {
    RowEchelon out;
    out.basis = Matrix(0, a.cols());
    return out;
  }
  check_elimination_size("row reduction", double(a.rows()), double(a.cols()));
  return field.degree() == 1 ? reduced_row_echelon_ntl<NTL::zz_p>(field, a)
                             : reduced_row_echelon_ntl<NTL::zz_pE>(field, a);
}

std::size_t rank(const Field& field, const Matrix& a) { return reduced_row_echelon(field, a).rank; }

Matrix left_kernel(const Field& field, const Matrix& a) {
  if (a.rows() == 0) return Matrix(0, 0);
  if (a.cols() == 0) {  // everything is in the kernel
    Matrix identity(a.rows(), a.rows());
    for (std::size_t i = 0; i < a.rows(); ++i) identity(i, i) = 1;
    return identity;
  }
  check_elimination_size("kernel computation", double(a.rows()), double(a.cols()));
  return field.degree() == 1 ? left_kernel_ntl<NTL::zz_p>(field, a) : left_kernel_ntl<NTL::zz_pE>(field, a);
}

Matrix inverse(const Field& field, const Matrix& a) {
  if (a.rows() != a.cols()) throw std::invalid_argument("inverse: matrix is not square");
  if (a.rows() == 0) return Matrix();
  check_elimination_size("matrix inverse", double(a.rows()), double(a.cols()));
  return field.degree() == 1 ? inverse_ntl<NTL::zz_p>(field, a) : inverse_ntl<NTL::zz_pE>(field, a);
}

}  // namespace sethkit::codes
