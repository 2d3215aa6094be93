#include "reductions/kov_to_gap_maxip.hpp"

#include <algorithm>
#include <map>
#include <string>

#include "core/deadline.hpp"
#include "core/errors.hpp"
#include "reductions/hints.hpp"

namespace sethkit::reductions {

namespace {

// Bytes of the protocol encodings of `vectors` kOV vectors: T blocks of n_C
// field elements each (the constructor's estimate and memory_bytes agree).
double encoding_bytes(double vectors, std::size_t blocks, std::size_t n_c) {
  return vectors * double(blocks * n_c) * 4.0;
}

}  // namespace

double gap_maxip_table_bytes(double merlin_messages, double kov_vectors, std::size_t blocks, std::size_t n_c) {
  return merlin_messages * double(n_c) * 4.0 + encoding_bytes(kov_vectors, blocks, n_c);
}

void check_gap_maxip_tables(std::optional<std::uint64_t> count, std::size_t merlin_dimension, double vectors,
                            std::size_t blocks, std::size_t n_c, double max_bytes) {
  const double merlin_bytes = count ? double(*count) * double(n_c) * 4.0 : 1e300;
  check_size("Merlin's " + (count ? std::to_string(*count) : std::string("> 2^63")) + " admissible messages (|F|^" +
                 std::to_string(merlin_dimension) + ")",
             merlin_bytes, max_bytes, "choose other protocol parameters or a smaller instance");
  check_size("the protocol encodings of the kOV vectors", encoding_bytes(vectors, blocks, n_c), max_bytes,
             "use a smaller instance");
}

double gap_maxip_implicit_bytes(std::size_t merlin_dimension, double kov_vectors, std::size_t blocks,
                                std::size_t n_c) {
  return double(merlin_dimension) * double(n_c) * 4.0 + encoding_bytes(kov_vectors, blocks, n_c);
}

void check_gap_maxip_implicit(std::optional<std::uint64_t> count, std::size_t merlin_dimension, double first_party,
                              double vectors, std::size_t blocks, std::size_t n_c, double max_bytes) {
  const double indices = count ? double(*count) * first_party : 1e300;
  if (indices >= 9.2e18)
    throw SizeLimitError("the Gap-MaxIP instance has " + count_text(first_party) + " x |F|^" +
                         std::to_string(merlin_dimension) +
                         " party-1 vectors, past the 2^63 indices a tuple can name: the protocol route fits only tiny "
                         "formulas; " + direct_route_hint(false, 0));
  check_size("the reduced basis of Merlin's messages and the protocol encodings of the kOV vectors",
             gap_maxip_implicit_bytes(merlin_dimension, vectors, blocks, n_c), max_bytes, "use a smaller instance");
}

GapMaxIpReduction::GapMaxIpReduction(const KOvInstance& kov, std::shared_ptr<const protocols::MaDisjointness> protocol,
                                     double max_bytes, MerlinStorage storage)
    : k_(kov.k), n_c_(protocol->positions()), blocks_(protocol->blocks()), protocol_(std::move(protocol)),
      storage_(storage) {
  if (protocol_->universe() != std::size_t(kov.d) || protocol_->parties() != kov.k)
    throw InputError("", "the protocol is for m = " + std::to_string(protocol_->universe()) + ", k = " +
                             std::to_string(protocol_->parties()) + " but the kOV instance has d = " +
                             std::to_string(kov.d) + ", k = " + std::to_string(kov.k));
  const auto count = protocol_->merlin_message_count();
  double vectors = 0;
  for (const auto& party : kov.parties) vectors += double(party.size());
  if (storage_ == MerlinStorage::table)
    check_gap_maxip_tables(count, protocol_->merlin_dimension(), vectors, blocks_, n_c_, max_bytes);
  else
    check_gap_maxip_implicit(count, protocol_->merlin_dimension(), double(kov.parties[0].size()), vectors, blocks_,
                             n_c_, max_bytes);
  message_count_ = std::size_t(*count);
  if (protocol_->merlin_dimension() > 0) {
    rref_ = codes::reduced_row_echelon(protocol_->field(), protocol_->merlin_basis());
  } else {
    rref_.rank = 0;
    rref_.basis = codes::Matrix(0, n_c_);
  }
  if (storage_ == MerlinStorage::table) {
    merlin_.resize(message_count_ * n_c_);
    for (std::size_t mu = 0; mu < message_count_; ++mu)
      merlin_message(mu, std::span<codes::Element>(merlin_.data() + mu * n_c_, n_c_));
  }
  std::vector<std::uint8_t> set(std::size_t(kov.d));
  for (const auto& party : kov.parties) {
    std::vector<protocols::EncodedSet> enc;
    for (std::size_t i = 0; i < party.size(); ++i) {
      check_deadline();  // --timeout: an encoding is T codewords of n_C symbols
      for (int j = 0; j < kov.d; ++j) set[std::size_t(j)] = party.bit(i, j);
      enc.push_back(protocol_->encode_set(set));
    }
    encoded_.push_back(std::move(enc));
  }
}

std::vector<std::size_t> GapMaxIpReduction::sizes() const {
  std::vector<std::size_t> s;
  for (const auto& enc : encoded_) s.push_back(enc.size());
  s[0] *= merlin_messages();
  return s;
}

int64_t GapMaxIpReduction::threshold() const { return int64_t(n_c_); }

int64_t GapMaxIpReduction::no_bound() const {
  const auto b = protocol_->soundness_bound();
  if (!b) throw InputError("", "the product code has no designed distance: no NO bound");
  return int64_t(*b);
}

std::vector<std::size_t> GapMaxIpReduction::kov_tuple(const std::vector<std::size_t>& tuple) const {
  std::vector<std::size_t> t = tuple;
  t[0] = tuple[0] / merlin_messages();
  return t;
}

void GapMaxIpReduction::merlin_message(std::size_t mu, std::span<codes::Element> out) const {
  const codes::Field& f = protocol_->field();
  std::fill(out.begin(), out.end(), f.zero());
  const std::uint64_t q = f.size();
  for (std::size_t i = 0; i < rref_.rank; ++i, mu /= q) {
    const auto digit = codes::Element(mu % q);
    if (digit == f.zero()) continue;
    const auto row = rref_.basis.row(i);
    for (std::size_t j = 0; j < n_c_; ++j) out[j] = f.add(out[j], f.mul(digit, row[j]));
  }
}

void GapMaxIpReduction::alice_sums(const std::vector<std::size_t>& tuple, std::span<codes::Element> out) const {
  const codes::Field& f = protocol_->field();
  for (std::size_t j = 0; j < n_c_; ++j) {
    codes::Element sum = f.zero();
    for (std::size_t t = 0; t < blocks_; ++t) {
      codes::Element prod = encoded_[0][tuple[0]].at(t, j);
      for (int p = 1; p < k_; ++p) prod = f.mul(prod, encoded_[std::size_t(p)][tuple[std::size_t(p)]].at(t, j));
      sum = f.add(sum, prod);
    }
    out[j] = sum;
  }
}

std::optional<std::size_t> GapMaxIpReduction::accepting_message(const std::vector<std::size_t>& kov_tuple) const {
  std::vector<codes::Element> s(n_c_), m(n_c_);
  alice_sums(kov_tuple, s);
  // The only candidate: digits = s at the pivots (R is the identity there).
  std::size_t mu = 0;
  for (std::size_t i = rref_.rank; i-- > 0;) mu = mu * std::size_t(protocol_->field().size()) + s[rref_.pivots[i]];
  merlin_message(mu, m);
  if (m != s) return std::nullopt;
  return mu;
}

std::vector<std::size_t> GapMaxIpReduction::kov_sizes() const {
  std::vector<std::size_t> s;
  for (const auto& enc : encoded_) s.push_back(enc.size());
  return s;
}

int64_t GapMaxIpReduction::inner_product(const std::vector<std::size_t>& tuple) const {
  const codes::Field& f = protocol_->field();
  const std::size_t alpha = tuple[0] / merlin_messages(), mu = tuple[0] % merlin_messages();
  std::vector<codes::Element> formed;
  const codes::Element* mu_hat = merlin_.data() + mu * n_c_;
  if (storage_ == MerlinStorage::implicit) {
    formed.resize(n_c_);
    merlin_message(mu, formed);
    mu_hat = formed.data();
  }
  int64_t accepted = 0;
  for (std::size_t j = 0; j < n_c_; ++j) {
    codes::Element sum = f.zero();
    for (std::size_t t = 0; t < blocks_; ++t) {
      codes::Element prod = encoded_[0][alpha].at(t, j);
      for (int p = 1; p < k_; ++p) prod = f.mul(prod, encoded_[std::size_t(p)][tuple[std::size_t(p)]].at(t, j));
      sum = f.add(sum, prod);
    }
    accepted += mu_hat[j] == sum;
  }
  return accepted;  // merlin_ holds admissible messages only
}

namespace {

using Message = std::vector<codes::Element>;  // one party's T symbols at a position

Message message_at(const protocols::EncodedSet& e, std::size_t j) {
  Message m(e.blocks);
  for (std::size_t t = 0; t < e.blocks; ++t) m[t] = e.at(t, j);
  return m;
}

}  // namespace

double GapMaxIpReduction::explicit_dimension() const {
  double dim = 0;
  for (std::size_t j = 0; j < n_c_; ++j) {
    double combos = 1;
    for (int p = 1; p < k_; ++p) {
      check_deadline();  // --timeout: one check per position and party
      std::map<Message, int> distinct;
      for (const auto& e : encoded_[std::size_t(p)]) distinct.emplace(message_at(e, j), 0);
      combos *= double(distinct.size());
    }
    dim += combos;
  }
  return dim;
}

double GapMaxIpReduction::memory_bytes() const {
  double vectors = 0;
  for (const auto& party : encoded_) vectors += double(party.size());
  if (storage_ == MerlinStorage::implicit) return gap_maxip_implicit_bytes(rref_.rank, vectors, blocks_, n_c_);
  return gap_maxip_table_bytes(double(merlin_messages()), vectors, blocks_, n_c_);
}

MaxIpInstance GapMaxIpReduction::explicit_instance(double max_bytes) const {
  const double dim = explicit_dimension();
  double vectors = 0;
  for (auto n : sizes()) vectors += double(n);
  const std::string what = "the explicit Gap-MaxIP instance (dimension " + count_text(dim) + " after compression, " +
                           count_text(vectors) + " vectors)";
  if (dim > double(kMaxMaxIpDimension))
    throw SizeLimitError(what + " is over the MaxIP format's dimension limit 2^28; use the implicit form "
                                "(solve/verify do) or a smaller instance");
  check_size(what, dim * vectors * 4.0, max_bytes, "use the implicit form (solve/verify do) or a smaller instance");
  if (storage_ == MerlinStorage::implicit)
    throw InputError("", "the explicit Gap-MaxIP instance needs Merlin's messages listed (MerlinStorage::table)");
  const codes::Field& f = protocol_->field();
  MaxIpInstance out;
  out.k = k_;
  out.d = int(dim);
  out.gap = MaxIpGap{threshold(), no_bound()};
  for (std::size_t n : sizes()) out.parties.emplace_back(n, out.d);
  DeadlinePoller poll(static_cast<unsigned>(
      std::max<std::size_t>(1, (std::size_t(1) << 20) / std::max<std::size_t>(1, merlin_messages() + blocks_ * std::size_t(k_)))));
  std::size_t base = 0;  // first coordinate of position j
  for (std::size_t j = 0; j < n_c_; ++j) {
    // Distinct messages of each party p >= 2 at j, numbered; coordinates of j
    // are the mixed-radix combinations (m_2, ..., m_k).
    std::vector<std::map<Message, std::size_t>> index(static_cast<std::size_t>(k_));
    std::vector<std::vector<const Message*>> listed(static_cast<std::size_t>(k_));
    for (int p = 1; p < k_; ++p) {
      check_deadline();  // --timeout
      for (const auto& e : encoded_[std::size_t(p)]) index[std::size_t(p)].emplace(message_at(e, j), 0);
      std::size_t next = 0;
      for (auto& [msg, id] : index[std::size_t(p)]) {
        id = next++;
        listed[std::size_t(p)].push_back(&msg);
      }
    }
    std::size_t combos = 1;
    for (int p = 1; p < k_; ++p) combos *= index[std::size_t(p)].size();
    // Parties p >= 2: a 1 at every combination holding their own message.
    std::size_t stride = 1;
    for (int p = 1; p < k_; ++p) {
      const std::size_t radix = index[std::size_t(p)].size();
      for (std::size_t v = 0; v < encoded_[std::size_t(p)].size(); ++v) {
        check_deadline();  // --timeout: a row of `combos` entries
        const std::size_t own = index[std::size_t(p)].at(message_at(encoded_[std::size_t(p)][v], j));
        for (std::size_t c = 0; c < combos; ++c)
          if ((c / stride) % radix == own) out.parties[std::size_t(p)].row(v)[base + c] = 1;
      }
      stride *= radix;
    }
    // Party 1: a 1 where Alice accepts given (alpha, mu-hat) and the messages.
    for (std::size_t alpha = 0; alpha < encoded_[0].size(); ++alpha) {
      for (std::size_t c = 0; c < combos; ++c) {
        poll.poll();  // --timeout: T (k - 1) products and the Merlin messages per combination
        codes::Element sum = f.zero();
        for (std::size_t t = 0; t < blocks_; ++t) {
          codes::Element prod = encoded_[0][alpha].at(t, j);
          std::size_t rest = c;
          for (int p = 1; p < k_; ++p) {
            const std::size_t radix = index[std::size_t(p)].size();
            prod = f.mul(prod, (*listed[std::size_t(p)][rest % radix])[t]);
            rest /= radix;
          }
          sum = f.add(sum, prod);
        }
        for (std::size_t mu = 0; mu < merlin_messages(); ++mu)
          if (merlin_[mu * n_c_ + j] == sum) out.parties[0].row(party1_index(alpha, mu))[base + c] = 1;
      }
    }
    base += combos;
  }
  return out;
}

}  // namespace sethkit::reductions
