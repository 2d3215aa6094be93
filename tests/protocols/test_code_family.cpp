// The code families of the protocol (protocols/code_family.hpp): every
// candidate plan describes the code its family builds, checked against the
// built code and, where small enough, against enumeration of codewords.
#include "protocols/code_family.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/errors.hpp"

using namespace sethkit;
using namespace sethkit::protocols;

namespace {

struct Case {
  std::size_t m;
  int k;
  double target;
};

constexpr Case kCases[] = {{4, 2, 0.5}, {6, 3, 0.5}, {9, 2, 0.3}, {5, 3, 0.8}};

// Codes of at most this length are built (Hermitian codes past q = 5 take long).
constexpr std::size_t kMaxBuiltLength = 125;
// Codewords enumerated for a minimum distance (the rest are left unchecked).
constexpr std::uint64_t kEnumerationLimit = 20000;

TEST(CodeFamily, CandidatesBuildTheCodesTheirPlansDescribe) {
  for (const CodeFamily& family : code_families()) {
    std::size_t built = 0, distances_checked = 0;
    for (const Case& c : kCases) {
      const std::vector<ProtocolPlan> plans = family.candidates(c.m, c.k, c.target);
      EXPECT_FALSE(plans.empty()) << family.name << " m=" << c.m << " k=" << c.k;
      for (const ProtocolPlan& plan : plans) {
        SCOPED_TRACE(family.name + " m=" + std::to_string(c.m) + " k=" + std::to_string(c.k) +
                     " T=" + std::to_string(plan.blocks) + " n=" + std::to_string(plan.positions));
        EXPECT_EQ(plan.code, family.name);
        EXPECT_LE(plan.soundness, c.target);
        EXPECT_GE(plan.blocks * plan.block_size, c.m);  // the blocks cover the universe
        EXPECT_GT(plan.characteristic, plan.blocks);    // counts <= T do not wrap
        if (plan.positions > kMaxBuiltLength) continue;
        const auto code = family.build(plan);
        ++built;
        EXPECT_EQ(code->dimension(), plan.block_size);
        EXPECT_EQ(code->length(), plan.positions);
        EXPECT_EQ(code->field().size(), plan.field_size);
        EXPECT_EQ(code->field().characteristic(), plan.characteristic);
        const auto product = code->product(c.k);
        EXPECT_EQ(product->dimension(), plan.product_dimension);
        // Every entrywise product of k codewords lies in the family's C^(k).
        EXPECT_LE(code->schur_power(c.k).dimension(), plan.product_dimension);
        // Soundness: two distinct codewords of C^(k) agree on at most
        // soundness_bound positions, i.e. dist(C^(k)) >= n_C - soundness_bound.
        const auto d = product->minimum_distance(kEnumerationLimit);
        if (d.value) {
          ++distances_checked;
          EXPECT_GE(*d.value + plan.soundness_bound, plan.positions);
        }
        EXPECT_EQ(MaDisjointness(c.m, c.k, plan.blocks, code).soundness_bound(), plan.soundness_bound);
      }
    }
    EXPECT_GT(built, 0u) << family.name;
    EXPECT_GT(distances_checked, 0u) << family.name;
  }
}

TEST(CodeFamily, ChooserPicksACandidate) {
  for (const CodeFamily& family : code_families()) {
    for (const Case& c : kCases) {
      const ProtocolPlan chosen = choose_parameters(c.m, c.k, c.target, family.name);
      const auto plans = family.candidates(c.m, c.k, c.target);
      const bool found = std::any_of(plans.begin(), plans.end(), [&](const ProtocolPlan& p) {
        return p.blocks == chosen.blocks && p.positions == chosen.positions && p.field_size == chosen.field_size &&
               p.block_size == chosen.block_size && p.hermitian_a == chosen.hermitian_a;
      });
      EXPECT_TRUE(found) << family.name << " m=" << c.m;
      EXPECT_EQ(build_code(chosen)->dimension(), chosen.block_size);
    }
  }
}

TEST(CodeFamily, NamesAreTheRegisteredFamilies) {
  EXPECT_EQ(code_family_names(), (std::vector<std::string>{"rs", "hermitian"}));
  EXPECT_EQ(code_family("hermitian").name, "hermitian");
}

TEST(CodeFamily, UnknownNamesAreRefusedWithTheKnownOnes) {
  const auto expect_refused = [](auto&& call) {
    try {
      call();
      ADD_FAILURE() << "no error";
    } catch (const InputError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("unknown code 'bch'"), std::string::npos) << what;
      EXPECT_NE(what.find("known: rs, hermitian"), std::string::npos) << what;
    }
  };
  expect_refused([] { code_family("bch"); });
  expect_refused([] { choose_parameters(8, 3, 0.5, "bch"); });
  ProtocolPlan plan = choose_parameters(8, 3, 0.5, "hermitian");
  plan.code = "bch";  // build_code used to build a Hermitian code for any name but "rs"
  expect_refused([&] { build_code(plan); });
}

}  // namespace
