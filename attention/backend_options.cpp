#include "attention/backend_options.hpp"

#include <omp.h>

#include <cmath>
#include <string>

#include "core/errors.hpp"

namespace sethkit::attention {

int resolve_threads(int threads) {
  if (threads < 0 || threads > kMaxThreads)
    throw InputError("", "threads = " + std::to_string(threads) + " is outside 0.." + std::to_string(kMaxThreads) +
                             " (0: OpenMP's default)");
  return threads == 0 ? omp_get_max_threads() : threads;
}

double resolve_scale(const std::optional<double>& option, double fallback) {
  const double scale = option.value_or(fallback);
  if (!std::isfinite(scale)) throw InputError("", "the attention scale must be finite");
  return scale;
}

}  // namespace sethkit::attention
