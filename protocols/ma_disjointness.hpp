// The (k+1)-party Merlin-Arthur protocol for k-party set disjointness
// (paper 001 Theorem 4.5, after [Rub18]; DESIGN.md "kOV -> Gap-k-MaxIP").
//
// Universe [m] split into T blocks of r = dim C elements (the last block
// padded with absent elements). Party p holds a set, i.e. T indicator blocks
// x_p^t in {0,1}^r, and encodes each with the systematic code C over F,
// char(F) > T. The honest Merlin message is
//     mu = sum_t prod_p C(x_p^t)          (a codeword of C' = C^(k)),
// whose value at the i-th systematic position counts the blocks t whose
// i-th element lies in every set: a count <= T < char(F), so mu vanishes on
// the systematic positions iff the sets are disjoint.
// Alice rejects any mu-hat that does not vanish on the systematic positions;
// for a position j the others send their T symbols C(x_p^t)_j and Alice
// accepts iff mu-hat_j = sum_t prod_p C(x_p^t)_j = mu_j.
//   Completeness: disjoint sets -> mu-hat = mu is accepted at all n_C positions.
//   Soundness: intersecting sets -> every admissible mu-hat differs from mu,
//   both lie in C', so they agree on at most n_C - dist(C') positions.
//
//   auto rs = std::make_shared<codes::ReedSolomonCode>(codes::ReedSolomonCode::first_points(f, 7, 3));
//   MaDisjointness proto(/*m=*/9, /*k=*/3, /*T=*/3, rs);
//   auto e = proto.encode_set(set_bits);                 // T x n_C symbols
//   std::size_t acc = proto.acceptance_count(mu_hat, {e1, e2, e3});
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "codes/linear_code.hpp"

namespace sethkit::protocols {

using codes::Element;

// One party's input after encoding: row t is C(x^t), T rows of n_C symbols.
struct EncodedSet {
  std::size_t blocks = 0, positions = 0;
  std::vector<Element> symbols;  // blocks x positions, row-major
  Element at(std::size_t t, std::size_t j) const { return symbols[t * positions + j]; }
};

class MaDisjointness {
 public:
  // Requires k >= 2, T >= 1, T * dim(C) >= m, char(F) > T and a product code
  // C^(k) of C's family (InputError with the reason otherwise).
  MaDisjointness(std::size_t universe, int k, std::size_t blocks, std::shared_ptr<const codes::LinearCode> code);

  std::size_t universe() const { return m_; }
  int parties() const { return k_; }
  std::size_t blocks() const { return t_; }
  std::size_t block_size() const { return code_->dimension(); }  // r
  std::size_t positions() const { return code_->length(); }      // n_C
  const codes::LinearCode& code() const { return *code_; }
  const codes::LinearCode& product_code() const { return *product_; }
  const codes::Field& field() const { return code_->field(); }

  // Element e of [m] is block e / r, offset e % r. set.size() == m, 0/1.
  EncodedSet encode_set(std::span<const std::uint8_t> set) const;
  // mu = sum_t prod_p C(x_p^t): encodings.size() == k.
  std::vector<Element> honest_message(std::span<const EncodedSet> encodings) const;
  bool admissible(std::span<const Element> mu_hat) const;  // vanishes on S
  // Alice's verdict at position j, given Merlin's message and the inputs.
  bool accepts(std::span<const Element> mu_hat, std::size_t j, std::span<const EncodedSet> encodings) const;
  // Positions j at which Alice accepts (0 if mu_hat is not admissible).
  std::size_t acceptance_count(std::span<const Element> mu_hat, std::span<const EncodedSet> encodings) const;

  // Merlin's admissible messages: the subcode of C' vanishing on S.
  const codes::Matrix& merlin_basis() const { return merlin_basis_; }
  std::size_t merlin_dimension() const { return merlin_basis_.rows(); }
  // |F|^merlin_dimension, or nullopt past 2^63.
  std::optional<std::uint64_t> merlin_message_count() const;
  void for_each_merlin_message(const std::function<void(std::span<const Element>)>& visit,
                               std::uint64_t limit = codes::kDefaultEnumerationLimit) const;
  // max over admissible mu_hat of acceptance_count (enumerates them).
  std::size_t max_acceptance(std::span<const EncodedSet> encodings,
                             std::uint64_t limit = codes::kDefaultEnumerationLimit) const;

  // n_C - dist(C'): the most positions a wrong admissible message can pass,
  // from the designed distance of C' (nullopt when C' has none).
  std::optional<std::size_t> soundness_bound() const;

 private:
  std::size_t m_;
  int k_;
  std::size_t t_;
  std::shared_ptr<const codes::LinearCode> code_;
  std::unique_ptr<codes::LinearCode> product_;
  codes::Matrix merlin_basis_;
};

// What a choice of parameters costs, before anything is built.
struct ProtocolPlan {
  std::string code;              // the CodeFamily's name: "rs" or "hermitian"
  std::uint64_t field_size = 0;  // |F|
  std::uint64_t characteristic = 0;
  std::size_t blocks = 0;        // T
  std::size_t block_size = 0;    // r = dim C
  std::size_t positions = 0;     // n_C
  std::uint64_t hermitian_a = 0; // C = L(aP) (Hermitian plans)
  std::size_t product_dimension = 0;  // dim C'
  std::size_t soundness_bound = 0;    // accepted positions of a wrong message, at most
  double soundness = 0;               // soundness_bound / n_C
  double log2_merlin_messages = 0;    // per party-1 vector of the kOV instance
  double log2_messages_per_party = 0; // |F|^T possible messages of a party p >= 2 at one j
  // The paper's asymptotic figures for the same (m, T): Merlin sends
  // n_C log|F| = O(m log T / T) bits, each other party T log|F| bits.
  double paper_merlin_bits = 0;
  double paper_party_bits = 0;
};

// Chooses T, the field and n_C for Reed-Solomon (or Hermitian: q prime,
// C = L(aP) on the q^3 affine points) so that the soundness bound is at most
// target * n_C, minimizing (Merlin messages) x (uncompressed dimension
// n_C |F|^{T(k-1)}) over the family's candidates (protocols/code_family.hpp).
// InputError when no parameters within reach meet the target, or when `code`
// names no family (the message lists the known ones).
ProtocolPlan choose_parameters(std::size_t universe, int k, double target_soundness, const std::string& code);

// Builds the code a plan names (code_family(plan.code).build(plan)).
std::shared_ptr<const codes::LinearCode> build_code(const ProtocolPlan& plan);

}  // namespace sethkit::protocols
