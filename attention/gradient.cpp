// The gradients of tensor attention (see gradient.hpp for the contract): the
// loss wrapper over the exact backward from dO (exact_backward.cpp: dO = O - E),
// paper 002's dX (Definition 1, the loss, and 2, the gradient w.r.t. X) through
// the same pass, the textbook reference, and the paper's Kronecker helpers
// (paper 001 Definitions 2.3 / 2.4).
#include "attention/gradient.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "attention/backend_options.hpp"
#include "attention/blas_threads.hpp"
#include "attention/exact_attention.hpp"
#include "attention/exact_backward.hpp"
#include "attention/kernel_core.hpp"
#include "core/deadline.hpp"
#include "core/errors.hpp"

namespace sethkit::attention {

namespace {

using Clock = std::chrono::steady_clock;
using kernel::gemm;

void check_target(const AttentionInstance& inst, const DenseMatrix& target) {
  if (target.rows != inst.n_q() || target.cols != inst.d_v() || target.data.size() != target.rows * target.cols)
    throw InputError("", "target E is " + std::to_string(target.rows) + " x " + std::to_string(target.cols) +
                             " but O is n_q x d_v = " + std::to_string(inst.n_q()) + " x " +
                             std::to_string(inst.d_v()) + "; E must have O's shape");
  for (std::size_t t = 0; t < target.data.size(); ++t)
    if (!std::isfinite(target.data[t]))
      throw InputError("", "target E entry (" + std::to_string(t / target.cols) + ", " +
                               std::to_string(t % target.cols) + ") is not finite");
}


// The forward, then the backward from dO = O - E (exact_backward.cpp).
// dx_out (m x m^2) receives the unscaled sum_i A1[i]^T (x) vec(M_i^T) when dx
// is set.
AttentionGradient gradient_impl(const AttentionInstance& inst, const DenseMatrix& target,
                                const GradientOptions& options, const detail::PaperDx* dx,
                                std::vector<double>* dx_out) {
  inst.validate();
  check_target(inst, target);
  const GradientTuning& tuning = options.tuning;
  if (tuning.tile_a == 0 || tuning.tile_b == 0 || tuning.max_chunks == 0)
    throw InputError("", "gradient tuning: tile sizes and max_chunks must be >= 1");
  const double scale = options.scale.value_or(inst.scale);
  if (!std::isfinite(scale)) throw InputError("", "the attention scale must be finite");
  const int threads = resolve_threads(options.threads);
  if (inst.d() > std::size_t(std::numeric_limits<int>::max() / 2) ||
      inst.d_v() > std::size_t(std::numeric_limits<int>::max() / 2))
    throw InputError("", "attention gradient: d or d_v exceeds the BLAS int range");
  if (options.window && inst.k != 3)
    throw InputError("", "causal windows (w1, w2) are defined for k = 3 only (this instance has k = " +
                             std::to_string(inst.k) + ")");

  if (options.window && options.slice.total_rows > 0)
    throw InputError("", "attention gradient: a query slice with a causal window is not supported");

  AttentionGradient out;
  BlasSingleThreaded blas_guard;
  ExactOptions forward;
  forward.scale = scale;
  forward.threads = threads;
  forward.window = options.window;
  forward.slice = options.slice;
  const AttentionOutput fw = exact_attention(inst, forward);
  out.forward_seconds = fw.seconds;
  out.o = DenseMatrix(fw.rows, fw.cols);
  out.o.data = fw.o;
  out.log_d = fw.log_d;
  DenseMatrix d_out(fw.rows, fw.cols);
  double loss = 0;
  for (std::size_t t = 0; t < fw.o.size(); ++t) {
    const double r = fw.o[t] - target.data[t];
    d_out.data[t] = r;
    loss += r * r;
  }
  out.loss = 0.5 * loss;

  const std::size_t d = inst.d(), dv = inst.d_v();
  std::vector<MatrixView<double>> keys, values;
  std::vector<MutableMatrixView<double>> dk, dvv;
  out.d_q = DenseMatrix(inst.n_q(), d);
  for (std::size_t s = 0; s < inst.keys.size(); ++s) {
    keys.push_back(view_of(inst.keys[s]));
    values.push_back(view_of(inst.values[s]));
    out.d_keys.emplace_back(inst.keys[s].rows, d);
    out.d_values.emplace_back(inst.keys[s].rows, dv);
  }
  for (std::size_t s = 0; s < inst.keys.size(); ++s) {
    dk.push_back({out.d_keys[s].data.data(), inst.keys[s].rows, d, d});
    dvv.push_back({out.d_values[s].data.data(), inst.keys[s].rows, dv, dv});
  }
  BackwardOptions bo;
  bo.scale = scale;
  bo.window = options.window;
  bo.threads = threads;
  bo.tuning = tuning;
  bo.max_bytes = std::numeric_limits<double>::infinity();  // the CLI checks exact_attention_gradient_bytes
  const MutableMatrixView<double> dq{out.d_q.data.data(), inst.n_q(), d, d};
  const BackwardStats stats =
      dx ? detail::exact_backward_paper(view_of(inst.q), keys, values, view_of(d_out), out.log_d.data(), bo, dq, dk,
                                        dvv, view_of(out.o), *dx, *dx_out)
         : exact_backward<double>(view_of(inst.q), keys, values, view_of(d_out), out.log_d.data(), bo, dq, dk, dvv,
                                  view_of(out.o));
  out.chunks = stats.chunks;
  out.backward_seconds = stats.backward_seconds;
  return out;
}

// Plain C = op(A)^T B with A: n x a, B: n x b (C: a x b), for the chain rule.
DenseMatrix at_b(const DenseMatrix& a, const DenseMatrix& b) {
  DenseMatrix c(a.cols, b.cols);
  gemm(true, false, a.cols, b.cols, a.rows, 1.0, a.data.data(), a.cols, b.data.data(), b.cols, 0.0,
       c.data.data(), b.cols);
  return c;
}

DenseMatrix matmul(const DenseMatrix& a, const DenseMatrix& b) {
  DenseMatrix c(a.rows, b.cols);
  gemm(false, false, a.rows, b.cols, a.cols, 1.0, a.data.data(), a.cols, b.data.data(), b.cols, 0.0,
       c.data.data(), b.cols);
  return c;
}

}  // namespace

AttentionGradient exact_attention_gradient(const AttentionInstance& inst, const DenseMatrix& target,
                                           const GradientOptions& options) {
  return gradient_impl(inst, target, options, nullptr, nullptr);
}

double exact_attention_gradient_bytes(const AttentionInstance& inst, const GradientTuning& tuning, int threads,
                                      std::size_t paper_d) {
  const double d = double(inst.d()), dv = double(inst.d_v()), n_q = double(inst.n_q());
  double side_entries = 0;  // sum_p n_p (d + d_v)
  for (const auto& k : inst.keys) side_entries += double(k.rows) * (d + dv);
  const double dx = std::pow(double(paper_d), 3);
  const double chunk_bytes = 8.0 * (side_entries + dx);
  const std::size_t chunks =
      kernel::row_chunks(inst.n_q(), chunk_bytes, tuning.max_chunks, tuning.chunk_bytes_budget).chunks;
  const std::size_t last = inst.keys.empty() ? 1 : inst.keys.back().rows;
  const double tile_b = double(std::min(tuning.tile_b, last));
  const double scratch = 8.0 * (2 * double(tuning.tile_a) * tile_b + 4 * double(tuning.tile_a) * (d + dv + double(paper_d)) +
                                double(paper_d) * double(paper_d) + double(inst.k) * (d + dv));
  const double outputs = 8.0 * (n_q * (dv + 1 + d) + side_entries + dx);
  return outputs + double(chunks) * chunk_bytes + double(std::max(threads, 1)) * scratch;
}

AttentionGradient reference_attention_gradient(const AttentionInstance& inst, const DenseMatrix& target,
                                               double scale) {
  return reference_attention_gradient(inst, target, scale, std::nullopt);
}

AttentionGradient reference_attention_gradient(const AttentionInstance& inst, const DenseMatrix& target,
                                               double scale, const std::optional<CausalWindow>& window) {
  inst.validate();
  if (window && inst.k != 3) throw InputError("", "causal windows are defined for k = 3 only");
  check_target(inst, target);
  if (!std::isfinite(scale)) throw InputError("", "the attention scale must be finite");
  using LD = long double;
  const std::size_t sides = inst.keys.size(), d = inst.d(), dv = inst.d_v(), n_q = inst.n_q();
  std::size_t tuples = 1;
  for (const auto& k : inst.keys) tuples *= k.rows;
  std::vector<std::vector<LD>> dk(sides), dvv(sides);
  for (std::size_t p = 0; p < sides; ++p) {
    dk[p].assign(inst.keys[p].rows * d, 0.0L);
    dvv[p].assign(inst.values[p].rows * dv, 0.0L);
  }
  AttentionGradient out;
  out.o = DenseMatrix(n_q, dv);
  out.log_d.assign(n_q, 0.0);
  out.d_q = DenseMatrix(n_q, d);
  std::vector<LD> s(tuples), prob(tuples), o(dv), dout(dv), dq(d);
  std::vector<std::size_t> j(sides);
  // Odometer over all key tuples, j_1 fastest (Definition 2.4's row order).
  auto first = [&] { std::fill(j.begin(), j.end(), 0); };
  auto next = [&] {
    for (std::size_t p = 0; p < sides; ++p) {
      if (++j[p] < inst.keys[p].rows) return;
      j[p] = 0;
    }
  };
  auto key_product = [&](std::size_t c, std::size_t skip) {  // prod_{p != skip} K_p[j_p, c]
    LD v = 1;
    for (std::size_t p = 0; p < sides; ++p)
      if (p != skip) v *= inst.keys[p](j[p], c);
    return v;
  };
  auto value_product = [&](std::size_t c, std::size_t skip) {
    LD v = 1;
    for (std::size_t p = 0; p < sides; ++p)
      if (p != skip) v *= inst.values[p](j[p], c);
    return v;
  };
  // --timeout (core/deadline.hpp): a check about every 2^18 multiply-adds of
  // the tuple loops (each tuple costs ~ sides (d + d_v) of them).
  DeadlinePoller poll(static_cast<unsigned>(std::max<std::size_t>(1, (std::size_t(1) << 18) / ((sides + 1) * (d + dv + 1)))));
  LD loss = 0;
  for (std::size_t i = 0; i < n_q; ++i) {
    const LD kNone = -std::numeric_limits<LD>::infinity();
    LD m = kNone;
    first();
    for (std::size_t t = 0; t < tuples; ++t, next()) {
      poll.poll();
      // The FBGEMM window: i - w1 < j1 <= i and i - w2 < j2 <= i.
      const bool allowed = !window || (j[0] <= i && LD(j[0]) > LD(i) - LD(window->w1) && j[1] <= i &&
                                       LD(j[1]) > LD(i) - LD(window->w2));
      LD x = 0;
      for (std::size_t c = 0; c < d; ++c) x += LD(inst.q(i, c)) * key_product(c, sides);
      s[t] = allowed ? LD(scale) * x : kNone;
      m = std::max(m, s[t]);
    }
    LD l = 0;
    if (m > kNone)
      for (std::size_t t = 0; t < tuples; ++t) l += std::exp(s[t] - m);
    std::fill(o.begin(), o.end(), 0.0L);
    first();
    for (std::size_t t = 0; t < tuples; ++t, next()) {
      prob[t] = m > kNone ? std::exp(s[t] - m) / l : 0.0L;
      for (std::size_t c = 0; c < dv; ++c) o[c] += prob[t] * value_product(c, sides);
    }
    LD delta = 0;
    for (std::size_t c = 0; c < dv; ++c) {
      dout[c] = o[c] - LD(target(i, c));
      delta += dout[c] * o[c];
      loss += dout[c] * dout[c];
      out.o(i, c) = double(o[c]);
    }
    out.log_d[i] = m > kNone ? double(m + std::log(l)) : -std::numeric_limits<double>::infinity();
    std::fill(dq.begin(), dq.end(), 0.0L);
    first();
    for (std::size_t t = 0; t < tuples; ++t, next()) {
      poll.poll();
      LD dp = 0;
      for (std::size_t c = 0; c < dv; ++c) dp += dout[c] * value_product(c, sides);
      const LD g = prob[t] * (dp - delta);  // dLoss/dS_t
      for (std::size_t c = 0; c < d; ++c) dq[c] += LD(scale) * g * key_product(c, sides);
      for (std::size_t p = 0; p < sides; ++p) {
        for (std::size_t c = 0; c < d; ++c)
          dk[p][j[p] * d + c] += LD(scale) * g * LD(inst.q(i, c)) * key_product(c, p);
        for (std::size_t c = 0; c < dv; ++c) dvv[p][j[p] * dv + c] += prob[t] * dout[c] * value_product(c, p);
      }
    }
    for (std::size_t c = 0; c < d; ++c) out.d_q(i, c) = double(dq[c]);
  }
  out.loss = double(loss / 2);
  for (std::size_t p = 0; p < sides; ++p) {
    DenseMatrix a(inst.keys[p].rows, d), b(inst.values[p].rows, dv);
    for (std::size_t t = 0; t < a.data.size(); ++t) a.data[t] = double(dk[p][t]);
    for (std::size_t t = 0; t < b.data.size(); ++t) b.data[t] = double(dvv[p][t]);
    out.d_keys.push_back(std::move(a));
    out.d_values.push_back(std::move(b));
  }
  return out;
}

void PaperInstance::validate(const std::string& where) const {
  const std::size_t dd = a1.cols;
  auto name = [&](const std::string& stem) { return where.empty() ? stem : where + "/" + stem + ".npy"; };
  auto shape = [](const DenseMatrix& m) { return std::to_string(m.rows) + " x " + std::to_string(m.cols); };
  auto entries = [&](const DenseMatrix& m, const std::string& stem) {
    if (m.data.size() != m.rows * m.cols)
      throw InputError(name(stem), "holds " + std::to_string(m.data.size()) + " entries for shape " + shape(m));
    for (std::size_t t = 0; t < m.data.size(); ++t)
      if (!std::isfinite(m.data[t]))
        throw InputError(name(stem), "entry (" + std::to_string(t / m.cols) + ", " + std::to_string(t % m.cols) +
                                         ") is not finite");
  };
  if (a1.rows == 0 || dd == 0)
    throw InputError(name("A1"), "has shape " + shape(a1) + "; A1 must be n x d with n, d >= 1");
  // An n x d matrix whose row count must equal `rows` (0: any n >= 1).
  auto tall = [&](const DenseMatrix& m, const std::string& stem, std::size_t rows, const std::string& why) {
    if (m.cols != dd)
      throw InputError(name(stem), "has " + std::to_string(m.cols) + " columns but A1 has d = " + std::to_string(dd) +
                                       "; A1..A5 and E must all have d columns");
    if (m.rows == 0) throw InputError(name(stem), "has no rows");
    if (rows != 0 && m.rows != rows)
      throw InputError(name(stem), "has " + std::to_string(m.rows) + " rows but " + why);
    entries(m, stem);
  };
  auto square = [&](const DenseMatrix& m, const std::string& stem) {
    if (m.rows != dd || m.cols != dd)
      throw InputError(name(stem), "has shape " + shape(m) + "; " + stem + " must be d x d with d = " +
                                       std::to_string(dd) + " (A1's columns)");
    entries(m, stem);
  };
  tall(a1, "A1", 0, "");
  tall(a2, "A2", 0, "");
  tall(a3, "A3", 0, "");
  tall(a4, "A4", a2.rows, "A2 has " + std::to_string(a2.rows) + " (V1 = A4 Y1 pairs its rows with K1 = A2 X2)");
  tall(a5, "A5", a3.rows, "A3 has " + std::to_string(a3.rows) + " (V2 = A5 Y2 pairs its rows with K2 = A3 X3)");
  tall(e, "E", a1.rows, "A1 has " + std::to_string(a1.rows) + " (E is the target of O, n_q x d)");
  square(x1, "X1");
  square(x2, "X2");
  square(x3, "X3");
  square(y1, "Y1");
  square(y2, "Y2");
}

DenseMatrix kronecker(const DenseMatrix& a, const DenseMatrix& b) {
  DenseMatrix k(a.rows * b.rows, a.cols * b.cols);
  // --timeout: a check about every 2^20 entries (one row of k is cols entries).
  DeadlinePoller poll(static_cast<unsigned>(std::max<std::size_t>(1, (std::size_t(1) << 20) / std::max<std::size_t>(1, k.cols))));
  for (std::size_t i2 = 0; i2 < b.rows; ++i2)
    for (std::size_t i1 = 0; i1 < a.rows; ++i1)
      for (std::size_t j2 = (poll.poll(), 0); j2 < b.cols; ++j2)
        for (std::size_t j1 = 0; j1 < a.cols; ++j1) k(i1 + i2 * a.rows, j1 + j2 * a.cols) = a(i1, j1) * b(i2, j2);
  return k;
}

DenseMatrix column_kronecker(const DenseMatrix& a, const DenseMatrix& b) {
  if (a.cols != b.cols)
    throw InputError("", "column-wise Kronecker product needs equal column counts (" + std::to_string(a.cols) +
                             " and " + std::to_string(b.cols) + ")");
  DenseMatrix k(a.rows * b.rows, a.cols);
  DeadlinePoller poll(static_cast<unsigned>(std::max<std::size_t>(1, (std::size_t(1) << 20) / std::max<std::size_t>(1, k.cols))));
  for (std::size_t i2 = 0; i2 < b.rows; ++i2)
    for (std::size_t i1 = 0; i1 < a.rows; ++i1)
      for (std::size_t c = (poll.poll(), 0); c < a.cols; ++c) k(i1 + i2 * a.rows, c) = a(i1, c) * b(i2, c);
  return k;
}

DenseMatrix paper_x(const PaperInstance& paper) {
  paper.validate();
  const DenseMatrix w = column_kronecker(paper.x2, paper.x3);  // d^2 x d
  DenseMatrix x(paper.d(), paper.d() * paper.d());
  BlasSingleThreaded guard;
  gemm(false, true, x.rows, x.cols, paper.d(), 1.0, paper.x1.data.data(), paper.d(), w.data.data(), paper.d(), 0.0,
       x.data.data(), x.cols);
  return x;
}

AttentionInstance paper_attention_instance(const PaperInstance& paper) {
  paper.validate();
  BlasSingleThreaded guard;
  return make_attention_instance(matmul(paper.a1, paper.x1), {matmul(paper.a2, paper.x2), matmul(paper.a3, paper.x3)},
                                 {matmul(paper.a4, paper.y1), matmul(paper.a5, paper.y2)});
}

double paper_scale(const PaperInstance& paper, const std::optional<double>& requested) {
  const double scale = 1.0 / double(paper.d());
  if (requested && *requested != scale)
    throw InputError("", "paper 002's loss has scale 1/d = " + std::to_string(scale) + "; another scale (" +
                             std::to_string(*requested) + ") is not its gradient");
  return scale;
}

PaperGradient paper_gradient(const PaperInstance& paper, const GradientOptions& options) {
  paper.validate();
  const std::size_t m = paper.d();
  const double scale = paper_scale(paper, options.scale);
  const AttentionInstance inst = paper_attention_instance(paper);
  detail::PaperDx dx;
  dx.query = paper.a1.data.data();
  dx.left = paper.a2.data.data();
  dx.right = paper.a3.data.data();
  dx.m = m;
  PaperGradient out;
  std::vector<double> sum;
  out.attention = gradient_impl(inst, paper.e, options, &dx, &sum);
  out.loss = out.attention.loss;
  out.d_x = DenseMatrix(m, m * m);
  for (std::size_t t = 0; t < sum.size(); ++t) out.d_x.data[t] = scale * sum[t];
  BlasSingleThreaded guard;
  out.d_x1 = at_b(paper.a1, out.attention.d_q);
  out.d_x2 = at_b(paper.a2, out.attention.d_keys[0]);
  out.d_x3 = at_b(paper.a3, out.attention.d_keys[1]);
  out.d_y1 = at_b(paper.a4, out.attention.d_values[0]);
  out.d_y2 = at_b(paper.a5, out.attention.d_values[1]);
  return out;
}

}  // namespace sethkit::attention
