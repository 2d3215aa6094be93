#include "solvers/sat_brute_force.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/deadline.hpp"
#include "core/errors.hpp"
#include "reductions/hints.hpp"

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
                         "); " + reductions::brute_force_hint());
  const int n = cnf.num_vars;
  const int low = n < kLaneBits ? n : kLaneBits;
  const uint64_t valid_lanes = low == kLaneBits ? ~uint64_t(0) : (uint64_t(1) << (1u << low)) - 1;
  const int64_t high_count = int64_t(1) << (n - low);

  std::atomic<int64_t> found_high{-1};
  std::atomic<uint64_t> found_lanes{0};
  // --timeout (core/deadline.hpp): the watcher raises `stop` when the
  // deadline passes (polled every 10 ms); finish() then throws TimeoutError,
  // so a search stopped by the deadline never answers "unsatisfiable".
  std::atomic<bool> stop{false};
  DeadlineWatch watch(stop);
  // Blocks of high assignments, so that a stopped search skips the rest a
  // block at a time (a 2^34-assignment loop of `continue`s takes seconds).
  constexpr int64_t kBlock = 4096;
  const int64_t blocks = (high_count + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t block = 0; block < blocks; ++block) {
    const int64_t end = std::min(high_count, (block + 1) * kBlock);
    for (int64_t high = block * kBlock; high < end; ++high) {
      if (stop.load(std::memory_order_relaxed) || found_high.load(std::memory_order_relaxed) >= 0) break;
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
  }
  const int64_t high = found_high.load();
  if (high < 0) {
    watch.finish();  // throws TimeoutError when the deadline stopped the search
    return std::nullopt;
  }
  const int lane = std::countr_zero(found_lanes.load());
  std::vector<bool> assignment(static_cast<std::size_t>(n));
  for (int v = 0; v < n; ++v)
    assignment[static_cast<std::size_t>(v)] = v < low ? ((lane >> v) & 1) : ((high >> (v - low)) & 1);
  return assignment;
}

}  // namespace sethkit::solvers
