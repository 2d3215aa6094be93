// k-MaxIP instances, explicit (paper 001 Definition A.2 for k = 3, and
// Gap-MaxIP, Definition 4.6): k parties of integer vectors in Z^d; the value
// of a tuple is the k-wise inner product sum_j prod_p a_p[j] (Definition
// A.1). The decision asks whether some tuple reaches `threshold`; under the
// gap promise every tuple of a NO instance is at most `no_bound`.
//
// Entries are integers (the direct route of DESIGN.md has -1 entries; the
// Gap-MaxIP route 0/1). Rows are contiguous int32.
//
// Text format:
//   c any comment
//   p maxip K D N_1 ... N_K
//   t THRESHOLD NO_BOUND          <- optional: YES iff max >= THRESHOLD,
//                                    promise: NO => max <= NO_BOUND
//   a_1 a_2 ... a_D               <- one vector a line, D integers
// Binary format: "SETHMIP1", then K, D, N_1..N_K as little-endian uint64,
// a flag (0/1: thresholds present) and THRESHOLD, NO_BOUND as int64, then
// every entry as little-endian int32, party after party.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>
#include "core/options.hpp"

namespace sethkit {

class IntVectors {
 public:
  IntVectors() = default;
  IntVectors(std::size_t count, int dimension)
      : count_(count), dimension_(dimension), data_(count * static_cast<std::size_t>(dimension), 0) {}
  std::size_t size() const { return count_; }
  int dimension() const { return dimension_; }
  const int32_t* row(std::size_t i) const { return data_.data() + i * static_cast<std::size_t>(dimension_); }
  int32_t* row(std::size_t i) { return data_.data() + i * static_cast<std::size_t>(dimension_); }
  friend bool operator==(const IntVectors&, const IntVectors&) = default;

 private:
  std::size_t count_ = 0;
  int dimension_ = 0;
  std::vector<int32_t> data_;
};

struct MaxIpGap {
  int64_t threshold = 0;  // YES iff some tuple reaches this
  int64_t no_bound = 0;   // promise: NO instances stay at or below this
  friend bool operator==(const MaxIpGap&, const MaxIpGap&) = default;
};

struct MaxIpInstance {
  int k = 0;
  int d = 0;
  std::vector<IntVectors> parties;
  std::optional<MaxIpGap> gap;

  int64_t inner_product(const std::vector<std::size_t>& index) const;
  std::vector<std::size_t> sizes() const;
  friend bool operator==(const MaxIpInstance&, const MaxIpInstance&) = default;
};

inline constexpr int64_t kMaxMaxIpDimension = core::option_as<int64_t>("maxip.max_dimension");
inline constexpr int64_t kMaxMaxIpFileBytes = core::option_as<int64_t>("maxip.max_file_bytes");

double maxip_memory_bytes(int d, const std::vector<std::size_t>& sizes);

void write_maxip_text(std::ostream& out, const MaxIpInstance& inst,
                      const std::vector<std::string>& comments = {});
void write_maxip_binary(std::ostream& out, const MaxIpInstance& inst);
// Either form (binary by its magic); InputError with FILE:LINE on bad input.
MaxIpInstance parse_maxip(const std::string& bytes, const std::string& name);
// `path` "-" reads standard input; otherwise a regular file only.
MaxIpInstance read_maxip_file(const std::string& path);

}  // namespace sethkit
