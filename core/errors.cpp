#include "core/errors.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>

namespace sethkit {

namespace {
std::string timeout_text(double seconds) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "timeout after %g s", seconds);
  return buf;
}
}  // namespace

TimeoutError::TimeoutError(double seconds) : std::runtime_error(timeout_text(seconds)), seconds_(seconds) {}

std::string human_bytes(double bytes) {
  if (!std::isfinite(bytes)) return "more than 1e308 B";
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 6) {
    bytes /= 1024.0;
    ++u;
  }
  char buf[64];
  if (bytes >= 1e6) {  // beyond EiB: say it in scientific notation
    std::snprintf(buf, sizeof buf, "%.3g %s", bytes, units[u]);
  } else {
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.2f %s", bytes, units[u]);
  }
  return buf;
}

std::string byte_count_text(long double bytes) {
  if (bytes >= 0 && bytes < 0x1p63L && bytes == static_cast<long double>(static_cast<uint64_t>(bytes)))
    return std::to_string(static_cast<uint64_t>(bytes)) + " bytes";
  return human_bytes(static_cast<double>(bytes));
}

std::string count_text(double count) {
  if (!std::isfinite(count)) return "infinitely many";
  if (count < 0x1p53 && count == std::floor(count)) return std::to_string(static_cast<uint64_t>(count));
  char buf[32];
  std::snprintf(buf, sizeof buf, "2^%.1f", std::log2(count));
  return buf;
}

void check_size(const std::string& what, double bytes, double limit,
                const std::string& hint) {
  if (bytes > limit) {
    throw SizeLimitError(what + " needs " + human_bytes(bytes) + " (limit " +
                         human_bytes(limit) + ")" + (hint.empty() ? "" : "; " + hint));
  }
}

}  // namespace sethkit
