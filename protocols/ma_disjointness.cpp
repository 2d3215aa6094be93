#include "protocols/ma_disjointness.hpp"

#include <cmath>
#include <limits>

#include "core/deadline.hpp"
#include "core/errors.hpp"
#include "protocols/code_family.hpp"

namespace sethkit::protocols {

MaDisjointness::MaDisjointness(std::size_t universe, int k, std::size_t blocks,
                               std::shared_ptr<const codes::LinearCode> code)
    : m_(universe), k_(k), t_(blocks), code_(std::move(code)) {
  if (!code_) throw InputError("", "no code given to the protocol");
  if (k_ < 2) throw InputError("", "the protocol needs k >= 2 parties, got " + std::to_string(k_));
  if (t_ < 1) throw InputError("", "the protocol needs T >= 1 blocks");
  if (t_ * code_->dimension() < m_)
    throw InputError("", "T * r = " + std::to_string(t_) + " * " + std::to_string(code_->dimension()) +
                             " < m = " + std::to_string(m_) + ": the blocks do not cover the universe");
  if (code_->field().characteristic() <= t_)
    throw InputError("", "char(F) = " + std::to_string(code_->field().characteristic()) + " <= T = " +
                             std::to_string(t_) +
                             ": a count of up to T common elements could vanish mod char(F) (Theorem 4.5 "
                             "needs char(F) > T)");
  product_ = code_->product(k_);
  // Merlin's admissible messages vanish on C's systematic positions (the
  // positions where mu counts the common elements).
  merlin_basis_ = product_->vanishing_subcode(code_->information_set());
}

EncodedSet MaDisjointness::encode_set(std::span<const std::uint8_t> set) const {
  if (set.size() != m_)
    throw InputError("", "a set of the protocol has " + std::to_string(set.size()) + " entries, expected m = " +
                             std::to_string(m_));
  check_deadline();  // --timeout: T codewords of n_C symbols per call
  const std::size_t r = block_size(), n = positions();
  EncodedSet e{t_, n, std::vector<Element>(t_ * n)};
  std::vector<Element> message(r);
  for (std::size_t t = 0; t < t_; ++t) {
    for (std::size_t i = 0; i < r; ++i) {
      const std::size_t element = t * r + i;
      message[i] = element < m_ && set[element] ? field().one() : field().zero();
    }
    const std::vector<Element> word = code_->encode(message);
    std::copy(word.begin(), word.end(), e.symbols.begin() + static_cast<std::ptrdiff_t>(t * n));
  }
  return e;
}

namespace {

// sum_t prod_p C(x_p^t)_j: the value the honest mu has at position j.
Element expected_symbol(const codes::Field& f, std::span<const EncodedSet> enc, std::size_t j) {
  Element sum = f.zero();
  for (std::size_t t = 0; t < enc[0].blocks; ++t) {
    Element prod = f.one();
    for (const EncodedSet& e : enc) prod = f.mul(prod, e.at(t, j));
    sum = f.add(sum, prod);
  }
  return sum;
}

}  // namespace

std::vector<Element> MaDisjointness::honest_message(std::span<const EncodedSet> encodings) const {
  if (encodings.size() != std::size_t(k_)) throw InputError("", "the protocol needs one encoded set per party");
  std::vector<Element> mu(positions());
  for (std::size_t j = 0; j < mu.size(); ++j) mu[j] = expected_symbol(field(), encodings, j);
  return mu;
}

bool MaDisjointness::admissible(std::span<const Element> mu_hat) const {
  for (std::size_t s : code_->information_set())
    if (mu_hat[s] != field().zero()) return false;
  return true;
}

bool MaDisjointness::accepts(std::span<const Element> mu_hat, std::size_t j,
                             std::span<const EncodedSet> encodings) const {
  return admissible(mu_hat) && mu_hat[j] == expected_symbol(field(), encodings, j);
}

std::size_t MaDisjointness::acceptance_count(std::span<const Element> mu_hat,
                                             std::span<const EncodedSet> encodings) const {
  // --timeout: the exact analysis calls this once per (tuple, message); a
  // check every 64 calls is a few microseconds of work apart.
  thread_local DeadlinePoller poll(64);
  poll.poll();
  if (!admissible(mu_hat)) return 0;
  std::size_t count = 0;
  for (std::size_t j = 0; j < positions(); ++j) count += mu_hat[j] == expected_symbol(field(), encodings, j);
  return count;
}

std::optional<std::uint64_t> MaDisjointness::merlin_message_count() const {
  return codes::span_size(field(), merlin_dimension());
}

void MaDisjointness::for_each_merlin_message(const std::function<void(std::span<const Element>)>& visit,
                                             std::uint64_t limit) const {
  if (merlin_dimension() == 0) {  // only the zero word
    const std::vector<Element> zero(positions(), field().zero());
    visit(zero);
    return;
  }
  codes::for_each_codeword(field(), merlin_basis_, visit, limit);
}

std::size_t MaDisjointness::max_acceptance(std::span<const EncodedSet> encodings, std::uint64_t limit) const {
  const std::vector<Element> mu = honest_message(encodings);
  std::size_t best = 0;
  DeadlinePoller poll(static_cast<unsigned>(std::max<std::size_t>(1, (std::size_t(1) << 20) / std::max<std::size_t>(1, mu.size()))));
  for_each_merlin_message(
      [&](std::span<const Element> mu_hat) {
        poll.poll();  // --timeout
        std::size_t agree = 0;  // admissible by construction: count agreements with mu
        for (std::size_t j = 0; j < mu.size(); ++j) agree += mu_hat[j] == mu[j];
        best = std::max(best, agree);
      },
      limit);
  return best;
}

std::optional<std::size_t> MaDisjointness::soundness_bound() const {
  const auto d = product_->designed_distance();
  if (!d) return std::nullopt;
  return positions() - std::min(*d, positions());
}

// ---------------------------------------------------------------------------

namespace {

void fill_paper_figures(ProtocolPlan& plan, std::size_t m) {
  const double t = double(plan.blocks);
  plan.paper_merlin_bits = double(m) / t * std::log2(std::max(t, 2.0));
  plan.paper_party_bits = t * std::log2(std::max(t, 2.0));
}

}  // namespace

ProtocolPlan choose_parameters(std::size_t universe, int k, double target, const std::string& code) {
  if (k < 2) throw InputError("", "k must be >= 2");
  if (!(target > 0 && target < 1)) throw InputError("", "target soundness must be in (0, 1)");
  const std::size_t m = std::max<std::size_t>(universe, 1);
  // Objective: log2 of (Merlin messages) x (uncompressed dimension
  // n_C |F|^{T(k-1)}), the two sizes the construction trades against each
  // other (T = m makes Merlin trivial and the dimension huge; T = 1 the reverse).
  const CodeFamily& family = code_family(code);
  ProtocolPlan best;
  best.log2_merlin_messages = std::numeric_limits<double>::infinity();
  double best_cost = std::numeric_limits<double>::infinity();
  for (const ProtocolPlan& plan : family.candidates(m, k, target)) {
    const double cost = plan.log2_merlin_messages + std::log2(double(plan.positions)) +
                        double(plan.blocks) * double(k - 1) * std::log2(double(plan.field_size));
    if (cost < best_cost) {  // the first of equal costs
      best_cost = cost;
      best = plan;
    }
  }
  if (!std::isfinite(best.log2_merlin_messages))
    throw InputError("", "no " + code + " parameters reach soundness " + std::to_string(target) + " for m = " +
                             std::to_string(universe) + ", k = " + std::to_string(k));
  fill_paper_figures(best, m);
  return best;
}

std::shared_ptr<const codes::LinearCode> build_code(const ProtocolPlan& plan) {
  return code_family(plan.code).build(plan);
}

}  // namespace sethkit::protocols
