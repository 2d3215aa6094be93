#include "solvers/sat_brute_force.hpp"

#include <atomic>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/errors.hpp"

namespace sethkit::solvers {
namespace {

constexpr int kLaneBits = 6;  // 64 assignments of the low variables per word

// Lane pattern of low variable t: lane l has variable t = bit t of l.
constexpr uint64_t kLanePattern[kLaneBits] = {
    0xAAAAAAAAAAAAAAAAull, 0xCCCCCCCCCCCCCCCCull, 0xF0F0F0F0F0F0F0F0ull,
    0xFF00FF00FF00FF00ull, 0xFFFF0000FFFF0000ull, 0xFFFFFFFF00000000ull};

}  // namespace

std::optional<std::vector<bool>> solve_sat_brute_force(const Cnf& cnf, int max_variables) {
  if (cnf.num_vars > max_variables)
    throw SizeLimitError("brute-force SAT over " + std::to_string(cnf.num_vars) +
                         " variables means 2^" + std::to_string(cnf.num_vars) +
                         " assignments (limit 2^" + std::to_string(max_variables) +
                         "); use --via kov or a SAT solver");
  const int n = cnf.num_vars;
  const int low = n < kLaneBits ? n : kLaneBits;
  const uint64_t valid_lanes = low == kLaneBits ? ~uint64_t(0) : (uint64_t(1) << (1u << low)) - 1;
  const int64_t high_count = int64_t(1) << (n - low);

  std::atomic<int64_t> found_high{-1};
  std::atomic<uint64_t> found_lanes{0};
#pragma omp parallel for schedule(dynamic, 64)
  for (int64_t high = 0; high < high_count; ++high) {
    if (found_high.load(std::memory_order_relaxed) >= 0) continue;
    uint64_t alive = valid_lanes;
    for (const auto& clause : cnf.clauses) {
      uint64_t sat = 0;
      for (int lit : clause) {
        const int v = std::abs(lit) - 1;
        uint64_t value;
        if (v < low) {
          value = kLanePattern[v];
        } else {
          value = ((high >> (v - low)) & 1) ? ~uint64_t(0) : 0;
        }
        sat |= lit > 0 ? value : ~value;
      }
      alive &= sat;
      if (!alive) break;
    }
    if (alive) {
      int64_t expected = -1;
      if (found_high.compare_exchange_strong(expected, high)) found_lanes.store(alive);
    }
  }
  const int64_t high = found_high.load();
  if (high < 0) return std::nullopt;
  const int lane = std::countr_zero(found_lanes.load());
  std::vector<bool> assignment(static_cast<std::size_t>(n));
  for (int v = 0; v < n; ++v)
    assignment[static_cast<std::size_t>(v)] = v < low ? ((lane >> v) & 1) : ((high >> (v - low)) & 1);
  return assignment;
}

}  // namespace sethkit::solvers
