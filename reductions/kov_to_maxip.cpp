#include "reductions/kov_to_maxip.hpp"

#include <algorithm>
#include <string>

#include "core/deadline.hpp"
#include "core/errors.hpp"

namespace sethkit::reductions {

void check_kov_to_maxip_size(int m, const std::vector<std::size_t>& sizes, double max_bytes) {
  check_size("the direct k-MaxIP instance (d = " + std::to_string(2 * m) + ")", maxip_memory_bytes(2 * m, sizes),
             max_bytes, "raise --max-bytes");
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
    // --timeout: a deadline check about every 2^20 entries written.
    DeadlinePoller poll(static_cast<unsigned>(std::max(1, (1 << 20) / std::max(1, out.d))));
    for (std::size_t i = 0; i < party.size(); ++i) {
      poll.poll();
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
