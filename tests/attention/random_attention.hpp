// Random attention instances for the tests: entries uniform in [-bound,
// bound], optionally rounded to float so a float32 run and the long-double
// reference see the same numbers.
#pragma once

#include <cmath>
#include <random>
#include <vector>

#include "problems/attention_instance.hpp"

namespace sethkit::testing_support {

inline DenseMatrix random_matrix(std::mt19937_64& rng, std::size_t rows, std::size_t cols,
                                 double bound, bool float_exact) {
  std::uniform_real_distribution<double> u(-bound, bound);
  DenseMatrix m(rows, cols);
  for (auto& x : m.data) x = float_exact ? double(float(u(rng))) : u(rng);
  return m;
}

// lengths = {n_q, n_1, ..., n_{k-1}}.
inline AttentionInstance random_attention(unsigned seed, const std::vector<std::size_t>& lengths,
                                          std::size_t d, std::size_t dv, double bound,
                                          bool float_exact = false) {
  std::mt19937_64 rng(seed);
  DenseMatrix q = random_matrix(rng, lengths[0], d, bound, float_exact);
  std::vector<DenseMatrix> keys, values;
  for (std::size_t p = 1; p < lengths.size(); ++p) {
    keys.push_back(random_matrix(rng, lengths[p], d, bound, float_exact));
    values.push_back(random_matrix(rng, lengths[p], dv, bound, float_exact));
  }
  return make_attention_instance(std::move(q), std::move(keys), std::move(values));
}

}  // namespace sethkit::testing_support
