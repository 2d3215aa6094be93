// The backend registry (attention/backend.hpp): every registered backend
// against a brute-force softmax written here (k = 2, 3, 4; causal windows
// where supported; float and double), within its certified bounds; the
// capability checks and their messages; plan bytes equal to what run refuses
// on; the reference's tuple guard; the JSON report's fields; the gradient
// through the registry against the reference gradient; the oracle form;
// lookup by name.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <span>

#include "attention/backend.hpp"
#include "core/errors.hpp"
#include "random_attention.hpp"

using namespace sethkit;
using namespace sethkit::attention;
using sethkit::testing_support::random_attention;
using ::testing::HasSubstr;

namespace {

struct Truth {
  std::vector<double> o, log_d;
};

// Softmax over every allowed key tuple in double, the most direct way: all
// scores of a row in one vector, max subtracted, then the weighted sum of
// the value products. Shares nothing with the backends.
Truth brute_force(const AttentionInstance& inst, double scale, const std::optional<CausalWindow>& w) {
  const std::size_t sides = inst.keys.size(), d = inst.d(), dv = inst.d_v();
  Truth t;
  t.o.assign(inst.n_q() * dv, 0.0);
  t.log_d.assign(inst.n_q(), -std::numeric_limits<double>::infinity());
  for (std::size_t i = 0; i < inst.n_q(); ++i) {
    std::vector<std::vector<std::size_t>> tuples;
    std::vector<double> scores;
    std::vector<std::size_t> j(sides, 0);
    for (bool more = true; more;) {
      const bool allowed = !w || (int64_t(i) - w->w1 < int64_t(j[0]) && j[0] <= i && int64_t(i) - w->w2 < int64_t(j[1]) &&
                                  j[1] <= i);
      if (allowed) {
        double s = 0;
        for (std::size_t c = 0; c < d; ++c) {
          double term = inst.q(i, c);
          for (std::size_t p = 0; p < sides; ++p) term *= inst.keys[p](j[p], c);
          s += term;
        }
        tuples.push_back(j);
        scores.push_back(scale * s);
      }
      std::size_t p = 0;
      while (p < sides && ++j[p] == inst.keys[p].rows) j[p++] = 0;
      more = p < sides;
    }
    if (scores.empty()) continue;
    double m = scores[0];
    for (double s : scores) m = std::max(m, s);
    double sum = 0;
    for (std::size_t l = 0; l < scores.size(); ++l) {
      const double a = std::exp(scores[l] - m);
      sum += a;
      for (std::size_t c = 0; c < dv; ++c) {
        double v = a;
        for (std::size_t p = 0; p < sides; ++p) v *= inst.values[p](tuples[l][p], c);
        t.o[i * dv + c] += v;
      }
    }
    for (std::size_t c = 0; c < dv; ++c) t.o[i * dv + c] /= sum;
    t.log_d[i] = m + std::log(sum);
  }
  return t;
}

std::vector<std::vector<std::size_t>> shapes() {
  return {{5, 7}, {4, 5, 6}, {3, 3, 4, 2}};  // k = 2, 3, 4
}

bool supports(const Backend& b, Precision p) {
  return p == Precision::float32 ? b.capabilities().float32 : b.capabilities().float64;
}

// Checks one run against the brute force: within the certified bounds plus
// the rounding of the working precision (the rounding-free convention for
// exact backends; poly counts its rounding, the slack then only covers the
// brute force's own rounding).
void expect_close(const Backend& b, const AttentionInstance& inst, const BackendOptions& opt, const std::string& what) {
  SCOPED_TRACE(b.name() + " " + what);
  const BackendResult r = b.run(inst, opt);
  const Truth t = brute_force(inst, opt.scale.value_or(inst.scale), opt.window);
  const bool f32 = opt.precision == Precision::float32;
  const double slack = b.capabilities().approximate ? 1e-12 : (f32 ? 2e-5 : 1e-12);
  ASSERT_EQ(r.out.o.size(), t.o.size());
  if (b.capabilities().approximate) {
    EXPECT_GT(r.report.error_bound, 0);
    EXPECT_TRUE(r.report.rounding_counted);
  } else {
    EXPECT_EQ(r.report.error_bound, 0);
    EXPECT_EQ(r.report.log_d_bound, 0);
    EXPECT_FALSE(r.report.rounding_counted);
  }
  for (std::size_t x = 0; x < t.o.size(); ++x)
    ASSERT_LE(std::abs(r.out.o[x] - t.o[x]), r.report.error_bound + slack) << "entry " << x;
  for (std::size_t i = 0; i < t.log_d.size(); ++i) {
    if (std::isinf(t.log_d[i])) {
      EXPECT_TRUE(std::isinf(r.out.log_d[i]) && r.out.log_d[i] < 0) << "empty row " << i;
      continue;
    }
    ASSERT_LE(std::abs(r.out.log_d[i] - t.log_d[i]), r.report.log_d_bound + slack * (1 + std::abs(t.log_d[i])))
        << "row " << i;
  }
}

TEST(BackendRegistry, NamesAndLookup) {
  const std::vector<std::string> names = backend_names();
  ASSERT_GE(names.size(), 3u);
  EXPECT_EQ(names[0], "exact");
  for (const char* n : {"exact", "poly", "reference"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
    EXPECT_EQ(find_backend(n).name(), n);
  }
  try {
    find_backend("fast");
    FAIL() << "an unknown name must throw";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown attention backend 'fast'"));
    for (const std::string& n : names) EXPECT_THAT(e.what(), HasSubstr(n));
  }
}

TEST(BackendRegistry, EveryBackendMatchesTheBruteForce) {
  unsigned seed = 1;
  for (const Backend* b : backends()) {
    for (Precision p : {Precision::float64, Precision::float32}) {
      if (!supports(*b, p)) continue;
      for (const auto& lengths : shapes()) {
        // Small entries so the polynomial method certifies; float-exact
        // inputs so float32 runs see the same numbers.
        const AttentionInstance inst = random_attention(seed++, lengths, 3, 2, 0.6, true);
        BackendOptions opt;
        opt.precision = p;
        opt.eps = 1e-7;
        opt.threads = 2;
        expect_close(*b, inst, opt, "k = " + std::to_string(inst.k));
        opt.scale = 0.75;  // a scale other than the instance's
        expect_close(*b, inst, opt, "scale 0.75, k = " + std::to_string(inst.k));
        if (b->capabilities().windows && inst.k == 3) {
          for (CausalWindow w : {CausalWindow{2, 3}, CausalWindow{1, 1}, CausalWindow{0, 2}}) {
            opt.window = w;
            expect_close(*b, inst, opt, "window " + std::to_string(w.w1) + "," + std::to_string(w.w2));
          }
        }
      }
    }
  }
}

TEST(BackendRegistry, CapabilitiesAreHonoured) {
  const AttentionInstance k3 = random_attention(7, {4, 5, 6}, 3, 2, 0.5);
  const AttentionInstance k2 = random_attention(8, {4, 5}, 3, 2, 0.5);
  BackendOptions windowed;
  windowed.window = CausalWindow{2, 2};
  for (const Backend* b : backends()) {
    SCOPED_TRACE(b->name());
    if (b->capabilities().windows) {
      EXPECT_NO_THROW(b->plan(k3, windowed));
      try {
        b->run(k2, windowed);
        FAIL() << "a window at k = 2 must be refused";
      } catch (const InputError& e) {
        EXPECT_THAT(e.what(), HasSubstr("k = 3 only"));
      }
    } else {
      for (auto call : {0, 1}) {
        try {
          if (call == 0) b->plan(k3, windowed);
          else b->run(k3, windowed);
          FAIL() << "a window on a backend without windows must be refused";
        } catch (const InputError& e) {
          EXPECT_THAT(e.what(), HasSubstr("--window is not supported by the " + b->name() + " backend"));
          EXPECT_THAT(e.what(), HasSubstr("use --backend exact"));
        }
      }
    }
    BackendOptions f32;
    f32.precision = Precision::float32;
    if (!b->capabilities().float32) {
      try {
        b->run(k3, f32);
        FAIL() << "float on a double-only backend must be refused";
      } catch (const InputError& e) {
        EXPECT_THAT(e.what(), HasSubstr("--precision float is not supported by the " + b->name() + " backend"));
      }
    }
    if (!b->capabilities().oracle) {
      OracleInstance oracle;
      EXPECT_THROW(b->run_oracle(oracle, {}), InputError);
    }
    if (b->capabilities().approximate) {
      BackendOptions bad;
      bad.eps = 1.5;
      EXPECT_THROW(b->plan(k3, bad), InputError);
    }
  }
  EXPECT_THAT(find_backend("poly").capabilities().window_note, HasSubstr("Lemma C.3"));
}

TEST(BackendRegistry, AnInvalidInstanceIsAnInputErrorInEveryEntry) {
  AttentionInstance nan = random_attention(9, {4, 5, 6}, 3, 2, 0.5);
  nan.q(1, 2) = std::nan("");
  AttentionInstance wrong_k = random_attention(10, {4, 5, 6}, 3, 2, 0.5);
  wrong_k.k = 4;  // two key sides
  const DenseMatrix target(4, 2);
  for (const Backend* b : backends()) {
    SCOPED_TRACE(b->name());
    for (const AttentionInstance* inst : {&nan, &wrong_k}) {
      EXPECT_THROW(b->plan(*inst, {}), InputError);
      EXPECT_THROW(b->run(*inst, {}), InputError);
      EXPECT_THROW(b->plan_gradient(*inst, {}), InputError);
      EXPECT_THROW(b->gradient(*inst, target, {}), InputError);
    }
  }
}

TEST(BackendRegistry, PlanBytesAreWhatRunRefusesOn) {
  const AttentionInstance inst = random_attention(11, {6, 5, 4}, 3, 2, 0.4);
  for (const Backend* b : backends()) {
    SCOPED_TRACE(b->name());
    BackendOptions opt;
    opt.threads = 2;
    opt.eps = 1e-6;
    const BackendPlan plan = b->plan(inst, opt);
    ASSERT_TRUE(plan.runnable()) << plan.refusal;
    ASSERT_GT(plan.bytes, 0);
    opt.max_bytes = plan.bytes;  // exactly enough
    EXPECT_TRUE(b->plan(inst, opt).runnable());
    EXPECT_NO_THROW(b->run(inst, opt));
    EXPECT_EQ(b->run(inst, opt).report.bytes, plan.bytes);
    opt.max_bytes = std::nextafter(plan.bytes, 0.0);  // one ulp short
    const BackendPlan refused = b->plan(inst, opt);
    ASSERT_FALSE(refused.runnable());
    EXPECT_THAT(refused.refusal, HasSubstr("--max-bytes"));
    try {
      b->run(inst, opt);
      FAIL() << "run must refuse where plan refuses";
    } catch (const SizeLimitError& e) {
      EXPECT_EQ(std::string(e.what()), refused.refusal);
    }
  }
}

TEST(BackendRegistry, ReferenceRefusesPastItsTupleCountAndSaysTheSize) {
  // 257^3 = 16974593 (query, key tuple) pairs, past 2^24; d = 1 keeps the
  // instance itself tiny.
  const AttentionInstance inst = random_attention(12, {257, 257, 257}, 1, 1, 0.1);
  const Backend& ref = find_backend("reference");
  const BackendPlan plan = ref.plan(inst, {});
  ASSERT_FALSE(plan.runnable());
  EXPECT_THAT(plan.refusal, HasSubstr("1.697e+07 pairs"));
  EXPECT_THAT(plan.refusal, HasSubstr("use --backend exact"));
  EXPECT_THROW(ref.run(inst, {}), SizeLimitError);
  EXPECT_TRUE(find_backend("exact").plan(inst, {}).runnable());
}

TEST(BackendRegistry, ReportJsonHasTheDesignFields) {
  const AttentionInstance inst = random_attention(13, {4, 5, 3}, 3, 2, 0.5);
  for (const Backend* b : backends()) {
    SCOPED_TRACE(b->name());
    BackendOptions opt;
    opt.window = b->capabilities().windows ? std::optional<CausalWindow>(CausalWindow{2, 2}) : std::nullopt;
    const BackendResult r = b->run(inst, opt);
    const nlohmann::json j = r.report.to_json();
    EXPECT_EQ(j.at("backend"), b->name());
    EXPECT_EQ(j.at("k"), 3);
    EXPECT_EQ(j.at("n").get<std::vector<std::size_t>>(), inst.lengths());
    EXPECT_EQ(j.at("d"), 3);
    EXPECT_EQ(j.at("d_v"), 2);
    EXPECT_DOUBLE_EQ(j.at("scale").get<double>(), inst.scale);
    EXPECT_GE(j.at("seconds").get<double>(), 0);
    EXPECT_EQ(j.at("error_bound").get<double>(), r.report.error_bound);
    EXPECT_EQ(j.contains("window"), b->capabilities().windows);
    if (b->name() == "poly") {
      EXPECT_GE(j.at("degree").get<int>(), 1);
      EXPECT_GE(j.at("rank").get<double>(), 1);
      EXPECT_GT(j.at("error_bound").get<double>(), 0);
      EXPECT_TRUE(j.at("eps_met").get<bool>());
    }
  }
}

TEST(BackendRegistry, GradientThroughTheRegistryMatchesTheReference) {
  for (const auto& lengths : std::vector<std::vector<std::size_t>>{{4, 5}, {4, 3, 5}}) {
    const AttentionInstance inst = random_attention(21, lengths, 3, 2, 0.5);
    std::mt19937_64 rng(5);
    const DenseMatrix target = sethkit::testing_support::random_matrix(rng, inst.n_q(), 2, 1.0, false);
    BackendOptions opt;
    opt.eps = 1e-8;
    const GradientResult truth = find_backend("reference").gradient(inst, target, opt);
    for (const Backend* b : backends()) {
      if (!b->capabilities().gradient) {
        EXPECT_THROW(b->gradient(inst, target, opt), InputError);
        continue;
      }
      SCOPED_TRACE(b->name() + " k = " + std::to_string(inst.k));
      const BackendPlan plan = b->plan_gradient(inst, opt);
      ASSERT_TRUE(plan.runnable()) << plan.refusal;
      const GradientResult g = b->gradient(inst, target, opt);
      const double slack = 1e-11;
      EXPECT_LE(std::abs(g.gradient.loss - truth.gradient.loss), g.loss_bound + slack);
      for (std::size_t x = 0; x < g.gradient.d_q.data.size(); ++x)
        ASSERT_LE(std::abs(g.gradient.d_q.data[x] - truth.gradient.d_q.data[x]), g.d_q_bound + slack);
      for (std::size_t p = 0; p < inst.keys.size(); ++p) {
        for (std::size_t x = 0; x < g.gradient.d_keys[p].data.size(); ++x)
          ASSERT_LE(std::abs(g.gradient.d_keys[p].data[x] - truth.gradient.d_keys[p].data[x]),
                    g.d_key_bounds[p] + slack);
        for (std::size_t x = 0; x < g.gradient.d_values[p].data.size(); ++x)
          ASSERT_LE(std::abs(g.gradient.d_values[p].data[x] - truth.gradient.d_values[p].data[x]),
                    g.d_value_bounds[p] + slack);
      }
      const nlohmann::json bounds = g.bounds_json();
      EXPECT_TRUE(bounds.at("error_bounds").contains("dK1"));
      BackendOptions windowed = opt;
      windowed.window = CausalWindow{1, 1};
      if (inst.k == 3) {
        EXPECT_THROW(b->gradient(inst, target, windowed), InputError);
      }
      opt.max_bytes = std::nextafter(plan.bytes, 0.0);
      EXPECT_FALSE(b->plan_gradient(inst, opt).runnable());
      EXPECT_THROW(b->gradient(inst, target, opt), SizeLimitError);
      opt.max_bytes = kExactMaxBytes;
    }
  }
}

TEST(BackendRegistry, OracleFormMatchesTheMatrixForm) {
  const AttentionInstance inst = random_attention(31, {5, 4, 3}, 3, 2, 1.0);
  OracleInstance oracle;
  oracle.n_q = inst.n_q();
  oracle.values = inst.values;
  oracle.scale = inst.scale;
  oracle.score = [&inst](std::size_t i, std::span<const std::size_t> j) {
    double s = 0;
    for (std::size_t c = 0; c < inst.d(); ++c) s += inst.q(i, c) * inst.keys[0](j[0], c) * inst.keys[1](j[1], c);
    return s;
  };
  for (const Backend* b : backends()) {
    if (!b->capabilities().oracle) continue;
    const BackendResult r = b->run_oracle(oracle, {});
    const Truth t = brute_force(inst, inst.scale, std::nullopt);
    for (std::size_t x = 0; x < t.o.size(); ++x) EXPECT_NEAR(r.out.o[x], t.o[x], 1e-12);
    EXPECT_EQ(r.report.n, inst.lengths());
  }
}

}  // namespace
