// The plain reference for the exact backend: the textbook formula of paper
// 001 Definition 1.1 (k = 3) and Definition 1.5 (any k), evaluated tuple by
// tuple in long double with the row maximum subtracted (two passes: maximum,
// then sum), no BLAS, no tiling, no online softmax, so it shares no code path
// with exact_attention. Kept for tests and as the benchmark's baseline; it
// costs 2 n_q prod(n_p) k d operations.
//
//   AttentionOutput ref = reference_attention(inst, inst.scale, CausalWindow{4, 8});
#pragma once

#include <optional>

#include "attention/exact_attention.hpp"

namespace sethkit::attention {

// requires: inst.validate() passes; window only for k = 3 (InputError).
// ensures: the definition (DESIGN.md "Conventions") in long double, rounded to
//   double; a row with no allowed tuple gets O = 0 and log D = -inf; the
//   window is tested tuple by tuple (i - w1 < j1 <= i, i - w2 < j2 <= i).
AttentionOutput reference_attention(const AttentionInstance& inst, double scale,
                                    const std::optional<CausalWindow>& window = std::nullopt);

}  // namespace sethkit::attention
