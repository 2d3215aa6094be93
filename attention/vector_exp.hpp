// A vectorizable exp for the softmax tiles of the exact backend. libm's exp
// is a scalar call that GCC only vectorizes under -ffast-math (libmvec); this
// one is branch-free arithmetic the compiler turns into AVX-512/AVX2 code
// under `#pragma omp simd`.
//
// Domain: the online softmax only exponentiates x = s - m <= 0 (m is the
// running maximum). x = -inf (and anything below the smallest normal result)
// gives exactly 0; relative to the row's largest term, which is 1, such a
// term is below 1e-307 (double) or 1e-37 (float), so flushing it changes no
// sum.
//
// Method (Cody-Waite): x = k ln2 + r with k = round(x / ln2), |r| <= ln2/2,
// ln2 split in a high part exact in a few bits and a low part; exp(r) by its
// Taylor polynomial (degree 12 for double: truncation < 2e-16 relative;
// degree 7 for float: < 5e-9); 2^k built in the exponent field. The rounding
// to k uses the 1.5 * 2^52 (2^23) shifter, exact in round-to-nearest mode.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

namespace sethkit::attention {

namespace detail {

inline double exp_nonpositive(double x) {
  constexpr double kLog2e = 1.4426950408889634074;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // 0x3fe62e42fee00000
  constexpr double kLn2Lo = 1.90821492927058770002e-10;  // 0x3dea39ef35793c76
  constexpr double kShifter = 6755399441055744.0;        // 1.5 * 2^52
  constexpr double kMin = -708.0;                        // 2^k stays a normal number
  const bool underflow = !(x >= kMin);                   // also NaN-safe: -inf lands here
  const double t = underflow ? kMin : x;
  const double shifted = t * kLog2e + kShifter;
  const double kf = shifted - kShifter;
  const double r = (t - kf * kLn2Hi) - kf * kLn2Lo;
  double p = 1.0 / 479001600.0;  // 1/12!
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  // The low bits of `shifted` hold k (two's complement), |k| <= 1022.
  const int64_t k = std::bit_cast<int64_t>(shifted) - std::bit_cast<int64_t>(kShifter);
  const double two_k = std::bit_cast<double>(static_cast<uint64_t>(k + 1023) << 52);
  // Computed unconditionally, then selected: GCC (with the default
  // -ftrapping-math) will not if-convert a multiply that sits inside a
  // conditional, and the loop would stay scalar.
  const double y = p * two_k;
  return underflow ? 0.0 : y;
}

inline float exp_nonpositive(float x) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693145751953125f;    // 0x3f317200
  constexpr float kLn2Lo = 1.428606765330187e-6f; // 0x35bfbe8e
  constexpr float kShifter = 12582912.0f;         // 1.5 * 2^23
  constexpr float kMin = -87.0f;                  // 2^k stays a normal number
  const bool underflow = !(x >= kMin);
  const float t = underflow ? kMin : x;
  const float shifted = t * kLog2e + kShifter;
  const float kf = shifted - kShifter;
  const float r = (t - kf * kLn2Hi) - kf * kLn2Lo;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t k = std::bit_cast<int32_t>(shifted) - std::bit_cast<int32_t>(kShifter);
  const float two_k = std::bit_cast<float>(static_cast<uint32_t>(k + 127) << 23);
  const float y = p * two_k;
  return underflow ? 0.0f : y;
}

}  // namespace detail

// x[i] <- exp(x[i] - shift) for i < n; returns the sum of the new values.
// Requires x[i] - shift <= 0 for every i (shift is a maximum of x).
// Defined out of line (vector_exp.cpp): compiled on their own, the loops are
// vectorized whatever the caller's context, which inlined copies were not
// always (GCC 12 gave up if-converting them inside some callers).
double exp_shifted_sum(double* x, std::size_t n, double shift);
float exp_shifted_sum(float* x, std::size_t n, float shift);

// Largest of x[0..n) (-inf for n == 0); all_finite tells whether every
// entry is finite (x * 0 is NaN exactly for NaN and +-inf entries), so an
// overflowed score cannot slip through as a flushed zero.
double max_of(const double* x, std::size_t n, bool& all_finite);
float max_of(const float* x, std::size_t n, bool& all_finite);

}  // namespace sethkit::attention
