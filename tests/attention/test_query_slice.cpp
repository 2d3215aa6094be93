// QuerySlice (attention/exact_attention.hpp): the exact kernel run on rows
// [lo, hi) of Q as a slice of the whole side gives those rows of the whole
// run bit for bit (what tools/rank_rows.cpp relies on under mpirun), with
// causal windows (taken at the absolute row: FBGEMM's 2-simplicial
// convention, paper 001 Definition 1.1 with the window of DESIGN.md) and with
// few query rows per slice over long key sides (the kernel's key-side work
// items, planned for the whole side). The whole run itself is checked against
// the long-double reference_attention, the independent truth.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <vector>

#include "attention/exact_attention.hpp"
#include "attention/gradient.hpp"
#include "attention/reference_attention.hpp"
#include "core/errors.hpp"
#include "random_attention.hpp"

using namespace sethkit;
using namespace sethkit::attention;
using sethkit::testing_support::random_attention;
using ::testing::HasSubstr;

namespace {

AttentionInstance rows_of(const AttentionInstance& inst, std::size_t lo, std::size_t hi) {
  AttentionInstance part = inst;
  part.q = DenseMatrix(hi - lo, inst.d());
  for (std::size_t i = lo; i < hi; ++i)
    for (std::size_t c = 0; c < inst.d(); ++c) part.q(i - lo, c) = inst.q(i, c);
  return part;
}

// Every slice of `cuts` (consecutive boundaries) against the whole run, bit
// for bit; the whole run against the reference. Returns the slices that were
// bit-identical also without QuerySlice (to show the check can fail).
std::size_t expect_slices_match(const AttentionInstance& inst, const std::vector<std::size_t>& cuts,
                                const std::optional<CausalWindow>& window, Precision precision) {
  ExactOptions opt;
  opt.window = window;
  opt.precision = precision;
  opt.threads = 2;
  const AttentionOutput whole = exact_attention(inst, opt);
  const AttentionOutput ref = reference_attention(inst, inst.scale, window);
  const double tol = precision == Precision::float64 ? 1e-12 : 1e-4;
  for (std::size_t t = 0; t < whole.o.size(); ++t) EXPECT_NEAR(whole.o[t], ref.o[t], tol) << t;
  for (std::size_t i = 0; i < whole.rows; ++i)
    if (std::isinf(ref.log_d[i])) {
      EXPECT_EQ(whole.log_d[i], ref.log_d[i]) << i;
    } else {
      EXPECT_NEAR(whole.log_d[i], ref.log_d[i], tol) << i;
    }
  std::size_t same_unsliced = 0;
  for (std::size_t s = 0; s + 1 < cuts.size(); ++s) {
    const std::size_t lo = cuts[s], hi = cuts[s + 1];
    const AttentionInstance part = rows_of(inst, lo, hi);
    ExactOptions sliced = opt;
    sliced.slice = {lo, inst.n_q()};
    const AttentionOutput got = exact_attention(part, sliced);
    EXPECT_EQ(got.rows, hi - lo);
    if (got.rows != hi - lo) return 0;
    for (std::size_t i = lo; i < hi; ++i) {
      EXPECT_EQ(got.log_d[i - lo], whole.log_d[i]) << "row " << i << " of slice " << lo << ".." << hi;
      for (std::size_t c = 0; c < got.cols; ++c)
        EXPECT_EQ(got.o[(i - lo) * got.cols + c], whole.o[i * whole.cols + c]) << "row " << i << ", column " << c;
    }
    const AttentionOutput plain = exact_attention(part, opt);
    bool same = true;
    for (std::size_t i = lo; i < hi; ++i) {
      same = same && plain.log_d[i - lo] == whole.log_d[i];
      for (std::size_t c = 0; c < got.cols; ++c) same = same && plain.o[(i - lo) * got.cols + c] == whole.o[i * whole.cols + c];
    }
    same_unsliced += same ? 1 : 0;
  }
  return same_unsliced;
}

TEST(attention_query_slice, WindowedSlicesAreTheWholeRunsRows) {
  // Key sides shorter and longer than Q; windows narrow, wide, past the sides.
  const AttentionInstance inst = random_attention(19, {40, 30, 50}, 6, 4, 1.0);
  const std::vector<std::size_t> cuts{0, 14, 27, 40};
  for (const CausalWindow w : {CausalWindow{5, 3}, CausalWindow{30, 9}, CausalWindow{17, 40}, CausalWindow{100, 100},
                               CausalWindow{0, 4}}) {
    for (Precision p : {Precision::float64, Precision::float32}) {
      const std::size_t same = expect_slices_match(inst, cuts, w, p);
      // Without the slice the later slices see the wrong keys (a window from
      // their own row 0); only the first slice, at row 0, is the same.
      if (w.w1 > 0 && w.w1 < 40) {
        EXPECT_LE(same, 1u) << w.w1 << "," << w.w2;
      }
    }
  }
}

TEST(attention_query_slice, FewRowsOverLongKeysKeepTheWholeSidesWorkItems) {
  // 40 query rows: the whole run computes each row in one work item; a slice
  // of under 16 rows over 300 keys would split each row's keys into parts
  // (a different summation order) unless planned for the whole side.
  const AttentionInstance k3 = random_attention(7, {40, 300, 24}, 8, 5, 1.0);
  expect_slices_match(k3, {0, 5, 19, 33, 40}, std::nullopt, Precision::float64);
  expect_slices_match(k3, {0, 5, 19, 33, 40}, CausalWindow{250, 24}, Precision::float64);
  expect_slices_match(k3, {0, 1, 2, 40}, std::nullopt, Precision::float32);
  // k = 2: the unit side has one row, so the key split runs over side b.
  const AttentionInstance k2 = random_attention(8, {20, 300}, 4, 3, 1.0);
  expect_slices_match(k2, {0, 10, 20}, std::nullopt, Precision::float64);
  // Fewer than 16 rows in all: the whole side is split, and so is every slice.
  const AttentionInstance few = random_attention(9, {6, 400, 8}, 4, 3, 1.0);
  expect_slices_match(few, {0, 2, 3, 6}, std::nullopt, Precision::float64);
}

TEST(attention_query_slice, GradientForwardOfASliceIsTheWholeRunsRows) {
  const AttentionInstance inst = random_attention(11, {40, 200, 24}, 6, 4, 1.0);
  std::mt19937_64 rng(3);
  const DenseMatrix target = testing_support::random_matrix(rng, 40, 4, 1.0, false);
  GradientOptions opt;
  opt.threads = 1;
  const AttentionGradient whole = exact_attention_gradient(inst, target, opt);
  for (const std::size_t lo : {0u, 3u, 27u}) {
    const std::size_t hi = lo + 4;
    GradientOptions sliced = opt;
    sliced.slice = {lo, inst.n_q()};
    DenseMatrix part_target(hi - lo, target.cols);
    for (std::size_t i = lo; i < hi; ++i)
      for (std::size_t c = 0; c < target.cols; ++c) part_target(i - lo, c) = target(i, c);
    const AttentionGradient got = exact_attention_gradient(rows_of(inst, lo, hi), part_target, sliced);
    for (std::size_t i = lo; i < hi; ++i) {
      EXPECT_EQ(got.log_d[i - lo], whole.log_d[i]) << i;
      for (std::size_t c = 0; c < inst.d_v(); ++c) EXPECT_EQ(got.o(i - lo, c), whole.o(i, c)) << i << "," << c;
      for (std::size_t c = 0; c < inst.d(); ++c) EXPECT_EQ(got.d_q(i - lo, c), whole.d_q(i, c)) << i << "," << c;
    }
  }
}

TEST(attention_query_slice, ASliceOutsideItsSideIsRefused) {
  const AttentionInstance inst = random_attention(5, {10, 6, 7}, 4, 3, 1.0);
  ExactOptions opt;
  opt.slice = {5, 12};  // rows 5 .. 15 of a side of 12
  try {
    exact_attention(inst, opt);
    FAIL() << "a slice past its side was accepted";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("query slice (rows 5 .. 15) does not lie within its side of 12 rows"));
  }
  GradientOptions g;
  g.slice = {0, 10};
  g.window = CausalWindow{2, 2};
  EXPECT_THROW(exact_attention_gradient(inst, DenseMatrix(10, 3), g), InputError);
}

}  // namespace
