// The AVX-512 tile kernels (attention/tile_gemm.hpp) against the textbook
// triple loop in long double, over every row and column remainder of their
// blocks (rows 1..25, columns 1..70, key offsets b0 that are not a multiple
// of a vector, d and d_v that are not either), float and double; the tile's
// maximum and finiteness flag against a scan of the loop's result; and the
// exact forward and backward with the kernels against the cblas path; k = 2's
// query blocks against the row path, bit for bit. Skipped on a CPU
// without AVX-512F (the kernels are never called there).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <type_traits>
#include <utility>
#include <vector>

#include "attention/exact_attention.hpp"
#include "attention/exact_backward.hpp"
#include "attention/tile_gemm.hpp"
#include "core/errors.hpp"

using namespace sethkit;
using namespace sethkit::attention;
using namespace sethkit::attention::kernel;

namespace {

template <class T>
std::vector<T> uniform(std::size_t n, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<T> x(n);
  for (T& v : x) v = static_cast<T>(u(rng));
  return x;
}

// Relative tolerance of a sum of `terms` products of entries in [-1, 1]:
// a few units of the working precision per term.
template <class T>
double tolerance(std::size_t terms) {
  return 4.0 * double(terms) * double(std::numeric_limits<T>::epsilon());
}

template <class T>
void check_scores(std::size_t m, std::size_t n, std::size_t d, std::size_t b0, std::mt19937_64& rng) {
  const std::size_t rows = b0 + n + 3, key_ld = d + 2, ld_s = n + 5;
  const std::vector<T> z = uniform<T>(m * d, rng), key = uniform<T>(rows * key_ld, rng);
  KeysTransposed<T> kt;
  kt.build(key.data(), rows, key_ld, d);
  // Guard entries around the tile: the kernel must write S's m x n only.
  const T guard = T(12345);
  std::vector<T> s(m * ld_s + 1, guard);
  const T scale = T(0.375);
  bool finite = false;
  const T got_max = score_tile(z.data(), m, kt, b0, n, scale, s.data(), ld_s, finite);
  EXPECT_TRUE(finite);
  long double want_max = -std::numeric_limits<long double>::infinity();
  for (std::size_t r = 0; r < m; ++r) {
    for (std::size_t c = 0; c < n; ++c) {
      long double want = 0;
      for (std::size_t t = 0; t < d; ++t)
        want += static_cast<long double>(z[r * d + t]) * key[(b0 + c) * key_ld + t];
      want *= scale;
      want_max = std::max(want_max, static_cast<long double>(s[r * ld_s + c]));
      ASSERT_NEAR(double(s[r * ld_s + c]), double(want), tolerance<T>(d))
          << "m " << m << " n " << n << " d " << d << " b0 " << b0 << " at " << r << "," << c;
    }
    for (std::size_t c = n; c < ld_s && r * ld_s + c < s.size(); ++c)
      ASSERT_EQ(s[r * ld_s + c], guard) << "wrote past column " << n << " in row " << r;
  }
  // The maximum is of the stored scores, exactly.
  EXPECT_EQ(got_max, static_cast<T>(want_max)) << "m " << m << " n " << n;
}

template <class T>
void check_values(std::size_t m, std::size_t kk, std::size_t dv, std::mt19937_64& rng) {
  const std::size_t ld_p = kk + 3, ld_v = dv + 1;
  const std::vector<T> p = uniform<T>(m * ld_p, rng);
  // V exactly kk x ld_v: a read past its last row would leave the vector.
  const std::vector<T> v = uniform<T>(kk * ld_v, rng);
  const T guard = T(-777);
  std::vector<T> w(m * dv + 8, guard);
  value_tile(p.data(), m, kk, ld_p, v.data(), ld_v, dv, w.data());
  for (std::size_t r = 0; r < m; ++r)
    for (std::size_t c = 0; c < dv; ++c) {
      long double want = 0;
      for (std::size_t j = 0; j < kk; ++j) want += static_cast<long double>(p[r * ld_p + j]) * v[j * ld_v + c];
      ASSERT_NEAR(double(w[r * dv + c]), double(want), tolerance<T>(kk))
          << "m " << m << " kk " << kk << " dv " << dv << " at " << r << "," << c;
    }
  for (std::size_t t = m * dv; t < w.size(); ++t) ASSERT_EQ(w[t], guard) << "wrote past W";
}

// C += alpha A^T B over a C that holds values already (the accumulate).
template <class T>
void check_transposed(std::size_t kk, std::size_t m, std::size_t n, std::mt19937_64& rng) {
  const std::size_t ld_a = m + 2, ld_b = n + 1, ld_c = n + 3;
  const std::vector<T> a = uniform<T>(kk * ld_a, rng), b = uniform<T>(kk * ld_b, rng);
  std::vector<T> c = uniform<T>(m * ld_c, rng);
  const std::vector<T> before = c;
  const T alpha = T(-0.625);
  transposed_tile(a.data(), kk, m, ld_a, b.data(), ld_b, n, alpha, c.data(), ld_c);
  for (std::size_t r = 0; r < m; ++r)
    for (std::size_t col = 0; col < ld_c; ++col) {
      if (col >= n) {
        ASSERT_EQ(c[r * ld_c + col], before[r * ld_c + col]) << "wrote past column " << n;
        continue;
      }
      long double want = 0;
      for (std::size_t j = 0; j < kk; ++j) want += static_cast<long double>(a[j * ld_a + r]) * b[j * ld_b + col];
      want = before[r * ld_c + col] + alpha * want;
      ASSERT_NEAR(double(c[r * ld_c + col]), double(want), tolerance<T>(kk + 1))
          << "kk " << kk << " m " << m << " n " << n << " at " << r << "," << col;
    }
}

template <class T>
void every_remainder() {
  std::mt19937_64 rng(17);
  for (std::size_t m : {1, 2, 5, 7, 8, 9, 12, 13, 16, 23, 25})
    for (std::size_t n : {1, 3, 8, 15, 16, 17, 31, 32, 33, 47, 64, 70})
      for (std::size_t d : {1, 5, 16, 33})
        for (std::size_t b0 : {0, 3, 17}) check_scores<T>(m, n, d, b0, rng);
  for (std::size_t m : {1, 4, 11, 12, 13, 24, 25})
    for (std::size_t kk : {1, 7, 64, 100})
      for (std::size_t dv : {1, 5, 8, 15, 16, 17, 31, 32, 33, 64, 70}) check_values<T>(m, kk, dv, rng);
  for (std::size_t kk : {1, 9, 64})
    for (std::size_t m : {1, 5, 11, 12, 13, 30})
      for (std::size_t n : {1, 7, 16, 17, 32, 33, 64, 65}) check_transposed<T>(kk, m, n, rng);
}

// One attention problem of the cases below: k, sizes, window on or off, and
// random operands (Q, K_p, V_p, dO) with views of them.
struct Case {
  int k;
  std::size_t n, d, dv;
  bool window;
};

template <class T>
struct Operands {
  std::vector<T> q, d_out;
  std::vector<std::vector<T>> key_store, value_store;
  std::vector<MatrixView<T>> keys, values;
  Operands(const Case& c, std::mt19937_64& rng) : q(uniform<T>(c.n * c.d, rng)), d_out(uniform<T>(c.n * c.dv, rng)) {
    for (int p = 0; p + 1 < c.k; ++p) {
      key_store.push_back(uniform<T>(c.n * c.d, rng));
      value_store.push_back(uniform<T>(c.n * c.dv, rng));
    }
    for (int p = 0; p + 1 < c.k; ++p) {
      keys.push_back({key_store[p].data(), c.n, c.d, 0});
      values.push_back({value_store[p].data(), c.n, c.dv, 0});
    }
  }
};

}  // namespace

TEST(tile_gemm, FloatKernelsMatchTheTripleLoopOnEveryRemainder) {
  if (!tile_gemm_supported()) GTEST_SKIP() << "no AVX-512F in this CPU: the tile kernels are never called";
  every_remainder<float>();
}

TEST(tile_gemm, DoubleKernelsMatchTheTripleLoopOnEveryRemainder) {
  if (!tile_gemm_supported()) GTEST_SKIP() << "no AVX-512F in this CPU: the tile kernels are never called";
  every_remainder<double>();
}

// One inf or NaN score anywhere in the tile clears the flag; a huge finite
// one does not, and is the maximum. The bad score comes from entries that
// are finite (inputs are checked finite) and meet at one (row, key) only:
// slots 1, 2 of row r and key c hold (x, y) and (x, x), zero elsewhere, so
// S[r][c] = 1 + x^2 + x y (1 from slot 0) and every other score is 1.
TEST(tile_gemm, FinitenessFlagSeesEveryPosition) {
  if (!tile_gemm_supported()) GTEST_SKIP() << "no AVX-512F in this CPU: the tile kernels are never called";
  const std::size_t m = 11, n = 37, d = 3;
  std::vector<float> s(m * n);
  struct Bad {
    float x, y;
    bool finite;
  };
  // 1e30^2 overflows to inf; inf - inf is NaN; 1e19^2 = 1e38 is finite.
  for (const Bad& bad : {Bad{1e30f, 0.0f, false}, Bad{1e30f, -1e30f, false}, Bad{1e19f, 0.0f, true}})
    for (std::size_t r = 0; r < m; ++r)
      for (std::size_t c = 0; c < n; ++c) {
        std::vector<float> z(m * d, 0.0f), key(n * d, 0.0f);
        for (std::size_t i = 0; i < m; ++i) z[i * d] = 1.0f;
        for (std::size_t j = 0; j < n; ++j) key[j * d] = 1.0f;
        z[r * d + 1] = bad.x;
        z[r * d + 2] = bad.y;
        key[c * d + 1] = key[c * d + 2] = bad.x;
        KeysTransposed<float> kt;
        kt.build(key.data(), n, d, d);
        bool finite = !bad.finite;
        const float mx = score_tile(z.data(), m, kt, 0, n, 1.0f, s.data(), n, finite);
        ASSERT_EQ(finite, bad.finite) << "x " << bad.x << " y " << bad.y << " at " << r << "," << c;
        if (bad.finite) {
          ASSERT_EQ(mx, s[r * n + c]) << r << "," << c;
        }
      }
}

// The forward with the kernels and with cblas: the same attention up to the
// summation order of the tile products (both also meet the reference in
// test_exact_attention.cpp); windows and k = 2, 3, 4.
TEST(tile_gemm, ExactForwardAgreesWithTheCblasPath) {
  if (!tile_gemm_supported()) GTEST_SKIP() << "no AVX-512F in this CPU: the tile kernels are never called";
  std::mt19937_64 rng(5);
  for (const Case& c : {Case{2, 300, 24, 19, false}, Case{3, 150, 64, 64, false}, Case{3, 200, 17, 40, true},
                        Case{4, 40, 9, 33, false}}) {
    const Operands<float> x(c, rng);
    const auto& q = x.q;
    const auto& keys = x.keys;
    const auto& values = x.values;
    ExactOptions on, off;
    on.precision = off.precision = Precision::float32;
    on.threads = off.threads = 2;
    if (c.window) on.window = off.window = CausalWindow{70, 9};
    off.tuning.tile_kernels = false;
    std::vector<float> o_on(c.n * c.dv), o_off(c.n * c.dv);
    std::vector<double> l_on(c.n), l_off(c.n);
    exact_forward<float>({q.data(), c.n, c.d, 0}, keys, values, on, {o_on.data(), c.n, c.dv, 0}, l_on.data());
    exact_forward<float>({q.data(), c.n, c.d, 0}, keys, values, off, {o_off.data(), c.n, c.dv, 0}, l_off.data());
    for (std::size_t i = 0; i < c.n; ++i) {
      ASSERT_NEAR(l_on[i], l_off[i], 1e-5 * std::max(1.0, std::abs(l_off[i]))) << "k " << c.k << " row " << i;
      for (std::size_t t = 0; t < c.dv; ++t)
        ASSERT_NEAR(o_on[i * c.dv + t], o_off[i * c.dv + t], 1e-5) << "k " << c.k << " row " << i;
    }
  }
}

// k = 2's query blocks (exact_attention.cpp, QueryBlockAttention) against
// the row-by-row path on the same kernels: the same O and log D bit for
// bit, for block sizes 1, 2, 18 and 60 (n_q = 16, 37, 300, 1030) with a last
// partial block, key counts of one partial tile, one full and a remainder,
// d and d_v off the vector width, float and double, 1 and 2 threads; and
// a score overflow in a block is refused.
template <class T>
void query_blocks_match_rows() {
  std::mt19937_64 rng(21);
  for (const std::size_t n_q : {16u, 37u, 300u, 1030u})
    for (const std::size_t n_b : {5u, 512u, 700u}) {
      const std::size_t d = n_q % 2 ? 24 : 64, dv = n_q % 2 ? 19 : 64;
      std::vector<T> q = uniform<T>(n_q * d, rng), key = uniform<T>(n_b * d, rng), value = uniform<T>(n_b * dv, rng);
      for (T& x : q) x *= T(4);  // scores of a few units: maxima move between tiles
      const std::vector<MatrixView<T>> keys = {{key.data(), n_b, d, 0}}, values = {{value.data(), n_b, dv, 0}};
      for (const int threads : {1, 2}) {
        ExactOptions blocks, rows;
        blocks.precision = rows.precision = std::is_same_v<T, float> ? Precision::float32 : Precision::float64;
        blocks.threads = rows.threads = threads;
        rows.tuning.query_blocks = false;
        std::vector<T> o_blocks(n_q * dv), o_rows(n_q * dv);
        std::vector<double> l_blocks(n_q), l_rows(n_q);
        exact_forward<T>({q.data(), n_q, d, 0}, keys, values, blocks, {o_blocks.data(), n_q, dv, 0}, l_blocks.data());
        exact_forward<T>({q.data(), n_q, d, 0}, keys, values, rows, {o_rows.data(), n_q, dv, 0}, l_rows.data());
        ASSERT_EQ(l_blocks, l_rows) << "n_q " << n_q << " n_b " << n_b << " threads " << threads;
        ASSERT_EQ(o_blocks, o_rows) << "n_q " << n_q << " n_b " << n_b << " threads " << threads;
      }
    }
  // k = 3 with a one-row K_1 (not k = 2's unit side of ones, though the
  // layout looks alike: a side "a" of one row) is not blocked: the same
  // result as the row path, and as k = 2 on K_2 with q scaled by K_1's row.
  {
    const std::size_t n_q = 40, n_b = 30, d = 8, dv = 3;
    std::vector<T> q = uniform<T>(n_q * d, rng), k1 = uniform<T>(d, rng), v1 = uniform<T>(dv, rng),
                   k2 = uniform<T>(n_b * d, rng), v2 = uniform<T>(n_b * dv, rng);
    ExactOptions blocks, rows;
    blocks.precision = rows.precision = std::is_same_v<T, float> ? Precision::float32 : Precision::float64;
    rows.tuning.query_blocks = false;
    std::vector<T> o_blocks(n_q * dv), o_rows(n_q * dv);
    std::vector<double> l_blocks(n_q), l_rows(n_q);
    const std::vector<MatrixView<T>> keys = {{k1.data(), 1, d, 0}, {k2.data(), n_b, d, 0}},
                                     values = {{v1.data(), 1, dv, 0}, {v2.data(), n_b, dv, 0}};
    exact_forward<T>({q.data(), n_q, d, 0}, keys, values, blocks, {o_blocks.data(), n_q, dv, 0}, l_blocks.data());
    exact_forward<T>({q.data(), n_q, d, 0}, keys, values, rows, {o_rows.data(), n_q, dv, 0}, l_rows.data());
    ASSERT_EQ(l_blocks, l_rows);
    ASSERT_EQ(o_blocks, o_rows);
    std::vector<T> qk(n_q * d);
    for (std::size_t t = 0; t < n_q * d; ++t) qk[t] = q[t] * k1[t % d];
    std::vector<T> o2(n_q * dv);
    std::vector<double> l2(n_q);
    exact_forward<T>({qk.data(), n_q, d, 0}, {{k2.data(), n_b, d, 0}}, {{v2.data(), n_b, dv, 0}}, blocks,
                     {o2.data(), n_q, dv, 0}, l2.data());
    for (std::size_t i = 0; i < n_q; ++i) {
      ASSERT_NEAR(l_blocks[i], l2[i], 1e-5);
      for (std::size_t c = 0; c < dv; ++c) ASSERT_NEAR(o_blocks[i * dv + c], v1[c] * o2[i * dv + c], 1e-5);
    }
  }
  // An infinite query entry in the last row of a block: every score of that
  // row is +-inf or NaN.
  const std::size_t n_q = 300, n_b = 40, d = 8;
  std::vector<T> q = uniform<T>(n_q * d, rng), key = uniform<T>(n_b * d, rng), value = uniform<T>(n_b * d, rng);
  q[17 * d + 3] = std::numeric_limits<T>::infinity();
  std::vector<T> o(n_q * d);
  std::vector<double> l(n_q);
  ExactOptions opt;
  opt.precision = std::is_same_v<T, float> ? Precision::float32 : Precision::float64;
  EXPECT_THROW(exact_forward<T>({q.data(), n_q, d, 0}, {{key.data(), n_b, d, 0}}, {{value.data(), n_b, d, 0}}, opt,
                                {o.data(), n_q, d, 0}, l.data()),
               InputError);
}

TEST(tile_gemm, QueryBlocksAreTheRowPathBitForBit) {
  if (!tile_gemm_supported()) GTEST_SKIP() << "no AVX-512F in this CPU: the tile kernels are never called";
  query_blocks_match_rows<float>();
  query_blocks_match_rows<double>();
}

// The backward from dO with the kernels and with cblas (float and double,
// k = 2, 3 with and without a window, 4): the same gradients up to the
// summation order of the tile products.
template <class T>
void backward_agrees(double tol) {
  std::mt19937_64 rng(9);
  for (const Case& c : {Case{2, 90, 24, 19, false}, Case{3, 70, 64, 64, false}, Case{3, 80, 17, 40, true},
                        Case{4, 20, 9, 33, false}}) {
    const Operands<T> x(c, rng);
    const auto& q = x.q;
    const auto& dout = x.d_out;
    const auto& keys = x.keys;
    const auto& values = x.values;
    BackwardOptions on, off;
    on.threads = off.threads = 2;
    if (c.window) on.window = off.window = CausalWindow{50, 7};
    off.tuning.tile_kernels = false;
    const std::size_t sides = std::size_t(c.k - 1);
    std::vector<std::vector<T>> grads[2];
    for (int which = 0; which < 2; ++which) {
      std::vector<std::vector<T>>& g = grads[which];
      g.assign(1 + 2 * sides, {});
      g[0].assign(c.n * c.d, T(0));
      std::vector<MutableMatrixView<T>> dk, dv;
      for (std::size_t p = 0; p < sides; ++p) {
        g[1 + p].assign(c.n * c.d, T(0));
        g[1 + sides + p].assign(c.n * c.dv, T(0));
        dk.push_back({g[1 + p].data(), c.n, c.d, 0});
        dv.push_back({g[1 + sides + p].data(), c.n, c.dv, 0});
      }
      exact_backward<T>({q.data(), c.n, c.d, 0}, keys, values, {dout.data(), c.n, c.dv, 0}, nullptr,
                        which == 0 ? on : off, {g[0].data(), c.n, c.d, 0}, dk, dv);
    }
    for (std::size_t m = 0; m < grads[0].size(); ++m) {
      double scale = 0;
      for (T x : grads[1][m]) scale = std::max(scale, double(std::abs(x)));
      for (std::size_t t = 0; t < grads[0][m].size(); ++t)
        ASSERT_NEAR(double(grads[0][m][t]), double(grads[1][m][t]), tol * std::max(1.0, scale))
            << "k " << c.k << " gradient " << m << " entry " << t;
    }
  }
}

// k = 2's query blocks in the backward (exact_backward.cpp,
// QueryBlockBackward) against the row path on the same kernels: the same
// gradients up to the order of the sums over rows (a block adds its rows
// at once), the same bits for 1 and 2 threads, n_q across block and chunk
// edges (1, 37, 300, 1030) and key counts of a partial tile, a full one and
// a remainder; and a row the caller's log D marks empty (-inf) gets dQ = 0
// and adds nothing, as on the row path.
template <class T>
void backward_blocks_match_rows(double tol) {
  std::mt19937_64 rng(23);
  struct Grads {
    std::vector<T> dq, dk, dv;
  };
  for (const std::size_t n_q : {1u, 37u, 300u, 1030u})
    for (const std::size_t n_b : {5u, 256u, 700u}) {
      const std::size_t d = n_q % 2 ? 24 : 64, dv = n_q % 2 ? 19 : 64;
      std::vector<T> q = uniform<T>(n_q * d, rng), key = uniform<T>(n_b * d, rng), value = uniform<T>(n_b * dv, rng),
                     dout = uniform<T>(n_q * dv, rng);
      for (T& x : q) x *= T(4);
      const std::vector<MatrixView<T>> keys = {{key.data(), n_b, d, 0}}, values = {{value.data(), n_b, dv, 0}};
      // The forward's O and log D, then one row marked empty (log D = -inf).
      std::vector<T> o(n_q * dv);
      std::vector<double> log_d(n_q);
      exact_forward<T>({q.data(), n_q, d, 0}, keys, values, ExactOptions{}, {o.data(), n_q, dv, 0}, log_d.data());
      const std::size_t empty = n_q / 2;
      log_d[empty] = -std::numeric_limits<double>::infinity();
      auto run = [&](bool blocks, int threads) {
        BackwardOptions opt;
        opt.threads = threads;
        opt.tuning.query_blocks = blocks;
        Grads g{std::vector<T>(n_q * d, T(7)), std::vector<T>(n_b * d), std::vector<T>(n_b * dv)};
        exact_backward<T>({q.data(), n_q, d, 0}, keys, values, {dout.data(), n_q, dv, 0}, log_d.data(), opt,
                          {g.dq.data(), n_q, d, 0}, {{g.dk.data(), n_b, d, 0}}, {{g.dv.data(), n_b, dv, 0}},
                          {o.data(), n_q, dv, 0});
        return g;
      };
      const Grads rows = run(false, 2), one = run(true, 1), two = run(true, 2);
      ASSERT_EQ(one.dq, two.dq) << "n_q " << n_q << " n_b " << n_b;
      ASSERT_EQ(one.dk, two.dk) << "n_q " << n_q << " n_b " << n_b;
      ASSERT_EQ(one.dv, two.dv) << "n_q " << n_q << " n_b " << n_b;
      for (std::size_t c = 0; c < d; ++c) ASSERT_EQ(two.dq[empty * d + c], T(0));
      const std::pair<const std::vector<T>*, const std::vector<T>*> pairs[] = {
          {&rows.dq, &two.dq}, {&rows.dk, &two.dk}, {&rows.dv, &two.dv}};
      for (const auto& [want, got] : pairs) {
        double top = 0;
        for (T x : *want) top = std::max(top, double(std::abs(x)));
        for (std::size_t t = 0; t < want->size(); ++t)
          ASSERT_NEAR(double((*got)[t]), double((*want)[t]), tol * std::max(1.0, top))
              << "n_q " << n_q << " n_b " << n_b << " entry " << t;
      }
    }
}

TEST(tile_gemm, BackwardQueryBlocksAgreeWithTheRowPath) {
  if (!tile_gemm_supported()) GTEST_SKIP() << "no AVX-512F in this CPU: the tile kernels are never called";
  backward_blocks_match_rows<float>(2e-5);
  backward_blocks_match_rows<double>(1e-12);
}

TEST(tile_gemm, ExactBackwardAgreesWithTheCblasPath) {
  if (!tile_gemm_supported()) GTEST_SKIP() << "no AVX-512F in this CPU: the tile kernels are never called";
  backward_agrees<float>(2e-5);
  backward_agrees<double>(1e-12);
}
