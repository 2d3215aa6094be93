#include "tools/rank_rows.hpp"

#include <algorithm>
#include <chrono>

#include "attention/exact_backward.hpp"
#include "attention/gradient.hpp"
#include "attention/kernel_core.hpp"
#include "core/errors.hpp"
#include "distributed/distributed.hpp"

namespace sethkit::tools {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<double> rows_of(const std::vector<double>& data, std::size_t cols, std::size_t lo, std::size_t hi) {
  return {data.begin() + std::ptrdiff_t(lo * cols), data.begin() + std::ptrdiff_t(hi * cols)};
}

}  // namespace

bool split_query_rows(const attention::Backend& backend, const attention::BackendOptions& options, bool gradient) {
  if (!distributed::distributed()) return false;
  const std::string name = backend.name();
  if (gradient) return name == "exact" && !options.window;
  // The exact kernel takes the slice's first row for the windows; the
  // reference backend tests i - w < j <= i at its own row index.
  return name == "exact" || (name == "reference" && !options.window);
}

DenseMatrix matrix_rows(const DenseMatrix& m, std::size_t lo, std::size_t hi) {
  DenseMatrix part(hi - lo, m.cols);
  part.data = rows_of(m.data, m.cols, lo, hi);
  return part;
}

AttentionInstance query_rows(const AttentionInstance& inst, std::size_t lo, std::size_t hi) {
  AttentionInstance part;
  part.k = inst.k;
  part.q = matrix_rows(inst.q, lo, hi);
  part.keys = inst.keys;
  part.values = inst.values;
  part.scale = inst.scale;
  part.precision = inst.precision;
  part.manifest = inst.manifest;
  if (part.manifest && !part.manifest->row_map.empty()) {
    std::vector<int64_t>& q_rows = part.manifest->row_map[0];
    q_rows = std::vector<int64_t>(q_rows.begin() + std::ptrdiff_t(lo), q_rows.begin() + std::ptrdiff_t(hi));
  }
  return part;
}

attention::BackendResult run_split_attention(const attention::Backend& backend, const AttentionInstance& inst,
                                             const attention::BackendOptions& options) {
  attention::BackendResult res;
  if (!split_query_rows(backend, options, false)) {
    distributed::step([&] { res = backend.run(inst, options); });
    return res;
  }
  const auto start = Clock::now();
  const distributed::Range mine = distributed::my_range(inst.n_q());
  distributed::step([&] {
    // Planned on the whole instance: the same refusal on every rank.
    const attention::BackendPlan plan = backend.plan(inst, options);
    if (!plan.runnable()) throw SizeLimitError(plan.refusal);
    if (mine.size() == 0) {  // more ranks than rows: nothing here
      res.out.cols = inst.d_v();
      return;
    }
    attention::BackendOptions mine_only = options;
    mine_only.slice = {mine.lo, inst.n_q()};  // windows and the kernel's work items as on the whole side
    res = backend.run(query_rows(inst, mine.lo, mine.hi), mine_only);
  });
  res.out.o = distributed::gather_rows(res.out.o, res.out.cols);
  res.out.log_d = distributed::gather_rows(res.out.log_d, 1);
  res.out.rows = distributed::is_root() ? inst.n_q() : mine.size();
  if (!distributed::is_root()) {  // the others keep their own rows
    res.out.o.clear();
    res.out.log_d.clear();
    res.out.rows = 0;
  }
  res.report.n = inst.lengths();
  res.report.error_bound = distributed::max_all(res.report.error_bound);
  res.report.log_d_bound = distributed::max_all(res.report.log_d_bound);
  res.report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  res.report.details["ranks"] = distributed::size();
  return res;
}

// The exact backward's row chunks (attention/exact_backward.cpp: one dK/dV
// accumulator of sum_p n_p (d + d_v) doubles per chunk, the unit side of
// k = 2 included), as backward_row_chunks plans them for the whole instance.
attention::kernel::ChunkPlan backward_chunks(const AttentionInstance& inst, const attention::GradientTuning& tuning) {
  double accumulator = inst.keys.size() == 1 ? 8.0 * double(inst.d() + inst.d_v()) : 0.0;
  for (const DenseMatrix& key : inst.keys) accumulator += 8.0 * double(key.rows) * double(inst.d() + inst.d_v());
  return attention::backward_row_chunks(inst.n_q(), accumulator, tuning, inst.k);
}

attention::GradientResult run_split_gradient(const attention::Backend& backend, const AttentionInstance& inst,
                                             const DenseMatrix& target, const attention::BackendOptions& options) {
  attention::GradientResult res;
  if (!split_query_rows(backend, options, true)) {
    distributed::step([&] { res = backend.gradient(inst, target, options); });
    return res;
  }
  // The single process sums dK, dV as 0 + chunk_0 + chunk_1 + ... over its
  // row chunks (kernel::ordered_reduce). Here the chunks are dealt to ranks
  // in order, each chunk is run alone (one chunk: its sum is exactly its
  // accumulator), and distributed::ordered_sum adds them in chunk order.
  const auto start = Clock::now();
  const attention::GradientTuning tuning;
  const attention::kernel::ChunkPlan chunks = backward_chunks(inst, tuning);
  const distributed::Range mine = distributed::split(chunks.chunks, distributed::size(), distributed::rank());
  const std::size_t n_q = inst.n_q(), d = inst.d(), dv = inst.d_v();
  std::size_t side_entries = 0;
  for (const DenseMatrix& key : inst.keys) side_entries += key.rows * (d + dv);
  attention::AttentionGradient& g = res.gradient;
  std::vector<std::vector<double>> parts;  // per chunk: dK_1.., then dV_1.., row-major
  distributed::step([&] {
    const attention::BackendPlan plan = backend.plan_gradient(inst, options);  // whole instance: same refusal everywhere
    if (!plan.runnable()) throw SizeLimitError(plan.refusal);
    distributed::check_transfer(double(side_entries), "the gradient's dK and dV");
    distributed::check_transfer(double(n_q), "the gradient's rows");
    attention::GradientOptions one;
    one.scale = options.scale;
    one.threads = options.threads;
    one.tuning = tuning;
    one.tuning.max_chunks = 1;
    one.slice.total_rows = n_q;  // the forward's work items as on the whole side
    g.d_q = DenseMatrix(0, d);
    g.o = DenseMatrix(0, dv);
    for (std::size_t c = mine.lo; c < mine.hi; ++c) {
      const std::size_t lo = chunks.lo(c), hi = chunks.hi(c, n_q);
      one.slice.first_row = lo;
      const attention::AttentionGradient part =
          attention::exact_attention_gradient(query_rows(inst, lo, hi), matrix_rows(target, lo, hi), one);
      g.d_q.data.insert(g.d_q.data.end(), part.d_q.data.begin(), part.d_q.data.end());
      g.o.data.insert(g.o.data.end(), part.o.data.begin(), part.o.data.end());
      g.log_d.insert(g.log_d.end(), part.log_d.begin(), part.log_d.end());
      std::vector<double> sums;
      for (const std::vector<DenseMatrix>* side : {&part.d_keys, &part.d_values})
        for (const DenseMatrix& m : *side) sums.insert(sums.end(), m.data.begin(), m.data.end());
      parts.push_back(std::move(sums));
      g.forward_seconds += part.forward_seconds;
    }
  });
  g.d_q.data = distributed::gather_rows(g.d_q.data, d);
  g.o.data = distributed::gather_rows(g.o.data, dv);
  g.log_d = distributed::gather_rows(g.log_d, 1);
  const std::vector<double> sums = distributed::ordered_sum(parts, side_entries);
  g.chunks = chunks.chunks;
  g.forward_seconds = distributed::max_all(g.forward_seconds);
  g.backward_seconds = std::chrono::duration<double>(Clock::now() - start).count() - g.forward_seconds;
  res.report.n = inst.lengths();
  if (!distributed::is_root()) return res;  // rank 0 writes
  g.d_q.rows = g.o.rows = n_q;
  std::size_t at = 0;
  for (std::vector<DenseMatrix>* side : {&g.d_keys, &g.d_values}) {
    const std::size_t cols = side == &g.d_keys ? d : dv;
    for (const DenseMatrix& key : inst.keys) {
      DenseMatrix m(key.rows, cols);
      std::copy(sums.begin() + std::ptrdiff_t(at), sums.begin() + std::ptrdiff_t(at + m.data.size()), m.data.begin());
      at += m.data.size();
      side->push_back(std::move(m));
    }
  }
  // The loss as exact_attention_gradient sums it: row-major over O - E.
  double loss = 0;
  for (std::size_t t = 0; t < g.o.data.size(); ++t) {
    const double r = g.o.data[t] - target.data[t];
    loss += r * r;
  }
  g.loss = 0.5 * loss;
  res.report.backend = backend.name();
  res.report.k = inst.k;
  return res;
}

}  // namespace sethkit::tools
