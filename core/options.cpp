#include "core/options.hpp"

#include <cstdint>
#include <cstdio>

#include "core/errors.hpp"

namespace sethkit::core {

const OptionSpec& find_option(std::string_view name) {
  for (const OptionSpec& o : kOptions)
    if (o.name == name) return o;
  std::string known;
  for (const OptionSpec& o : kOptions) known += (known.empty() ? "" : ", ") + std::string(o.name);
  throw InputError("", "unknown option '" + std::string(name) + "' (known: " + known + ")");
}

namespace {

bool is_integer(double v) { return std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9.0e15; }

// e with 2^e == v, or -1.
int power_of_two(double v) {
  if (!is_integer(v) || v < 1) return -1;
  int e = 0;
  const double m = std::frexp(v, &e);
  return m == 0.5 ? e - 1 : -1;
}

std::string integer_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
  return buf;
}

}  // namespace

std::string option_value_text(const OptionSpec& o, double v) {
  if (std::isinf(v)) return v > 0 ? "unbounded" : "-unbounded";
  if (o.unit == "bytes" && is_integer(v)) {
    static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    double x = v;
    while (u < 4 && x >= 1024 && std::fmod(x, 1024) == 0) {
      x /= 1024;
      ++u;
    }
    return integer_text(x) + " " + kUnits[u];
  }
  if (is_integer(v) && v >= 65536) {
    if (const int e = power_of_two(v); e >= 0) return "2^" + std::to_string(e);
    if (const int e = power_of_two(v + 1); e >= 0) return "2^" + std::to_string(e) + "-1";
    if (v >= 1e6) {
      int e = 0;
      double m = v;
      while (std::fmod(m, 10) == 0) {
        m /= 10;
        ++e;
      }
      if (m < 100) return (m == 1 ? std::string() : integer_text(m) + "·") + "10^" + std::to_string(e);
    }
    return integer_text(v);
  }
  if (is_integer(v)) return integer_text(v);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string options_markdown() {
  std::string out =
      "| option | default | range | unit | in the code | what |\n"
      "|---|---|---|---|---|---|\n";
  for (const OptionSpec& o : kOptions) {
    std::string where = "`" + std::string(o.constant) + "`";
    if (!o.flag.empty()) where += ", `" + std::string(o.flag) + "`";
    out += "| `" + std::string(o.name) + "` | " + option_value_text(o, o.value) + " | " +
           option_value_text(o, o.min) + " .. " + option_value_text(o, o.max) + " | " + std::string(o.unit) +
           " | " + where + " | " + std::string(o.help) + " |\n";
  }
  return out;
}

}  // namespace sethkit::core
