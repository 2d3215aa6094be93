// kOV -> Gap-k-MaxIP through the Merlin-Arthur protocol (paper 001 Theorem
// 4.7 with Theorem 4.5; DESIGN.md "kOV -> Gap-k-MaxIP").
//
// Each kOV vector is a set (its 1-coordinates); an orthogonal k-tuple is a
// disjoint one. Party 1 gets one vector per (alpha, mu-hat), mu-hat ranging
// over Merlin's admissible messages; party p >= 2 one vector per set.
// Coordinates are (j, m_2, ..., m_k): a position and the messages of parties
// 2..k at it. Party p >= 2 has a 1 where m_p is its own message at j; party 1
// has a 1 where Alice, holding alpha and mu-hat, accepts (j, m_2..m_k). The
// inner product counts the positions where Alice accepts:
//   YES (some tuple orthogonal) <=> some inner product = n_C (threshold),
//   NO  <=> all inner products <= n_C - dist(C') (the NO bound).
// Erratum: the proof of Theorem 4.7 states these two cases the other way
// round ("if orthogonal, the inner product is at most m/2"). Disjoint sets
// make Alice accept everywhere, so orthogonal tuples get the maximum; the
// tests keep a check that fails for the reversed version.
//
// The dimension |F|^{T(k-1)} n_C is astronomical, so the instance is
// implicit (inner products from the protocol, O(n_C T k) each); the explicit
// 0/1 form keeps only coordinates where every party p >= 2 has some vector
// with that message (coordinate compression) and is built under a size guard.
//
// Merlin's messages are numbered by their coordinates in the reduced row
// echelon basis R of the admissible subcode: message mu = sum_i mu_i R_i,
// mu_i the base-|F| digits of mu. Since R is the identity on its pivot
// columns, the message that agrees with a word s everywhere can only be the
// one whose digits are s at the pivots (accepting_message: one lookup
// instead of |F|^dim comparisons, issue 17 part 5). With MerlinStorage::table
// the messages are also listed (inner products then read the list); with
// implicit only R is held and a message is formed when needed, so formulas
// with 2^25 messages and more fit in memory.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "problems/kov_instance.hpp"
#include "problems/maxip_instance.hpp"
#include "codes/linear_algebra.hpp"
#include "protocols/ma_disjointness.hpp"

namespace sethkit::reductions {

// Bytes the reduction holds: Merlin's messages (n_C symbols each) and the
// protocol encodings of the kOV vectors (T x n_C symbols each), 4 bytes a
// symbol. memory_bytes() of a built reduction equals it.
double gap_maxip_table_bytes(double merlin_messages, double kov_vectors, std::size_t blocks, std::size_t n_c);

// The constructor's refusals without building: Merlin's messages
// (merlin_count; nullopt means past 2^63, |F|^merlin_dimension) and the
// encodings against max_bytes, each checked on its own.
void check_gap_maxip_tables(std::optional<std::uint64_t> merlin_count, std::size_t merlin_dimension,
                            double kov_vectors, std::size_t blocks, std::size_t n_c, double max_bytes);

enum class MerlinStorage { table, implicit };

// Bytes held with MerlinStorage::implicit: the reduced basis (dimension x
// n_C symbols) and the encodings.
double gap_maxip_implicit_bytes(std::size_t merlin_dimension, double kov_vectors, std::size_t blocks,
                                std::size_t n_c);
// The implicit constructor's refusals: party-1 indices n_1 * |F|^dim past
// 2^63 (merlin_count nullopt or too large), and the bytes against max_bytes.
void check_gap_maxip_implicit(std::optional<std::uint64_t> merlin_count, std::size_t merlin_dimension,
                              double first_party, double kov_vectors, std::size_t blocks, std::size_t n_c,
                              double max_bytes);

class GapMaxIpReduction {
 public:
  // Refuses (SizeLimitError, with the counts) when the Merlin messages (table
  // storage only) or the encodings would pass max_bytes. Requires kov.d ==
  // protocol universe.
  GapMaxIpReduction(const KOvInstance& kov, std::shared_ptr<const protocols::MaDisjointness> protocol,
                    double max_bytes, MerlinStorage storage = MerlinStorage::table);

  int k() const { return k_; }
  std::vector<std::size_t> sizes() const;       // party 1: n_1 * merlin messages
  int64_t threshold() const;                     // n_C
  int64_t no_bound() const;                      // n_C - dist(C')
  std::size_t merlin_messages() const { return message_count_; }
  MerlinStorage storage() const { return storage_; }
  // Message mu (mu < merlin_messages()), n_C symbols into out.
  void merlin_message(std::size_t mu, std::span<codes::Element> out) const;
  // Alice's expected symbols sum_t prod_p C(x_p^t)_j of a kOV tuple (one
  // index per party), n_C of them into out.
  void alice_sums(const std::vector<std::size_t>& kov_tuple, std::span<codes::Element> out) const;
  // The Merlin message with which the party-1 vector of alpha = kov_tuple[0]
  // reaches the threshold n_C against kov_tuple[1..] (the message equal to
  // alice_sums everywhere), or nullopt when none does. O(n_C (T k + dim)).
  std::optional<std::size_t> accepting_message(const std::vector<std::size_t>& kov_tuple) const;
  // Kov party sizes (party 1 without the Merlin factor).
  std::vector<std::size_t> kov_sizes() const;
  std::size_t merlin_dimension() const { return rref_.rank; }
  // Bytes held: Merlin's messages and the encodings of the kOV vectors, as
  // estimated by the constructor's size guards.
  double memory_bytes() const;
  const protocols::MaDisjointness& protocol() const { return *protocol_; }

  // The Gap-MaxIP inner product of a tuple (party-1 index = alpha * M + mu).
  int64_t inner_product(const std::vector<std::size_t>& tuple) const;
  // The kOV tuple a Gap-MaxIP tuple encodes (drops mu-hat).
  std::vector<std::size_t> kov_tuple(const std::vector<std::size_t>& tuple) const;
  // Party-1 index of (alpha, honest-or-any message index).
  std::size_t party1_index(std::size_t alpha, std::size_t merlin) const { return alpha * merlin_messages() + merlin; }

  // Explicit 0/1 form with coordinate compression; its dimension and bytes
  // are computed first and refused over max_bytes.
  double explicit_dimension() const;
  MaxIpInstance explicit_instance(double max_bytes) const;

 private:
  int k_;
  std::size_t n_c_, blocks_;
  std::shared_ptr<const protocols::MaDisjointness> protocol_;
  std::vector<std::vector<protocols::EncodedSet>> encoded_;  // [party][vector]
  MerlinStorage storage_;
  std::size_t message_count_ = 0;
  codes::RowEchelon rref_;                                   // Merlin's basis, reduced
  std::vector<codes::Element> merlin_;                       // messages x n_C (table storage)
};

}  // namespace sethkit::reductions
