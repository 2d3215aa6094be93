#include "solvers/maxip_solver.hpp"

#include "core/deadline.hpp"
#include "core/progress.hpp"

#include <algorithm>
#include <atomic>

namespace sethkit::solvers {
namespace {

// Keeps the best tuple seen by one thread; merged after the parallel loop.
struct Best {
  int64_t value = INT64_MIN;
  std::vector<std::size_t> tuple;
  void offer(int64_t v, const std::vector<std::size_t>& t) {
    if (v > value) {
      value = v;
      tuple = t;
    }
  }
};

template <typename Search>
MaxIpResult run_parallel(std::size_t first_count, std::optional<int64_t> stop_at, Search&& search) {
  std::atomic<bool> stop{false};
  std::vector<Best> per_thread;
  MaxIpResult result;
  DeadlineWatch watch(stop);  // --timeout raises stop; finish() then throws
  progress_expect(first_count);  // the command line's progress line (core/progress.hpp)
#pragma omp parallel
  {
    Best local;
#pragma omp for schedule(dynamic, 1)
    for (int64_t i = 0; i < static_cast<int64_t>(first_count); ++i) {
      if (stop.load(std::memory_order_relaxed)) continue;
      search(static_cast<std::size_t>(i), local, stop);
      if (stop_at && local.value >= *stop_at) stop.store(true);
      progress_advance();
    }
#pragma omp critical(sethkit_maxip_merge)
    per_thread.push_back(std::move(local));
  }
  watch.finish();
  for (auto& b : per_thread)
    if (b.value > result.best || (b.value == result.best && !b.tuple.empty() && b.tuple < result.argmax)) {
      result.best = b.value;
      result.argmax = b.tuple;
    }
  result.stopped_early = stop.load();
  return result;
}

}  // namespace

MaxIpResult maximize_inner_product(const MaxIpInstance& inst, std::optional<int64_t> stop_at) {
  for (const auto& party : inst.parties)
    if (party.size() == 0) return {};
  const int k = inst.k;
  const auto d = static_cast<std::size_t>(inst.d);
  return run_parallel(inst.parties[0].size(), stop_at, [&](std::size_t first, Best& best, std::atomic<bool>& stop) {
    // prefix[p] = entrywise product of the chosen vectors of parties 0..p.
    std::vector<std::vector<int64_t>> prefix(static_cast<std::size_t>(k), std::vector<int64_t>(d));
    std::vector<std::size_t> tuple(std::size_t(k), 0);
    tuple[0] = first;
    for (std::size_t j = 0; j < d; ++j) prefix[0][j] = inst.parties[0].row(first)[j];
    // Odometer over parties 1..k-2; the last party is the inner loop.
    const IntVectors& last = inst.parties[std::size_t(k - 1)];
    auto inner = [&](const std::vector<int64_t>& pre) {
      for (std::size_t i = 0; i < last.size(); ++i) {
        const int32_t* row = last.row(i);
        int64_t dot = 0;
        for (std::size_t j = 0; j < d; ++j) dot += pre[j] * row[j];
        if (dot > best.value) {
          tuple[std::size_t(k - 1)] = i;
          best.offer(dot, tuple);
          if (stop_at && dot >= *stop_at) return true;
        }
      }
      return false;
    };
    std::function<bool(int)> descend = [&](int p) -> bool {
      if (p == k - 1) return inner(prefix[std::size_t(p - 1)]);
      const IntVectors& party = inst.parties[std::size_t(p)];
      for (std::size_t i = 0; i < party.size(); ++i) {
        if (stop.load(std::memory_order_relaxed)) return false;
        tuple[std::size_t(p)] = i;
        const int32_t* row = party.row(i);
        for (std::size_t j = 0; j < d; ++j) prefix[std::size_t(p)][j] = prefix[std::size_t(p - 1)][j] * row[j];
        if (descend(p + 1)) return true;
      }
      return false;
    };
    descend(1);
  });
}

MaxIpResult maximize_inner_product(const ImplicitMaxIp& inst, std::optional<int64_t> stop_at) {
  for (auto n : inst.sizes)
    if (n == 0) return {};
  return run_parallel(inst.sizes[0], stop_at, [&](std::size_t first, Best& best, std::atomic<bool>& stop) {
    std::vector<std::size_t> tuple(std::size_t(inst.k), 0);
    tuple[0] = first;
    while (!stop.load(std::memory_order_relaxed)) {
      const int64_t v = inst.inner_product(tuple);
      best.offer(v, tuple);
      if (stop_at && v >= *stop_at) return;
      std::size_t p = 1;
      while (p < tuple.size() && ++tuple[p] == inst.sizes[p]) tuple[p++] = 0;
      if (p == tuple.size()) return;
    }
  });
}

MaxIpResult maximize_with_first(const MaxIpInstance& inst, std::size_t first) {
  MaxIpInstance one = inst;
  one.parties[0] = IntVectors(1, inst.d);
  std::copy(inst.parties[0].row(first), inst.parties[0].row(first) + inst.d, one.parties[0].row(0));
  MaxIpResult r = maximize_inner_product(one);
  if (!r.argmax.empty()) r.argmax[0] = first;
  return r;
}

GapAnswer gap_answer(int64_t best, const MaxIpGap& gap) {
  if (best >= gap.threshold) return GapAnswer::yes;
  if (best <= gap.no_bound) return GapAnswer::no;
  return GapAnswer::promise_violated;
}

}  // namespace sethkit::solvers
