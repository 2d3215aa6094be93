// Dense matrices over a Field and the little linear algebra the codes need,
// computed with NTL (mat_zz_p for F_p, mat_zz_pE for F_{p^2}) under an
// NtlScope.
//
// NTL's gauss() leaves a row echelon form that is not reduced; the reduced
// form (and with it the systematic generator of paper 001, Theorem 4.4,
// "Systematicity") is inv(E[:, I]) E for the pivot columns I of the echelon
// rows E.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "codes/field.hpp"
#include "core/options.hpp"

namespace sethkit::codes {

// Row-major rows x cols matrix of field elements.
class Matrix {
 public:
  Matrix() = default;
  Matrix(std::size_t rows, std::size_t cols) : rows_(rows), cols_(cols), entries_(rows * cols, 0) {}

  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }
  Element& operator()(std::size_t i, std::size_t j) { return entries_[i * cols_ + j]; }
  Element operator()(std::size_t i, std::size_t j) const { return entries_[i * cols_ + j]; }
  std::span<Element> row(std::size_t i) { return {entries_.data() + i * cols_, cols_}; }
  std::span<const Element> row(std::size_t i) const { return {entries_.data() + i * cols_, cols_}; }
  const std::vector<Element>& entries() const { return entries_; }

  // Appends a row (requires row.size() == cols(), or an empty matrix whose
  // column count is then taken from the row).
  void append_row(std::span<const Element> row);

  bool operator==(const Matrix& other) const = default;

 private:
  std::size_t rows_ = 0, cols_ = 0;
  std::vector<Element> entries_;
};

Matrix transpose(const Matrix& a);
Matrix multiply(const Field& field, const Matrix& a, const Matrix& b);
// The columns `columns` of a, in that order.
Matrix select_columns(const Matrix& a, std::span<const std::size_t> columns);

// Reduced row echelon form of the row space: `basis` has `rank` rows, its
// columns `pivots` (strictly increasing) form the identity, and its rows span
// the same space as the input's rows. The pivots are the lexicographically
// first set of independent columns.
struct RowEchelon {
  std::size_t rank = 0;
  std::vector<std::size_t> pivots;
  Matrix basis;
};
// Over F_{p^2} the elimination runs on the 2r x 2n matrix of F_p
// coordinates (rows psi(A_i) and psi(w A_i)) with NTL's mat_zz_p, ten times
// faster than mat_zz_pE; see linear_algebra.cpp for why that is exact.
RowEchelon reduced_row_echelon(const Field& field, const Matrix& a);
// The same computed directly with mat_zz_p / mat_zz_pE: the slow reference
// the tests compare against.
RowEchelon reduced_row_echelon_reference(const Field& field, const Matrix& a);

std::size_t rank(const Field& field, const Matrix& a);

// Rows form a basis of the left kernel {x : x a = 0} (a.rows() columns).
Matrix left_kernel(const Field& field, const Matrix& a);

// Inverse of a square matrix; InputError when it is singular.
Matrix inverse(const Field& field, const Matrix& a);

// Work above which elimination is refused (SizeLimitError), counted as
// r*r*n for the smaller dimension r and the larger n: reduction costs about
// 10 ns per unit over F_{p^2} and 1-2 ns over F_p on this machine, so 1e10 is
// under two minutes at worst.
inline constexpr double kMaxEliminationWork = core::option("elimination.max_work");
// Entries of any one matrix eliminated here: 2^24 entries take up to 512 MiB
// as the F_p coordinate matrix of an F_{p^2} matrix (4 NTL words per entry).
inline constexpr double kMaxMatrixEntries = core::option("elimination.max_entries");

// Throws SizeLimitError ("<what> is a R x C matrix (N entries, limit ...)")
// when a rows x cols matrix has more than kMaxMatrixEntries entries; called
// before such a matrix is allocated.
void check_matrix_size(const std::string& what, double rows, double cols);

// Throws SizeLimitError when eliminating a rows x cols matrix is too much:
// check_matrix_size, then the work r*r*n against kMaxEliminationWork.
void check_elimination_size(const std::string& what, double rows, double cols);

}  // namespace sethkit::codes
