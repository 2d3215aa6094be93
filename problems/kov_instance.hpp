// k-party Orthogonal Vectors (paper 001, Definition 4.2 for k = 3; its k-party
// form in [Wil05]): given sets A_1..A_k of vectors in {0,1}^d, find one vector
// from each whose k-wise inner product sum_j prod_p a_p[j] is 0.
//
// Vectors are packed 64 to a word, rows contiguous, unused high bits zero, so
// solvers AND whole words.
//
// Text format (one vector a line, parties in order):
//   c any comment
//   p kov K D N_1 ... N_K
//   0110...            <- exactly D characters '0'/'1' ('-' when D = 0)
// Binary format (for large instances): the 8 bytes "SETHKOV1", then K, D,
// N_1..N_K as little-endian uint64, then every vector as ceil(D/64) uint64
// words, party after party.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>
#include "core/options.hpp"

namespace sethkit {

class PackedVectors {
 public:
  PackedVectors() = default;
  PackedVectors(std::size_t count, int dimension);

  std::size_t size() const { return count_; }
  int dimension() const { return dimension_; }
  std::size_t words() const { return words_; }
  const uint64_t* row(std::size_t i) const { return data_.data() + i * words_; }
  uint64_t* row(std::size_t i) { return data_.data() + i * words_; }
  bool bit(std::size_t i, int j) const { return (row(i)[j >> 6] >> (j & 63)) & 1u; }
  void set(std::size_t i, int j, bool value);
  std::size_t popcount(std::size_t i) const;

  friend bool operator==(const PackedVectors&, const PackedVectors&) = default;

 private:
  std::size_t count_ = 0;
  int dimension_ = 0;
  std::size_t words_ = 0;
  std::vector<uint64_t> data_;
};

inline std::size_t words_for_bits(int d) { return (static_cast<std::size_t>(d) + 63) / 64; }

struct KOvInstance {
  int k = 0;
  int d = 0;
  std::vector<PackedVectors> parties;  // parties.size() == k

  // sum_j prod_p parties[p][index[p]][j]
  int64_t inner_product(const std::vector<std::size_t>& index) const;
  std::vector<std::size_t> sizes() const;
  std::size_t num_tuples_saturated() const;  // product of sizes, saturating
  friend bool operator==(const KOvInstance&, const KOvInstance&) = default;
};

inline constexpr int kMaxOrder = core::option_as<int>("kov.max_order");  // k of a kOV instance
inline constexpr int64_t kMaxKovDimension = core::option_as<int64_t>("kov.max_dimension");
inline constexpr int64_t kMaxKovFileBytes = core::option_as<int64_t>("kov.max_file_bytes");
// Vectors in one party (kOV and MaxIP): what a largest file holds at d >= 1.
// With d = 0 a file stores its vectors in no bytes at all, yet every solver
// spends memory per vector, so the count is bounded on its own.
inline constexpr int64_t kMaxPartyVectors = core::option_as<int64_t>("party.max_vectors");

// Why party p (0-based) cannot declare `count` vectors (over
// kMaxPartyVectors), or "" when it can.
std::string party_size_problem(int p, uint64_t count);

// Bytes the text form of an instance with these sizes takes.
double kov_text_bytes(int k, int d, const std::vector<std::size_t>& sizes);
double kov_binary_bytes(int k, int d, const std::vector<std::size_t>& sizes);

void write_kov_text(std::ostream& out, const KOvInstance& inst,
                    const std::vector<std::string>& comments = {});
void write_kov_binary(std::ostream& out, const KOvInstance& inst);
// Reads either form (binary recognized by its magic). Throws InputError with
// FILE:LINE for text, FILE: byte offset for binary.
KOvInstance parse_kov(const std::string& bytes, const std::string& name);
// `path` "-" reads standard input; otherwise a regular file only.
KOvInstance read_kov_file(const std::string& path);

}  // namespace sethkit
