// The row decider (solvers/attention_decider.hpp) through the backend
// registry: every backend named by its registry name decides each row as a
// brute-force log O does, and a row whose certified interval straddles the
// threshold is refused, not guessed; an unknown name lists the known ones.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "attention/backend.hpp"
#include "core/errors.hpp"
#include "random_attention.hpp"
#include "solvers/attention_decider.hpp"

using namespace sethkit;
using sethkit::testing_support::random_attention;
using ::testing::HasSubstr;

namespace {

// k = 3, small entries, values = the data-row indicator, rows 0 and 3 of K1
// and row 1 of K2 padding: the shape of a reduced instance.
AttentionInstance decidable_instance() {
  AttentionInstance inst = random_attention(41, {6, 5, 4}, 3, 1, 0.8);
  AttentionManifest m;
  m.row_map = {{0, 1, 2, 3, 4, 5}, {0, -1, 1, 2, -1}, {0, 1, -1, 2}};
  for (std::size_t p = 0; p < 2; ++p)
    for (std::size_t r = 0; r < inst.values[p].rows; ++r) inst.values[p](r, 0) = m.row_map[p + 1][r] >= 0 ? 1.0 : 0.0;
  m.threshold = 0;
  inst.manifest = m;
  return inst;
}

// log O_i = log(sum over data tuples exp S) - log(sum over all tuples exp S), directly.
std::vector<double> brute_log_o(const AttentionInstance& inst) {
  std::vector<double> out;
  for (std::size_t i = 0; i < inst.n_q(); ++i) {
    double num = 0, den = 0;
    for (std::size_t a = 0; a < inst.keys[0].rows; ++a)
      for (std::size_t b = 0; b < inst.keys[1].rows; ++b) {
        double s = 0;
        for (std::size_t c = 0; c < inst.d(); ++c) s += inst.q(i, c) * inst.keys[0](a, c) * inst.keys[1](b, c);
        const double e = std::exp(inst.scale * s);
        den += e;
        num += e * inst.values[0](a, 0) * inst.values[1](b, 0);
      }
    out.push_back(std::log(num / den));
  }
  return out;
}

TEST(BackendDecider, EveryBackendDecidesAsTheBruteForce) {
  AttentionInstance inst = decidable_instance();
  const std::vector<double> truth = brute_log_o(inst);
  std::vector<double> sorted = truth;
  std::sort(sorted.begin(), sorted.end());
  inst.manifest->threshold = 0.5 * (sorted[2] + sorted[3]);  // three rows on each side
  for (const std::string& name : attention::backend_names()) {
    SCOPED_TRACE(name);
    solvers::AttentionDecideOptions opt;
    opt.backend = name;
    opt.eps = 1e-9;
    const solvers::AttentionRowDecisions r = solvers::decide_attention_rows(inst, opt);
    EXPECT_EQ(r.backend, name);
    ASSERT_EQ(r.yes.size(), truth.size());
    for (std::size_t i = 0; i < truth.size(); ++i) {
      EXPECT_EQ(r.yes[i], truth[i] >= *inst.manifest->threshold) << "row " << i;
      EXPECT_LE(std::abs(r.log_o[i] - truth[i]), r.log_o_error + 1e-12) << "row " << i;
    }
    EXPECT_EQ(r.log_o_error > 0, attention::find_backend(name).capabilities().approximate);
  }
}

TEST(BackendDecider, AStraddlingRowIsRefusedNotGuessed) {
  AttentionInstance inst = decidable_instance();
  const std::vector<double> truth = brute_log_o(inst);
  solvers::AttentionDecideOptions opt;
  opt.backend = "poly";
  opt.eps = 1e-6;
  inst.manifest->threshold = truth[2] + 1e-10;  // inside poly's certified interval of row 2
  try {
    solvers::decide_attention_rows(inst, opt);
    FAIL() << "a straddling row must be refused";
  } catch (const SizeLimitError& e) {
    EXPECT_THAT(e.what(), HasSubstr("row 2"));
    EXPECT_THAT(e.what(), HasSubstr("straddles the threshold"));
  }
  opt.backend = "exact";  // zero-width: decides, and rightly
  const solvers::AttentionRowDecisions r = solvers::decide_attention_rows(inst, opt);
  EXPECT_FALSE(r.yes[2]);
}

TEST(BackendDecider, UnknownBackendListsTheNames) {
  solvers::AttentionDecideOptions opt;
  opt.backend = "fast";
  try {
    solvers::decide_attention_rows(decidable_instance(), opt);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown attention backend 'fast'; known backends: exact, poly, reference"));
  }
}

}  // namespace
