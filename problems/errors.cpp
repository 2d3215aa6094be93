#include "problems/errors.hpp"

#include <cstdio>

namespace sethkit {

std::string human_bytes(double bytes) {
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

void check_size(const std::string& what, double bytes, double limit,
                const std::string& hint) {
  if (bytes > limit) {
    throw SizeLimitError(what + " needs " + human_bytes(bytes) + " (limit " +
                         human_bytes(limit) + ")" + (hint.empty() ? "" : "; " + hint));
  }
}

}  // namespace sethkit
