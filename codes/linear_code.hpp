// Systematic linear codes over F_p / F_{p^2}: the interface the MA protocol
// (paper 001, Theorem 4.5) uses for C and its k-way product code C'.
//
// Paper 001, Theorem 4.4 asks of the codes:
//   - Systematicity: on a set S of positions (here `information_set()`) every
//     assignment is the restriction of a codeword: encode(m) restricted to S
//     is m.
//   - k-way polynomial closure: entrywise products of k codewords of C lie in
//     C' (here `product(k)`; the generic default is the span of all such
//     products, the Schur power, and Reed-Solomon / Hermitian override it
//     with the code of their own family that contains it).
//   - Efficiency: encoding is O(dimension * n); membership O(dimension * n).
//   - Parameters: `designed_distance()` is the distance the construction
//     guarantees; `minimum_distance()` is the exact one, by enumeration of the
//     code (or of its dual and the MacWilliams identity) when that is small
//     enough, and unknown otherwise, never estimated.
// The paper states these for k = 3; everything here takes k as a parameter.
//
// Example (the protocol's use):
//   auto f = Field::prime(11);
//   ReedSolomonCode c = ReedSolomonCode::first_points(f, 10, 3);   // C
//   auto c3 = c.product(3);                                        // C' = C^(3)
//   std::vector<Element> a = c.encode(alice_bits), b = ..., d = ...;
//   assert(c3->contains(entrywise_product(*f, {a, b, d})));
//   Matrix merlin = c3->vanishing_subcode(c.information_set());  // mu-hat candidates
//   for_each_codeword(*f, merlin, [&](std::span<const Element> mu) { ... });
//   Element s = c.symbol(alice_bits, j);   // one position without encoding all
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "codes/field.hpp"
#include "codes/linear_algebra.hpp"
#include "core/options.hpp"

namespace sethkit::codes {

// Codewords enumerated at most by default: |F|^dim <= 2^24 words of n symbols
// is about a second for n ~ 100.
inline constexpr std::uint64_t kDefaultEnumerationLimit = core::option_as<std::uint64_t>("codes.max_codewords");

// minimum_distance() also gives up when the enumeration would visit more than
// this many symbols (codewords times length): 2^32 is a few seconds.
inline constexpr double kMaxEnumeratedSymbols = core::option("codes.max_enumerated_symbols");

// The dual route of minimum_distance() turns the dual's weights into the
// code's with the MacWilliams identity over exact integers: Pascal's triangle
// up to the length n ((n+1)^2 NTL::ZZ, row a holding integers of up to a
// bits) and the powers (q-1)^i. That takes about n^3/24 + 24 n^2 bytes
// (macwilliams_bytes): about 100 MiB at n = 1200, 500 MiB at n = 2154; above
// this limit (n ~ 1650) minimum_distance() refuses (SizeLimitError) instead.
inline constexpr double kMaxMacWilliamsBytes = core::option("codes.max_macwilliams_bytes");

// The estimate compared against kMaxMacWilliamsBytes, for length n over F_q.
double macwilliams_bytes(std::size_t n, std::uint64_t field_size);

// How an exact minimum distance was obtained.
enum class DistanceMethod {
  automatic,  // whichever of the two below is enumerable (the smaller)
  direct,     // weights of all |F|^k codewords
  dual,       // weights of all |F|^(n-k) dual codewords, then MacWilliams
};

struct MinimumDistance {
  std::optional<std::size_t> value;  // nullopt: too many codewords to enumerate
  std::string method;                // "enumeration", "dual enumeration + MacWilliams identity", ""
};

class LinearCode {
 public:
  // The code spanned by the rows of `generator` (any spanning set; dependent
  // rows are fine). The information set is the lexicographically first set of
  // independent columns; the stored generator is systematic on it.
  // Requires a nonzero generator with at least one column (else InputError).
  LinearCode(std::shared_ptr<const Field> field, const Matrix& generator, std::string name = "linear code",
             std::optional<std::size_t> designed_distance = std::nullopt);
  virtual ~LinearCode() = default;
  LinearCode(const LinearCode&) = default;
  LinearCode& operator=(const LinearCode&) = default;

  const Field& field() const { return *field_; }
  const std::shared_ptr<const Field>& field_ptr() const { return field_; }
  const std::string& name() const { return name_; }
  std::size_t length() const { return generator_.cols(); }
  std::size_t dimension() const { return generator_.rows(); }
  // A lower bound on the minimum distance guaranteed by the construction
  // (nullopt for a code given only by a generator matrix).
  std::optional<std::size_t> designed_distance() const { return designed_distance_; }

  // Positions S, strictly increasing, |S| = dimension(): every message is the
  // restriction of exactly one codeword to S.
  const std::vector<std::size_t>& information_set() const { return information_set_; }
  // Systematic generator G (dimension x n): G[:, S] is the identity.
  const Matrix& generator() const { return generator_; }
  // Systematic parity check H ((n - dimension) x n): H c^T = 0 iff c is a
  // codeword, and H is the identity on the positions outside S.
  // SizeLimitError (with the size) when H would have more than
  // kMaxMatrixEntries entries.
  Matrix parity_check() const;

  // The codeword c with c[S[i]] = message[i] (requires message.size() ==
  // dimension(), entries in the field).
  std::vector<Element> encode(std::span<const Element> message) const;
  // encode(message)[position] in O(dimension).
  Element symbol(std::span<const Element> message, std::size_t position) const;
  // The restriction of a word to S (the message, if word is a codeword).
  std::vector<Element> message_of(std::span<const Element> word) const;
  // Whether word (length n) is a codeword.
  bool contains(std::span<const Element> word) const;

  // Basis (rows, independent) of the subcode {c in C : c[j] = 0 for j in
  // positions}; it has |F|^rows codewords.
  Matrix vanishing_subcode(std::span<const std::size_t> positions) const;

  // Exact minimum distance when |F|^k or |F|^(n-k) is at most `limit` (and
  // that many codewords times n at most kMaxEnumeratedSymbols); otherwise
  // value is nullopt: unknown, never estimated. The dual route also needs the
  // MacWilliams tables within kMaxMacWilliamsBytes: when that route is taken
  // and they are not, SizeLimitError with the size, before any enumeration.
  // (It is taken only when |F|^(n-k) < |F|^k, or by `method`: whenever the
  // tables are that large, n - k is small and the direct route is not
  // enumerable.)
  MinimumDistance minimum_distance(std::uint64_t limit = kDefaultEnumerationLimit,
                                   DistanceMethod method = DistanceMethod::automatic) const;

  // C^(k): a code containing every entrywise product of k codewords (k >= 1;
  // InputError otherwise, or when the family's product code does not exist).
  // Default: the Schur power below; RS and Hermitian return their own family.
  virtual std::unique_ptr<LinearCode> product(int k) const;
  // The span of all entrywise products of k codewords (the smallest C^(k)).
  // SizeLimitError when the intermediate spanning sets are too large.
  LinearCode schur_power(int k) const;
  // The dual code (requires dimension() < length()).
  LinearCode dual() const;

 protected:
  // For families that know their systematic generator: checks that
  // generator[:, information_set] is the identity (std::logic_error if not).
  struct SystematicTag {};
  LinearCode(SystematicTag, std::shared_ptr<const Field> field, Matrix systematic_generator,
             std::vector<std::size_t> information_set, std::string name,
             std::optional<std::size_t> designed_distance);

 private:
  void index_positions();
  void check_word(std::span<const Element> word, const char* what) const;
  // Message coordinates in the layout of column_coords_.
  std::vector<std::uint32_t> split_message(std::span<const Element> message) const;
  // (message G)[j] from split coordinates, without a division per term.
  Element column_dot(const std::vector<std::uint32_t>& split, std::size_t j) const;

  std::shared_ptr<const Field> field_;
  std::string name_;
  std::optional<std::size_t> designed_distance_;
  Matrix generator_;                            // systematic, dimension x n
  Matrix columns_;                              // generator_ transposed: n x dimension
  // Column j of generator_ as F_p coordinates: dimension() values c0 of its
  // entries, then (for F_{p^2}) dimension() values c1. Encoding then needs
  // no division per term (a few times faster than Field::dot over F_{p^2}).
  std::vector<std::uint32_t> column_coords_;
  std::vector<std::size_t> information_set_;   // S
  std::vector<std::size_t> redundant_positions_;  // the complement of S
};

// |F|^rows, or nullopt when that exceeds 2^63.
std::optional<std::uint64_t> span_size(const Field& field, std::size_t rows);

// Calls visit(word) once for each of the |F|^rows F-linear combinations of the
// rows of basis (each codeword once when the rows are independent), the zero
// word first; a p-ary Gray code, so each step costs one vector addition.
// SizeLimitError when |F|^rows > limit.
void for_each_codeword(const Field& field, const Matrix& basis,
                       const std::function<void(std::span<const Element>)>& visit,
                       std::uint64_t limit = kDefaultEnumerationLimit);

// counts[w] = number of combinations of the rows of basis of Hamming weight w
// (w = 0 .. basis.cols()); SizeLimitError when |F|^rows > limit.
std::vector<std::uint64_t> weight_distribution(const Field& field, const Matrix& basis,
                                               std::uint64_t limit = kDefaultEnumerationLimit);

std::size_t hamming_weight(std::span<const Element> word);

// Entrywise product of words of equal length (at least one word).
std::vector<Element> entrywise_product(const Field& field, std::span<const std::vector<Element>> words);
std::vector<Element> entrywise_product(const Field& field, std::initializer_list<std::vector<Element>> words);

}  // namespace sethkit::codes
