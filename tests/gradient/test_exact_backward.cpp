// The typed, copy-free entry points (exact_forward, exact_backward from dO):
//  - the backward from an arbitrary upstream gradient G = dLoss/dO against
//    central finite differences of L = sum G o O with O from the long-double
//    reference forward (reference_attention), k = 2, 3, 4, windows on and off;
//  - against the textbook reference gradient (reference_attention_gradient,
//    with the target E = O - G so that its dO is G), float and double;
//  - exact_forward on float views equals the AttentionInstance float32 path;
//    strided views equal contiguous ones bit for bit;
//  - bit-identical results for 1 and 2 threads; the recomputed first pass
//    equals passing O and log D; bad views are refused with their name.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <optional>
#include <random>

#include "../attention/random_attention.hpp"
#include "attention/exact_backward.hpp"
#include "attention/gradient.hpp"
#include "attention/reference_attention.hpp"
#include "core/errors.hpp"

using namespace sethkit;
using namespace sethkit::attention;
using sethkit::testing_support::random_attention;
using sethkit::testing_support::random_matrix;
using ::testing::HasSubstr;

namespace {

// Buffers for one call on type T, copied from an instance (rounded for float).
template <class T>
struct Buffers {
  std::size_t n_q, d, dv;
  std::vector<T> q, g;
  std::vector<std::vector<T>> k, v, dk, dv_out;
  std::vector<T> dq, o;
  std::vector<double> log_d;
  Buffers(const AttentionInstance& inst, const DenseMatrix& grad)
      : n_q(inst.n_q()), d(inst.d()), dv(inst.d_v()), q(inst.q.data.begin(), inst.q.data.end()),
        g(grad.data.begin(), grad.data.end()), dq(n_q * d), o(n_q * dv), log_d(n_q) {
    for (std::size_t p = 0; p < inst.keys.size(); ++p) {
      k.emplace_back(inst.keys[p].data.begin(), inst.keys[p].data.end());
      v.emplace_back(inst.values[p].data.begin(), inst.values[p].data.end());
      dk.emplace_back(inst.keys[p].rows * d);
      dv_out.emplace_back(inst.keys[p].rows * dv);
    }
  }
  std::vector<MatrixView<T>> keys() const {
    std::vector<MatrixView<T>> out;
    for (const auto& x : k) out.push_back({x.data(), x.size() / d, d, d});
    return out;
  }
  std::vector<MatrixView<T>> values() const {
    std::vector<MatrixView<T>> out;
    for (const auto& x : v) out.push_back({x.data(), x.size() / dv, dv, dv});
    return out;
  }
  void forward(const ExactOptions& opt) {
    exact_forward<T>({q.data(), n_q, d, d}, keys(), values(), opt, {o.data(), n_q, dv, dv}, log_d.data());
  }
  BackwardStats backward(const BackwardOptions& opt, bool saved) {
    std::vector<MutableMatrixView<T>> dkv, dvv;
    for (auto& x : dk) x.assign(x.size(), T(7)), dkv.push_back({x.data(), x.size() / d, d, d});
    for (auto& x : dv_out) x.assign(x.size(), T(7)), dvv.push_back({x.data(), x.size() / dv, dv, dv});
    dq.assign(dq.size(), T(7));
    return exact_backward<T>({q.data(), n_q, d, d}, keys(), values(), {g.data(), n_q, dv, dv},
                             saved ? log_d.data() : nullptr, opt, {dq.data(), n_q, d, d}, dkv, dvv,
                             saved ? MatrixView<T>{o.data(), n_q, dv, dv} : MatrixView<T>{});
  }
};

template <class T>
DenseMatrix dense(const std::vector<T>& x, std::size_t rows, std::size_t cols) {
  DenseMatrix m(rows, cols);
  for (std::size_t t = 0; t < x.size(); ++t) m.data[t] = double(x[t]);
  return m;
}

double relative_error(const DenseMatrix& got, const DenseMatrix& want) {
  double err = 0, top = 0;
  for (std::size_t t = 0; t < want.data.size(); ++t) {
    err = std::max(err, std::abs(got.data[t] - want.data[t]));
    top = std::max(top, std::abs(want.data[t]));
  }
  return top > 0 ? err / top : err;
}

// L = sum G o O, O from the long-double reference forward.
double reference_loss(const AttentionInstance& inst, const DenseMatrix& g, const std::optional<CausalWindow>& w) {
  const AttentionOutput o = reference_attention(inst, inst.scale, w);
  long double s = 0;
  for (std::size_t t = 0; t < o.o.size(); ++t) s += (long double)o.o[t] * g.data[t];
  return double(s);
}

DenseMatrix finite_differences(DenseMatrix& x, const std::function<double()>& f, double h = 1e-5) {
  DenseMatrix out(x.rows, x.cols);
  for (std::size_t t = 0; t < x.data.size(); ++t) {
    const double saved = x.data[t];
    x.data[t] = saved + h;
    const double plus = f();
    x.data[t] = saved - h;
    const double minus = f();
    x.data[t] = saved;
    out.data[t] = (plus - minus) / (2 * h);
  }
  return out;
}

struct Case {
  std::vector<std::size_t> lengths;
  std::optional<CausalWindow> window;
};

std::vector<Case> cases() {
  return {{{4, 5}, std::nullopt},
          {{5, 4, 6}, std::nullopt},
          {{7, 5, 6}, CausalWindow{3, 2}},
          {{6, 6, 6}, CausalWindow{4, 7}},
          {{9, 3, 4}, CausalWindow{2, 2}},  // rows 5.. have no allowed tuple
          {{3, 3, 2, 4}, std::nullopt}};
}

GradientTuning tiny() {
  GradientTuning t;
  t.tile_a = 2;
  t.tile_b = 3;
  t.max_chunks = 3;
  return t;
}

}  // namespace

TEST(exact_backward, FromDoMatchesFiniteDifferences) {
  unsigned seed = 1;
  for (const Case& c : cases()) {
    AttentionInstance inst = random_attention(seed++, c.lengths, 3, 2, 0.9);
    std::mt19937_64 rng(seed++);
    const DenseMatrix g = random_matrix(rng, inst.n_q(), inst.d_v(), 1.0, false);
    for (const GradientTuning& tuning : {GradientTuning{}, tiny()}) {
      Buffers<double> b(inst, g);
      BackwardOptions opt;
      opt.window = c.window;
      opt.tuning = tuning;
      b.backward(opt, false);
      auto loss = [&] { return reference_loss(inst, g, c.window); };
      const std::string what = "k=" + std::to_string(inst.k) + (c.window ? " windowed" : "");
      EXPECT_LT(relative_error(dense(b.dq, inst.n_q(), inst.d()), finite_differences(inst.q, loss)), 1e-6) << what;
      for (std::size_t p = 0; p < inst.keys.size(); ++p) {
        EXPECT_LT(relative_error(dense(b.dk[p], inst.keys[p].rows, inst.d()), finite_differences(inst.keys[p], loss)),
                  1e-6)
            << what << " dK" << p + 1;
        EXPECT_LT(relative_error(dense(b.dv_out[p], inst.keys[p].rows, inst.d_v()),
                                 finite_differences(inst.values[p], loss)),
                  1e-6)
            << what << " dV" << p + 1;
      }
    }
  }
}

TEST(exact_backward, MatchesTheReferenceGradientInFloatAndDouble) {
  unsigned seed = 40;
  for (const Case& c : cases()) {
    std::vector<std::size_t> lengths = c.lengths;
    for (auto& n : lengths) n += 5;  // several tiles per side with tiny()
    // Float-exact entries: the float run and the reference see the same numbers.
    const AttentionInstance inst = random_attention(seed++, lengths, 4, 3, 1.0, true);
    std::mt19937_64 rng(seed++);
    const DenseMatrix g = random_matrix(rng, inst.n_q(), inst.d_v(), 1.0, true);
    // The reference's dO is O - E: E = O - G.
    const AttentionOutput o = reference_attention(inst, inst.scale, c.window);
    DenseMatrix e(inst.n_q(), inst.d_v());
    for (std::size_t t = 0; t < e.data.size(); ++t) e.data[t] = o.o[t] - g.data[t];
    const AttentionGradient ref = reference_attention_gradient(inst, e, inst.scale, c.window);
    BackwardOptions opt;
    opt.window = c.window;
    opt.tuning = tiny();
    const std::string what = "k=" + std::to_string(inst.k) + (c.window ? " windowed" : "");
    auto check = [&](auto& b, double tol, const char* type) {
      EXPECT_LT(relative_error(dense(b.dq, inst.n_q(), inst.d()), ref.d_q), tol) << what << " " << type;
      for (std::size_t p = 0; p < inst.keys.size(); ++p) {
        EXPECT_LT(relative_error(dense(b.dk[p], inst.keys[p].rows, inst.d()), ref.d_keys[p]), tol) << what << type;
        EXPECT_LT(relative_error(dense(b.dv_out[p], inst.keys[p].rows, inst.d_v()), ref.d_values[p]), tol)
            << what << " " << type;
      }
    };
    Buffers<double> bd(inst, g);
    bd.backward(opt, false);
    check(bd, 1e-11, "double");
    Buffers<float> bf(inst, g);
    bf.backward(opt, false);
    check(bf, 2e-5, "float");
  }
}

TEST(exact_backward, ExactAttentionGradientWithAWindowMatchesTheReference) {
  const AttentionInstance inst = random_attention(77, {9, 8, 7}, 3, 2, 1.0);
  std::mt19937_64 rng(78);
  const DenseMatrix e = random_matrix(rng, 9, 2, 1.0, false);
  GradientOptions opt;
  opt.window = CausalWindow{3, 5};
  const AttentionGradient got = exact_attention_gradient(inst, e, opt);
  const AttentionGradient ref = reference_attention_gradient(inst, e, inst.scale, opt.window);
  EXPECT_LT(relative_error(got.d_q, ref.d_q), 1e-11);
  EXPECT_LT(relative_error(got.d_keys[1], ref.d_keys[1]), 1e-11);
  EXPECT_LT(relative_error(got.d_values[0], ref.d_values[0]), 1e-11);
  EXPECT_NEAR(got.loss, ref.loss, 1e-12 * std::max(1.0, ref.loss));
}

TEST(exact_backward, SameBitsForOneAndTwoThreadsAndWithSavedForward) {
  for (const Case& c : cases()) {
    std::vector<std::size_t> lengths = c.lengths;
    for (auto& n : lengths) n += 9;
    const AttentionInstance inst = random_attention(90 + unsigned(lengths.size()), lengths, 5, 3, 1.0, true);
    std::mt19937_64 rng(91);
    const DenseMatrix g = random_matrix(rng, inst.n_q(), inst.d_v(), 1.0, true);
    auto run = [&](auto tag, int threads, bool saved) {
      using T = decltype(tag);
      Buffers<T> b(inst, g);
      ExactOptions fo;
      fo.window = c.window;
      fo.threads = threads;
      b.forward(fo);
      BackwardOptions opt;
      opt.window = c.window;
      opt.threads = threads;
      opt.tuning = tiny();
      b.backward(opt, saved);
      return b;
    };
    auto same = [](const auto& x, const auto& y) {
      return x.size() == y.size() && std::memcmp(x.data(), y.data(), x.size() * sizeof(x[0])) == 0;
    };
    auto check = [&](auto tag) {
      const auto one = run(tag, 1, true), two = run(tag, 2, true), fresh = run(tag, 2, false);
      EXPECT_TRUE(same(one.dq, two.dq) && same(one.dq, fresh.dq));
      for (std::size_t p = 0; p < one.dk.size(); ++p) {
        EXPECT_TRUE(same(one.dk[p], two.dk[p]) && same(one.dk[p], fresh.dk[p]));
        EXPECT_TRUE(same(one.dv_out[p], two.dv_out[p]) && same(one.dv_out[p], fresh.dv_out[p]));
      }
      EXPECT_TRUE(same(one.o, two.o) && same(one.log_d, two.log_d));
    };
    check(float{});
    check(double{});
  }
}

TEST(exact_forward, FloatViewsEqualTheInstancePath) {
  for (const Case& c : cases()) {
    const AttentionInstance inst = random_attention(120 + unsigned(c.lengths.size()), c.lengths, 4, 3, 1.5, true);
    ExactOptions opt;
    opt.window = c.window;
    opt.precision = Precision::float32;
    opt.tuning.tile_a = 2;
    opt.tuning.tile_b = 3;
    const AttentionOutput want = exact_attention(inst, opt);
    Buffers<float> b(inst, DenseMatrix(inst.n_q(), inst.d_v()));
    b.forward(opt);
    for (std::size_t t = 0; t < want.o.size(); ++t) EXPECT_EQ(b.o[t], float(want.o[t])) << t;
    for (std::size_t i = 0; i < want.log_d.size(); ++i) EXPECT_EQ(b.log_d[i], want.log_d[i]) << i;
    opt.precision = Precision::float64;
    const AttentionOutput want64 = exact_attention(inst, opt);
    Buffers<double> bd(inst, DenseMatrix(inst.n_q(), inst.d_v()));
    bd.forward(opt);
    EXPECT_EQ(bd.o, want64.o);
    EXPECT_EQ(bd.log_d, want64.log_d);
  }
}

TEST(exact_forward, StridedViewsEqualContiguousOnes) {
  const AttentionInstance inst = random_attention(130, {6, 5, 7}, 3, 2, 1.0);
  ExactOptions opt;
  const AttentionOutput want = exact_attention(inst, opt);
  auto padded = [](const DenseMatrix& m, std::size_t pad) {
    std::vector<double> x(m.rows * (m.cols + pad), -99.0);
    for (std::size_t i = 0; i < m.rows; ++i)
      for (std::size_t c = 0; c < m.cols; ++c) x[i * (m.cols + pad) + c] = m(i, c);
    return x;
  };
  const auto q = padded(inst.q, 2), k1 = padded(inst.keys[0], 1), k2 = padded(inst.keys[1], 3),
             v1 = padded(inst.values[0], 4), v2 = padded(inst.values[1], 1);
  std::vector<double> o(6 * 5, -1.0), log_d(6);
  exact_forward<double>({q.data(), 6, 3, 5}, {{k1.data(), 5, 3, 4}, {k2.data(), 7, 3, 6}},
                        {{v1.data(), 5, 2, 6}, {v2.data(), 7, 2, 3}}, opt, {o.data(), 6, 2, 5}, log_d.data());
  for (std::size_t i = 0; i < 6; ++i) {
    for (std::size_t c = 0; c < 2; ++c) EXPECT_EQ(o[i * 5 + c], want.o[i * 2 + c]);
    for (std::size_t c = 2; c < 5; ++c) EXPECT_EQ(o[i * 5 + c], -1.0);  // padding untouched
    EXPECT_EQ(log_d[i], want.log_d[i]);
  }
}

TEST(exact_backward, BadViewsAreRefusedByName) {
  const AttentionInstance inst = random_attention(140, {4, 3, 5}, 2, 2, 1.0);
  Buffers<double> b(inst, DenseMatrix(4, 2));
  std::vector<MutableMatrixView<double>> dk = {{b.dk[0].data(), 3, 2, 2}, {b.dk[1].data(), 5, 2, 2}};
  std::vector<MutableMatrixView<double>> dv = {{b.dv_out[0].data(), 3, 2, 2}, {b.dv_out[1].data(), 5, 2, 2}};
  const MutableMatrixView<double> dq{b.dq.data(), 4, 2, 2};
  auto expect = [&](auto fn, const std::string& text) {
    try {
      fn();
      ADD_FAILURE() << "no error for " << text;
    } catch (const InputError& e) {
      EXPECT_THAT(e.what(), HasSubstr(text));
    }
  };
  const MatrixView<double> q{b.q.data(), 4, 2, 2};
  expect([&] { exact_backward<double>(q, b.keys(), b.values(), {b.g.data(), 3, 2, 2}, nullptr, {}, dq, dk, dv); },
         "dO is 3 x 2 but must be 4 x 2");
  expect([&] { exact_backward<double>(q, b.keys(), b.values(), {nullptr, 4, 2, 2}, nullptr, {}, dq, dk, dv); },
         "dO: no data given");
  expect([&] { exact_backward<double>(q, b.keys(), {b.values()[0]}, {b.g.data(), 4, 2, 2}, nullptr, {}, dq, dk, dv); },
         "2 key matrices but 1 value matrices");
  expect([&] { exact_backward<double>(q, b.keys(), b.values(), {b.g.data(), 4, 2, 2}, nullptr, {}, dq, {dk[0]}, dv); },
         "dK and dV output buffers");
  expect([&] {
    exact_backward<double>(q, b.keys(), b.values(), {b.g.data(), 4, 2, 2}, nullptr, {}, {b.dq.data(), 4, 3, 3}, dk,
                           dv);
  }, "dQ is 4 x 3 but must be 4 x 2");
  expect([&] {
    exact_backward<double>({b.q.data(), 4, 2, 1}, b.keys(), b.values(), {b.g.data(), 4, 2, 2}, nullptr, {}, dq, dk,
                           dv);
  }, "Q: row stride 1 is below its 2 columns");
  b.g[3] = std::nan("");
  expect([&] { exact_backward<double>(q, b.keys(), b.values(), {b.g.data(), 4, 2, 2}, nullptr, {}, dq, dk, dv); },
         "dO entry (1, 1) is not finite");
  b.g[3] = 0;
  BackwardOptions small;
  small.max_bytes = 16;
  EXPECT_THROW(exact_backward<double>(q, b.keys(), b.values(), {b.g.data(), 4, 2, 2}, nullptr, small, dq, dk, dv),
               SizeLimitError);
  const AttentionInstance four = random_attention(141, {3, 2, 2, 2}, 2, 2, 1.0);
  Buffers<double> b4(four, DenseMatrix(3, 2));
  ExactOptions wopt;
  wopt.window = CausalWindow{1, 1};
  expect([&] { b4.forward(wopt); }, "k = 3 only");
}
