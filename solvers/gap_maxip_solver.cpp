#include "solvers/gap_maxip_solver.hpp"

#include <atomic>
#include <cstdint>

#include "core/deadline.hpp"

namespace sethkit::solvers {

double pruned_gap_work(const std::vector<std::size_t>& kov_sizes, std::size_t n_c, std::size_t blocks,
                       std::size_t merlin_dimension) {
  double tuples = 1;
  for (std::size_t n : kov_sizes) tuples *= double(n);
  return tuples * double(n_c) * (double(blocks) * double(kov_sizes.size()) + double(merlin_dimension));
}

GapSearch find_accepting_tuple(const reductions::GapMaxIpReduction& gap) {
  GapSearch result;
  const std::vector<std::size_t> sizes = gap.kov_sizes();
  double tuples = 1;
  for (std::size_t n : sizes) tuples *= double(n);
  result.kov_tuples = tuples;
  for (std::size_t n : sizes)
    if (n == 0) return result;
  const auto count = static_cast<int64_t>(tuples);  // sizes were checked against the work guard
  std::atomic<bool> stop{false};
  std::atomic<int64_t> winner{-1};
  DeadlineWatch watch(stop);  // --timeout raises stop; finish() then throws
#pragma omp parallel
  {
    std::vector<std::size_t> tuple(sizes.size());
#pragma omp for schedule(dynamic, 16)
    for (int64_t i = 0; i < count; ++i) {
      if (stop.load(std::memory_order_relaxed)) continue;
      auto rest = static_cast<std::uint64_t>(i);  // mixed radix, party 1 slowest
      for (std::size_t p = sizes.size(); p-- > 0;) {
        tuple[p] = std::size_t(rest % sizes[p]);
        rest /= sizes[p];
      }
      const auto mu = gap.accepting_message(tuple);
      if (!mu) continue;
      int64_t expected = -1;
      if (winner.compare_exchange_strong(expected, i)) {
#pragma omp critical(sethkit_gap_witness)
        {
          result.tuple = tuple;
          result.tuple[0] = gap.party1_index(tuple[0], *mu);
        }
        stop.store(true);
      }
    }
  }
  if (winner.load() < 0) watch.finish();
  result.found = winner.load() >= 0;
  return result;
}

}  // namespace sethkit::solvers
