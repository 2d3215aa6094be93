// The kernel core's exception capture (issue 13 part 5): an exception thrown
// inside each OpenMP region of the attention kernels (injected through
// kernel::testing::inject_fault, a test-only switch) reaches the caller as an
// ordinary exception, std::bad_alloc included, never std::terminate; with the
// fault disarmed the same call succeeds. Also the chunking policy's
// independence from the thread count.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <new>
#include <stdexcept>

#include "../attention/random_attention.hpp"
#include "attention/exact_attention.hpp"
#include "attention/gradient.hpp"
#include "attention/kernel_core.hpp"
#include "attention/poly_attention.hpp"
#include "attention/poly_gradient.hpp"

using namespace sethkit;
using namespace sethkit::attention;
using kernel::FaultRegion;
using sethkit::testing_support::random_attention;

namespace {

const AttentionInstance& instance() {
  static const AttentionInstance inst = random_attention(5, {40, 9, 11}, 3, 2, 0.5);
  return inst;
}

void exact_forward_call() {
  ExactOptions opt;
  opt.threads = 2;
  exact_attention(instance(), opt);
}

void exact_gradient_call() {
  GradientOptions opt;
  opt.threads = 2;
  exact_attention_gradient(instance(), DenseMatrix(instance().n_q(), instance().d_v()), opt);
}

void poly_forward_call() {
  PolyOptions opt;
  opt.threads = 2;
  opt.tuning.row_block = 4;
  poly_attention(instance(), opt);
}

void poly_gradient_call() {
  PolyOptions opt;
  opt.threads = 2;
  opt.tuning.row_block = 4;
  poly_attention_gradient(instance(), DenseMatrix(instance().n_q(), instance().d_v()), opt);
}

void check_region(FaultRegion region, const std::function<void()>& call) {
  {
    kernel::testing::ScopedFault fault(region);
    try {
      call();
      ADD_FAILURE() << "region " << int(region) << ": the injected fault did not surface";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "injected fault") << int(region);
    }
  }
  {
    kernel::testing::ScopedFault fault(region, true);
    EXPECT_THROW(call(), std::bad_alloc) << int(region);
  }
  EXPECT_NO_THROW(call()) << int(region);
}

}  // namespace

TEST(kernel_faults, ExactForwardRegion) { check_region(FaultRegion::exact_forward, exact_forward_call); }
TEST(kernel_faults, ExactBackwardRegion) { check_region(FaultRegion::exact_backward, exact_gradient_call); }
TEST(kernel_faults, OrderedReduceRegion) {
  check_region(FaultRegion::ordered_reduce, exact_gradient_call);
  check_region(FaultRegion::ordered_reduce, poly_gradient_call);
}
TEST(kernel_faults, PolyKeyPassRegion) { check_region(FaultRegion::poly_key_pass, poly_forward_call); }
TEST(kernel_faults, PolyQueryPassRegion) { check_region(FaultRegion::poly_query_pass, poly_forward_call); }
TEST(kernel_faults, PolyGradientRowsRegion) { check_region(FaultRegion::poly_gradient_rows, poly_gradient_call); }
TEST(kernel_faults, PolyGradientKeysRegion) { check_region(FaultRegion::poly_gradient_keys, poly_gradient_call); }

TEST(kernel_faults, ParallelRowsRunsEveryItemOnceWithoutAFault) {
  std::vector<int> hits(1000, 0);
  kernel::parallel_rows(FaultRegion::exact_forward, hits.size(), 2, 3, [] { return kernel::NoState{}; },
                        [&](std::size_t i, kernel::NoState&) { ++hits[i]; });
  for (int h : hits) EXPECT_EQ(h, 1);
}

TEST(kernel_chunks, PlanCoversTheRowsAndRespectsTheBudget) {
  for (std::size_t n : {1u, 2u, 63u, 64u, 65u, 1000u}) {
    for (double bytes : {8.0, 1e6, 1e9}) {
      const kernel::ChunkPlan plan = kernel::row_chunks(n, bytes, 64, 1e9);
      EXPECT_LE(plan.chunks, 64u);
      EXPECT_GE(plan.chunks, 1u);
      EXPECT_EQ(plan.lo(0), 0u);
      EXPECT_EQ(plan.hi(plan.chunks - 1, n), n);
      for (std::size_t c = 0; c + 1 < plan.chunks; ++c) EXPECT_EQ(plan.hi(c, n), plan.lo(c + 1));
      for (std::size_t c = 0; c < plan.chunks; ++c) EXPECT_LT(plan.lo(c), plan.hi(c, n)) << "empty chunk";
      if (plan.chunks > 1) {
        EXPECT_LE(double(plan.chunks) * bytes, 1e9);
      }
    }
  }
}

// The banded chunk sum of the windowed backward: parts that cover only their
// band sum to the same doubles as whole parts holding zeros elsewhere, which
// is the plain left fold written out here, at 1 and 2 threads.
TEST(kernel_chunks, BandedOrderedSumEqualsTheSumOfZeroFilledParts) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<float> value(-1.0f, 1.0f);
  const std::size_t size = 10000;  // more than two reduction blocks
  std::vector<std::vector<float>> dense(9, std::vector<float>(size, 0.0f));
  std::vector<std::vector<float>> stored(9);
  std::vector<kernel::Band<float>> bands;
  for (std::size_t c = 0; c < dense.size(); ++c) {
    const std::size_t lo = rng() % size, len = c == 4 ? 0 : rng() % (size - lo + 1);
    for (std::size_t t = lo; t < lo + len; ++t) {
      dense[c][t] = value(rng) * std::pow(10.0f, float(int(rng() % 9) - 4));
      stored[c].push_back(dense[c][t]);
    }
    bands.push_back({stored[c].data(), lo, len});
  }
  std::vector<double> fold(size, 0.0);
  for (std::size_t t = 0; t < size; ++t)
    for (const auto& part : dense) fold[t] += double(part[t]);
  for (int threads : {1, 2}) {
    std::vector<double> sum(size, -1.0);
    kernel::ordered_reduce(bands, size, sum.data(), threads);
    for (std::size_t t = 0; t < size; ++t) ASSERT_EQ(sum[t], fold[t]) << "entry " << t << ", " << threads << " threads";
  }
}
