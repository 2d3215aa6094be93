// The direct signed route kOV -> exact k-MaxIP (DESIGN.md "Direct route"):
//   a'_1 = [1_M ; a_1],  a'_2 = [1_M ; -a_2],  a'_p = [1_M ; a_p] (p >= 3),
// so <a'_1, ..., a'_k> = M - <a_1, ..., a_k>: the first M coordinates add M,
// the rest add -<a_1..a_k> (one factor carries the sign). A kOV instance has
// an orthogonal tuple iff the MaxIP maximum is M (threshold M, NO bound
// M - 1). Dimension 2M, gap 1/M: against the protocol route (constant gap,
// huge dimension) this is the other end of the trade-off.
// Witness map: the same index tuple.
#pragma once

#include <vector>

#include "problems/kov_instance.hpp"
#include "problems/maxip_instance.hpp"

namespace sethkit::reductions {

// The refusal of kov_to_maxip without building: the explicit instance of
// dimension 2m over kOV parties of these sizes against max_bytes.
void check_kov_to_maxip_size(int m, const std::vector<std::size_t>& sizes, double max_bytes);

// Refuses (check_kov_to_maxip_size) when the explicit instance passes max_bytes.
MaxIpInstance kov_to_maxip(const KOvInstance& kov, double max_bytes);

}  // namespace sethkit::reductions
