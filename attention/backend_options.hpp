// Options every attention backend (exact, polynomial, gradients) reads the
// same way: the OpenMP thread count and the score scale.
#pragma once

#include <optional>
#include "core/options.hpp"

namespace sethkit::attention {

// Most OpenMP threads any backend accepts: scratch is per thread, and far
// beyond the core count threads only cost memory.
inline constexpr int kMaxThreads = core::option_as<int>("threads.max");

// threads in 0..kMaxThreads (InputError otherwise); 0 becomes OpenMP's default.
int resolve_threads(int threads);

// The option's scale, else fallback; InputError unless finite.
double resolve_scale(const std::optional<double>& option, double fallback);

}  // namespace sethkit::attention
