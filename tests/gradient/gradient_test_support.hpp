// Shared helpers of the gradient tests: entrywise distances of dense
// matrices and random instances of paper 002's form (Definition 1).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>

#include "../attention/random_attention.hpp"
#include "attention/gradient.hpp"

namespace sethkit::testing_support {

inline double max_abs_diff(const DenseMatrix& a, const DenseMatrix& b) {
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.cols, b.cols);
  double m = 0;
  for (std::size_t t = 0; t < a.data.size() && t < b.data.size(); ++t) m = std::max(m, std::abs(a.data[t] - b.data[t]));
  return m;
}

inline double max_abs(const DenseMatrix& a) {
  double m = 0;
  for (double x : a.data) m = std::max(m, std::abs(x));
  return m;
}

// Entries uniform in [-bound, bound]; the target E in [-target_bound,
// target_bound] (default: bound).
inline attention::PaperInstance random_paper(unsigned seed, std::size_t nq, std::size_t n1, std::size_t n2,
                                             std::size_t d, double bound = 1.0,
                                             std::optional<double> target_bound = std::nullopt) {
  std::mt19937_64 rng(seed);
  attention::PaperInstance p;
  p.a1 = random_matrix(rng, nq, d, bound, false);
  p.a2 = random_matrix(rng, n1, d, bound, false);
  p.a3 = random_matrix(rng, n2, d, bound, false);
  p.a4 = random_matrix(rng, n1, d, bound, false);
  p.a5 = random_matrix(rng, n2, d, bound, false);
  p.x1 = random_matrix(rng, d, d, bound, false);
  p.x2 = random_matrix(rng, d, d, bound, false);
  p.x3 = random_matrix(rng, d, d, bound, false);
  p.y1 = random_matrix(rng, d, d, bound, false);
  p.y2 = random_matrix(rng, d, d, bound, false);
  p.e = random_matrix(rng, nq, d, target_bound.value_or(bound), false);
  return p;
}

}  // namespace sethkit::testing_support
