// AVX-512 micro-kernels of the exact forward's and backward's tile products
// (see tile_gemm.hpp for what they replace and why).
//
// All three kernels keep a 12 x (2 vectors) block of C in registers (24
// accumulators, the most that leave registers for the operands) and walk the
// inner dimension once: per step two vector loads of the right operand and
// 12 broadcasts of the left one for 24 FMAs (FMA-bound; 12 rows rather than
// 8 also keep the front end under its 4 uops a cycle).
//  - score: rows of Z against 2 vectors of key columns from K_b^T; the
//    d x (2 vectors) panel stays in L1 while every row block of the tile
//    passes over it. The epilogue scales, stores under a column mask and
//    folds the block into the tile's running maximum and finiteness probe.
//  - value: rows of P against 2 vectors of V_b columns; a d_v that is not a
//    multiple of the vector width is loaded and stored under masks, never
//    read past a row.
//  - transposed: C += alpha A^T B, A read down 12 adjacent columns (the
//    backward's P^T Zv and G^T Z without transposing P or G).
// Rows left over run the same kernel with a smaller MR (a template argument,
// so every block is fully unrolled); block_rows picks the blocks.
#include "attention/tile_gemm.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <limits>

#define SETHKIT_AVX512 __attribute__((target("avx512f")))

namespace sethkit::attention::kernel {

namespace {

template <class T>
struct Zmm;

template <>
struct Zmm<float> {
  using V = __m512;
  using M = __mmask16;
  static constexpr int kLanes = 16;
  SETHKIT_AVX512 static V zero() { return _mm512_setzero_ps(); }
  SETHKIT_AVX512 static V set1(float x) { return _mm512_set1_ps(x); }
  SETHKIT_AVX512 static V load(const float* p) { return _mm512_loadu_ps(p); }
  SETHKIT_AVX512 static V load(M m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
  SETHKIT_AVX512 static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  SETHKIT_AVX512 static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  SETHKIT_AVX512 static V max(V acc, M m, V x) { return _mm512_mask_max_ps(acc, m, acc, x); }
  SETHKIT_AVX512 static void store(float* p, M m, V x) { _mm512_mask_storeu_ps(p, m, x); }
  // probe + x * 0 in the lanes of m, probe elsewhere.
  SETHKIT_AVX512 static V probe(V probe, M m, V x) { return _mm512_mask3_fmadd_ps(x, zero(), probe, m); }
  // Lanes where x != 0 (NaN included).
  SETHKIT_AVX512 static M nonzero(V x) { return _mm512_cmp_ps_mask(x, zero(), _CMP_NEQ_UQ); }
  // Through memory: GCC 12's _mm512_reduce_max_ps trips -Wuninitialized.
  SETHKIT_AVX512 static float reduce_max(V x) {
    alignas(64) float lanes[kLanes];
    _mm512_store_ps(lanes, x);
    return *std::max_element(lanes, lanes + kLanes);
  }
};

template <>
struct Zmm<double> {
  using V = __m512d;
  using M = __mmask8;
  static constexpr int kLanes = 8;
  SETHKIT_AVX512 static V zero() { return _mm512_setzero_pd(); }
  SETHKIT_AVX512 static V set1(double x) { return _mm512_set1_pd(x); }
  SETHKIT_AVX512 static V load(const double* p) { return _mm512_loadu_pd(p); }
  SETHKIT_AVX512 static V load(M m, const double* p) { return _mm512_maskz_loadu_pd(m, p); }
  SETHKIT_AVX512 static V fma(V a, V b, V c) { return _mm512_fmadd_pd(a, b, c); }
  SETHKIT_AVX512 static V mul(V a, V b) { return _mm512_mul_pd(a, b); }
  SETHKIT_AVX512 static V max(V acc, M m, V x) { return _mm512_mask_max_pd(acc, m, acc, x); }
  SETHKIT_AVX512 static void store(double* p, M m, V x) { _mm512_mask_storeu_pd(p, m, x); }
  SETHKIT_AVX512 static V probe(V probe, M m, V x) { return _mm512_mask3_fmadd_pd(x, zero(), probe, m); }
  SETHKIT_AVX512 static M nonzero(V x) { return _mm512_cmp_pd_mask(x, zero(), _CMP_NEQ_UQ); }
  SETHKIT_AVX512 static double reduce_max(V x) {
    alignas(64) double lanes[kLanes];
    _mm512_store_pd(lanes, x);
    return *std::max_element(lanes, lanes + kLanes);
  }
};

// The first n lanes (n clamped to [0, kLanes]).
template <class T>
typename Zmm<T>::M lane_mask(std::ptrdiff_t n) {
  constexpr int kLanes = Zmm<T>::kLanes;
  if (n <= 0) return 0;
  if (n >= kLanes) return static_cast<typename Zmm<T>::M>((1u << kLanes) - 1);
  return static_cast<typename Zmm<T>::M>((1u << n) - 1);
}

// The running maximum of one score tile, and a probe: the sum of x * 0 over
// its scores, 0 in every lane exactly when they are all finite (inf * 0 and
// NaN give NaN, which stays) -- one FMA a vector, where a compare, a mask
// OR and a subtraction would take three.
template <class T>
struct TileState {
  typename Zmm<T>::V max;
  typename Zmm<T>::V probe;
};

inline constexpr int kRows = 12;

// Rows of the next block when `rest` rows are left: 12 while the remainder
// stays a full block, and two blocks of 8 rather than 12 + 4 (a 4-row block
// has 8 accumulators, too few to cover the FMA latency: it ran at ~60 % of
// the 12-row block's speed on the forward's 64-row tiles).
inline std::size_t block_rows(std::size_t rest) {
  if (rest >= kRows + 8 || rest == kRows) return kRows;
  if (rest > kRows) return 8;
  return rest;
}

// S[r][0 .. ncols) = scale * sum_t z[r][t] kt[t][0 .. ncols) for r < MR, with
// 1 <= ncols <= 2 lanes; kt has 2 lanes readable in every row.
template <class T, int MR>
SETHKIT_AVX512 void score_block(const T* z, std::size_t d, const T* kt, std::size_t ld, std::size_t ncols, T scale,
                                T* s, std::size_t ld_s, TileState<T>& tile) {
  using Z = Zmm<T>;
  using V = typename Z::V;
  constexpr int L = Z::kLanes;
  V c0[MR], c1[MR];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) c0[r] = c1[r] = Z::zero();
  for (std::size_t t = 0; t < d; ++t) {
    const V b0 = Z::load(kt + t * ld), b1 = Z::load(kt + t * ld + L);
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const V a = Z::set1(z[r * d + t]);
      c0[r] = Z::fma(a, b0, c0[r]);
      c1[r] = Z::fma(a, b1, c1[r]);
    }
  }
  const V vs = Z::set1(scale);
  const auto m0 = lane_mask<T>(std::ptrdiff_t(ncols)), m1 = lane_mask<T>(std::ptrdiff_t(ncols) - L);
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    const V x0 = Z::mul(c0[r], vs), x1 = Z::mul(c1[r], vs);
    Z::store(s + r * ld_s, m0, x0);
    Z::store(s + r * ld_s + L, m1, x1);
    tile.max = Z::max(Z::max(tile.max, m0, x0), m1, x1);
    tile.probe = Z::probe(Z::probe(tile.probe, m0, x0), m1, x1);
  }
}

// score_block for the `rows` (< R + 1) rows left over.
template <class T, int R>
SETHKIT_AVX512 void score_rest(std::size_t rows, const T* z, std::size_t d, const T* kt, std::size_t ld,
                               std::size_t ncols, T scale, T* s, std::size_t ld_s, TileState<T>& tile) {
  if constexpr (R >= 1) {
    if (rows == R) return score_block<T, R>(z, d, kt, ld, ncols, scale, s, ld_s, tile);
    score_rest<T, R - 1>(rows, z, d, kt, ld, ncols, scale, s, ld_s, tile);
  }
}

template <class T>
SETHKIT_AVX512 T score_tile_avx512(const T* z, std::size_t m, const KeysTransposed<T>& kt, std::size_t b0,
                                   std::size_t n, T scale, T* s, std::size_t ld_s, bool& finite) {
  using Z = Zmm<T>;
  constexpr std::size_t kCols = 2 * Z::kLanes;
  const std::size_t d = kt.d;
  TileState<T> tile{Z::set1(-std::numeric_limits<T>::infinity()), Z::zero()};
  for (std::size_t c = 0; c < n; c += kCols) {
    const T* panel = kt.data.data() + b0 + c;
    const std::size_t ncols = std::min(kCols, n - c);
    for (std::size_t r = 0; r < m;) {
      const std::size_t rows = block_rows(m - r);
      if (rows == kRows)
        score_block<T, kRows>(z + r * d, d, panel, kt.ld, ncols, scale, s + r * ld_s + c, ld_s, tile);
      else
        score_rest<T, kRows - 1>(rows, z + r * d, d, panel, kt.ld, ncols, scale, s + r * ld_s + c, ld_s, tile);
      r += rows;
    }
  }
  finite = Z::nonzero(tile.probe) == 0;
  return Z::reduce_max(tile.max);
}

// W[r][0 .. ncols) = sum_j p[r][j] v[j][0 .. ncols) for r < MR, with
// 1 <= ncols <= 2 lanes (masked: v's rows are the caller's).
template <class T, int MR>
SETHKIT_AVX512 void value_block(const T* p, std::size_t ld_p, std::size_t kk, const T* v, std::size_t ld_v,
                                std::size_t ncols, T* w, std::size_t ld_w) {
  using Z = Zmm<T>;
  using V = typename Z::V;
  constexpr int L = Z::kLanes;
  const auto m0 = lane_mask<T>(std::ptrdiff_t(ncols)), m1 = lane_mask<T>(std::ptrdiff_t(ncols) - L);
  V c0[MR], c1[MR];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) c0[r] = c1[r] = Z::zero();
  for (std::size_t j = 0; j < kk; ++j) {
    const V b0 = Z::load(m0, v + j * ld_v), b1 = Z::load(m1, v + j * ld_v + L);
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const V a = Z::set1(p[r * ld_p + j]);
      c0[r] = Z::fma(a, b0, c0[r]);
      c1[r] = Z::fma(a, b1, c1[r]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    Z::store(w + r * ld_w, m0, c0[r]);
    Z::store(w + r * ld_w + L, m1, c1[r]);
  }
}

template <class T, int R>
SETHKIT_AVX512 void value_rest(std::size_t rows, const T* p, std::size_t ld_p, std::size_t kk, const T* v,
                               std::size_t ld_v, std::size_t ncols, T* w, std::size_t ld_w) {
  if constexpr (R >= 1) {
    if (rows == R) return value_block<T, R>(p, ld_p, kk, v, ld_v, ncols, w, ld_w);
    value_rest<T, R - 1>(rows, p, ld_p, kk, v, ld_v, ncols, w, ld_w);
  }
}

template <class T>
SETHKIT_AVX512 void value_tile_avx512(const T* p, std::size_t m, std::size_t kk, std::size_t ld_p, const T* v,
                                      std::size_t ld_v, std::size_t dv, T* w) {
  constexpr std::size_t kCols = 2 * Zmm<T>::kLanes;
  for (std::size_t c = 0; c < dv; c += kCols) {
    const std::size_t ncols = std::min(kCols, dv - c);
    for (std::size_t r = 0; r < m;) {
      const std::size_t rows = block_rows(m - r);
      if (rows == kRows)
        value_block<T, kRows>(p + r * ld_p, ld_p, kk, v + c, ld_v, ncols, w + r * dv + c, dv);
      else
        value_rest<T, kRows - 1>(rows, p + r * ld_p, ld_p, kk, v + c, ld_v, ncols, w + r * dv + c, dv);
      r += rows;
    }
  }
}

// C[r][0 .. ncols) += alpha sum_j a[j][r] b[j][0 .. ncols) for r < MR: A
// read down MR adjacent columns (one broadcast each per j, from one row).
template <class T, int MR>
SETHKIT_AVX512 void transposed_block(const T* a, std::size_t ld_a, std::size_t kk, const T* b, std::size_t ld_b,
                                     std::size_t ncols, T alpha, T* c, std::size_t ld_c) {
  using Z = Zmm<T>;
  using V = typename Z::V;
  constexpr int L = Z::kLanes;
  const auto m0 = lane_mask<T>(std::ptrdiff_t(ncols)), m1 = lane_mask<T>(std::ptrdiff_t(ncols) - L);
  V c0[MR], c1[MR];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) c0[r] = c1[r] = Z::zero();
  for (std::size_t j = 0; j < kk; ++j) {
    const V b0 = Z::load(m0, b + j * ld_b), b1 = Z::load(m1, b + j * ld_b + L);
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      const V x = Z::set1(a[j * ld_a + r]);
      c0[r] = Z::fma(x, b0, c0[r]);
      c1[r] = Z::fma(x, b1, c1[r]);
    }
  }
  const V va = Z::set1(alpha);
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r) {
    T* row = c + r * ld_c;
    Z::store(row, m0, Z::fma(va, c0[r], Z::load(m0, row)));
    Z::store(row + L, m1, Z::fma(va, c1[r], Z::load(m1, row + L)));
  }
}

template <class T, int R>
SETHKIT_AVX512 void transposed_rest(std::size_t rows, const T* a, std::size_t ld_a, std::size_t kk, const T* b,
                                    std::size_t ld_b, std::size_t ncols, T alpha, T* c, std::size_t ld_c) {
  if constexpr (R >= 1) {
    if (rows == R) return transposed_block<T, R>(a, ld_a, kk, b, ld_b, ncols, alpha, c, ld_c);
    transposed_rest<T, R - 1>(rows, a, ld_a, kk, b, ld_b, ncols, alpha, c, ld_c);
  }
}

template <class T>
SETHKIT_AVX512 void transposed_tile_avx512(const T* a, std::size_t kk, std::size_t m, std::size_t ld_a, const T* b,
                                           std::size_t ld_b, std::size_t n, T alpha, T* c, std::size_t ld_c) {
  constexpr std::size_t kCols = 2 * Zmm<T>::kLanes;
  for (std::size_t col = 0; col < n; col += kCols) {
    const std::size_t ncols = std::min(kCols, n - col);
    for (std::size_t r = 0; r < m;) {
      const std::size_t rows = block_rows(m - r);
      if (rows == kRows)
        transposed_block<T, kRows>(a + r, ld_a, kk, b + col, ld_b, ncols, alpha, c + r * ld_c + col, ld_c);
      else
        transposed_rest<T, kRows - 1>(rows, a + r, ld_a, kk, b + col, ld_b, ncols, alpha, c + r * ld_c + col,
                                           ld_c);
      r += rows;
    }
  }
}

}  // namespace

bool tile_gemm_supported() {
  static const bool supported = __builtin_cpu_supports("avx512f");
  return supported;
}

std::size_t transposed_leading_dimension(std::size_t rows) {
  std::size_t ld = (rows + 15) / 16 * 16 + 32;
  if (ld % 256 == 0) ld += 16;
  return ld;
}

template <class T>
void KeysTransposed<T>::build(const T* key, std::size_t n, std::size_t key_ld, std::size_t dim) {
  rows = n;
  d = dim;
  ld = transposed_leading_dimension(n);
  data.assign(d * ld, T(0));
  for (std::size_t j = 0; j < n; ++j)
    for (std::size_t t = 0; t < d; ++t) data[t * ld + j] = key[j * key_ld + t];
}

template <class T>
T score_tile(const T* z, std::size_t m, const KeysTransposed<T>& kt, std::size_t b0, std::size_t n, T scale, T* s,
             std::size_t ld_s, bool& finite) {
  return score_tile_avx512(z, m, kt, b0, n, scale, s, ld_s, finite);
}

template <class T>
void value_tile(const T* p, std::size_t m, std::size_t kk, std::size_t ld_p, const T* v, std::size_t ld_v,
                std::size_t dv, T* w) {
  value_tile_avx512(p, m, kk, ld_p, v, ld_v, dv, w);
}

template <class T>
void transposed_tile(const T* a, std::size_t kk, std::size_t m, std::size_t ld_a, const T* b, std::size_t ld_b,
                     std::size_t n, T alpha, T* c, std::size_t ld_c) {
  transposed_tile_avx512(a, kk, m, ld_a, b, ld_b, n, alpha, c, ld_c);
}

template void transposed_tile(const float*, std::size_t, std::size_t, std::size_t, const float*, std::size_t,
                              std::size_t, float, float*, std::size_t);
template void transposed_tile(const double*, std::size_t, std::size_t, std::size_t, const double*, std::size_t,
                              std::size_t, double, double*, std::size_t);
template struct KeysTransposed<float>;
template struct KeysTransposed<double>;
template float score_tile(const float*, std::size_t, const KeysTransposed<float>&, std::size_t, std::size_t, float,
                          float*, std::size_t, bool&);
template double score_tile(const double*, std::size_t, const KeysTransposed<double>&, std::size_t, std::size_t,
                           double, double*, std::size_t, bool&);
template void value_tile(const float*, std::size_t, std::size_t, std::size_t, const float*, std::size_t, std::size_t,
                         float*);
template void value_tile(const double*, std::size_t, std::size_t, std::size_t, const double*, std::size_t,
                         std::size_t, double*);

}  // namespace sethkit::attention::kernel
