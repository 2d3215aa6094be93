// reductions/chain: on random CNFs (k = 2, 3, both routes, every level)
//  - plan_chain's sizes equal the built ones exactly (vectors per party,
//    dimension, bytes), and the upper-bounded stages bound them;
//  - the smallest budget plan_chain accepts is what build_chain needs (no
//    refusal is left to the build for exact plans), and for the direct route
//    it is the plan's total: one budget covers the chain;
//  - map_back of a witness found by brute force on the instance of each
//    level (not by the solvers) gives an assignment that satisfies the CNF,
//    and such a witness exists iff the CNF is satisfiable (brute force over
//    assignments).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

#include "core/errors.hpp"
#include "reductions/chain.hpp"
#include "tests/support/random_cnf.hpp"

using namespace sethkit;
using namespace sethkit::reductions;

namespace {

bool satisfiable(const Cnf& f) {
  std::vector<bool> x(std::size_t(f.num_vars));
  for (uint64_t a = 0; a < (uint64_t(1) << f.num_vars); ++a) {
    for (int v = 0; v < f.num_vars; ++v) x[std::size_t(v)] = (a >> v) & 1;
    if (f.satisfied_by(x)) return true;
  }
  return false;
}

// Calls visit on every tuple of [0, sizes[0]) x ... ; false when over limit.
bool for_each_tuple(const std::vector<std::size_t>& sizes, double limit,
                    const std::function<void(const std::vector<std::size_t>&)>& visit) {
  double count = 1;
  for (auto n : sizes) count *= double(n);
  if (count > limit) return false;
  if (count == 0) return true;
  std::vector<std::size_t> t(sizes.size(), 0);
  while (true) {
    visit(t);
    std::size_t p = 0;
    while (p < t.size() && ++t[p] == sizes[p]) t[p++] = 0;
    if (p == t.size()) return true;
  }
}

// The best witness of the built last level, by brute force on its entries;
// nullopt when the level has nothing to maximize or it is too large.
struct Best {
  double value = -INFINITY;
  std::vector<std::size_t> tuple;
};

std::optional<Best> brute_force_witness(const Chain& c, Level level) {
  Best best;
  auto keep = [&](double v, const std::vector<std::size_t>& t) {
    if (v > best.value) best = {v, t};
  };
  bool ok = true;
  switch (level) {
    case Level::kov:  // minimize the inner product
      ok = for_each_tuple(c.kov.sizes(), 1e6, [&](const auto& t) { keep(-double(c.kov.inner_product(t)), t); });
      break;
    case Level::gap_maxip:
      if (!c.maxip) {  // the implicit form, by the protocol's inner product
        ok = for_each_tuple(c.gap->sizes(), 1e6, [&](const auto& t) { keep(double(c.gap->inner_product(t)), t); });
        break;
      }
      [[fallthrough]];  // the explicit 0/1 form, by its entries
    case Level::maxip:
      ok = for_each_tuple(c.maxip->sizes(), 1e6, [&](const auto& t) {
        double s = 0;
        for (int j = 0; j < c.maxip->d; ++j) {
          double prod = 1;
          for (std::size_t p = 0; p < t.size(); ++p) prod *= c.maxip->parties[p].row(t[p])[j];
          s += prod;
        }
        keep(s, t);
      });
      break;
    case Level::attention: {  // the largest score over query rows and data key rows
      const AttentionInstance& a = c.attention->instance;
      const auto& map = a.manifest->row_map;
      ok = for_each_tuple(a.lengths(), 1e6, [&](const auto& t) {
        for (std::size_t p = 1; p < t.size(); ++p)
          if (map[p][t[p]] < 0) return;
        double s = 0;
        for (std::size_t col = 0; col < a.d(); ++col) {
          double prod = a.q(t[0], col);
          for (std::size_t p = 1; p < t.size(); ++p) prod *= a.keys[p - 1](t[p], col);
          s += prod;
        }
        keep(s, t);
      });
      break;
    }
    case Level::sat: return std::nullopt;
  }
  if (!ok) return std::nullopt;
  return best;
}

void expect_sizes_match(const ChainPlan& plan, const Chain& c, const std::string& where) {
  ASSERT_EQ(plan.stages.size(), c.built.size()) << where;
  double held = 0;
  for (std::size_t i = 0; i < c.built.size(); ++i) {
    const StageSize& p = plan.stages[i];
    const StageSize& b = c.built[i];
    const std::string at = where + " stage " + to_string(p.stage);
    EXPECT_EQ(p.stage, b.stage) << at;
    EXPECT_EQ(p.vectors, b.vectors) << at;
    EXPECT_TRUE(b.exact) << at;
    if (p.exact) {
      EXPECT_EQ(p.dimension, b.dimension) << at;
      EXPECT_EQ(p.implicit_dimension, b.implicit_dimension) << at;
      EXPECT_DOUBLE_EQ(p.bytes, b.bytes) << at;
    } else {
      EXPECT_LE(b.dimension, p.dimension) << at;
      EXPECT_LE(b.bytes, p.bytes) << at;
      EXPECT_GE(b.dimension, 1) << at;
    }
    held += b.bytes;
  }
  EXPECT_DOUBLE_EQ(held, c.held_bytes) << where;
  if (plan.protocol) {
    EXPECT_EQ(plan.merlin_messages, c.gap->merlin_messages()) << where;
  }
}

// The smallest budget plan_chain accepts, by bisection on [0, hi].
double smallest_budget(const Cnf& f, const Route& r, double hi) {
  double lo = 0;
  for (int it = 0; it < 200 && hi - lo > 1e-12 * hi; ++it) {
    const double mid = 0.5 * (lo + hi);
    try {
      plan_chain(f, r, mid);
      hi = mid;
    } catch (const SizeLimitError&) {
      lo = mid;
    }
  }
  return hi;
}

struct Case {
  Level to;
  RouteKind route;
};

const Case kCases[] = {{Level::kov, RouteKind::direct},        {Level::maxip, RouteKind::direct},
                       {Level::attention, RouteKind::direct},  {Level::gap_maxip, RouteKind::protocol},
                       {Level::attention, RouteKind::protocol}};

}  // namespace

TEST(Chain, PlanSizesEqualBuiltSizesAndWitnessesMapBack) {
  int checked = 0, witnessed = 0, protocol = 0, explicit_gap = 0;
  for (uint64_t seed : {1u, 2u, 3u, 4u, 5u, 6u}) {
    std::mt19937_64 rng(seed);
    for (int trial = 0; trial < 6; ++trial) {
      const int n = 2 + int(rng() % 5);
      const Cnf f = test_support::random_cnf(rng, n, 1 + int(rng() % 5), 1, 3);
      const bool truth = satisfiable(f);
      for (int k : {2, 3}) {
        for (const Case& cs : kCases) {
          for (bool as_explicit : {false, true}) {
            if (as_explicit && cs.to != Level::gap_maxip) continue;
            Route r;
            r.to = cs.to;
            r.k = k;
            r.route = cs.route;
            r.explicit_gap_maxip = as_explicit;
            const std::string where = "seed " + std::to_string(seed) + " trial " + std::to_string(trial) + " k " +
                                      std::to_string(k) + " " + to_string(cs.to) + "/" + to_string(cs.route) +
                                      (as_explicit ? " explicit" : "");
            std::optional<Chain> c;
            ChainPlan plan;
            try {
              plan = plan_chain(f, r, 64.0 * (1 << 20));
              c = build_chain(plan);
            } catch (const SizeLimitError&) {
              continue;  // the protocol route is for tiny formulas
            } catch (const InputError&) {
              continue;  // no code parameters, or an embedding without coordinates (m = 0)
            }
            expect_sizes_match(plan, *c, where);
            ++checked;
            protocol += plan.protocol.has_value();
            explicit_gap += plan.find(Stage::gap_explicit) != nullptr;
            const auto best = brute_force_witness(*c, cs.to);
            if (!best) continue;
            double yes = 0;  // the value a witness of a satisfiable CNF reaches
            if (cs.to == Level::kov) yes = 0;
            else if (cs.to == Level::maxip) yes = double(c->maxip->gap->threshold);
            else if (cs.to == Level::gap_maxip) yes = double(c->gap->threshold());
            const bool found = cs.to == Level::attention ? truth : best->value >= yes;
            ASSERT_EQ(found, truth) << where << " best " << best->value;
            if (truth) {
              const std::vector<bool> x = c->map_back(cs.to, best->tuple);
              ASSERT_TRUE(f.satisfied_by(x)) << where;
              ++witnessed;
            }
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 150);
  EXPECT_GT(witnessed, 50);
  EXPECT_GT(protocol, 30);
  EXPECT_GT(explicit_gap, 15);
}

TEST(Chain, RefusalsComeFromThePlanBeforeBuilding) {
  std::mt19937_64 rng(77);
  int direct = 0, exact_protocol = 0;
  for (int trial = 0; trial < 12; ++trial) {
    const Cnf f = test_support::random_cnf(rng, 3 + int(rng() % 6), 1 + int(rng() % 6), 1, 3);
    for (int k : {2, 3}) {
      for (const Case& cs : kCases) {
        Route r;
        r.to = cs.to;
        r.k = k;
        r.route = cs.route;
        ChainPlan plan;
        try {
          plan = plan_chain(f, r, kNoBudget);
        } catch (const InputError&) {
          continue;
        }
        if (plan.total_bytes() > 64.0 * (1 << 20)) continue;
        const double least = smallest_budget(f, r, 2 * plan.total_bytes() + 1e6);
        // Below the least budget plan_chain refuses, before anything is built.
        EXPECT_THROW(plan_chain(f, r, least * (1 - 1e-9)), SizeLimitError);
        if (cs.route == RouteKind::direct) {
          // One budget covers every stage held at once: the plan's total
          // (the kOV stage alone is checked by its packed bytes).
          // (of the formula split: unused variables are dropped first).
          const double expected = cs.to == Level::kov ? sat_to_kov_bytes(plan.cnf, k) : plan.total_bytes();
          EXPECT_NEAR(least, expected, 1e-9 * expected) << "trial " << trial << " " << to_string(cs.to);
          ++direct;
        }
        if (!plan.exact()) continue;  // the compressed stages are checked by the build, exactly
        // The build refuses nothing the plan accepted.
        try {
          const Chain c = build_chain(plan_chain(f, r, least));
          EXPECT_LE(c.held_bytes, std::max(least, plan.total_bytes()) * (1 + 1e-12));
          exact_protocol += cs.route == RouteKind::protocol;
        } catch (const InputError&) {
          // no coordinates to embed (m = 0)
        }
      }
    }
  }
  EXPECT_GT(direct, 40);
  EXPECT_GT(exact_protocol, 5);
}

TEST(Chain, SharedBudgetRefusalSaysWhatIsHeld) {
  const Cnf f = test_support::random_cnf(*std::make_unique<std::mt19937_64>(5), 8, 6, 2, 3);
  Route r;
  r.to = Level::attention;
  r.k = 2;
  const ChainPlan plan = plan_chain(f, r, kNoBudget);
  try {
    plan_chain(f, r, plan.total_bytes() - 1);
    FAIL() << "no refusal";
  } catch (const SizeLimitError& e) {
    EXPECT_NE(std::string(e.what()).find("the attention instance"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("covers the whole chain; already held by the kOV and MaxIP instances"),
              std::string::npos)
        << e.what();
  }
}

TEST(Chain, MapBackRejectsBadWitnesses) {
  const Cnf f = test_support::random_cnf(*std::make_unique<std::mt19937_64>(9), 6, 4, 1, 3);
  Route r;
  r.to = Level::attention;
  r.k = 3;
  const Chain c = build_chain(plan_chain(f, r, kNoBudget));
  EXPECT_THROW(c.map_back(Level::attention, {0, 0}), InputError);  // wrong length
  const std::size_t padding = c.attention->instance.keys[0].rows - 1;  // the last key row is padding
  EXPECT_THROW(c.map_back(Level::attention, {0, padding, 0}), InputError);
  EXPECT_THROW(c.map_back(Level::kov, {c.kov.parties[0].size(), 0, 0}), InputError);
  EXPECT_THROW(c.map_back(Level::gap_maxip, {0, 0, 0}), InputError);  // no such stage on the direct route
  EXPECT_THROW(plan_chain(f, {.to = Level::sat}, kNoBudget), InputError);
  // The attention witness (row, data rows) and the kOV tuple agree.
  EXPECT_EQ(c.map_back(Level::attention, {1, 2, 0}), c.map_back(Level::kov, {1, 2, 0}));
}
