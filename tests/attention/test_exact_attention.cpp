// The exact backend against the plain long-double reference (paper 001
// Definitions 1.1 / 1.5): k = 2, 3, 4, rectangular sides, entries up to 30
// with the scale set so scores pass exp's range (log D compared too), float
// and double, tiles smaller than the sides, causal windows with empty rows;
// k = 2 against ordinary softmax attention; the oracle form against the
// matrix form; the vector exp against libm.
#include <cblas.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>

#include "attention/exact_attention.hpp"
#include "attention/reference_attention.hpp"
#include "attention/vector_exp.hpp"
#include "core/errors.hpp"
#include "random_attention.hpp"

using namespace sethkit;
using namespace sethkit::attention;
using sethkit::testing_support::random_attention;
using ::testing::HasSubstr;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Largest unscaled score over all tuples, by brute force (test sizes only).
double max_score(const AttentionInstance& inst) {
  const std::size_t sides = inst.keys.size();
  std::vector<std::size_t> j(sides, 0);
  double best = -kInf;
  for (std::size_t i = 0; i < inst.n_q(); ++i) {
    std::fill(j.begin(), j.end(), 0);
    for (;;) {
      double s = 0;
      for (std::size_t c = 0; c < inst.d(); ++c) {
        double t = inst.q(i, c);
        for (std::size_t p = 0; p < sides; ++p) t *= inst.keys[p](j[p], c);
        s += t;
      }
      best = std::max(best, s);
      std::size_t p = 0;
      while (p < sides && ++j[p] == inst.keys[p].rows) j[p++] = 0;
      if (p == sides) break;
    }
  }
  return best;
}

// A random instance with entries in [-30, 30] whose largest score is
// `top`: past log(DBL_MAX) = 709.8 (double) or log(FLT_MAX) = 88.7 (float),
// so a kernel without the max subtraction overflows.
AttentionInstance large_score_instance(unsigned seed, const std::vector<std::size_t>& lengths,
                                       std::size_t d, std::size_t dv, double top, bool float_exact) {
  AttentionInstance inst = random_attention(seed, lengths, d, dv, 30.0, float_exact);
  inst.scale = top / max_score(inst);  // random: the largest score is > 0
  if (float_exact) inst.scale = double(float(inst.scale));
  return inst;
}

struct Errors {
  double o = 0;       // max |O - O_ref| / max |O_ref|
  double log_d = 0;   // max |logD - ref| / max(1, |ref|)
  bool same_empty_rows = true;
  double max_log_d = -kInf;
};

Errors compare(const AttentionOutput& got, const AttentionOutput& ref) {
  EXPECT_EQ(got.rows, ref.rows);
  EXPECT_EQ(got.cols, ref.cols);
  Errors e;
  double scale = 0;
  for (double x : ref.o) scale = std::max(scale, std::abs(x));
  for (std::size_t i = 0; i < ref.o.size(); ++i) e.o = std::max(e.o, std::abs(got.o[i] - ref.o[i]));
  e.o = scale > 0 ? e.o / scale : e.o;
  for (std::size_t i = 0; i < ref.rows; ++i) {
    if (std::isinf(ref.log_d[i]) || std::isinf(got.log_d[i])) {
      e.same_empty_rows = e.same_empty_rows && got.log_d[i] == ref.log_d[i];
      continue;
    }
    e.max_log_d = std::max(e.max_log_d, ref.log_d[i]);
    e.log_d = std::max(e.log_d, std::abs(got.log_d[i] - ref.log_d[i]) / std::max(1.0, std::abs(ref.log_d[i])));
  }
  return e;
}

ExactOptions with_precision(Precision p) {
  ExactOptions opt;
  opt.precision = p;
  return opt;
}

struct Shape {
  std::vector<std::size_t> lengths;
  std::size_t d, dv;
};

const std::vector<Shape>& shapes() {
  static const std::vector<Shape> s{
      {{37, 23}, 8, 5},            // k = 2
      {{29, 11, 17}, 6, 3},        // k = 3, n_q != n1 != n2
      {{6, 31, 4}, 16, 7},         // k = 3, d = 16
      {{9, 5, 7, 6}, 4, 3},        // k = 4
      {{4, 3, 2, 4, 3}, 3, 2},     // k = 5
  };
  return s;
}

}  // namespace

TEST(attention_exact, DoubleMatchesReferenceWithHugeScores) {
  unsigned seed = 100;
  for (const auto& s : shapes()) {
    const AttentionInstance inst = large_score_instance(++seed, s.lengths, s.d, s.dv, 900.0, false);
    const Errors e = compare(exact_attention(inst), reference_attention(inst, inst.scale));
    EXPECT_LE(e.o, 1e-12) << "k = " << inst.k;
    EXPECT_LE(e.log_d, 1e-12) << "k = " << inst.k;
    EXPECT_GT(e.max_log_d, 710.0) << "scores must pass exp's double range";
  }
}

TEST(attention_exact, FloatMatchesReferenceWithScoresPastFloatRange) {
  unsigned seed = 200;
  for (const auto& s : shapes()) {
    const AttentionInstance inst = large_score_instance(++seed, s.lengths, s.d, s.dv, 100.0, true);
    const AttentionOutput got = exact_attention(inst, with_precision(Precision::float32));
    EXPECT_EQ(got.precision, Precision::float32);
    const Errors e = compare(got, reference_attention(inst, inst.scale));
    EXPECT_LE(e.o, 1e-5) << "k = " << inst.k;
    EXPECT_LE(e.log_d, 1e-5) << "k = " << inst.k;
    EXPECT_GT(e.max_log_d, 89.0) << "scores must pass exp's float range";
  }
}

TEST(attention_exact, TilesSmallerThanTheSides) {
  // Many tiles per row (the online softmax rescales often) and the default
  // tiles crossed on both sides (n1 > 64, n2 > 512).
  const AttentionInstance small = large_score_instance(300, {13, 11, 19}, 5, 4, 700.0, true);
  const AttentionInstance wide = large_score_instance(301, {3, 70, 530}, 4, 3, 700.0, true);
  const AttentionInstance deep = large_score_instance(302, {5, 6, 9, 11}, 3, 2, 700.0, true);
  for (const AttentionInstance* inst : {&small, &wide, &deep}) {
    const AttentionOutput ref = reference_attention(*inst, inst->scale);
    for (Precision p : {Precision::float64, Precision::float32}) {
      ExactOptions opt = with_precision(p);
      if (inst != &wide) {
        opt.tuning.tile_a = 3;
        opt.tuning.tile_b = 5;
      }
      opt.scale = p == Precision::float64 ? inst->scale : double(float(inst->scale * 100.0 / 700.0));
      const AttentionOutput expect =
          p == Precision::float64 ? ref : reference_attention(*inst, *opt.scale);
      const Errors e = compare(exact_attention(*inst, opt), expect);
      const double tol = p == Precision::float64 ? 1e-12 : 1e-5;
      EXPECT_LE(e.o, tol) << inst->k;
      EXPECT_LE(e.log_d, tol) << inst->k;
    }
  }
}

TEST(attention_exact, CausalWindowsFollowTheTwoSimplicialConvention) {
  // n_q > n1, n2 so late rows run off the key sides; windows from 1 to past
  // the side lengths, and (0, 5): every row empty.
  const AttentionInstance inst = large_score_instance(400, {24, 13, 17}, 6, 4, 800.0, true);
  const std::vector<CausalWindow> windows{{1, 1}, {3, 7}, {5, 2}, {100, 100}, {13, 1}, {0, 5}};
  for (const CausalWindow& w : windows) {
    const AttentionOutput ref = reference_attention(inst, inst.scale, w);
    int empty = 0;
    for (double x : ref.log_d) empty += std::isinf(x) ? 1 : 0;
    if (w.w1 > 0 && w.w2 > 0) {
      if (w.w1 < 24 && w.w2 < 24) {
        EXPECT_GT(empty, 0) << "rows past the key sides have no allowed key";
      }
      EXPECT_LT(empty, 24);
    } else {
      EXPECT_EQ(empty, 24);
    }
    for (Precision p : {Precision::float64, Precision::float32}) {
      ExactOptions opt = with_precision(p);
      opt.window = w;
      opt.tuning.tile_a = 2;  // window ranges start inside tiles
      opt.tuning.tile_b = 3;
      double scale = inst.scale;
      if (p == Precision::float32) scale = double(float(scale * 100.0 / 800.0));
      opt.scale = scale;
      const AttentionOutput got = exact_attention(inst, opt);
      const Errors e = compare(got, reference_attention(inst, scale, w));
      const double tol = p == Precision::float64 ? 1e-12 : 1e-5;
      EXPECT_LE(e.o, tol) << w.w1 << "," << w.w2;
      EXPECT_LE(e.log_d, tol) << w.w1 << "," << w.w2;
      EXPECT_TRUE(e.same_empty_rows) << w.w1 << "," << w.w2;
      for (std::size_t i = 0; i < got.rows; ++i) {
        if (!std::isinf(got.log_d[i])) continue;
        EXPECT_EQ(got.log_d[i], -kInf);
        for (std::size_t c = 0; c < got.cols; ++c) EXPECT_EQ(got.o[i * got.cols + c], 0.0);
      }
    }
  }
}

TEST(attention_exact, WindowOnlyForOrderThree) {
  ExactOptions opt;
  opt.window = CausalWindow{2, 2};
  EXPECT_THROW(exact_attention(random_attention(1, {3, 4}, 2, 2, 1.0), opt), InputError);
  EXPECT_THROW(exact_attention(random_attention(1, {3, 4, 2, 2}, 2, 2, 1.0), opt), InputError);
}

TEST(attention_exact, OrderTwoIsOrdinarySoftmaxAttention) {
  const AttentionInstance inst = large_score_instance(500, {19, 27}, 7, 4, 750.0, false);
  // softmax(scale Q K^T) V, written out directly.
  const std::size_t nq = inst.n_q(), n = inst.keys[0].rows, d = inst.d(), dv = inst.d_v();
  std::vector<double> expect(nq * dv), expect_log_d(nq);
  for (std::size_t i = 0; i < nq; ++i) {
    std::vector<double> s(n);
    for (std::size_t j = 0; j < n; ++j) {
      for (std::size_t c = 0; c < d; ++c) s[j] += inst.q(i, c) * inst.keys[0](j, c);
      s[j] *= inst.scale;
    }
    const double m = *std::max_element(s.begin(), s.end());
    double sum = 0;
    for (double& x : s) sum += (x = std::exp(x - m));
    for (std::size_t c = 0; c < dv; ++c) {
      for (std::size_t j = 0; j < n; ++j) expect[i * dv + c] += s[j] / sum * inst.values[0](j, c);
    }
    expect_log_d[i] = m + std::log(sum);
  }
  const AttentionOutput got = exact_attention(inst);
  double scale = 0, err = 0;
  for (double x : expect) scale = std::max(scale, std::abs(x));
  for (std::size_t i = 0; i < expect.size(); ++i) err = std::max(err, std::abs(got.o[i] - expect[i]));
  EXPECT_LE(err / scale, 1e-12);
  for (std::size_t i = 0; i < nq; ++i)
    EXPECT_NEAR(got.log_d[i], expect_log_d[i], 1e-12 * std::abs(expect_log_d[i]));
}

TEST(attention_exact, ScaleDefaultsToTheInstanceAndCanBeOverridden) {
  const AttentionInstance inst = random_attention(600, {5, 6, 7}, 4, 2, 2.0);
  ASSERT_EQ(inst.scale, 0.25);  // 1/d
  EXPECT_LE(compare(exact_attention(inst), reference_attention(inst, 0.25)).o, 1e-12);
  ExactOptions opt;
  opt.scale = 1.0 / 2.0;  // 1/sqrt(d), the 2-simplicial choice
  const AttentionOutput got = exact_attention(inst, opt);
  EXPECT_LE(compare(got, reference_attention(inst, 0.5)).o, 1e-12);
  EXPECT_GT(compare(got, reference_attention(inst, 0.25)).o, 1e-6) << "the scale must matter";
}

TEST(attention_exact, FewQueryRowsSplitTheKeySideAndMergePartials) {
  // Fewer than 16 query rows: each row's a-tiles (b-tiles for k = 2) are
  // split into parts whose (max, sum, accumulator) states are merged. Many
  // tiles (tile_a = 2, tile_b = 4), scores past exp's range (so the parts'
  // maxima must be rescaled, not summed), windows cutting rows to a few
  // tiles or none, k = 2, 3, 4; against the
  // long-double reference, and the same bits for 1, 2 and 3 threads.
  struct Case {
    std::vector<std::size_t> lengths;
    std::optional<CausalWindow> window;
  };
  // Parts are >= 128 rows of the split side (a, or b for k = 2), so the
  // split sides are 130..400 rows; n_q = 16 does not split (the control).
  const std::vector<Case> cases{{{1, 300, 9}, std::nullopt},        {{3, 270, 11}, std::nullopt},
                                {{7, 400}, std::nullopt},           {{2, 260, 5, 7}, std::nullopt},
                                {{5, 300, 13}, CausalWindow{4, 3}}, {{15, 130, 6}, CausalWindow{9, 2}},
                                {{16, 300, 5}, std::nullopt}};
  unsigned seed = 450;
  for (const Case& c : cases) {
    const AttentionInstance inst = large_score_instance(++seed, c.lengths, 5, 3, 600.0, true);
    for (Precision p : {Precision::float64, Precision::float32}) {
      ExactOptions opt = with_precision(p);
      opt.window = c.window;
      opt.tuning.tile_a = 2;
      opt.tuning.tile_b = 4;
      double scale = inst.scale;
      if (p == Precision::float32) scale = double(float(scale * 100.0 / 600.0));
      opt.scale = scale;
      opt.threads = 1;
      const AttentionOutput one = exact_attention(inst, opt);
      const Errors e = compare(one, reference_attention(inst, scale, c.window));
      const double tol = p == Precision::float64 ? 1e-12 : 1e-5;
      EXPECT_LE(e.o, tol) << "k = " << inst.k << ", n_q = " << inst.n_q();
      EXPECT_LE(e.log_d, tol) << "k = " << inst.k << ", n_q = " << inst.n_q();
      EXPECT_TRUE(e.same_empty_rows);
      for (int threads : {2, 3}) {
        opt.threads = threads;
        const AttentionOutput more = exact_attention(inst, opt);
        EXPECT_EQ(one.o, more.o) << threads << " threads";
        EXPECT_EQ(one.log_d, more.log_d) << threads << " threads";
      }
    }
  }
}

TEST(attention_exact, ThreadCountDoesNotChangeTheResult) {
  const AttentionInstance inst = large_score_instance(700, {33, 12, 14}, 5, 3, 500.0, false);
  ExactOptions one, two;
  one.threads = 1;
  two.threads = 2;
  two.tuning.rows_per_task = 3;
  const AttentionOutput a = exact_attention(inst, one), b = exact_attention(inst, two);
  EXPECT_EQ(a.o, b.o);
  EXPECT_EQ(a.log_d, b.log_d);
  ExactOptions bad;
  bad.threads = -1;
  EXPECT_THROW(exact_attention(inst, bad), InputError);
}

TEST(attention_exact, BlasThreadCountIsRestored) {
  openblas_set_num_threads(2);
  exact_attention(random_attention(800, {4, 5, 6}, 3, 2, 1.0));
  EXPECT_EQ(openblas_get_num_threads(), 2);
}

TEST(attention_exact, ScoreOverflowIsReportedNotReturned) {
  AttentionInstance inst = random_attention(900, {3, 4, 5}, 2, 2, 1.0);
  inst.q(1, 0) = 1e300;
  inst.keys[0](2, 0) = 1e300;
  try {
    exact_attention(inst);
    FAIL() << "an infinite score was accepted";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("score overflow"));
  }
  // 1e15^3 = 1e45 overflows float but not double.
  AttentionInstance f = random_attention(901, {3, 4, 5}, 2, 2, 1.0);
  f.q(0, 1) = f.keys[0](0, 1) = f.keys[1](0, 1) = 1e15;
  f.scale = 1e-30;  // scores 1e15: finite in double, the 1e45 sum is not in float
  EXPECT_NO_THROW(exact_attention(f));
  EXPECT_THROW(exact_attention(f, with_precision(Precision::float32)), InputError);
}

TEST(attention_exact, OracleFormEqualsMatrixForm) {
  unsigned seed = 1000;
  for (const auto& s : shapes()) {
    const AttentionInstance inst = large_score_instance(++seed, s.lengths, s.d, s.dv, 600.0, false);
    OracleInstance oracle;
    oracle.n_q = inst.n_q();
    oracle.values = inst.values;
    oracle.scale = inst.scale;
    oracle.score = [&inst](std::size_t i, std::span<const std::size_t> j) {
      EXPECT_EQ(j.size(), inst.keys.size());
      double sum = 0;
      for (std::size_t c = 0; c < inst.d(); ++c) {
        double t = inst.q(i, c);
        for (std::size_t p = 0; p < j.size(); ++p) t *= inst.keys[p](j[p], c);
        sum += t;
      }
      return sum;
    };
    ExactOptions opt;
    opt.threads = 2;
    opt.tuning.tile_a = 4;
    opt.tuning.tile_b = 6;
    const AttentionOutput matrix = exact_attention(inst, opt);
    const Errors e = compare(exact_attention_oracle(oracle, opt), matrix);
    EXPECT_LE(e.o, 1e-12) << "k = " << inst.k;
    EXPECT_LE(e.log_d, 1e-12) << "k = " << inst.k;
    if (inst.k == 3) {
      opt.window = CausalWindow{4, 9};
      const Errors w = compare(exact_attention_oracle(oracle, opt), exact_attention(inst, opt));
      EXPECT_LE(w.o, 1e-12);
      EXPECT_TRUE(w.same_empty_rows);
    }
  }
}

TEST(attention_exact, OracleErrorsPropagate) {
  OracleInstance oracle;
  oracle.n_q = 5;
  oracle.values = {DenseMatrix(3, 2), DenseMatrix(4, 2)};
  oracle.scale = 1.0;
  oracle.score = [](std::size_t i, std::span<const std::size_t>) -> double {
    if (i == 3) throw std::runtime_error("oracle broke on row 3");
    return 0.0;
  };
  ExactOptions opt;
  opt.threads = 2;
  try {
    exact_attention_oracle(oracle, opt);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("row 3"));
  }
  oracle.score = [](std::size_t, std::span<const std::size_t>) { return kInf; };
  EXPECT_THROW(exact_attention_oracle(oracle), InputError);
  EXPECT_THROW(exact_attention_oracle(oracle, with_precision(Precision::float32)), InputError);
  oracle.values[1] = DenseMatrix(4, 3);  // d_v mismatch
  EXPECT_THROW(exact_attention_oracle(oracle), InputError);
}

// Size guards (issue 9): the run's own memory is estimated and refused with
// the size before anything is allocated.
TEST(attention_exact, WorkingMemoryIsCountedAndRefusedWithTheSize) {
  const AttentionInstance inst = random_attention(7, {3, 5, 7}, 4, 2, 1.0, false);
  ExactOptions opt;
  opt.threads = 2;
  opt.tuning.tile_a = 4;
  opt.tuning.tile_b = 6;
  // By hand: O and log D (3 x (2 + 1) doubles); per thread a 4 x 6 score
  // tile, a 4 x 2 W, 3 x 2 value products, 3 x 4 q products, a 4 x 4 Z
  // (double), two d_v accumulators and the prefix indices.
  // Shared by the threads, on every CPU (tile_kernels on, the default): K_2^T
  // for the AVX-512 tile kernels, d = 4 rows of 48 (7 keys rounded up to 16,
  // and 32 more for a full-width load at any key).
  const double per_thread = 8.0 * (24 + 8 + 6 + 12 + 16) + 16.0 * 2 + 8.0 * 3;
  const double transposed = 4 * 48;
  EXPECT_DOUBLE_EQ(exact_attention_bytes(inst, opt), 8.0 * 3 * 3 + 2 * per_thread + 8.0 * transposed);
  ExactOptions cblas = opt;
  cblas.tuning.tile_kernels = false;
  EXPECT_DOUBLE_EQ(exact_attention_bytes(inst, cblas), 8.0 * 3 * 3 + 2 * per_thread);
  // float32 works on rounded copies of Q, K1, K2, V1, V2: 4 bytes a scalar.
  ExactOptions single = opt;
  single.precision = Precision::float32;
  const double inputs = 3 * 4 + 5 * 4 + 7 * 4 + 5 * 2 + 7 * 2;
  EXPECT_DOUBLE_EQ(exact_attention_bytes(inst, single),
                   8.0 * 3 * 3 + 4.0 * inputs + 2 * (4.0 * (24 + 8 + 6 + 12 + 16) + 16.0 * 2 + 8.0 * 3) +
                       4.0 * transposed);
  opt.max_bytes = exact_attention_bytes(inst, opt) - 1;
  try {
    exact_attention(inst, opt);
    FAIL() << "expected a refusal";
  } catch (const SizeLimitError& e) {
    EXPECT_THAT(e.what(), HasSubstr("exact attention (O is 3 x 2, scratch for 2 threads) needs"));
  }
  opt.max_bytes += 1;
  EXPECT_NO_THROW(exact_attention(inst, opt));
}

TEST(attention_exact, HugeOutputIsRefusedBeforeAllocating) {
  // 16 MiB of input whose O is 2^20 x 2^20: 8 TiB.
  DenseMatrix q(std::size_t(1) << 20, 1), k1(1, 1), v1(1, std::size_t(1) << 20);
  const AttentionInstance inst = make_attention_instance(std::move(q), {std::move(k1)}, {std::move(v1)});
  try {
    exact_attention(inst);
    FAIL() << "expected a refusal";
  } catch (const SizeLimitError& e) {
    EXPECT_THAT(e.what(), HasSubstr("O is 1048576 x 1048576"));
    EXPECT_THAT(e.what(), HasSubstr("8.00 TiB"));
  }
  OracleInstance oracle;  // the oracle form: 2^40 query rows
  oracle.n_q = std::size_t(1) << 40;
  oracle.values = {DenseMatrix(1, 1)};
  oracle.scale = 1.0;
  oracle.score = [](std::size_t, std::span<const std::size_t>) { return 0.0; };
  try {
    exact_attention_oracle(oracle);
    FAIL() << "expected a refusal";
  } catch (const SizeLimitError& e) {
    EXPECT_THAT(e.what(), HasSubstr("O is 1099511627776 x 1"));
    EXPECT_THAT(e.what(), HasSubstr("16.00 TiB"));
  }
}

TEST(attention_exact, ThreadCountIsBounded) {
  const AttentionInstance inst = random_attention(8, {2, 2}, 2, 1, 1.0, false);
  ExactOptions opt;
  opt.threads = kMaxThreads + 1;
  try {
    exact_attention(inst, opt);
    FAIL() << "expected a refusal";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("threads = 1025 is outside 0..1024"));
  }
}

TEST(attention_exp, VectorExpMatchesLibm) {
  std::vector<double> x, y;
  for (double t = -760.0; t <= 0.0; t += 0.0137) x.push_back(t);
  x.push_back(-kInf);
  x.push_back(-0.0);
  x.push_back(-1e-300);
  y = x;
  double sum = exp_shifted_sum(y.data(), y.size(), 0.0);
  double expect_sum = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double e = std::exp(x[i]);
    if (x[i] >= -708.0) {
      EXPECT_NEAR(y[i], e, 4e-16 * e) << x[i];
    } else {
      EXPECT_EQ(y[i], 0.0) << "flushed below the normal range: " << x[i];
    }
    expect_sum += y[i];
  }
  EXPECT_DOUBLE_EQ(sum, expect_sum);

  std::vector<float> xf, yf;
  for (float t = -100.0f; t <= 0.0f; t += 0.0071f) xf.push_back(t);
  xf.push_back(-std::numeric_limits<float>::infinity());
  yf = xf;
  exp_shifted_sum(yf.data(), yf.size(), 0.0f);
  for (std::size_t i = 0; i < xf.size(); ++i) {
    const double e = std::exp(double(xf[i]));
    if (xf[i] >= -87.0f) {
      EXPECT_NEAR(yf[i], e, 2.5e-7 * e) << xf[i];
    } else {
      EXPECT_EQ(yf[i], 0.0f) << xf[i];
    }
  }
  // The shift: exp(x - m).
  std::vector<double> z{3.0, 1.0, 3.0};
  EXPECT_NEAR(exp_shifted_sum(z.data(), z.size(), 3.0), 2.0 + std::exp(-2.0), 1e-15);
}

TEST(attention_exp, MaxOfFlagsNonFinite) {
  bool finite = false;
  std::vector<double> v{1.0, -5.0, 7.5, 2.0};
  EXPECT_EQ(max_of(v.data(), v.size(), finite), 7.5);
  EXPECT_TRUE(finite);
  v[1] = std::nan("");
  max_of(v.data(), v.size(), finite);
  EXPECT_FALSE(finite);
  v[1] = -kInf;
  max_of(v.data(), v.size(), finite);
  EXPECT_FALSE(finite);
}
