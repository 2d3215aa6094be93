#include "attention/vector_exp.hpp"

#include <limits>

namespace sethkit::attention {

namespace {

template <class T>
T exp_shifted_sum_impl(T* __restrict x, std::size_t n, T shift) {
  T sum = 0;
#pragma omp simd reduction(+ : sum)
  for (std::size_t i = 0; i < n; ++i) {
    const T e = detail::exp_nonpositive(x[i] - shift);
    x[i] = e;
    sum += e;
  }
  return sum;
}

template <class T>
T max_of_impl(const T* __restrict x, std::size_t n, bool& all_finite) {
  T m = -std::numeric_limits<T>::infinity();
  T probe = 0;
#pragma omp simd reduction(max : m) reduction(+ : probe)
  for (std::size_t i = 0; i < n; ++i) {
    m = x[i] > m ? x[i] : m;
    probe += x[i] * T(0);
  }
  all_finite = probe == 0;
  return m;
}

}  // namespace

double exp_shifted_sum(double* x, std::size_t n, double shift) { return exp_shifted_sum_impl(x, n, shift); }
float exp_shifted_sum(float* x, std::size_t n, float shift) { return exp_shifted_sum_impl(x, n, shift); }
double max_of(const double* x, std::size_t n, bool& all_finite) { return max_of_impl(x, n, all_finite); }
float max_of(const float* x, std::size_t n, bool& all_finite) { return max_of_impl(x, n, all_finite); }

}  // namespace sethkit::attention
