#include "reductions/kov_to_maxip.hpp"

#include <string>

#include "core/errors.hpp"

namespace sethkit::reductions {

void check_kov_to_maxip_size(int m, const std::vector<std::size_t>& sizes, double max_bytes) {
  check_size("the direct k-MaxIP instance (d = " + std::to_string(2 * m) + ")", maxip_memory_bytes(2 * m, sizes),
             max_bytes, "raise --max-bytes or use a larger --k");
}

MaxIpInstance kov_to_maxip(const KOvInstance& kov, double max_bytes) {
  const int m = kov.d;
  check_kov_to_maxip_size(m, kov.sizes(), max_bytes);
  MaxIpInstance out;
  out.k = kov.k;
  out.d = 2 * m;
  out.gap = MaxIpGap{m, m - 1};
  for (int p = 0; p < kov.k; ++p) {
    const PackedVectors& party = kov.parties[std::size_t(p)];
    const int32_t sign = p == 1 ? -1 : 1;
    IntVectors vectors(party.size(), out.d);
    for (std::size_t i = 0; i < party.size(); ++i) {
      int32_t* row = vectors.row(i);
      for (int j = 0; j < m; ++j) {
        row[j] = 1;
        row[m + j] = party.bit(i, j) ? sign : 0;
      }
    }
    out.parties.push_back(std::move(vectors));
  }
  return out;
}

}  // namespace sethkit::reductions
