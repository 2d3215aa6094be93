// The exact forward's two tile products, and the backward's six, on AVX-512
// micro-kernels (issue 17 parts 1 and 2). Through OpenBLAS every tile product packs both operands again: the
// K_b tile (tile_b x d) for each of the n^{k-2} (row, a-tile) pairs that use
// it, and Z, P and V_b alike; on the AVX-512 kernels that packing took a
// fifth of the forward (perf, n = 768). Here
//  - K_b is transposed once per call (KeysTransposed, d rows of ld scalars),
//    which is already the "packed B" layout of a broadcast-FMA kernel: a
//    column block of any tile is a unit-stride load at any key offset b0, as
//    a window's ranges need;
//  - Z and P are read in place by broadcasts, V_b rows in place by vector
//    loads (both sit in L1/L2 while a tile is worked on);
//  - the score tile's epilogue scales, stores and takes the tile's maximum
//    and a finiteness flag, so the online softmax needs no extra pass
//    (exact_attention.cpp absorb_tile).
// The products are the same as the cblas ones (paper 001 Lemma C.3's
// factored S = Z K_b^T and W = P V_b); only the summation order of the d (or
// tile_b) terms differs, fixed by the sizes, so results are the same bit for
// bit for any thread count. Machines without AVX-512F use the cblas path
// (tile_gemm_supported() is false there; the file still builds: the kernels
// carry target attributes and are called only after the CPU check).
#pragma once

#include <cstddef>
#include <vector>

namespace sethkit::attention::kernel {

// The running CPU has AVX-512F.
bool tile_gemm_supported();

// K_b^T: row t (t < d) holds K_b[j][t] at column j; ld >= rows + 32 with
// zeros past rows, so a kernel's full-width load at any j < rows stays in the
// buffer (the extra columns are masked out of every result). The backward
// keeps V_b^T in one too (its dP = Zv V_b^T is a score_tile with d = d_v).
template <class T>
struct KeysTransposed {
  std::vector<T> data;
  std::size_t rows = 0, d = 0, ld = 0;
  void build(const T* key, std::size_t rows, std::size_t key_ld, std::size_t d);
};

// Query rows per block of k = 2's blocked forward and backward
// (exact_attention.cpp, exact_backward.cpp): five of the kernels' 12-row
// register blocks (64 split 12+12+12+12+8+8, and its 8-row blocks took 8 %
// of the forward).
inline constexpr std::size_t kQueryBlockRows = 60;

// The leading dimension of a KeysTransposed of `rows` keys (off multiples of
// 256 scalars, so the d rows of one load column do not share an L1 set).
std::size_t transposed_leading_dimension(std::size_t rows);
// Its bytes for d columns of scalar_bytes each.
inline double transposed_bytes(std::size_t rows, std::size_t d, std::size_t scalar_bytes) {
  return double(scalar_bytes) * double(d) * double(transposed_leading_dimension(rows));
}

// S (m x n, row stride ld_s) = scale * Z (m x d, row stride d) K_b[b0 .. b0+n)^T
// with d = kt.d, b0 + n <= kt.rows. Returns max S; finite = every entry of S
// is finite (the maximum is then meaningful). Requires tile_gemm_supported().
template <class T>
T score_tile(const T* z, std::size_t m, const KeysTransposed<T>& kt, std::size_t b0, std::size_t n, T scale, T* s,
             std::size_t ld_s, bool& finite);

// W (m x dv, row stride dv) = P (m x kk, row stride ld_p) V (kk x dv, row
// stride ld_v). Requires tile_gemm_supported().
template <class T>
void value_tile(const T* p, std::size_t m, std::size_t kk, std::size_t ld_p, const T* v, std::size_t ld_v,
                std::size_t dv, T* w);

// C (m x n, row stride ld_c) += alpha A^T B with A kk x m (row stride ld_a)
// and B kk x n (row stride ld_b): the backward's dV_b += P^T Zv and
// dK_b += scale G^T Z. Requires tile_gemm_supported().
template <class T>
void transposed_tile(const T* a, std::size_t kk, std::size_t m, std::size_t ld_a, const T* b, std::size_t ld_b,
                     std::size_t n, T alpha, T* c, std::size_t ld_c);

}  // namespace sethkit::attention::kernel
