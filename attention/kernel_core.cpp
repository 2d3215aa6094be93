// The kernel core (see kernel_core.hpp).
#include "attention/kernel_core.hpp"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>

#include "core/errors.hpp"

namespace sethkit::attention::kernel {

void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, double alpha, const double* a,
          std::size_t lda, const double* b, std::size_t ldb, double beta, double* c, std::size_t ldc) {
  cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, int(m),
              int(n), int(k), alpha, a, int(lda), b, int(ldb), beta, c, int(ldc));
}

void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, float alpha, const float* a,
          std::size_t lda, const float* b, std::size_t ldb, float beta, float* c, std::size_t ldc) {
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, int(m),
              int(n), int(k), alpha, a, int(lda), b, int(ldb), beta, c, int(ldc));
}

Range window_range(std::size_t i, std::int64_t w, std::size_t n) {
  if (w <= 0 || n == 0) return {};
  const std::int64_t lo = std::max<std::int64_t>(0, static_cast<std::int64_t>(i) - w + 1);
  const std::int64_t hi = std::min<std::int64_t>(static_cast<std::int64_t>(i) + 1, static_cast<std::int64_t>(n));
  if (lo >= hi) return {};
  return {static_cast<std::size_t>(lo), static_cast<std::size_t>(hi)};
}

std::atomic<int> g_fault_region{0};
namespace {
std::atomic<bool> g_fault_bad_alloc{false};
}

void testing::inject_fault(FaultRegion r, bool bad_alloc) {
  g_fault_bad_alloc.store(bad_alloc);
  g_fault_region.store(int(r));
}

void throw_fault() {
  if (g_fault_bad_alloc.load()) throw std::bad_alloc();
  throw std::runtime_error("injected fault");
}

ChunkPlan row_chunks(std::size_t n, double chunk_bytes, std::size_t max_chunks, double budget) {
  if (n == 0) return {1, 1};
  std::size_t chunks = std::min<std::size_t>(n, std::max<std::size_t>(1, max_chunks));
  const double fit = std::floor(budget / std::max(chunk_bytes, 1.0));
  chunks = std::max<std::size_t>(1, std::min<std::size_t>(chunks, fit < 1 ? 1 : std::size_t(std::min(fit, 1e9))));
  const std::size_t rows_per_chunk = (n + chunks - 1) / chunks;
  return {(n + rows_per_chunk - 1) / rows_per_chunk, rows_per_chunk};
}

namespace {
std::string shape(std::size_t r, std::size_t c) { return std::to_string(r) + " x " + std::to_string(c); }

template <class T>
void check_one(const std::string& name, const MatrixView<T>& m, std::size_t cols, const std::string& cols_why,
               std::size_t rows, const std::string& rows_why) {
  if (!m.data) throw InputError("", name + ": no data given");
  if (m.rows == 0 || m.cols == 0) throw InputError("", name + " is " + shape(m.rows, m.cols) + "; it needs >= 1 row and column");
  if (cols != 0 && m.cols != cols)
    throw InputError("", name + " has " + std::to_string(m.cols) + " columns but " + cols_why);
  if (rows != 0 && m.rows != rows)
    throw InputError("", name + " has " + std::to_string(m.rows) + " rows but " + rows_why);
  if (m.stride() < m.cols)
    throw InputError("", name + ": row stride " + std::to_string(m.stride()) + " is below its " +
                             std::to_string(m.cols) + " columns (rows would overlap)");
  if (m.cols > std::size_t(std::numeric_limits<int>::max() / 2) || m.stride() > std::size_t(std::numeric_limits<int>::max()))
    throw InputError("", name + ": columns or row stride exceed the BLAS int range");
  for (std::size_t i = 0; i < m.rows; ++i) {
    const T* r = m.row(i);
    for (std::size_t c = 0; c < m.cols; ++c)
      if (!std::isfinite(r[c]))
        throw InputError("", name + " entry (" + std::to_string(i) + ", " + std::to_string(c) + ") is not finite");
  }
}
}  // namespace

template <class T>
void check_attention_views(const MatrixView<T>& q, const std::vector<MatrixView<T>>& keys,
                           const std::vector<MatrixView<T>>& values) {
  if (keys.size() != values.size())
    throw InputError("", std::to_string(keys.size()) + " key matrices but " + std::to_string(values.size()) +
                             " value matrices; give k - 1 of each");
  const std::size_t k = keys.size() + 1;
  if (k < 2 || k > std::size_t(kMaxAttentionOrder))
    throw InputError("", "attention order k = " + std::to_string(k) + " is outside 2.." +
                             std::to_string(kMaxAttentionOrder) + " (give k - 1 key and value matrices)");
  check_one("Q", q, 0, "", 0, "");
  const std::size_t d = q.cols, dv = values[0].cols;
  for (std::size_t p = 0; p < keys.size(); ++p) {
    const std::string n = std::to_string(p + 1);
    check_one("K" + n, keys[p], d, "Q has d = " + std::to_string(d) + " (Q and every K_p share d)", 0, "");
    check_one("V" + n, values[p], dv, "V1 has d_v = " + std::to_string(dv) + " (every V_p shares d_v)",
              keys[p].rows, "K" + n + " has " + std::to_string(keys[p].rows) + " (V_p pairs its rows with K_p)");
  }
}
template void check_attention_views<float>(const MatrixView<float>&, const std::vector<MatrixView<float>>&,
                                           const std::vector<MatrixView<float>>&);
template void check_attention_views<double>(const MatrixView<double>&, const std::vector<MatrixView<double>>&,
                                            const std::vector<MatrixView<double>>&);

template <class T>
void check_input_view(const char* name, const MatrixView<T>& m, std::size_t rows, std::size_t cols) {
  if (m.data && (m.rows != rows || m.cols != cols))
    throw InputError("", std::string(name) + " is " + shape(m.rows, m.cols) + " but must be " + shape(rows, cols) +
                             " (n_q x d_v, O's shape)");
  check_one(name, m, cols, "", rows, "");
}
template void check_input_view<float>(const char*, const MatrixView<float>&, std::size_t, std::size_t);
template void check_input_view<double>(const char*, const MatrixView<double>&, std::size_t, std::size_t);

void check_output_view(const char* name, const void* data, std::size_t rows, std::size_t cols, std::size_t stride,
                       std::size_t want_rows, std::size_t want_cols) {
  if (!data) throw InputError("", std::string(name) + ": no output buffer given");
  if (rows != want_rows || cols != want_cols)
    throw InputError("", std::string(name) + " is " + shape(rows, cols) + " but must be " + shape(want_rows, want_cols));
  if (stride < cols)
    throw InputError("", std::string(name) + ": row stride " + std::to_string(stride) + " is below its " +
                             std::to_string(cols) + " columns");
}

std::vector<double> column_abs_max(const DenseMatrix& m) {
  std::vector<double> out(m.cols, 0.0);
  for (std::size_t i = 0; i < m.rows; ++i)
    for (std::size_t c = 0; c < m.cols; ++c) out[c] = std::max(out[c], std::abs(m(i, c)));
  return out;
}

}  // namespace sethkit::attention::kernel
